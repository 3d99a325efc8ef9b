/*
 * test-keystone-auth.c - the agent's side of Keystone v3: the request
 * body, the token's times, the catalog, and a session against a canned
 * responder (what went out, what came back, every error's message).
 *
 * The real Keystone is test-keystone-e2e.c's; here every answer is
 * hand-made so each shape and status is covered, secrets included: no
 * message may quote the password, the secret or the token.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clouds.h"
#include "keystone.h"
#include "responder.h"
#include "secret.h"
#include "testsecrets.h"
#include "xalloc.h"

#define assert_streq(a, b)                                                     \
    cr_assert(strcmp((a), (b)) == 0, "'%s' != '%s'", (a), (b))

#define PASSWORD "pw-Secret-1234"
#define APPSECRET "ac-Secret-5678"
#define TOKEN "gAAAAABtoken-Value-9999"

static struct clouds_auth *
password_auth(void)
{
    struct clouds_auth *a = xcalloc(1, sizeof(*a));

    a->method = CLOUDS_AUTH_PASSWORD;
    a->source = CLOUDS_FROM_CONFIG;
    a->cred.auth_url = xstrdup("http://127.0.0.1:1/v3");
    a->cred.username = xstrdup("placement-agent");
    a->cred.password = xstrdup(PASSWORD);
    a->cred.user_domain_name = xstrdup("Default");
    a->cred.project_name = xstrdup("service");
    a->cred.project_domain_id = xstrdup("default");
    a->interface = xstrdup("internal");
    a->region_name = xstrdup("RegionOne");
    return a;
}

static struct clouds_auth *
appcred_auth(void)
{
    struct clouds_auth *a = xcalloc(1, sizeof(*a));

    a->method = CLOUDS_AUTH_APPCRED;
    a->cred.auth_url = xstrdup("http://127.0.0.1:1/v3");
    a->cred.application_credential_id = xstrdup("ac-id-1");
    a->cred.application_credential_secret = xstrdup(APPSECRET);
    a->interface = xstrdup("public");
    return a;
}

static const char *
jstr(const cJSON *root, const char *const *path)
{
    const cJSON *j = root;

    for (; *path; path++)
        j = cJSON_GetObjectItemCaseSensitive(j, *path);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

#define JSTR(doc, ...) jstr(doc, (const char *const[]){ __VA_ARGS__, NULL })

/* --- the request body --------------------------------------------------- */

Test(keystone_body, password_is_user_in_domain_scoped_to_the_project)
{
    _cleanup_(clouds_auth_freep) struct clouds_auth *a = password_auth();
    char *body = keystone_auth_body(a);
    cJSON *doc = cJSON_Parse(body);
    const cJSON *methods = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "auth"), "identity"),
        "methods");

    cr_assert(doc != NULL, "%s", body);
    cr_assert(eq(int, cJSON_GetArraySize(methods), 1));
    cr_assert(eq(str, cJSON_GetArrayItem(methods, 0)->valuestring, "password"));
    assert_streq(JSTR(doc, "auth", "identity", "password", "user", "name"),
                 "placement-agent");
    assert_streq(
        JSTR(doc, "auth", "identity", "password", "user", "domain", "name"),
        "Default");
    assert_streq(JSTR(doc, "auth", "identity", "password", "user", "password"),
                 PASSWORD);
    assert_streq(JSTR(doc, "auth", "scope", "project", "name"), "service");
    assert_streq(JSTR(doc, "auth", "scope", "project", "domain", "id"),
                 "default");
    cJSON_Delete(doc);
    secret_free(body);
}

Test(keystone_body, ids_are_used_as_ids_without_a_domain)
{
    _cleanup_(clouds_auth_freep) struct clouds_auth *a = password_auth();
    char *body;
    cJSON *doc;

    a->cred.user_id = xstrdup("uid-1");
    a->cred.project_id = xstrdup("pid-1");
    body = keystone_auth_body(a);
    doc = cJSON_Parse(body);
    assert_streq(JSTR(doc, "auth", "identity", "password", "user", "id"),
                 "uid-1");
    cr_assert(JSTR(doc, "auth", "identity", "password", "user", "name") ==
              NULL);
    assert_streq(JSTR(doc, "auth", "scope", "project", "id"), "pid-1");
    cr_assert(
        eq(ptr,
           cJSON_GetObjectItem(
               cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "auth"), "scope"),
               "project")
               ->child->next,
           NULL));
    cJSON_Delete(doc);
    secret_free(body);
}

Test(keystone_body, application_credential_has_id_secret_and_no_scope)
{
    _cleanup_(clouds_auth_freep) struct clouds_auth *a = appcred_auth();
    char *body = keystone_auth_body(a);
    cJSON *doc = cJSON_Parse(body);
    const cJSON *auth = cJSON_GetObjectItem(doc, "auth");

    cr_assert(eq(str,
                 cJSON_GetArrayItem(
                     cJSON_GetObjectItem(cJSON_GetObjectItem(auth, "identity"),
                                         "methods"),
                     0)
                     ->valuestring,
                 "application_credential"));
    assert_streq(JSTR(doc, "auth", "identity", "application_credential", "id"),
                 "ac-id-1");
    assert_streq(
        JSTR(doc, "auth", "identity", "application_credential", "secret"),
        APPSECRET);
    cr_assert(eq(ptr, cJSON_GetObjectItem(auth, "scope"), NULL));
    cJSON_Delete(doc);
    secret_free(body);
}

/* --- times --------------------------------------------------------------- */

/* Parameters are copied into the test's process: arrays, not pointers. */
struct time_case {
    char text[40];
    int rc;
    long long t;
};

ParameterizedTestParameters(keystone_time, parse)
{
    static struct time_case cases[] = {
        { "2026-11-25T22:10:05.000000Z", 0, 1795644605LL },
        { "2026-11-25T22:10:05Z", 0, 1795644605LL },
        { "2026-11-25T22:10:05+00:00", 0, 1795644605LL },
        { "2026-11-25T22:10:05", 0, 1795644605LL },
        { "1970-01-01T00:00:00Z", 0, 0 },
        { "2026-11-25 22:10:05Z", -EINVAL, 0 },
        { "2026-13-25T22:10:05Z", -EINVAL, 0 },
        { "2026-11-25T22:10:05+02:00", -EINVAL, 0 },
        { "2026-11-25T22:10:05Zjunk", -EINVAL, 0 },
        { "tomorrow", -EINVAL, 0 },
        { "", -EINVAL, 0 },
    };

    return cr_make_param_array(struct time_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct time_case *c, keystone_time, parse)
{
    time_t t = 42;

    cr_assert(eq(int, keystone_parse_time(c->text, &t), c->rc), "%s", c->text);
    if (c->rc == 0)
        cr_assert(eq(i64, (long long)t, c->t), "%s", c->text);
    else
        cr_assert(eq(i64, (long long)t, 42), "written on failure");
}

Test(keystone_time, format_is_iso_8601_utc)
{
    char buf[KEYSTONE_TIME_MAX];

    assert_streq(keystone_format_time(1795644605, buf), "2026-11-25T22:10:05Z");
}

Test(keystone_time, times_of_a_token_body)
{
    const char *body = "{\"token\": {\"issued_at\": "
                       "\"2026-11-25T21:10:05.000000Z\", \"expires_at\": "
                       "\"2026-11-25T22:10:05.000000Z\"}}";
    time_t issued = 0, expires = 0;
    struct errbuf eb = { 0 };

    cr_assert(
        eq(int,
           keystone_parse_times(body, strlen(body), &issued, &expires, &eb), 0),
        "%s", eb.msg);
    cr_assert(eq(i64, (long long)(expires - issued), 3600));
}

struct bad_body {
    char body[200];
    char want[80];
};

ParameterizedTestParameters(keystone_time, bad_bodies)
{
    static struct bad_body cases[] = {
        { "<html>", "the answer is not JSON" },
        { "{}", "token: missing or not an object" },
        { "{\"token\": []}", "token: missing or not an object" },
        { "{\"token\": {}}",
          "token.expires_at: missing or not an ISO 8601 UTC time" },
        { "{\"token\": {\"expires_at\": 5}}",
          "token.expires_at: missing or not an ISO 8601 UTC time" },
        { "{\"token\": {\"expires_at\": \"2026-11-25T22:10:05Z\", "
          "\"issued_at\": \"soon\"}}",
          "token.issued_at: missing or not an ISO 8601 UTC time" },
    };

    return cr_make_param_array(struct bad_body, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct bad_body *c, keystone_time, bad_bodies)
{
    time_t issued = 0, expires = 0;
    struct errbuf eb = { 0 };

    cr_assert(eq(
        int,
        keystone_parse_times(c->body, strlen(c->body), &issued, &expires, &eb),
        -EPROTO));
    assert_streq(eb.msg, c->want);
}

/* --- the catalog -------------------------------------------------------- */

#define EP(itf, region, url)                                                   \
    "{\"interface\": \"" itf "\", \"region_id\": \"" region                    \
    "\", \"region\": \"" region "\", \"url\": \"" url "\"}"
#define CATALOG(svcs)                                                          \
    "{\"token\": {\"expires_at\": \"2026-11-25T22:10:05Z\", \"catalog\": "     \
    "[" svcs "]}}"
#define IDENTITY                                                               \
    "{\"type\": \"identity\", \"endpoints\": [" EP("public", "RegionOne",      \
                                                   "http://ks/v3") "]}"
#define PLACEMENT(eps) "{\"type\": \"placement\", \"endpoints\": [" eps "]}"
#define THREE_ENDPOINTS                                                        \
    EP("public", "RegionOne", "http://pub:8778/")                              \
    "," EP("internal", "RegionOne", "http://int1:8778") "," EP(                \
        "internal", "RegionTwo", "http://int2:8778/placement")

struct catalog_case {
    char body[1024];
    char interface[16];
    char region[16]; /* "": any */
    int rc;
    char want[200]; /* the URL, or the message */
};

ParameterizedTestParameters(keystone_catalog, select)
{
    static struct catalog_case cases[] = {
        { CATALOG(IDENTITY "," PLACEMENT(THREE_ENDPOINTS)), "internal",
          "RegionTwo", 0, "http://int2:8778/placement" },
        { CATALOG(IDENTITY "," PLACEMENT(THREE_ENDPOINTS)), "internal",
          "RegionOne", 0, "http://int1:8778" },
        { CATALOG(PLACEMENT(THREE_ENDPOINTS)), "internal", "", 0,
          "http://int1:8778" },
        { CATALOG(PLACEMENT(THREE_ENDPOINTS)), "public", "", 0,
          "http://pub:8778" },
        { CATALOG(PLACEMENT(THREE_ENDPOINTS)), "admin", "RegionOne", -ENOENT,
          "no placement endpoint for interface 'admin' in region "
          "'RegionOne' in the catalog (it has: public RegionOne, internal "
          "RegionOne, internal RegionTwo)" },
        { CATALOG(PLACEMENT(THREE_ENDPOINTS)), "public", "RegionTwo", -ENOENT,
          "no placement endpoint for interface 'public' in region "
          "'RegionTwo'" },
        { CATALOG(PLACEMENT("")), "internal", "", -ENOENT,
          "no placement endpoint for interface 'internal' in the catalog "
          "(it has: none)" },
        { CATALOG(IDENTITY), "internal", "", -ENOENT,
          "no placement service in the catalog" },
        { CATALOG(""), "internal", "", -ENOENT,
          "no placement service in the catalog" },
        { "{\"token\": {\"expires_at\": \"2026-11-25T22:10:05Z\"}}", "internal",
          "", -ENOENT, "no placement service in the catalog" },
        { "{\"token\": {\"catalog\": {}}}", "internal", "", -EPROTO,
          "token.catalog: not a list" },
        { CATALOG("{\"type\": \"placement\"}"), "internal", "", -EPROTO,
          "token.catalog: the placement service's endpoints are missing" },
        { CATALOG(PLACEMENT(EP("internal", "R", "ftp://x"))), "internal", "",
          -EPROTO,
          "token.catalog: the placement internal endpoint's url "
          "\"ftp://x\" is not an http:// or https:// URL" },
        { "[]", "internal", "", -EPROTO, "token: missing or not an object" },
    };

    return cr_make_param_array(struct catalog_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct catalog_case *c, keystone_catalog, select)
{
    char *url = NULL;
    struct errbuf eb = { 0 };
    int r = keystone_parse_endpoint(c->body, strlen(c->body), c->interface,
                                    c->region[0] ? c->region : NULL, &url, &eb);

    cr_assert(eq(int, r, c->rc), "%s", eb.msg);
    if (r == 0)
        assert_streq(url, c->want);
    else
        cr_assert(ne(ptr, strstr(eb.msg, c->want), NULL), "%s", eb.msg);
    free(url);
}

/* --- a session against a canned responder ------------------------------ */

static struct responder *responder;
static const char *request; /* what the agent sent, once answered */
static struct keystone *ks;
static struct clouds_auth *auth;

/* Answer the next request with status, headers and body; returns the
 * auth_url ("http://127.0.0.1:PORT/v3"). */
static char *
serve(const char *status, const char *headers, const char *body)
{
    responder_stop(responder);
    responder = responder_listen();
    responder_answer_json(responder, status, headers, body);
    return xasprintf("%s/v3", responder_url(responder));
}

static void
stop(void)
{
    responder_stop(responder);
    responder = NULL;
    keystone_free(ks);
    ks = NULL;
    clouds_auth_free(auth);
    auth = NULL;
}

TestSuite(keystone_session, .fini = stop);

/* A session for auth (made with make()) pointed at url. */
static void
open_session(struct clouds_auth *(*make)(void), const char *url)
{
    struct errbuf eb = { 0 };

    auth = make();
    free(auth->cred.auth_url);
    auth->cred.auth_url = xstrdup(url);
    cr_assert(eq(int, keystone_new(auth, NULL, false, 5, &ks, &eb), 0), "%s",
              eb.msg);
}

static void
assert_no_secret(const char *s)
{
    testsecrets_assert_absent(
        "the message", s,
        (const char *const[]){ PASSWORD, APPSECRET, TOKEN, NULL });
}

#define TOKEN_BODY(lifetime_start, expires)                                    \
    "{\"token\": {\"issued_at\": \"" lifetime_start                            \
    "\", \"expires_at\": \"" expires                                           \
    "\", \"catalog\": [" PLACEMENT(THREE_ENDPOINTS) "]}}"

Test(keystone_session, a_201_gives_the_token_expiry_and_endpoint)
{
    _cleanup_free_ char *url = serve(
        "201 Created", "X-Subject-Token: " TOKEN "\r\n",
        TOKEN_BODY("2026-11-25T21:10:05.000000Z", "2026-11-25T22:10:05Z"));
    struct errbuf eb = { 0 };
    time_t now = time(NULL);

    open_session(password_auth, url);
    cr_assert(keystone_expiring(ks, now), "no token yet");
    cr_assert(eq(int, keystone_authenticate(ks, true, &eb), 0), "%s", eb.msg);
    request = responder_request(responder);
    cr_assert(
        eq(int, strncmp(request, "POST /v3/auth/tokens HTTP/1.1\r\n", 31), 0),
        "%s", request);
    cr_assert(ne(ptr, strstr(request, "\"password\":\"" PASSWORD "\""), NULL));
    cr_assert(eq(ptr, strcasestr(request, "X-Auth-Token"), NULL));
    assert_streq(keystone_token(ks), TOKEN);
    cr_assert(eq(i64, (long long)keystone_expires(ks), 1795644605LL));
    assert_streq(keystone_endpoint(ks), "http://int1:8778");
    assert_streq(keystone_auth_url(ks), url);
    /* an hour's token: renewed 5 minutes (not 6) before its end */
    cr_assert(keystone_expiring(ks, now + 3300 - 5) == false);
    cr_assert(keystone_expiring(ks, now + 3300 + 5));
}

Test(keystone_session, a_short_token_is_renewed_a_tenth_of_its_life_early)
{
    _cleanup_free_ char *url =
        serve("201 Created", "X-Subject-Token: " TOKEN "\r\n",
              TOKEN_BODY("2026-11-25T22:00:00Z", "2026-11-25T22:01:40Z"));
    struct errbuf eb = { 0 };
    time_t now = time(NULL);

    open_session(appcred_auth, url);
    cr_assert(eq(int, keystone_authenticate(ks, true, &eb), 0), "%s", eb.msg);
    assert_streq(keystone_endpoint(ks), "http://pub:8778");
    /* 100 s of life: renewed at 90 s */
    cr_assert(keystone_expiring(ks, now + 85) == false);
    cr_assert(keystone_expiring(ks, now + 95));
    request = responder_request(responder);
    cr_assert(ne(ptr, strstr(request, "\"secret\":\"" APPSECRET "\""), NULL));
}

Test(keystone_session, a_401_is_eacces_naming_the_url_and_no_secret)
{
    _cleanup_free_ char *url = serve(
        "401 Unauthorized", "",
        "{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", \"message\": "
        "\"The request you have made requires authentication.\"}}");
    _cleanup_free_ char *want = NULL;
    struct errbuf eb = { 0 };

    open_session(password_auth, url);
    want = xasprintf("keystone: POST %s/auth/tokens: 401 (The request you "
                     "have made requires authentication.)",
                     url);
    cr_assert(eq(int, keystone_authenticate(ks, true, &eb), -EACCES));
    cr_assert(eq(str, eb.msg, want));
    cr_assert(keystone_token(ks) == NULL);
    cr_assert(keystone_expiring(ks, time(NULL)));
}

Test(keystone_session, an_echoed_secret_is_masked)
{
    _cleanup_free_ char *url =
        serve("400 Bad Request", "",
              "{\"error\": {\"message\": \"bad password " PASSWORD "\"}}");
    struct errbuf eb = { 0 };

    open_session(password_auth, url);
    cr_assert(eq(int, keystone_authenticate(ks, true, &eb), -EIO));
    cr_assert(ne(ptr, strstr(eb.msg, ": 400 (bad password ****"), NULL), "%s",
              eb.msg);
    assert_no_secret(eb.msg);
}

Test(keystone_session, no_subject_token_header_is_eproto)
{
    _cleanup_free_ char *url =
        serve("201 Created", "",
              TOKEN_BODY("2026-11-25T21:10:05Z", "2026-11-25T22:10:05Z"));
    struct errbuf eb = { 0 };

    open_session(password_auth, url);
    cr_assert(eq(int, keystone_authenticate(ks, true, &eb), -EPROTO));
    cr_assert(
        ne(ptr, strstr(eb.msg, "without an X-Subject-Token header"), NULL),
        "%s", eb.msg);
}

Test(keystone_session, no_placement_in_the_catalog_fails_only_when_wanted)
{
    _cleanup_free_ char *url = serve(
        "201 Created", "X-Subject-Token: " TOKEN "\r\n", CATALOG(IDENTITY));
    struct errbuf eb = { 0 };

    open_session(password_auth, url);
    cr_assert(eq(int, keystone_authenticate(ks, true, &eb), -ENOENT));
    cr_assert(
        ne(ptr, strstr(eb.msg, "no placement service in the catalog"), NULL),
        "%s", eb.msg);
    assert_no_secret(eb.msg);
    responder_close(responder);
    free(url);
    url = serve("201 Created", "X-Subject-Token: " TOKEN "\r\n",
                CATALOG(IDENTITY));
    keystone_free(ks);
    ks = NULL;
    clouds_auth_free(auth);
    open_session(password_auth, url);
    cr_assert(eq(int, keystone_authenticate(ks, false, &eb), 0), "%s", eb.msg);
    cr_assert(keystone_endpoint(ks) == NULL);
    assert_streq(keystone_token(ks), TOKEN);
}

Test(keystone_session, keystone_down_is_connection_refused_naming_the_url)
{
    _cleanup_free_ char *url = serve("201 Created", "", "{}");
    struct errbuf eb = { 0 };

    responder_close(responder); /* nothing listens on the port now */
    open_session(password_auth, url);
    cr_assert(eq(int, keystone_authenticate(ks, true, &eb), -ECONNREFUSED));
    cr_assert(ne(ptr, strstr(eb.msg, url), NULL), "%s", eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, "/auth/tokens: "), NULL), "%s", eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, "(connection refused)"), NULL), "%s",
              eb.msg);
}

Test(keystone_session, a_session_needs_keystone_credentials)
{
    struct clouds_auth none = { .method = CLOUDS_AUTH_TOKEN };
    struct errbuf eb = { 0 };

    cr_assert(eq(int, keystone_new(&none, NULL, false, 5, &ks, &eb), -EINVAL));
    cr_assert(eq(str, eb.msg, "keystone: no Keystone credentials"));
}
