/*
 * keystone-json.c - the JSON of POST /v3/auth/tokens, both ways.
 *
 * The request body is built with cJSON; the response is decoded the way
 * placement-json.c decodes Placement's: nothing is trusted, every shape
 * error says where, and the parsers take text from memory so that tests
 * and fuzzers feed them anything.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "confwalk.h"
#include "keystone.h"
#include "strv.h"
#include "xalloc.h"

#define LISTED_MAX 400 /* bytes of "the catalog has ..." in a message */

static void
json_deletep(cJSON **j)
{
    cJSON_Delete(*j);
}

/* {"name": n, "domain": {"name"|"id": d}} or {"id": id}. */
static cJSON *
named_in_domain(const char *id, const char *name, const char *domain_id,
                const char *domain_name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *d;

    if (id) {
        cJSON_AddStringToObject(o, "id", id);
        return o;
    }
    cJSON_AddStringToObject(o, "name", name ? name : "");
    d = cJSON_AddObjectToObject(o, "domain");
    if (domain_id)
        cJSON_AddStringToObject(d, "id", domain_id);
    else
        cJSON_AddStringToObject(d, "name", domain_name ? domain_name : "");
    return o;
}

static void
add_password(cJSON *identity, const struct conf_auth *c)
{
    cJSON *pw = cJSON_AddObjectToObject(identity, "password");
    cJSON *user = named_in_domain(c->user_id, c->username, c->user_domain_id,
                                  c->user_domain_name);

    cJSON_AddStringToObject(user, "password", c->password ? c->password : "");
    cJSON_AddItemToObject(pw, "user", user);
    cJSON_AddItemToArray(cJSON_GetObjectItem(identity, "methods"),
                         cJSON_CreateString("password"));
}

static void
add_appcred(cJSON *identity, const struct conf_auth *c)
{
    cJSON *ac = cJSON_AddObjectToObject(identity, "application_credential");

    cJSON_AddStringToObject(
        ac, "id",
        c->application_credential_id ? c->application_credential_id : "");
    cJSON_AddStringToObject(ac, "secret",
                            c->application_credential_secret
                                ? c->application_credential_secret
                                : "");
    cJSON_AddItemToArray(cJSON_GetObjectItem(identity, "methods"),
                         cJSON_CreateString("application_credential"));
}

static void
wipe_string(cJSON *s)
{
    if (cJSON_IsString(s))
        explicit_bzero(s->valuestring, strlen(s->valuestring));
}

char *
keystone_auth_body(const struct clouds_auth *a)
{
    _cleanup_(json_deletep) cJSON *doc = cJSON_CreateObject();
    const struct conf_auth *c = &a->cred;
    cJSON *auth = cJSON_AddObjectToObject(doc, "auth");
    cJSON *identity = cJSON_AddObjectToObject(auth, "identity");
    cJSON *scope;
    char *text;

    cJSON_AddArrayToObject(identity, "methods");
    if (a->method == CLOUDS_AUTH_APPCRED) {
        add_appcred(identity, c); /* its scope is part of it */
    } else {
        add_password(identity, c);
        scope = cJSON_AddObjectToObject(auth, "scope");
        cJSON_AddItemToObject(scope, "project",
                              named_in_domain(c->project_id, c->project_name,
                                              c->project_domain_id,
                                              c->project_domain_name));
    }
    text = cJSON_PrintUnformatted(doc);
    if (!text)
        abort(); /* out of memory, as xalloc does */
    /* the tree holds the secret too: wipe it before the free */
    wipe_string(cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(identity, "password"), "user"),
        "password"));
    wipe_string(cJSON_GetObjectItem(
        cJSON_GetObjectItem(identity, "application_credential"), "secret"));
    return text;
}

int
keystone_parse_time(const char *s, time_t *ret)
{
    struct tm tm = { 0 };
    int n = 0;
    time_t t;

    if (!s ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
        n != 19)
        return -EINVAL;
    s += n;
    if (*s == '.')
        s += 1 + strspn(s + 1, "0123456789");
    if (strcmp(s, "Z") != 0 && strcmp(s, "+00:00") != 0 && *s)
        return -EINVAL;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 ||
        tm.tm_year < 1970)
        return -EINVAL;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return -EINVAL;
    *ret = t;
    return 0;
}

const char *
keystone_format_time(time_t t, char buf[KEYSTONE_TIME_MAX])
{
    struct tm tm;

    if (!gmtime_r(&t, &tm) ||
        strftime(buf, KEYSTONE_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, KEYSTONE_TIME_MAX, "@%lld", (long long)t);
    return buf;
}

/* The "token" object of a response body. */
static int
token_of(const char *body, size_t len, cJSON **ret_doc, const cJSON **ret,
         struct errbuf *eb)
{
    cJSON *doc = cJSON_ParseWithLength(body ? body : "", body ? len : 0);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "token");

    if (!doc)
        return errbuf_set(eb, -EPROTO, "the answer is not JSON");
    if (!cJSON_IsObject(t)) {
        cJSON_Delete(doc);
        return errbuf_set(eb, -EPROTO, "token: missing or not an object");
    }
    *ret_doc = doc;
    *ret = t;
    return 0;
}

static int
time_of(const cJSON *t, const char *key, time_t *ret, struct errbuf *eb)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);

    if (!cJSON_IsString(v) || keystone_parse_time(v->valuestring, ret) < 0)
        return errbuf_set(eb, -EPROTO,
                          "token.%s: missing or not an ISO 8601 UTC time", key);
    return 0;
}

int
keystone_parse_times(const char *body, size_t len, time_t *ret_issued,
                     time_t *ret_expires, struct errbuf *eb)
{
    _cleanup_(json_deletep) cJSON *doc = NULL;
    const cJSON *t = NULL;
    time_t issued, expires;
    int r = token_of(body, len, &doc, &t, eb);

    if (r == 0)
        r = time_of(t, "expires_at", &expires, eb);
    if (r < 0)
        return r;
    if (!cJSON_GetObjectItemCaseSensitive(t, "issued_at"))
        issued = expires;
    else if ((r = time_of(t, "issued_at", &issued, eb)) < 0)
        return r;
    *ret_issued = issued;
    *ret_expires = expires;
    return 0;
}

static const char *
str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Whether endpoint e is for interface and region (NULL: any). */
static bool
endpoint_matches(const cJSON *e, const char *interface, const char *region)
{
    const char *itf = str_of(e, "interface");
    const char *rid = str_of(e, "region_id");
    const char *rname = str_of(e, "region");

    if (!itf || strcmp(itf, interface) != 0)
        return false;
    return !region || (rid && strcmp(rid, region) == 0) ||
           (rname && strcmp(rname, region) == 0);
}

/* "public RegionOne, internal RegionOne" for the message, capped. */
static void
list_endpoints(const cJSON *eps, char *out, size_t size)
{
    const cJSON *e;
    size_t n = 0;

    out[0] = '\0';
    cJSON_ArrayForEach(e, eps) {
        const char *itf = str_of(e, "interface");
        const char *rid = str_of(e, "region_id");
        int w;

        if (!rid)
            rid = str_of(e, "region");
        w = snprintf(out + n, size - n, "%s%s%s%s", n ? ", " : "",
                     itf ? itf : "?", rid ? " " : "", rid ? rid : "");
        if (w < 0 || (size_t)w >= size - n)
            return;
        n += (size_t)w;
    }
}

static int
endpoint_in(const cJSON *svc, const char *interface, const char *region,
            char **ret, struct errbuf *eb)
{
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(svc, "endpoints");
    const cJSON *e;
    char listed[LISTED_MAX];
    _cleanup_free_ char *url = NULL, *complaint = NULL;

    if (!cJSON_IsArray(eps))
        return errbuf_set(eb, -EPROTO,
                          "token.catalog: the placement service's endpoints "
                          "are missing or not a list");
    cJSON_ArrayForEach(e, eps) {
        const char *u = str_of(e, "url");

        if (!endpoint_matches(e, interface, region))
            continue;
        url = u ? xstrdup(u) : NULL;
        complaint = url ? confwalk_check_url(&url) : NULL;
        if (!url || complaint)
            return errbuf_set(eb, -EPROTO,
                              "token.catalog: the placement %s endpoint's url "
                              "%s",
                              interface, complaint ? complaint : "is missing");
        *ret = TAKE_PTR(url);
        return 0;
    }
    list_endpoints(eps, listed, sizeof(listed));
    return errbuf_set(eb, -ENOENT,
                      "no placement endpoint for interface '%s'%s%s%s in the "
                      "catalog (it has: %s)",
                      interface, region ? " in region '" : "",
                      region ? region : "", region ? "'" : "",
                      listed[0] ? listed : "none");
}

int
keystone_parse_endpoint(const char *body, size_t len, const char *interface,
                        const char *region, char **ret, struct errbuf *eb)
{
    _cleanup_(json_deletep) cJSON *doc = NULL;
    const cJSON *t = NULL, *cat, *svc;
    int r = token_of(body, len, &doc, &t, eb);

    if (r < 0)
        return r;
    cat = cJSON_GetObjectItemCaseSensitive(t, "catalog");
    if (cat && !cJSON_IsArray(cat))
        return errbuf_set(eb, -EPROTO, "token.catalog: not a list");
    cJSON_ArrayForEach(svc, cat) {
        const char *type = str_of(svc, "type");

        if (type && strcmp(type, "placement") == 0)
            return endpoint_in(svc, interface, region, ret, eb);
    }
    return errbuf_set(eb, -ENOENT,
                      "no placement service in the catalog (is the token "
                      "scoped to a project, and Placement registered?)");
}
