/*
 * testoperator.h - what the two sources of the test-operator binary share
 * (test-operator.c, test-operator-report.c): the materialized m60 host, an
 * agent.yaml for it in a temporary directory, and the built binary run on
 * them.  The suite's init and fini are in test-operator.c.
 */
#pragma once

#include "agentrun.h"
#include "placement-server.h"

extern struct placement_server *srv; /* started by the tests that need it */
extern char *root;                   /* the materialized m60 host */
extern char *dir;                    /* agent.yaml and what it names */
extern struct agentrun run;          /* the last command's */
extern char *metrics_path;           /* metrics_file; NULL: dir/metrics/... */

/* Write dir/rel (mode 0600); returns the path, caller frees. */
char *put(const char *rel, const char *text);
/* The demo's settings (two GPUs: nvidia-18 pinned, nvidia-13 capped at
 * cap), the files in dir, Placement at srv with token (NULL: admin).
 * Returns the config's path; caller frees. */
char *conf_cap(unsigned cap, const char *enabled, const char *extra,
               const char *token);
/* conf_cap() with both types enabled and a cap of 4. */
char *conf(const char *extra, const char *token);
/* vgpu-agent -c CONF --sysfs-root ROOT args... into run. */
void agent(const char *conf_path, const char *const *args);
#define AGENT(conf_path, ...)                                                  \
    agent(conf_path, (const char *const[]){ __VA_ARGS__, NULL })

void assert_has(const char *text, const char *needle);
void assert_str(const char *got, const char *want);
void assert_lacks(const char *text, const char *needle);
