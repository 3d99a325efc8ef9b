/*
 * placement-shared.h - one Placement for every test of a binary, and an
 * independent client that reads it back.
 *
 * The binary's own main() calls placement_shared_start() in Criterion's
 * runner process before any test and placement_server_stop() after the
 * last one, so a failing or crashing test (each runs in a process of its
 * own) never leaks it, and a killed runner takes it along
 * (PR_SET_PDEATHSIG in the harness).  Tests find it through
 * $VGPU_TEST_PLACEMENT_URL (set it to use a server of your own).
 *
 * The client is plain libcurl, admin at 1.39 like placement_server_call(),
 * which needs the struct placement_server: that lives in the runner, not
 * in the test processes.
 */
#pragma once

#include <cjson/cJSON.h>

#include "placement-server.h"

#define PLACEMENT_SHARED_URL_ENV "VGPU_TEST_PLACEMENT_URL"

/* Start the server unless $VGPU_TEST_PLACEMENT_URL names one (then NULL),
 * and put its URL there.  A server that does not start aborts the runner
 * with a message saying so. */
struct placement_server *placement_shared_start(void);

/* $VGPU_TEST_PLACEMENT_URL; the test fails without it. */
const char *placement_shared_url(void);

/* Send one request; body is JSON or NULL.  Returns the response body
 * (free() it) and the status in *ret_status. */
char *placement_shared_call(const char *method, const char *path,
                            const char *body, long *ret_status);

/* GET path; status 200 and a JSON body.  cJSON_Delete() the result. */
cJSON *placement_shared_json(const char *path);

/* method path with body must answer want. */
void placement_shared_must(const char *method, const char *path,
                           const char *body, long want);
