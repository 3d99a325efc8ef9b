/*
 * keystone-server.h - a real OpenStack Keystone for tests.
 *
 * Each keystone_server_start() runs Debian's Keystone (python3-keystone,
 * test/keystone-server.py) in a fresh temporary directory: its own
 * keystone.conf, sqlite database (WAL mode), fernet and credential key
 * repositories, a single-threaded WSGI server on 127.0.0.1 and a port the
 * kernel picked.  The server dies with the test (PR_SET_PDEATHSIG) and runs
 * in a process group of its own.
 *
 * A database from scratch costs keystone-manage db_sync, fernet_setup,
 * credential_setup and bootstrap, about 12 s on an idle box; if
 * $VGPU_KEYSTONE_TEMPLATE names a directory, the first start (under a flock,
 * so concurrent test processes build it once) saves its fresh state there and
 * later starts copy it: about 2.5 s a start on an idle box, nearly all of it
 * Python importing Keystone.  Passwords are hashed with bcrypt's minimum
 * cost (4 rounds) so that authenticating stays cheap.
 *
 * After start the catalog holds the identity service (public and internal
 * endpoints, RegionOne), a project "service", the roles admin, member,
 * reader and service, and the service user KEYSTONE_SERVER_PLACEMENT_USER.  The
 * helpers below talk to Keystone's REST API as the bootstrap admin with their
 * own libcurl client.
 *
 * Everything here aborts the current test (cr_assert) on failure.
 */
#pragma once

#include <stdbool.h>

#include "cleanup.h"

#define KEYSTONE_SERVER_REGION "RegionOne"
/* The service user Placement's keystonemiddleware validates tokens as:
 * roles admin and service on project "service". */
#define KEYSTONE_SERVER_PLACEMENT_USER "placement"
#define KEYSTONE_SERVER_PLACEMENT_PASSWORD "placement-Service-9"

struct keystone_server;

struct keystone_server_opts {
    int token_expiration; /* [token] expiration in seconds; 0: 3600 */
};

/* Start a fresh server (opts may be NULL); returns once it issues tokens. */
struct keystone_server *
keystone_server_start(const struct keystone_server_opts *opts);

/* "http://127.0.0.1:PORT/v3", what auth_url is set to. */
const char *keystone_server_auth_url(const struct keystone_server *ks);

/* Stop the server, keeping its directory (kill -TERM, then -KILL). */
void keystone_server_down(struct keystone_server *ks);

/* Start it again on the same port with the same database and keys. */
void keystone_server_up(struct keystone_server *ks);

/* Stop it and remove its temporary directory; for the shared server, only
 * forget it.  NULL is a no-op. */
void keystone_server_stop(struct keystone_server *ks);
DEFINE_CLEANUP(struct keystone_server, keystone_server_stop)

/* The server's log so far; free() it. */
char *keystone_server_log(const struct keystone_server *ks);

/* One request as the admin; body is JSON or NULL.  Returns the response
 * body (free() it) and the status in *ret_status. */
char *keystone_server_call(struct keystone_server *ks, const char *method,
                           const char *path, const char *body,
                           long *ret_status);

/* Create a user in domain Default with password and the role on project
 * (by name, in domain Default).  Returns the user's id; free() it. */
char *keystone_server_add_user(struct keystone_server *ks, const char *name,
                               const char *password, const char *project,
                               const char *role);

/* An application credential named name for the user (who authenticates
 * with password to make it, scoped to project).  Returns its id and the
 * secret in *ret_secret; free() both. */
char *keystone_server_add_app_cred(struct keystone_server *ks, const char *user,
                                   const char *password, const char *project,
                                   const char *name, char **ret_secret);

/* Create a region (id). */
void keystone_server_add_region(struct keystone_server *ks, const char *region);

/* Register public and internal endpoints at url in region for the service
 * of that type, created (named after the type) when there is none yet.  A
 * cloud has one service a type: the agent looks in the first only. */
void keystone_server_add_endpoints(struct keystone_server *ks, const char *type,
                                   const char *url, const char *region);

/* A project-scoped token for user/password, or NULL when Keystone refuses
 * (status in *ret_status when not NULL).  free() it. */
char *keystone_server_token(struct keystone_server *ks, const char *user,
                            const char *password, const char *project,
                            long *ret_status);

/* Whether Keystone still accepts token (GET /v3/auth/tokens). */
bool keystone_server_token_valid(struct keystone_server *ks, const char *token);

/* Revoke one token (DELETE /v3/auth/tokens). */
void keystone_server_revoke_token(struct keystone_server *ks,
                                  const char *token);

/* Revoke every token of the user issued so far, by setting the password
 * it already has again (Keystone records a revocation event for the user).
 * Tokens issued in the same second may be revoked too. */
void keystone_server_revoke_user(struct keystone_server *ks,
                                 const char *user_id, const char *password);

/*
 * One Keystone for every test of a binary.  Criterion runs each test in a
 * process of its own (exec'ed, so globals do not carry over, the
 * environment does): keystone_server_share_start(), called in the runner
 * before the tests (ReportHook(PRE_ALL)), forks a keeper process that starts
 * Keystone and stops it when the runner closes the keeper's pipe
 * (keystone_server_share_stop(), ReportHook(POST_ALL)) or dies; it puts the
 * URL in $VGPU_KEYSTONE_SHARED.  A test gets it with keystone_server_shared()
 * and must keep to names of its own (users, regions); down/up are refused.
 * Its catalog has the (endpoint-less) placement service from the start.
 * share_start() never aborts: when Keystone does not start, it says so on
 * stderr and keystone_server_shared() fails the tests that need it.
 */
void keystone_server_share_start(void);
void keystone_server_share_stop(void);
struct keystone_server *keystone_server_shared(void);
