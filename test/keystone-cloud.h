/*
 * keystone-cloud.h - the cloud of a Keystone end-to-end test: a Keystone
 * with the agent's user ("placement-agent", admin on project "service",
 * Placement's policy) and a real Placement that validates every token with
 * that Keystone (keystonemiddleware).
 *
 * A binary that uses it shares one Keystone among its tests: report hooks
 * in keystone-cloud.c start it before the first test and stop it after
 * the last (keystone_server_share_start()).  A test that may take Keystone
 * down or shorten its tokens starts one of its own.
 */
#pragma once

#include <stdbool.h>

#include "agentenv.h"
#include "keystone-server.h"
#include "placement-server.h"
#include "testsecrets.h"

/* The agent user's password, and one that Keystone refuses. */
#define KEYSTONE_CLOUD_PASSWORD TEST_KEYSTONE_PASSWORD
#define KEYSTONE_CLOUD_WRONG_PASSWORD TEST_KEYSTONE_WRONG_PASSWORD
/* The agent's log line once it has a token (the contract with the tests):
 * "keystone: authenticated (<method>) at <auth_url>; token expires ...;
 * placement endpoint <url>". */
#define KEYSTONE_CLOUD_AUTHENTICATED "keystone: authenticated ("
/* Every Fernet token starts so. */
#define KEYSTONE_CLOUD_FERNET_PREFIX "gAAAAA"

/* Entries for agentrun_env(): no OS_* variable of the caller's cloud and no
 * VGPU_AGENT_TOKEN reach the agent. */
#define KEYSTONE_CLOUD_CLEAN_ENV                                               \
    "OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_AUTH_URL", "OS_USERNAME",         \
        "OS_PASSWORD", "OS_PROJECT_NAME", "OS_USER_DOMAIN_NAME",               \
        "OS_PROJECT_DOMAIN_NAME", "OS_REGION_NAME", "OS_INTERFACE",            \
        "OS_APPLICATION_CREDENTIAL_ID", "OS_APPLICATION_CREDENTIAL_SECRET",    \
        "OS_AUTH_TYPE", "VGPU_AGENT_TOKEN"

enum keystone_cloud_kind {
    KEYSTONE_CLOUD_SHARED,  /* the binary's Keystone; own user and region */
    KEYSTONE_CLOUD_PRIVATE, /* a Keystone of its own: it may go down */
};

struct keystone_cloud {
    struct keystone_server *ks;
    struct placement_server *srv;
    char *user;      /* "placement-agent", + "-PID-TAG" on the shared one */
    char *user_id;   /* its id */
    char *region;    /* RegionOne, or a region of this test's own */
    char *ac_secret; /* an application credential secret, once made */
};

/* Keystone (a private one with token lifetime expiration s, 0: the
 * default), the agent user, Placement behind it, and Placement in the
 * catalog (in c->region) when listed. */
void keystone_cloud_start(struct keystone_cloud *c,
                          enum keystone_cloud_kind kind, int expiration,
                          bool listed);
/* Stop what was started and free; a zeroed cloud is a no-op. */
void keystone_cloud_stop(struct keystone_cloud *c);

/* The password auth section of agent.yaml for the agent user, its password
 * in a file "password" in e's directory; caller frees. */
char *keystone_cloud_password_section(const struct keystone_cloud *c,
                                      const struct agentenv *e,
                                      const char *password,
                                      const char *interface);

/* The password, a token, and the application credential secret once
 * made, appear nowhere in text (what names it in the message). */
void keystone_cloud_assert_no_secret(const struct keystone_cloud *c,
                                     const char *what, const char *text);
