/*
 * keystone-admin.c - the test Keystone's REST API as its bootstrap admin:
 * the catalog, users, application credentials, tokens (see
 * keystone-server.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "cleanup.h"
#include "keystone-internal.h"
#include "keystone-server.h"
#include "testproc.h"
#include "xalloc.h"

struct reply {
    long status; /* 0 on a transport error */
    char *body;
    char *subject_token; /* X-Subject-Token, or NULL */
    char err[CURL_ERROR_SIZE];
};

static size_t
take_subject_token(char *data, size_t size, size_t nmemb, void *userdata)
{
    static const char name[] = "X-Subject-Token:";
    size_t len = size * nmemb;
    char **ret = userdata;

    if (len > sizeof(name) - 1 &&
        strncasecmp(data, name, sizeof(name) - 1) == 0) {
        const char *v = data + sizeof(name) - 1;
        size_t n = len - (sizeof(name) - 1);

        while (n > 0 && (*v == ' ' || *v == '\t'))
            v++, n--;
        while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n'))
            n--;
        free(*ret);
        *ret = xstrndup(v, n);
    }
    return len;
}

/* One request to path under the server's /v3 with token as X-Auth-Token
 * (none when NULL). */
static void
http(const struct keystone_server *ks, const char *method, const char *path,
     const char *body, const char *token, const char *subject,
     struct reply *ret)
{
    _cleanup_free_ char *url = xasprintf("%s%s", ks->url, path);
    _cleanup_free_ char *auth =
        token ? xasprintf("X-Auth-Token: %s", token) : NULL;
    _cleanup_free_ char *subj =
        subject ? xasprintf("X-Subject-Token: %s", subject) : NULL;
    struct curl_slist *h = NULL;
    size_t len = 0;
    FILE *mem;
    CURL *c = curl_easy_init();
    CURLcode rc;

    *ret = (struct reply){ 0 };
    mem = open_memstream(&ret->body, &len);
    if (!c || !mem)
        keystone_server_fail("curl_easy_init or open_memstream failed");
    h = curl_slist_append(h, "Accept: application/json");
    if (body)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (auth)
        h = curl_slist_append(h, auth);
    if (subj)
        h = curl_slist_append(h, subj);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, testproc_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)mem);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, take_subject_token);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)&ret->subject_token);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ret->err);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ret->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    fclose(mem);
    if (rc != CURLE_OK) {
        ret->status = 0;
        if (!ret->err[0])
            snprintf(ret->err, sizeof(ret->err), "%s", curl_easy_strerror(rc));
    }
}

static void
reply_clear(struct reply *r)
{
    free(r->body);
    free(r->subject_token);
    r->body = r->subject_token = NULL;
}

/* The JSON of a password authentication scoped to project (Default). */
static char *
password_auth_body(const char *user, const char *password, const char *project)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *ident = cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "auth"),
                                           "identity");
    cJSON *u, *p;
    char *s;

    cJSON_AddItemToArray(cJSON_AddArrayToObject(ident, "methods"),
                         cJSON_CreateString("password"));
    u = cJSON_AddObjectToObject(cJSON_AddObjectToObject(ident, "password"),
                                "user");
    cJSON_AddStringToObject(u, "name", user);
    cJSON_AddStringToObject(u, "password", password);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(u, "domain"), "id",
                            "default");
    p = cJSON_AddObjectToObject(
        cJSON_AddObjectToObject(cJSON_GetObjectItem(doc, "auth"), "scope"),
        "project");
    cJSON_AddStringToObject(p, "name", project);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "domain"), "id",
                            "default");
    s = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return s;
}

char *
keystone_server_token(struct keystone_server *ks, const char *user,
                      const char *password, const char *project,
                      long *ret_status)
{
    _cleanup_free_ char *body = password_auth_body(user, password, project);
    struct reply r;
    char *token;

    http(ks, "POST", "/auth/tokens", body, NULL, NULL, &r);
    if (r.status == 0)
        keystone_server_fail("POST %s/auth/tokens: %s", ks->url, r.err);
    if (ret_status)
        *ret_status = r.status;
    token = r.status == 201 ? r.subject_token : NULL;
    if (token)
        r.subject_token = NULL;
    reply_clear(&r);
    return token;
}

static void
refresh_admin_token(struct keystone_server *ks)
{
    long status = 0;

    free(ks->admin_token);
    ks->admin_token =
        keystone_server_token(ks, "admin", ADMIN_PASSWORD, "admin", &status);
    cr_assert(ks->admin_token != NULL, "admin token: status %ld", status);
}

/* A request as admin, with a fresh admin token on 401. */
static void
admin_http(struct keystone_server *ks, const char *method, const char *path,
           const char *body, const char *subject, struct reply *ret)
{
    if (!ks->admin_token)
        refresh_admin_token(ks);
    http(ks, method, path, body, ks->admin_token, subject, ret);
    if (ret->status == 401) {
        reply_clear(ret);
        refresh_admin_token(ks);
        http(ks, method, path, body, ks->admin_token, subject, ret);
    }
    if (ret->status == 0)
        keystone_server_fail("%s %s%s: %s", method, ks->url, path, ret->err);
}

char *
keystone_server_call(struct keystone_server *ks, const char *method,
                     const char *path, const char *body, long *ret_status)
{
    struct reply r;
    char *out;

    admin_http(ks, method, path, body, NULL, &r);
    *ret_status = r.status;
    out = r.body;
    r.body = NULL;
    reply_clear(&r);
    return out;
}

/* The last 2000 bytes of the server's log; free() it. */
static char *
log_tail(const struct keystone_server *ks)
{
    _cleanup_free_ char *log = keystone_server_log(ks);
    size_t n = strlen(log);

    return xstrdup(n > 2000 ? log + n - 2000 : log);
}

/* Call, assert status want, return the parsed body. */
static cJSON *
call_json(struct keystone_server *ks, const char *method, const char *path,
          const char *body, long want)
{
    long status = 0;
    _cleanup_free_ char *out =
        keystone_server_call(ks, method, path, body, &status);
    cJSON *j;

    if (status != want) {
        _cleanup_free_ char *tail = log_tail(ks);

        keystone_server_fail(
            "%s %s: status %ld (want %ld): %s\nkeystone log:\n%s", method, path,
            status, want, out, tail);
    }
    j = cJSON_Parse(out);
    cr_assert(j != NULL, "%s %s: not JSON: %s", method, path, out);
    return j;
}

/* The "id" of what a POST answered with, under key; free() it. */
static char *
create(struct keystone_server *ks, const char *path, const char *key,
       const char *body)
{
    cJSON *j = call_json(ks, "POST", path, body, 201);
    const char *id = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, key), "id"));
    char *ret;

    cr_assert(id != NULL, "POST %s: no %s.id", path, key);
    ret = xstrdup(id);
    cJSON_Delete(j);
    return ret;
}

/* The id of the only entity a GET ?name= lists under key; free() it. */
static char *
find_id(struct keystone_server *ks, const char *what, const char *name)
{
    _cleanup_free_ char *path = xasprintf("/%s?name=%s", what, name);
    cJSON *j = call_json(ks, "GET", path, NULL, 200);
    const cJSON *list = cJSON_GetObjectItem(j, what);
    const char *id = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "id"));
    char *ret;

    cr_assert(cJSON_GetArraySize(list) == 1 && id, "GET %s: %d found", path,
              cJSON_GetArraySize(list));
    ret = xstrdup(id);
    cJSON_Delete(j);
    return ret;
}

static void
call_expect(struct keystone_server *ks, const char *method, const char *path,
            const char *body, long want)
{
    long status = 0;
    _cleanup_free_ char *out =
        keystone_server_call(ks, method, path, body, &status);

    if (status != want) {
        _cleanup_free_ char *tail = log_tail(ks);

        keystone_server_fail(
            "%s %s: status %ld (want %ld): %s\nkeystone log:\n%s", method, path,
            status, want, out, tail);
    }
}

static void
add_endpoints(struct keystone_server *ks, const char *service_id,
              const char *url, const char *region)
{
    static const char *const ifaces[] = { "public", "internal" };

    for (size_t i = 0; i < 2; i++) {
        _cleanup_free_ char *body = xasprintf(
            "{\"endpoint\":{\"service_id\":\"%s\",\"interface\":\"%s\","
            "\"region_id\":\"%s\",\"url\":\"%s\"}}",
            service_id, ifaces[i], region, url);
        free(create(ks, "/endpoints", "endpoint", body));
    }
}

void
keystone_server_add_region(struct keystone_server *ks, const char *region)
{
    _cleanup_free_ char *body =
        xasprintf("{\"region\":{\"id\":\"%s\"}}", region);

    free(create(ks, "/regions", "region", body));
}

/* The id of the service of that type, created (named after the type) when
 * there is none; free() it. */
char *
keystone_admin_service_id(struct keystone_server *ks, const char *type)
{
    _cleanup_free_ char *path = xasprintf("/services?type=%s", type);
    _cleanup_free_ char *body = NULL;
    cJSON *j = call_json(ks, "GET", path, NULL, 200);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(j, "services"), 0), "id"));
    char *ret = id ? xstrdup(id) : NULL;

    cJSON_Delete(j);
    if (ret)
        return ret;
    body = xasprintf("{\"service\":{\"type\":\"%s\",\"name\":\"%s\"}}", type,
                     type);
    return create(ks, "/services", "service", body);
}

void
keystone_server_add_endpoints(struct keystone_server *ks, const char *type,
                              const char *url, const char *region)
{
    _cleanup_free_ char *id = keystone_admin_service_id(ks, type);

    add_endpoints(ks, id, url, region);
}

static void grant(struct keystone_server *ks, const char *user_id,
                  const char *project, const char *role);

/* The catalog and the names the tests rely on. */
void
keystone_admin_seed(struct keystone_server *ks)
{
    _cleanup_free_ char *base = xstrndup(ks->url, strlen(ks->url) - 3);
    char *id;

    keystone_server_add_endpoints(ks, "identity", base, KEYSTONE_SERVER_REGION);
    id = create(ks, "/projects", "project",
                "{\"project\":{\"name\":\"service\","
                "\"domain_id\":\"default\"}}");
    free(id);
    id = create(ks, "/roles", "role", "{\"role\":{\"name\":\"service\"}}");
    free(id);
    id = keystone_server_add_user(ks, KEYSTONE_SERVER_PLACEMENT_USER,
                                  KEYSTONE_SERVER_PLACEMENT_PASSWORD, "service",
                                  "admin");
    grant(ks, id, "service", "service");
    free(id);
}

bool
keystone_admin_answers(struct keystone_server *ks)
{
    struct reply r;
    bool ok;

    http(ks, "GET", "", NULL, NULL, NULL, &r);
    ok = r.status == 200;
    reply_clear(&r);
    return ok;
}

/* --- users, credentials, tokens ------------------------------------------ */

static void
grant(struct keystone_server *ks, const char *user_id, const char *project,
      const char *role)
{
    _cleanup_free_ char *project_id = find_id(ks, "projects", project);
    _cleanup_free_ char *role_id = find_id(ks, "roles", role);
    _cleanup_free_ char *path = xasprintf("/projects/%s/users/%s/roles/%s",
                                          project_id, user_id, role_id);

    call_expect(ks, "PUT", path, NULL, 204);
}

char *
keystone_server_add_user(struct keystone_server *ks, const char *name,
                         const char *password, const char *project,
                         const char *role)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *u = cJSON_AddObjectToObject(doc, "user");
    _cleanup_free_ char *body = NULL;
    char *id;

    cJSON_AddStringToObject(u, "name", name);
    cJSON_AddStringToObject(u, "password", password);
    cJSON_AddStringToObject(u, "domain_id", "default");
    body = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    id = create(ks, "/users", "user", body);
    grant(ks, id, project, role);
    return id;
}

char *
keystone_server_add_app_cred(struct keystone_server *ks, const char *user,
                             const char *password, const char *project,
                             const char *name, char **ret_secret)
{
    long status = 0;
    _cleanup_free_ char *token =
        keystone_server_token(ks, user, password, project, &status);
    _cleanup_free_ char *user_id = NULL, *path = NULL, *body = NULL;
    const char *id, *secret;
    struct reply r;
    cJSON *j;
    char *ret;

    cr_assert(token != NULL, "token for %s: status %ld", user, status);
    user_id = find_id(ks, "users", user);
    path = xasprintf("/users/%s/application_credentials", user_id);
    body = xasprintf("{\"application_credential\":{\"name\":\"%s\"}}", name);
    http(ks, "POST", path, body, token, NULL, &r);
    cr_assert(r.status == 201, "POST %s: status %ld: %s", path, r.status,
              r.body ? r.body : r.err);
    j = cJSON_Parse(r.body);
    reply_clear(&r);
    id = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetObjectItem(j, "application_credential"), "id"));
    secret = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetObjectItem(j, "application_credential"), "secret"));
    cr_assert(id && secret, "POST %s: no id or secret", path);
    ret = xstrdup(id);
    *ret_secret = xstrdup(secret);
    cJSON_Delete(j);
    return ret;
}

bool
keystone_server_token_valid(struct keystone_server *ks, const char *token)
{
    struct reply r;
    long status;

    admin_http(ks, "GET", "/auth/tokens", NULL, token, &r);
    status = r.status;
    reply_clear(&r);
    cr_assert(status == 200 || status == 404 || status == 401,
              "GET /auth/tokens: status %ld", status);
    return status == 200;
}

void
keystone_server_revoke_token(struct keystone_server *ks, const char *token)
{
    struct reply r;
    long status;

    admin_http(ks, "DELETE", "/auth/tokens", NULL, token, &r);
    status = r.status;
    reply_clear(&r);
    cr_assert(status == 204, "DELETE /auth/tokens: status %ld", status);
}

void
keystone_server_revoke_user(struct keystone_server *ks, const char *user_id,
                            const char *password)
{
    cJSON *doc = cJSON_CreateObject();
    _cleanup_free_ char *body = NULL;
    _cleanup_free_ char *path = xasprintf("/users/%s", user_id);
    cJSON *j;

    cJSON_AddStringToObject(cJSON_AddObjectToObject(doc, "user"), "password",
                            password);
    body = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    j = call_json(ks, "PATCH", path, body, 200);
    cJSON_Delete(j);
}
