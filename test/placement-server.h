/*
 * placement-server.h - a real OpenStack Placement for tests, in one of two
 * shapes.
 *
 * Which shape a test gets: $VGPU_PLACEMENT_SERVER (uwsgi or wsgiref) for
 * every test, else what its binary asks for with PLACEMENT_SERVER_PREFER()
 * (the sync, run, fault and Placement client tests and the benches ask for
 * uwsgi), else wsgiref, which starts with half the CPU: the suite has to
 * fit CI's time on 2 cores.
 *
 * uwsgi: Placement as Debian runs it in production, uwsgi
 * with the settings of placement-api's placement-api-uwsgi.ini
 * (test/placement-uwsgi.ini: 2 processes x 8 threads for 2 cores,
 * `Connection: close`, listen 100) over PostgreSQL: a fresh database per
 * server, made from a migrated template in the test binary's own cluster
 * (pgcluster.h).  Writers are concurrent for real, in two processes.
 * Start-up costs about 2 s on an idle box, nearly all of it the two
 * workers importing Placement, and about twice the CPU of wsgiref.
 *
 * wsgiref: Debian's Placement
 * (python3-placement) on a threaded wsgiref server with its own sqlite
 * database, writes serialized (sqlite would answer "database is locked").
 * The schema is created inside the server process; if
 * $VGPU_PLACEMENT_TEMPLATE names a file, the first start saves its fresh
 * database there and later starts copy it instead of migrating.
 *
 * Either way the server gets a fresh temporary directory (placement.conf
 * with noauth2, its log), listens on 127.0.0.1 on a port the kernel
 * picked, is killed with the test process even if that crashes
 * (PR_SET_PDEATHSIG) and runs in a process group of its own.
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

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "keystone-server.h"

#define PLACEMENT_SERVER_MICROVERSION "1.39"

struct placement_server;

enum placement_server_kind {
    PLACEMENT_SERVER_DEFAULT, /* $VGPU_PLACEMENT_SERVER, else the binary's */
    PLACEMENT_SERVER_UWSGI,
    PLACEMENT_SERVER_WSGIREF,
};

/* The shape PLACEMENT_SERVER_DEFAULT gives when $VGPU_PLACEMENT_SERVER is
 * unset: wsgiref (a weak definition in the harness), or what one source
 * file of the test binary defines with PLACEMENT_SERVER_PREFER(UWSGI). */
extern enum placement_server_kind placement_server_binary_kind;
#define PLACEMENT_SERVER_PREFER(kind)                                          \
    enum placement_server_kind placement_server_binary_kind =                  \
        PLACEMENT_SERVER_##kind

struct placement_server_opts {
    enum placement_server_kind kind;
    /* auth_strategy = keystone with this Keystone; NULL: noauth2 */
    struct keystone_server *keystone;
    /* uwsgi only.  keepalive: --http11-socket and no `Connection: close`
     * (HTTP/1.1 keep-alive: a worker waits on an idle connection for up to
     * socket-timeout, 10 s).  processes, threads: 0 for
     * $VGPU_PLACEMENT_PROCESSES / _THREADS, else the ini's 2 x 8. */
    bool keepalive;
    int processes, threads;
};

/* Start a fresh server; returns once GET / answers 200 (uwsgi: once every
 * worker has loaded Placement).  On failure the assertion message carries
 * the end of the server's log. */
struct placement_server *placement_server_start(void);

/* The same with options; o may be NULL. */
struct placement_server *
placement_server_start_opts(const struct placement_server_opts *o);

/* Start a fresh server behind ks (auth_strategy = keystone); returns once
 * its client got 200 for GET /resource_providers with a token.  The server
 * does not register itself in ks's catalog; ks must outlive it. */
struct placement_server *
placement_server_start_keystone(struct keystone_server *ks);

/* "uwsgi" or "wsgiref". */
const char *placement_server_kind_name(const struct placement_server *s);

/* "http://127.0.0.1:PORT", no trailing slash. */
const char *placement_server_url(const struct placement_server *s);

/* Kill the server's process group (wsgiref: SIGTERM, SIGKILL after 5 s;
 * uwsgi: SIGKILL), reap it, drop its database and remove the temporary
 * directory.  NULL is a no-op. */
void placement_server_stop(struct placement_server *s);
DEFINE_CLEANUP(struct placement_server, placement_server_stop)

/* SIGKILL the server's process group and reap it: Placement dies as on a
 * crash or an OOM kill, requests in flight included.  The database and
 * the log stay. */
void placement_server_kill(struct placement_server *s);

/* Start a killed server again on the same port with the same database;
 * returns once it serves, as placement_server_start().  Its log is
 * appended to the old one. */
void placement_server_restart(struct placement_server *s);

/* CPU time (user + system, ms) the server has used so far: its process
 * group's live processes and, for uwsgi, the PostgreSQL backends serving
 * its database.  Differences between two calls measure a workload. */
double placement_server_cpu_ms(const struct placement_server *s);

/* The server's log so far (what the server process and Placement's
 * request log print); free() it. */
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
