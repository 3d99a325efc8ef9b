/*
 * placement-server-client.c - the tests' own Placement client: requests as
 * admin (noauth2, or a token of the Placement service user), and comparing
 * what Placement holds with a dump.  Independent of the agent's code.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "cleanup.h"
#include "keystone-server.h"
#include "nodeid.h"
#include "placement-server-internal.h"
#include "placement-server.h"
#include "strv.h"
#include "testproc.h"
#include "xalloc.h"

/* One request; transport errors give status 0 and the message in err. */
char *
placement_server_call_raw(const struct placement_server *s, const char *method,
                          const char *path, const char *body, long *ret_status,
                          char err[CURL_ERROR_SIZE])
{
    _cleanup_free_ char *url = xasprintf("%s%s", s->url, path);
    /* noauth2: the token names the user */
    _cleanup_free_ char *auth =
        xasprintf("X-Auth-Token: %s", !s->auth         ? "admin"
                                      : s->auth->token ? s->auth->token
                                                       : "");
    struct curl_slist *h = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    CURL *c = curl_easy_init();
    CURLcode rc;

    if (!c || !mem)
        testproc_fail("curl_easy_init or open_memstream failed");
    h = curl_slist_append(h, auth);
    h = curl_slist_append(
        h, "OpenStack-API-Version: placement " PLACEMENT_SERVER_MICROVERSION);
    h = curl_slist_append(h, "Accept: application/json");
    if (body)
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body || !strcmp(method, "PUT") || !strcmp(method, "POST"))
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, testproc_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)mem);
    err[0] = '\0';
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    fclose(mem);
    if (rc != CURLE_OK) {
        *ret_status = 0;
        if (!err[0])
            snprintf(err, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
    }
    return buf;
}

/* A token of the placement service user (admin on project service). */
static void
renew_token(struct token_client *a)
{
    long status = 0;

    free(a->token);
    a->token = keystone_server_token(a->ks, KEYSTONE_SERVER_PLACEMENT_USER,
                                     KEYSTONE_SERVER_PLACEMENT_PASSWORD,
                                     "service", &status);
    cr_assert(a->token != NULL, "token of %s: status %ld",
              KEYSTONE_SERVER_PLACEMENT_USER, status);
}

char *
placement_server_call(const struct placement_server *s, const char *method,
                      const char *path, const char *body, long *ret_status)
{
    char err[CURL_ERROR_SIZE];
    char *buf;

    if (s->auth && !s->auth->token)
        renew_token(s->auth);
    buf = placement_server_call_raw(s, method, path, body, ret_status, err);
    if (s->auth && *ret_status == 401) { /* expired or revoked: once more */
        free(buf);
        renew_token(s->auth);
        buf = placement_server_call_raw(s, method, path, body, ret_status, err);
    }

    if (*ret_status == 0) {
        free(buf);
        testproc_fail("%s %s%s: %s", method, s->url, path, err);
    }
    return buf;
}

char *
placement_server_get(const struct placement_server *s, const char *path,
                     long *ret_status)
{
    return placement_server_call(s, "GET", path, NULL, ret_status);
}

cJSON *
placement_server_get_json(const struct placement_server *s, const char *path)
{
    long status = 0;
    _cleanup_free_ char *body = placement_server_get(s, path, &status);
    cJSON *j;

    cr_assert(status == 200, "GET %s: status %ld: %s", path, status, body);
    j = cJSON_Parse(body);
    cr_assert(j != NULL, "GET %s: not JSON: %s", path, body);
    return j;
}

/* --- comparing Placement with a dump ------------------------------------- */

static char *
sorted_words(const cJSON *array)
{
    struct strv sv = { 0 };
    const cJSON *t;
    char *s = xstrdup("");

    /* the owner trait (nodeid.h) is the sync's, not the dump's */
    cJSON_ArrayForEach(t, array)
        if (cJSON_IsString(t) && strncmp(t->valuestring, NODEID_TRAIT_PREFIX,
                                         strlen(NODEID_TRAIT_PREFIX)) != 0)
            strv_push(&sv, t->valuestring);
    strv_sort_uniq(&sv);
    for (size_t i = 0; i < sv.n; i++) {
        char *next = xasprintf("%s%s%s", s, i ? " " : "", sv.v[i]);
        free(s);
        s = next;
    }
    strv_clear(&sv);
    return s;
}

static const char *
string_at(const cJSON *o, const char *key)
{
    const char *v =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

    return v ? v : "(null)";
}

static void
assert_inventories(const struct placement_server *s, const char *uuid,
                   const cJSON *want)
{
    _cleanup_free_ char *path =
        xasprintf("/resource_providers/%s/inventories", uuid);
    cJSON *doc = placement_server_get_json(s, path);
    const cJSON *got = cJSON_GetObjectItem(doc, "inventories");
    const cJSON *w;

    cr_assert(cJSON_GetArraySize(got) == cJSON_GetArraySize(want),
              "%s: %d inventory classes in Placement, %d in the dump", uuid,
              cJSON_GetArraySize(got), cJSON_GetArraySize(want));
    cJSON_ArrayForEach(w, want) {
        const cJSON *g = cJSON_GetObjectItem(got, w->string);
        const cJSON *f;

        cr_assert(g != NULL, "%s: no %s inventory", uuid, w->string);
        cJSON_ArrayForEach(f, w) {
            const cJSON *gf = cJSON_GetObjectItem(g, f->string);

            cr_assert(gf != NULL && gf->valuedouble == f->valuedouble,
                      "%s: %s.%s is %g in Placement, %g in the dump", uuid,
                      w->string, f->string, gf ? gf->valuedouble : -1.0,
                      f->valuedouble);
        }
    }
    cJSON_Delete(doc);
}

static void
assert_provider(const struct placement_server *s, const cJSON *p)
{
    const char *uuid = string_at(p, "uuid");
    _cleanup_free_ char *rpath = xasprintf("/resource_providers/%s", uuid);
    _cleanup_free_ char *tpath =
        xasprintf("/resource_providers/%s/traits", uuid);
    cJSON *rp = placement_server_get_json(s, rpath);
    cJSON *traits = placement_server_get_json(s, tpath);
    const cJSON *parent = cJSON_GetObjectItem(p, "parent_provider_uuid");
    const cJSON *rparent = cJSON_GetObjectItem(rp, "parent_provider_uuid");
    _cleanup_free_ char *want = sorted_words(cJSON_GetObjectItem(p, "traits"));
    _cleanup_free_ char *got =
        sorted_words(cJSON_GetObjectItem(traits, "traits"));

    cr_assert(strcmp(string_at(rp, "name"), string_at(p, "name")) == 0,
              "%s: named %s in Placement, %s in the dump", uuid,
              string_at(rp, "name"), string_at(p, "name"));
    cr_assert(cJSON_IsNull(parent)
                  ? cJSON_IsNull(rparent)
                  : strcmp(string_at(p, "parent_provider_uuid"),
                           string_at(rp, "parent_provider_uuid")) == 0,
              "%s: parent", uuid);
    assert_inventories(s, uuid, cJSON_GetObjectItem(p, "inventories"));
    cr_assert(strcmp(got, want) == 0,
              "%s: traits in Placement: %s; in the dump: %s", uuid, got, want);
    cJSON_Delete(rp);
    cJSON_Delete(traits);
}

void
placement_server_assert_tree(const struct placement_server *s,
                             const cJSON *dump)
{
    const cJSON *providers = cJSON_GetObjectItem(dump, "providers");
    const char *root = string_at(cJSON_GetArrayItem(providers, 0), "uuid");
    _cleanup_free_ char *path =
        xasprintf("/resource_providers?in_tree=%s", root);
    cJSON *tree = placement_server_get_json(s, path);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(tree, "resource_providers"));
    const cJSON *p;

    cJSON_Delete(tree);
    cr_assert(n == cJSON_GetArraySize(providers),
              "%d providers in Placement's tree, %d in the dump", n,
              cJSON_GetArraySize(providers));
    cJSON_ArrayForEach(p, providers)
        assert_provider(s, p);
}

char *
placement_server_generations(const struct placement_server *s,
                             const char *root_uuid)
{
    _cleanup_free_ char *path =
        xasprintf("/resource_providers?in_tree=%s", root_uuid);
    cJSON *tree = placement_server_get_json(s, path);
    const cJSON *rp;
    char *str = xstrdup("");

    cJSON_ArrayForEach(rp, cJSON_GetObjectItem(tree, "resource_providers")) {
        const cJSON *g = cJSON_GetObjectItem(rp, "generation");
        char *next = xasprintf("%s %s=%d", str, string_at(rp, "uuid"),
                               cJSON_IsNumber(g) ? g->valueint : -1);
        free(str);
        str = next;
    }
    cJSON_Delete(tree);
    return str;
}
