/*
 * placement-server.h - a real OpenStack Placement for tests.
 *
 * Each placement_server_start() runs Debian's Placement (python3-placement)
 * in a fresh temporary directory: its own placement.conf (noauth2), its own
 * sqlite database, a threaded WSGI server on 127.0.0.1 and a port the kernel
 * picked.  The server is killed with the test process even if that crashes
 * (PR_SET_PDEATHSIG) and runs in a process group of its own.
 *
 * Start-up costs about 1.5-2 s, nearly all of it Python importing
 * Placement.  The schema is created inside the server process (no separate
 * placement-manage run); if $VGPU_PLACEMENT_TEMPLATE names a file, the first
 * start saves its fresh database there and later starts copy it instead of
 * migrating (about 0.35 s less each).
 *
 * placement_server_start_keystone() starts it with auth_strategy = keystone
 * instead: keystonemiddleware validates every token with that Keystone (as
 * KEYSTONE_SERVER_PLACEMENT_USER, no token cache).
 *
 * The placement_server_get()/_call() helpers are an independent client
 * (plain libcurl, microversion 1.39; noauth2 admin headers, or a token of
 * KEYSTONE_SERVER_PLACEMENT_USER, renewed on a 401) so tests can check what
 * Placement holds without going through the agent's code.
 *
 * Everything here aborts the current test (cr_assert) on failure.
 */
#pragma once

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "keystone-server.h"

#define PLACEMENT_SERVER_MICROVERSION "1.39"

struct placement_server;

/* Start a fresh server; returns once GET / answers 200.  On failure the
 * assertion message carries the end of the server's log. */
struct placement_server *placement_server_start(void);

/* Start a fresh server behind ks (auth_strategy = keystone); returns once
 * its client got 200 for GET /resource_providers with a token.  The server
 * does not register itself in ks's catalog; ks must outlive it. */
struct placement_server *
placement_server_start_keystone(struct keystone_server *ks);

/* "http://127.0.0.1:PORT", no trailing slash. */
const char *placement_server_url(const struct placement_server *s);

/* SIGTERM to the server's process group, SIGKILL after 5 s, reap, remove
 * the temporary directory.  NULL is a no-op. */
void placement_server_stop(struct placement_server *s);
DEFINE_CLEANUP(struct placement_server, placement_server_stop)

/* SIGKILL the server's process group and reap it: Placement dies as on a
 * crash or an OOM kill, requests in flight included.  The database and
 * the log stay. */
void placement_server_kill(struct placement_server *s);

/* Start a killed server again on the same port with the same database;
 * returns once GET / answers 200.  Its log is appended to the old one. */
void placement_server_restart(struct placement_server *s);

/* The server's log so far (stderr of the Python process); free() it. */
char *placement_server_log(const struct placement_server *s);

/* Send one request as admin at microversion 1.39; body is JSON or NULL.
 * Returns the response body (free() it; "" when empty) and the status in
 * *ret_status. */
char *placement_server_call(const struct placement_server *s,
                            const char *method, const char *path,
                            const char *body, long *ret_status);

/* GET path; same as placement_server_call(s, "GET", path, NULL, ...). */
char *placement_server_get(const struct placement_server *s, const char *path,
                           long *ret_status);

/* GET path, assert status 200 and a JSON body; cJSON_Delete() the result. */
cJSON *placement_server_get_json(const struct placement_server *s,
                                 const char *path);

/* Assert that Placement holds the tree `vgpu-agent dump --format json`
 * printed (dump): the same providers under its root and nothing else there,
 * with the same names, parents, inventories and traits (the owner traits
 * the sync adds, nodeid.h, aside). */
void placement_server_assert_tree(const struct placement_server *s,
                                  const cJSON *dump);

/* " uuid=generation ..." of every provider in root_uuid's tree, in
 * Placement's order; free() it.  Equal strings: nothing was written. */
char *placement_server_generations(const struct placement_server *s,
                                   const char *root_uuid);
