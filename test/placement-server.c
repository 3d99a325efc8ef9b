/*
 * placement-server.c - start, query and stop a real Placement for tests.
 *
 * The server is test/placement-server.py under Debian's /usr/bin/python3
 * (the only interpreter that sees python3-placement).  It binds port 0 itself
 * and writes the port it got to a pipe, so two tests never race for a port.
 * The child gets PR_SET_PDEATHSIG before exec, so a crashing test takes its
 * server with it, and a process group of its own, so stop() kills the group.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "cleanup.h"
#include "fixture.h"
#include "keystone-server.h"
#include "nodeid.h"
#include "placement-server.h"
#include "strv.h"
#include "testproc.h"
#include "xalloc.h"

#define START_TIMEOUT_MS 60000 /* a loaded CI box imports slowly */
#define STOP_GRACE_MS 5000
#define PYTHON_DEFAULT "/usr/bin/python3"

struct placement_server {
    pid_t pid; /* also the process group id; -1 while killed */
    char *dir; /* temporary directory: conf, db, log */
    char *url;
    int port;
    struct token_client *auth; /* NULL: noauth2 */
};

/* The client's side of keystone auth: mutable even through the const
 * server pointer the query helpers take. */
struct token_client {
    struct keystone_server *ks;
    char *token; /* what call_raw() sends as X-Auth-Token; NULL: none yet */
};

static char *call_raw(const struct placement_server *s, const char *method,
                      const char *path, const char *body, long *ret_status,
                      char err[CURL_ERROR_SIZE]);

/* cr_assert_fail() with the noreturn the analyzers need to see. */
static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
    char msg[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cr_assert_fail("%s", msg);
    abort(); /* not reached */
}

static char *
runner_path(void)
{
    const char *runner = getenv("VGPU_PLACEMENT_RUNNER");
    const char *data = getenv("VGPU_TEST_DATA");

    if (runner)
        return xstrdup(runner);
    cr_assert(data != NULL, "neither VGPU_PLACEMENT_RUNNER nor VGPU_TEST_DATA "
                            "is set (run via make check)");
    return xasprintf("%s/../placement-server.py", data);
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

/* placement.md 16.1.  [placement_database] must stay the last section: the
 * runner appends sync_on_startup to it. */
static void
write_conf(const char *dir)
{
    _cleanup_free_ char *path = xasprintf("%s/placement.conf", dir);
    _cleanup_free_ char *conf =
        xasprintf("[DEFAULT]\n"
                  "debug = False\n"
                  "[api]\n"
                  "auth_strategy = noauth2\n"
                  "[placement_database]\n"
                  "connection = sqlite:///%s/placement.db\n",
                  dir);

    write_file(path, conf);
}

/* keystonemiddleware validates every request's token with Keystone: no
 * memcached, no token cache (a revoked token must fail at once), no retries
 * (Keystone down answers 503 at once instead of after seconds of backoff). */
static void
write_keystone_conf(const char *dir, const struct keystone_server *ks)
{
    const char *auth_url = keystone_server_auth_url(ks);
    _cleanup_free_ char *path = xasprintf("%s/placement.conf", dir);
    _cleanup_free_ char *conf =
        xasprintf("[DEFAULT]\n"
                  "debug = False\n"
                  "[api]\n"
                  "auth_strategy = keystone\n"
                  "[keystone_authtoken]\n"
                  "www_authenticate_uri = %s\n"
                  "auth_url = %s\n"
                  "auth_type = password\n"
                  "username = " KEYSTONE_SERVER_PLACEMENT_USER "\n"
                  "password = " KEYSTONE_SERVER_PLACEMENT_PASSWORD "\n"
                  "project_name = service\n"
                  "user_domain_name = Default\n"
                  "project_domain_name = Default\n"
                  "region_name = " KEYSTONE_SERVER_REGION "\n"
                  "interface = public\n"
                  "token_cache_time = -1\n"
                  "http_request_max_retries = 0\n"
                  "[placement_database]\n"
                  "connection = sqlite:///%s/placement.db\n",
                  auth_url, auth_url, dir);

    write_file(path, conf);
}

/* port 0: the runner picks one; else it binds that one (a restart). */
static pid_t
spawn_runner(const char *dir, int port, int *ret_port_fd)
{
    const char *py =
        getenv("VGPU_PYTHON") ? getenv("VGPU_PYTHON") : PYTHON_DEFAULT;
    _cleanup_free_ char *runner = runner_path();
    _cleanup_free_ char *log = xasprintf("%s/server.log", dir);
    _cleanup_close_ int log_fd = -1, null_fd = -1;
    _cleanup_free_ char *py_copy = xstrdup(py), *dir_copy = xstrdup(dir);
    const char *tmpl = getenv("VGPU_PLACEMENT_TEMPLATE");
    _cleanup_free_ char *tmpl_copy = xstrdup(tmpl && *tmpl ? tmpl : "-");
    _cleanup_free_ char *port_arg = xasprintf("%d", port);
    char *argv[] = { py_copy, runner, dir_copy, tmpl_copy, port_arg, NULL };
    pid_t parent = getpid(), pid;
    int p[2];

    cr_assert(access(runner, R_OK) == 0, "%s: %s", runner, strerror(errno));
    /* appended: a restarted server's log follows the killed one's */
    log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert(log_fd >= 0 && null_fd >= 0, "%s: %s", log, strerror(errno));
    cr_assert(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        testproc_child_exec(parent, p[1], log_fd, null_fd, argv);
    setpgid(pid, pid); /* also here: no window where stop() misses it */
    close(p[1]);
    *ret_port_fd = p[0];
    return pid;
}

/* Abort the test with the end of the server's log, after cleaning up. */
static void __attribute__((noreturn))
start_failed(struct placement_server *s, const char *why)
{
    _cleanup_free_ char *log = placement_server_log(s);
    size_t n = strlen(log);
    const char *tail = n > 3000 ? log + n - 3000 : log;
    _cleanup_free_ char *msg = NULL;
    int status = 0;

    if (s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid) {
        s->pid = -1; /* reaped: stop() must not signal a recycled pid */
        msg = xasprintf("placement server: %s (runner exited, status 0x%x); "
                        "log:\n%s",
                        why, (unsigned)status, tail);
    } else {
        msg = xasprintf("placement server: %s; log:\n%s", why, tail);
    }

    placement_server_stop(s);
    fail("%s", msg);
}

/* The port line the runner writes once it listens; 0 on EOF or timeout. */
static bool
root_answers(const struct placement_server *s)
{
    char err[CURL_ERROR_SIZE];
    long status = 0;

    free(call_raw(s, "GET", "/", NULL, &status, err));
    return status == 200;
}

/* Whether GET / answers 200 by deadline (testproc_now_ms() time). */
static bool
answers_by(const struct placement_server *s, long deadline)
{
    while (!root_answers(s)) {
        if (testproc_now_ms() > deadline)
            return false;
        usleep(20 * 1000);
    }
    return true;
}

static struct placement_server *
start(struct keystone_server *ks)
{
    const char *tmp = getenv("TMPDIR");
    struct placement_server *s = xcalloc(1, sizeof(*s));
    _cleanup_close_ int port_fd = -1;
    long deadline = testproc_now_ms() + START_TIMEOUT_MS;
    int port;

    s->pid = -1;
    s->dir = xasprintf("%s/vgpu-placement-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert(mkdtemp(s->dir) != NULL, "mkdtemp %s: %s", s->dir,
              strerror(errno));
    if (ks)
        write_keystone_conf(s->dir, ks);
    else
        write_conf(s->dir);
    s->pid = spawn_runner(s->dir, 0, &port_fd);
    port = testproc_read_port(port_fd, deadline);
    if (port <= 0 || port > 65535)
        start_failed(s, "no port reported");
    s->port = port;
    s->url = xasprintf("http://127.0.0.1:%d", port);
    if (!answers_by(s, deadline))
        start_failed(s, "GET / does not answer 200");
    return s;
}

struct placement_server *
placement_server_start(void)
{
    return start(NULL);
}

struct placement_server *
placement_server_start_keystone(struct keystone_server *ks)
{
    struct placement_server *s = start(ks);
    long status = 0;

    s->auth = xcalloc(1, sizeof(*s->auth));
    s->auth->ks = ks;
    free(placement_server_get(s, "/resource_providers", &status));
    cr_assert(status == 200,
              "GET /resource_providers with a token of %s: "
              "status %ld",
              KEYSTONE_SERVER_PLACEMENT_USER, status);
    return s;
}

void
placement_server_kill(struct placement_server *s)
{
    cr_assert(s->pid > 0, "placement_server_kill: not running");
    kill(-s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = -1;
}

void
placement_server_restart(struct placement_server *s)
{
    _cleanup_close_ int port_fd = -1;
    long deadline = testproc_now_ms() + START_TIMEOUT_MS;
    _cleanup_free_ char *log = NULL;
    int port;

    cr_assert(s->pid < 0, "placement_server_restart: still running");
    s->pid = spawn_runner(s->dir, s->port, &port_fd);
    port = testproc_read_port(port_fd, deadline);
    if (port == s->port && answers_by(s, deadline))
        return;
    log = placement_server_log(s);
    placement_server_kill(s); /* s stays the caller's, for its cleanup */
    fail("placement server: restart on port %d failed; log:\n%s", s->port, log);
}

const char *
placement_server_url(const struct placement_server *s)
{
    return s->url;
}

/* Reap the runner, waiting at most ms; true once it is gone. */
void
placement_server_stop(struct placement_server *s)
{
    if (!s)
        return;
    if (s->pid > 0) {
        kill(-s->pid, SIGTERM);
        if (!testproc_reap(s->pid, STOP_GRACE_MS)) {
            kill(-s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
        }
        kill(-s->pid, SIGKILL); /* anything the runner left in its group */
    }
    if (s->dir)
        fixture_rm_rf(s->dir);
    free(s->dir);
    free(s->url);
    if (s->auth)
        free(s->auth->token);
    free(s->auth);
    free(s);
}

char *
placement_server_log(const struct placement_server *s)
{
    _cleanup_free_ char *path = xasprintf("%s/server.log", s->dir);

    return testproc_read_file(path);
}

/* One request; transport errors give status 0 and the message in err. */
static char *
call_raw(const struct placement_server *s, const char *method, const char *path,
         const char *body, long *ret_status, char err[CURL_ERROR_SIZE])
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
        fail("curl_easy_init or open_memstream failed");
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
    buf = call_raw(s, method, path, body, ret_status, err);
    if (s->auth && *ret_status == 401) { /* expired or revoked: once more */
        free(buf);
        renew_token(s->auth);
        buf = call_raw(s, method, path, body, ret_status, err);
    }

    if (*ret_status == 0) {
        free(buf);
        fail("%s %s%s: %s", method, s->url, path, err);
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
