/*
 * test-http.c - the libcurl wrapper against the real Placement.
 *
 * Suite http_placement starts a fresh Placement per test (placement-server.h)
 * and checks what the wrapper sends and receives, reading back through the
 * harness's own client.  Suite http_transport needs no Placement: a closed
 * port, a listener that never answers, and a canned responder on a thread
 * for the headers Placement never sends (Retry-After) and a body without a
 * Content-Length.  Suite http_keepalive runs a keep-alive uwsgi with fewer
 * workers than the requests a batch has in flight.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "fixture.h"
#include "http.h"
#include "placement-server.h"
#include "responder.h"
#include "testproc.h"
#include "testsecrets.h"
#include "uwsgi-server.h"
#include "xalloc.h"

#define MV "OpenStack-API-Version: placement 1.39"
#define UUID1 "b0a4c4a8-8f5e-4e43-9a0b-0f3c7d6e2a11"

static const char *const mv[] = { MV, NULL };

static struct placement_server *srv;
static struct http *http;
static struct http_response resp = { .retry_after_s = -1 };
static struct responder *responder; /* the http_transport tests' server */

static struct http *
client(const char *url, const char *token, size_t max_response, long timeout)
{
    struct http_opts o = { .base_url = url,
                           .token = token,
                           .max_response = max_response,
                           .timeout_s = timeout };
    struct errbuf eb = { 0 };
    struct http *h = NULL;

    cr_assert(eq(int, http_new(&o, &h, &eb), 0), "%s", eb.msg);
    return h;
}

static void
start_placement(void)
{
    srv = placement_server_start();
    http = client(placement_server_url(srv), TEST_TOKEN, 0, 30);
}

static void
teardown(void)
{
    http_response_clear(&resp);
    http_free(http);
    http = NULL;
    placement_server_stop(srv);
    srv = NULL;
    responder_stop(responder);
    responder = NULL;
}

/* No .timeout: Criterion 2.4.1 leaks its timeout watcher in the runner when
 * tests run in parallel, which check-local reports as a LeakSanitizer error.
 * Every wait here is bounded anyway (server start 60 s, requests 30 s). */
TestSuite(http_placement, .init = start_placement, .fini = teardown);
TestSuite(http_transport, .fini = teardown);

/* Send one request through the wrapper, which must get a response. */
static void
must(const char *method, const char *path, const char *body,
     const char *const *headers)
{
    struct errbuf eb = { 0 };

    http_response_clear(&resp);
    cr_assert(
        eq(int, http_request(http, method, path, body, headers, &resp, &eb), 0),
        "%s", eb.msg);
}

Test(http_placement, root_answers_200_with_the_version_document)
{
    cJSON *doc, *v;

    must("GET", "/", NULL, NULL);
    cr_assert(eq(long, resp.status, 200));
    cr_assert(eq(sz, resp.len, strlen(resp.body)));
    cr_assert(resp.request_id != NULL);
    cr_assert(eq(int, strncmp(resp.request_id, "req-", 4), 0), "%s",
              resp.request_id);
    cr_assert(eq(dbl, resp.retry_after_s, -1));
    doc = cJSON_Parse(resp.body);
    cr_assert(doc != NULL, "%s", resp.body);
    v = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "versions"), 0);
    cr_assert(eq(str,
                 cJSON_GetStringValue(cJSON_GetObjectItem(v, "max_version")),
                 "1.39"));
    cJSON_Delete(doc);
}

Test(http_placement, unknown_provider_is_a_404_with_placement_error_json)
{
    cJSON *doc, *e;

    must("GET", "/resource_providers/" UUID1, NULL, mv);
    cr_assert(eq(long, resp.status, 404));
    doc = cJSON_Parse(resp.body);
    cr_assert(doc != NULL, "%s", resp.body);
    e = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "errors"), 0);
    cr_assert(eq(int, cJSON_GetObjectItem(e, "status")->valueint, 404));
    cr_assert(eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")),
                 "placement.undefined_code"));
    cr_assert(eq(str,
                 cJSON_GetStringValue(cJSON_GetObjectItem(e, "request_id")),
                 resp.request_id));
    cJSON_Delete(doc);
}

Test(http_placement, post_creates_a_provider_the_test_client_then_sees)
{
    cJSON *rps, *rp;

    must("POST", "/resource_providers",
         "{\"name\": \"host-a\", \"uuid\": \"" UUID1 "\"}", mv);
    cr_assert(eq(long, resp.status, 200), "%s", resp.body);
    rps = placement_server_get_json(srv, "/resource_providers?name=host-a");
    rp = cJSON_GetArrayItem(cJSON_GetObjectItem(rps, "resource_providers"), 0);
    cr_assert(rp != NULL, "not listed");
    cr_assert(
        eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(rp, "uuid")), UUID1));
    cr_assert(eq(int, cJSON_GetObjectItem(rp, "generation")->valueint, 0));
    cJSON_Delete(rps);
}

Test(http_placement, bodiless_put_creates_a_trait_then_finds_it)
{
    long status = 0;
    char *body;

    must("PUT", "/traits/CUSTOM_X", NULL, mv);
    cr_assert(eq(long, resp.status, 201), "%s", resp.body);
    cr_assert(eq(str, resp.body, ""));
    must("PUT", "/traits/CUSTOM_X", NULL, mv);
    cr_assert(eq(long, resp.status, 204), "%s", resp.body);
    body = placement_server_get(srv, "/traits/CUSTOM_X", &status);
    cr_assert(eq(long, status, 204));
    free(body);
}

Test(http_placement, token_goes_out_as_x_auth_token)
{
    struct http *anon = client(placement_server_url(srv), NULL, 0, 30);
    struct http *demo = client(placement_server_url(srv), "demo", 0, 30);
    struct http_response r = { 0 };
    struct errbuf eb = { 0 };

    must("GET", "/resource_providers", NULL, mv);
    cr_assert(eq(long, resp.status, 200), "%s", resp.body);
    cr_assert(
        eq(int,
           http_request(anon, "GET", "/resource_providers", NULL, mv, &r, &eb),
           0),
        "%s", eb.msg);
    cr_assert(eq(long, r.status, 401), "%s", r.body);
    http_response_clear(&r);
    cr_assert(
        eq(int,
           http_request(demo, "GET", "/resource_providers", NULL, mv, &r, &eb),
           0),
        "%s", eb.msg);
    cr_assert(eq(long, r.status, 403), "%s", r.body);
    http_response_clear(&r);
    http_free(anon);
    http_free(demo);
}

Test(http_placement, response_over_max_response_is_efbig)
{
    struct http *tiny = client(placement_server_url(srv), NULL, 16, 30);
    struct http_response r = { 0 };
    struct errbuf eb = { 0 };
    int rc = http_request(tiny, "GET", "/", NULL, NULL, &r, &eb);

    http_free(tiny);
    cr_assert(eq(int, rc, -EFBIG));
    cr_assert(eq(str, eb.msg, "GET /: response larger than 16 bytes"));
}

Test(http_placement, a_batch_runs_in_parallel_and_reports_each_request)
{
    enum { N = 12 };
    struct http_req reqs[N + 1] = { 0 };
    char *paths[N];
    struct errbuf eb = { 0 };
    cJSON *traits;

    for (int i = 0; i < N; i++) {
        paths[i] = xasprintf("/traits/CUSTOM_T%d", i);
        reqs[i] = (struct http_req){ .method = "PUT",
                                     .path = paths[i],
                                     .headers = mv };
    }
    reqs[N] = (struct http_req){ .method = "GET", .path = "no-slash" };
    cr_assert(eq(int, http_request_many(http, reqs, N + 1, 4, &eb), -EINVAL));
    cr_assert(eq(str, eb.msg, "GET no-slash: path must start with '/'"));
    for (int i = 0; i < N; i++) {
        cr_assert(eq(int, reqs[i].rc, 0), "%s", reqs[i].eb.msg);
        cr_assert(eq(long, reqs[i].resp.status, 201), "%s: %s", paths[i],
                  reqs[i].resp.body);
        free(paths[i]);
    }
    http_req_clear(reqs, N + 1);
    traits = placement_server_get_json(srv, "/traits?name=startswith:CUSTOM_T");
    cr_assert(
        eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(traits, "traits")), N));
    cJSON_Delete(traits);
}

Test(http_transport, refused_connection_names_method_and_path)
{
    struct http_response r = { 0 };
    struct errbuf eb = { 0 };
    int rc;

    responder = responder_listen();
    responder_close(responder); /* nothing listens on the port now */
    http = client(responder_url(responder), "s3cret-token", 0, 5);
    rc = http_request(http, "GET", "/resource_providers", NULL, mv, &r, &eb);
    cr_assert(eq(int, rc, -ECONNREFUSED), "%s", eb.msg);
    cr_assert(eq(int, strncmp(eb.msg, "GET /resource_providers: ", 25), 0),
              "%s", eb.msg);
    cr_assert(eq(ptr, strstr(eb.msg, "s3cret"), NULL), "%s", eb.msg);
}

Test(http_transport, silent_server_times_out_after_timeout_s)
{
    struct http_response r = { 0 };
    struct errbuf eb = { 0 };
    struct timespec t0, t1;
    double secs;
    int rc;

    /* connections complete in the kernel's backlog, never answered */
    responder = responder_listen();
    http = client(responder_url(responder), NULL, 0, 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = http_request(http, "PUT", "/traits/CUSTOM_X", NULL, mv, &r, &eb);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert(eq(int, rc, -ETIMEDOUT), "%s", eb.msg);
    cr_assert(eq(int, strncmp(eb.msg, "PUT /traits/CUSTOM_X: ", 22), 0), "%s",
              eb.msg);
    cr_assert(secs >= 0.9 && secs < 3, "took %.2f s", secs);
}

/* A server that answers the next request with reply; the client is
 * http. */
static void
start_responder(const char *reply, size_t max_response)
{
    responder = responder_listen();
    responder_answer(responder, reply);
    http = client(responder_url(responder), NULL, max_response, 5);
}

Test(http_transport, retry_after_and_request_id_are_captured)
{
    static const char reply[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                "Retry-After: 7\r\n"
                                "X-OpenStack-Request-Id: req-1234\r\n"
                                "Content-Length: 2\r\n\r\n{}";

    start_responder(reply, 0);
    must("GET", "/", NULL, NULL);
    cr_assert(eq(long, resp.status, 503));
    cr_assert(eq(dbl, resp.retry_after_s, 7));
    cr_assert(eq(str, resp.request_id, "req-1234"));
    cr_assert(eq(str, resp.body, "{}"));
}

Test(http_transport, body_without_length_is_capped_while_it_arrives)
{
    static const char reply[] = "HTTP/1.0 200 OK\r\n\r\n"
                                "0123456789012345678901234567890123456789";

    start_responder(reply, 32);
    struct http_response r = { 0 };
    struct errbuf eb = { 0 };

    cr_assert(eq(int, http_request(http, "GET", "/big", NULL, NULL, &r, &eb),
                 -EFBIG));
    cr_assert(eq(str, eb.msg, "GET /big: response larger than 32 bytes"));
}

Test(http_transport, bad_endpoint_and_token_are_refused_without_echo)
{
    struct http_opts o = { .base_url = "ftp://x" };
    struct errbuf eb = { 0 };
    struct http *h = NULL;

    cr_assert(eq(int, http_new(&o, &h, &eb), -EINVAL));
    cr_assert(eq(str, eb.msg, "endpoint 'ftp://x': not an http(s) URL"));
    o = (struct http_opts){ .base_url = "http://x", .token = "s3cret\r\nX: 1" };
    cr_assert(eq(int, http_new(&o, &h, &eb), -EINVAL));
    cr_assert(eq(ptr, strstr(eb.msg, "s3cret"), NULL), "%s", eb.msg);
    cr_assert(eq(ptr, h, NULL));
}

Test(http_transport, one_map_from_status_to_errno)
{
    static const struct {
        long status;
        int r;
    } map[] = {
        { 200, 0 },       { 201, 0 },    { 204, 0 },       { 299, 0 },
        { 302, -EIO },    { 400, -EIO }, { 401, -EACCES }, { 403, -EACCES },
        { 404, -ENOENT }, { 409, -EIO }, { 500, -EIO },    { 503, -EIO },
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
        cr_expect(eq(int, http_status_errno(map[i].status), map[i].r), "%ld",
                  map[i].status);
}

/* ---- keep-alive, fewer server workers than requests in flight ----------- */

/* uwsgi --http11-socket with 2 processes and no threads (issue 14): after
 * a response a worker waits, up to socket-timeout (10 s), for the next
 * request on that connection and serves nothing else meanwhile; HTTP/1.1
 * allows it.  A client that keeps those connections idle while its other
 * requests queue behind them in the listen backlog waits 10 s a round. */
#define KEEPALIVE_APP                                                          \
    "def application(environ, start_response):\n"                              \
    "    start_response('200 OK', [('Content-Type', 'application/json'),\n"    \
    "                              ('Content-Length', '2')])\n"                \
    "    return [b'{}']\n"
#define KEEPALIVE_REQUESTS 8

static pid_t keepalive_pid = -1;
static char *keepalive_dir;

static void
start_keepalive(void)
{
    const char *args[] = {
        "--master",    "--plugins",         "python3", "--processes",
        "2",           "--socket-timeout",  "10",      "--eval",
        KEEPALIVE_APP, "--disable-logging", NULL
    };
    _cleanup_free_ char *log = NULL, *url = NULL;
    long deadline = testproc_now_ms() + 30000;
    int port = 0;

    keepalive_dir = fixture_tmpdir();
    log = xasprintf("%s/uwsgi.log", keepalive_dir);
    keepalive_pid = uwsgi_server_spawn(args, true, 0, 100, log, &port);
    /* the app loads in the master, which then forks the workers */
    for (;;) {
        _cleanup_free_ char *text = testproc_read_file(log);

        if (strstr(text, "spawned uWSGI worker 2"))
            break;
        cr_assert(lt(long, testproc_now_ms(), deadline),
                  "uwsgi did not start; its log:\n%s", text);
        testproc_sleep_ms(20);
    }
    url = xasprintf("http://127.0.0.1:%d", port);
    http = client(url, NULL, 0, 2); /* 2 s: a held connection is a failure */
}

static void
stop_keepalive(void)
{
    teardown();
    uwsgi_server_kill(keepalive_pid);
    keepalive_pid = -1;
    if (keepalive_dir)
        fixture_rm_rf(keepalive_dir);
    free(keepalive_dir);
    keepalive_dir = NULL;
}

TestSuite(http_keepalive, .init = start_keepalive, .fini = stop_keepalive);

/* One round of KEEPALIVE_REQUESTS GETs, all in flight at once; asserts
 * each got its 200 and returns the time the round took (ms). */
static long
keepalive_round(void)
{
    struct http_req reqs[KEEPALIVE_REQUESTS] = { 0 };
    struct errbuf eb = { 0 };
    long start = testproc_now_ms();
    int rc;

    for (int i = 0; i < KEEPALIVE_REQUESTS; i++)
        reqs[i] = (struct http_req){ .method = "GET", .path = "/" };
    rc = http_request_many(http, reqs, KEEPALIVE_REQUESTS, KEEPALIVE_REQUESTS,
                           &eb);
    cr_assert(eq(int, rc, 0), "%s", eb.msg);
    for (int i = 0; i < KEEPALIVE_REQUESTS; i++)
        cr_assert(eq(long, reqs[i].resp.status, 200));
    http_req_clear(reqs, KEEPALIVE_REQUESTS);
    return testproc_now_ms() - start;
}

Test(http_keepalive, parallel_rounds_progress_when_workers_hold_connections)
{
    /* a sync is several rounds, each reusing what the last one left */
    for (int round = 0; round < 3; round++)
        cr_assert(lt(long, keepalive_round(), 1500), "round %d", round);
}

Test(http_keepalive, sequential_requests_reuse_one_connection)
{
    for (int i = 0; i < KEEPALIVE_REQUESTS; i++) {
        must("GET", "/", NULL, NULL);
        cr_assert(eq(long, resp.status, 200));
    }
}
