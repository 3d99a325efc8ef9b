/*
 * keystone-server.c - start, configure and stop a real Keystone for tests.
 *
 * The server is test/keystone-server.py under Debian's /usr/bin/python3.  It
 * binds the port itself (0 the first time, the same port on
 * keystone_server_up()) and writes the port it got to a pipe, like
 * test/placement-server.py.  The REST helpers use a token of the bootstrap
 * admin, fetched again whenever Keystone answers 401 (short token lifetimes,
 * restarts).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "cleanup.h"
#include "fixture.h"
#include "keystone-server.h"
#include "testproc.h"
#include "xalloc.h"

#define START_TIMEOUT_MS 120000 /* building the template takes ~12 s */
#define STOP_GRACE_MS 5000
#define PYTHON_DEFAULT "/usr/bin/python3"
#define ADMIN_PASSWORD "ks-admin-Secret-7"

struct keystone_server {
    bool attached; /* the binary's shared server: not ours to stop */
    pid_t pid;     /* also the process group id; -1 while down */
    int port;      /* 0 until the first start */
    char *dir;     /* temporary directory: conf, db, keys, log */
    char *url;     /* http://127.0.0.1:PORT/v3 */
    char *admin_token;
};

static bool in_keeper; /* this process is the shared server's keeper */
static void keeper_idle(void);
/* The server keystone_server_start() is setting up: fail() stops it, as no
 * test holds it yet to stop it in its teardown. */
static struct keystone_server *starting;

struct reply {
    long status; /* 0 on a transport error */
    char *body;
    char *subject_token; /* X-Subject-Token, or NULL */
    char err[CURL_ERROR_SIZE];
};

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
    char msg[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (starting)
        keystone_server_stop(starting); /* clears starting */
    if (in_keeper) { /* no test to fail: say why on the runner's stderr */
        fprintf(stderr, "keystone server: %s\n", msg);
        keeper_idle(); /* an early exit would upset Criterion's runner */
        _exit(1);
    }
    cr_assert_fail("%s", msg);
    abort(); /* not reached */
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");
    bool ok;

    if (!f)
        fail("%s: %s", path, strerror(errno));
    ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    cr_assert(ok, "%s: %s", path, strerror(errno));
}

static void
write_conf(const char *dir, const struct keystone_server_opts *opts)
{
    _cleanup_free_ char *path = xasprintf("%s/keystone.conf", dir);
    _cleanup_free_ char *pw = xasprintf("%s/admin-password", dir);
    int expiration =
        opts && opts->token_expiration > 0 ? opts->token_expiration : 3600;
    _cleanup_free_ char *conf =
        xasprintf("[DEFAULT]\n"
                  "debug = False\n"
                  "[database]\n"
                  "connection = sqlite:///%s/keystone.db\n"
                  "[fernet_tokens]\n"
                  "key_repository = %s/fernet-keys\n"
                  "[credential]\n"
                  "key_repository = %s/credential-keys\n"
                  "[identity]\n"
                  "password_hash_rounds = 4\n" /* bcrypt's minimum */
                  "[token]\n"
                  "expiration = %d\n",
                  dir, dir, dir, expiration);

    write_file(path, conf);
    write_file(pw, ADMIN_PASSWORD "\n");
}

static char *
runner_path(void)
{
    const char *runner = getenv("VGPU_KEYSTONE_RUNNER");
    const char *data = getenv("VGPU_TEST_DATA");

    if (runner)
        return xstrdup(runner);
    cr_assert(data != NULL, "neither VGPU_KEYSTONE_RUNNER nor VGPU_TEST_DATA "
                            "is set (run via make check)");
    return xasprintf("%s/../keystone-server.py", data);
}

static pid_t
spawn_runner(const struct keystone_server *ks, int *ret_port_fd)
{
    const char *py =
        getenv("VGPU_PYTHON") ? getenv("VGPU_PYTHON") : PYTHON_DEFAULT;
    const char *tmpl = getenv("VGPU_KEYSTONE_TEMPLATE");
    _cleanup_free_ char *runner = runner_path();
    _cleanup_free_ char *log = xasprintf("%s/server.log", ks->dir);
    _cleanup_free_ char *py_copy = xstrdup(py), *dir_copy = xstrdup(ks->dir);
    _cleanup_free_ char *tmpl_copy = xstrdup(tmpl ? tmpl : "");
    _cleanup_free_ char *port = xasprintf("%d", ks->port);
    char *argv[] = { py_copy, runner, dir_copy, tmpl_copy, port, NULL };
    _cleanup_close_ int log_fd = -1, null_fd = -1;
    pid_t parent = getpid(), pid;
    int p[2];

    cr_assert(access(runner, R_OK) == 0, "%s: %s", runner, strerror(errno));
    log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert(log_fd >= 0 && null_fd >= 0, "%s: %s", log, strerror(errno));
    cr_assert(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        testproc_child_exec(parent, p[1], log_fd, null_fd, argv);
    setpgid(pid, pid);
    close(p[1]);
    *ret_port_fd = p[0];
    return pid;
}

/* --- HTTP ----------------------------------------------------------------- */

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
        fail("curl_easy_init or open_memstream failed");
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
        fail("POST %s/auth/tokens: %s", ks->url, r.err);
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
        fail("%s %s%s: %s", method, ks->url, path, ret->err);
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

        fail("%s %s: status %ld (want %ld): %s\nkeystone log:\n%s", method,
             path, status, want, out, tail);
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

        fail("%s %s: status %ld (want %ld): %s\nkeystone log:\n%s", method,
             path, status, want, out, tail);
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
static char *
service_id(struct keystone_server *ks, const char *type)
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
    _cleanup_free_ char *id = service_id(ks, type);

    add_endpoints(ks, id, url, region);
}

static void grant(struct keystone_server *ks, const char *user_id,
                  const char *project, const char *role);

/* The catalog and the names the tests rely on. */
static void
seed(struct keystone_server *ks)
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

static bool
answers(struct keystone_server *ks)
{
    struct reply r;
    bool ok;

    http(ks, "GET", "", NULL, NULL, NULL, &r);
    ok = r.status == 200;
    reply_clear(&r);
    return ok;
}

static void __attribute__((noreturn))
start_failed(struct keystone_server *ks, const char *why)
{
    _cleanup_free_ char *log = keystone_server_log(ks);
    size_t n = strlen(log);
    const char *tail = n > 3000 ? log + n - 3000 : log;
    _cleanup_free_ char *msg =
        xasprintf("keystone server: %s; log:\n%s", why, tail);

    /* Down only: a first start is freed by fail(), a restart by the test */
    keystone_server_down(ks);
    fail("%s", msg);
}

void
keystone_server_up(struct keystone_server *ks)
{
    long deadline = testproc_now_ms() + START_TIMEOUT_MS;
    _cleanup_close_ int port_fd = -1;
    int port;

    cr_assert(ks->pid < 0 && !ks->attached, "keystone server: already up");
    ks->pid = spawn_runner(ks, &port_fd);
    port = testproc_read_port(port_fd, deadline);
    if (port <= 0 || port > 65535 || (ks->port && port != ks->port))
        start_failed(ks, "no port reported (or not the one it had)");
    if (!ks->url)
        ks->url = xasprintf("http://127.0.0.1:%d/v3", port);
    ks->port = port;
    while (!answers(ks)) {
        if (testproc_now_ms() > deadline)
            start_failed(ks, "GET /v3 does not answer 200");
        usleep(20 * 1000);
    }
}

struct keystone_server *
keystone_server_start(const struct keystone_server_opts *opts)
{
    const char *tmp = getenv("TMPDIR");
    struct keystone_server *ks = xcalloc(1, sizeof(*ks));

    ks->pid = -1;
    ks->dir = xasprintf("%s/vgpu-keystone-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert(mkdtemp(ks->dir) != NULL, "mkdtemp %s: %s", ks->dir,
              strerror(errno));
    write_conf(ks->dir, opts);
    starting = ks;
    keystone_server_up(ks);
    seed(ks);
    starting = NULL;
    return ks;
}

const char *
keystone_server_auth_url(const struct keystone_server *ks)
{
    return ks->url;
}

void
keystone_server_down(struct keystone_server *ks)
{
    cr_assert(!ks->attached, "the shared Keystone cannot be taken down");
    if (ks->pid <= 0)
        return;
    kill(-ks->pid, SIGTERM);
    if (!testproc_reap(ks->pid, STOP_GRACE_MS)) {
        kill(-ks->pid, SIGKILL);
        waitpid(ks->pid, NULL, 0);
    }
    kill(-ks->pid, SIGKILL); /* anything the runner left in its group */
    ks->pid = -1;
}

void
keystone_server_stop(struct keystone_server *ks)
{
    if (!ks)
        return;
    if (starting == ks)
        starting = NULL;
    if (!ks->attached)
        keystone_server_down(ks);
    if (ks->dir)
        fixture_rm_rf(ks->dir);
    free(ks->dir);
    free(ks->url);
    free(ks->admin_token);
    free(ks);
}

char *
keystone_server_log(const struct keystone_server *ks)
{
    _cleanup_free_ char *path = xasprintf("%s/server.log", ks->dir);

    return testproc_read_file(path);
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

/* --- one Keystone for the tests of a binary ------------------------------ */

#define SHARED_ENV "VGPU_KEYSTONE_SHARED"

static pid_t keeper = -1;
static volatile sig_atomic_t stop_requested; /* in the keeper: SIGTERM */
static int keeper_fd = -1; /* its stdin-like control pipe: EOF = stop */
static int report_fd = -1, control_fd = -1; /* the keeper's ends */

/* In the keeper: close the report pipe (the runner stops waiting), then
 * wait for EOF on the control pipe (the runner is done, or dead) or for
 * SIGTERM.  The keeper exits only then, also when it failed: Criterion's
 * runner, whose fork it is, hangs when it sees it exit during the tests. */
static void
keeper_idle(void)
{
    char c;

    if (report_fd >= 0)
        close(report_fd);
    report_fd = -1;
    while (!stop_requested) {
        ssize_t n = read(control_fd, &c, 1);

        if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
}

/* The keeper process: start Keystone, report its URL on report_fd, wait
 * for EOF on control_fd (the runner stopping or dying), stop it. */
static void __attribute__((noreturn))
keep(pid_t parent, int report, int control)
{
    struct keystone_server *ks;

    in_keeper = true;
    report_fd = report;
    control_fd = control;
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
        _exit(1);
    ks = keystone_server_start(NULL);
    /* One placement service for all: the tests add endpoints in regions
     * of their own, and two tests adding the first would race. */
    free(service_id(ks, "placement"));
    dprintf(report_fd, "%s\n", ks->url);
    keeper_idle();
    keystone_server_stop(ks);
    _exit(0);
}

static void
on_sigterm(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void
keystone_server_share_start(void)
{
    int report[2], control[2];
    char line[256];
    ssize_t n;

    if (pipe2(report, O_CLOEXEC) < 0 || pipe2(control, O_CLOEXEC) < 0)
        return;
    keeper = fork();
    if (keeper == 0) {
        struct sigaction sa = { .sa_handler = on_sigterm }; /* no restart */

        sigaction(SIGTERM, &sa, NULL);
        close(report[0]);
        close(control[1]);
        keep(getppid(), report[1], control[0]);
    }
    close(report[1]);
    close(control[0]);
    keeper_fd = control[1];
    n = keeper > 0 ? read(report[0], line, sizeof(line) - 1) : -1;
    close(report[0]);
    if (n > 1 && line[n - 1] == '\n') {
        line[n - 1] = '\0';
        setenv(SHARED_ENV, line, 1);
    } else {
        fprintf(stderr, "keystone server: the shared Keystone did not "
                        "start\n");
    }
}

void
keystone_server_share_stop(void)
{
    if (keeper_fd >= 0)
        close(keeper_fd);
    keeper_fd = -1;
    if (keeper > 0 && !testproc_reap(keeper, 2 * STOP_GRACE_MS)) {
        kill(keeper, SIGKILL);
        waitpid(keeper, NULL, 0);
    }
    keeper = -1;
    unsetenv(SHARED_ENV);
}

struct keystone_server *
keystone_server_shared(void)
{
    const char *url = getenv(SHARED_ENV);
    struct keystone_server *ks;

    cr_assert(url != NULL && *url,
              "no shared Keystone (" SHARED_ENV " unset): did "
              "keystone_server_share_start() run, and start it?");
    ks = xcalloc(1, sizeof(*ks));
    ks->attached = true;
    ks->pid = -1;
    ks->url = xstrdup(url);
    return ks;
}
