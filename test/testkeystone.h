/*
 * testkeystone.h - what the two sources of the test-keystone-e2e binary
 * share (test-keystone-e2e.c, test-keystone-run.c): the test's cloud
 * (test/keystone-cloud.h), its agent on the m60 sample host, and the
 * helpers around them.  One test runs per process (Criterion forks), so the
 * state is one per test; the suite's setup and teardown are in
 * test-keystone-e2e.c.
 */
#pragma once

#include <cjson/cJSON.h>

#include "agentenv.h"
#include "keystone-cloud.h"

#define AGENT_PASSWORD KEYSTONE_CLOUD_PASSWORD
#define WRONG_PASSWORD KEYSTONE_CLOUD_WRONG_PASSWORD
#define FERNET_PREFIX KEYSTONE_CLOUD_FERNET_PREFIX
#define AUTHENTICATED KEYSTONE_CLOUD_AUTHENTICATED
#define PASS_DONE "pass done: "
#define WAIT_MS 30000 /* patience for one pass incl. a token (sanitizers) */

extern struct keystone_cloud cloud;
extern struct agentenv env; /* agent.yaml, secrets, clouds.yaml, HOME; m60 */

/* agent.yaml: the host's settings, interval_s 1, a lock file and
 * placement_section (starting "placement:\n", or "" for none). */
void write_conf(const char *placement_section);
/* The password auth section of agent.yaml, password from a file; caller
 * frees. */
char *password_section(const char *password, const char *interface);
/* The host's dump, from a config without any placement section (the dump
 * needs no Placement); caller cJSON_Delete()s it. */
cJSON *dump(void);
/* The password, a token, and the application credential secret once
 * made, appear nowhere in text. */
void assert_no_secret(const char *what, const char *text);
