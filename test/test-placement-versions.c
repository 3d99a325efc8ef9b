/*
 * test-placement-versions.c - placement_open() negotiates the microversion
 * from the version document a canned responder (test/responder.h) serves,
 * and names GET / when there is no server.  The typed calls: test-placement.c
 * and test-placement-proto.c.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fixture.h"
#include "http.h"
#include "placement.h"
#include "responder.h"
#include "xalloc.h"

/* eq(str, ...) wants char *; these are const. */
#define assert_streq(a, b)                                                     \
    cr_assert(strcmp((a), (b)) == 0, "'%s' != '%s'", (a), (b))

static struct http *http;
static struct placement *pl;

static struct responder *responder;

/* Serve one GET / with doc; returns the client's URL. */
static char *
serve_root(const char *doc)
{
    responder = responder_listen();
    responder_answer_json(responder, "200 OK", "", doc);
    return xstrdup(responder_url(responder));
}

static void
stop_responder(void)
{
    responder_stop(responder);
    responder = NULL;
    placement_free(pl);
    pl = NULL;
    http_free(http);
    http = NULL;
}

TestSuite(placement_versions, .fini = stop_responder);

struct version_case {
    char doc[200];
    int rc;
    char want[120]; /* the version, or what the message contains */
};

#define VDOC(lo, hi)                                                           \
    "{\"versions\": [{\"id\": \"v1.0\", \"min_version\": " lo                  \
    ", \"max_version\": " hi ", \"status\": \"CURRENT\"}]}"

ParameterizedTestParameters(placement_versions, negotiation)
{
    static struct version_case cases[] = {
        { VDOC("\"1.0\"", "\"1.39\""), 0, "1.39" },
        { VDOC("\"1.0\"", "\"1.45\""), 0, "1.39" },
        { VDOC("\"1.0\"", "\"1.30\""), 0, "1.30" },
        { VDOC("\"1.26\"", "\"1.26\""), 0, "1.26" },
        { VDOC("\"1.0\"", "\"1.20\""), -ENOTSUP,
          "GET /: Placement speaks microversions 1.0 to 1.20, the agent "
          "needs 1.26 to 1.39" },
        { VDOC("\"1.40\"", "\"1.50\""), -ENOTSUP, "1.40 to 1.50" },
        { VDOC("\"1.0\"", "\"1.x\""), -EPROTO,
          "GET /: bad response: versions[0].max_version: missing or not a "
          "version" },
        { VDOC("\"1.0\"", "139"), -EPROTO, "max_version" },
        { "{\"versions\": \"1.39\"}", -EPROTO, "versions[0]: missing" },
        { "{\"versions\": []}", -EPROTO, "versions[0]: missing" },
        { "<html>", -EPROTO, "GET /: response is not a JSON object" },
    };

    return cr_make_param_array(struct version_case, cases, NELEM(cases));
}

ParameterizedTest(struct version_case *v, placement_versions, negotiation)
{
    _cleanup_free_ char *url = serve_root(v->doc);
    struct http_opts o = { .base_url = url, .timeout_s = 5 };
    struct errbuf eb = { 0 };
    int r;

    cr_assert(eq(int, http_new(&o, &http, &eb), 0), "%s", eb.msg);
    r = placement_open(http, &pl, &eb);
    cr_assert(eq(int, r, v->rc), "%s", eb.msg);
    if (r == 0)
        assert_streq(placement_version(pl), v->want);
    else
        cr_assert(ne(ptr, strstr(eb.msg, v->want), NULL), "%s", eb.msg);
}

Test(placement_versions, no_server_is_the_transport_error_naming_get_root)
{
    _cleanup_free_ char *url = serve_root("{}");
    struct http_opts o = { .base_url = url, .timeout_s = 5 };
    struct errbuf eb = { 0 };

    responder_close(responder); /* nothing listens on the port now */
    cr_assert(eq(int, http_new(&o, &http, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, placement_open(http, &pl, &eb), -ECONNREFUSED));
    cr_assert(eq(int, strncmp(eb.msg, "GET /: ", 7), 0), "%s", eb.msg);
    cr_assert(eq(ptr, pl, NULL));
}
