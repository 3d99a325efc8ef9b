/*
 * placement-server.c - start, kill, restart and stop a real Placement for
 * tests, in either shape (placement-server.h).
 *
 * wsgiref: test/placement-server.py under Debian's /usr/bin/python3 (the
 * only interpreter that sees python3-placement) binds port 0 itself and
 * writes the port it got to a pipe.  uwsgi: test/placement-uwsgi.ini on a
 * socket bound here (uwsgi-server.h) over a fresh database of the test
 * binary's PostgreSQL (pgcluster.h).  Either way the server gets
 * PR_SET_PDEATHSIG before exec, so a crashing test takes it along, and a
 * process group of its own, which stop() kills.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixture.h"
#include "keystone-server.h"
#include "pgcluster.h"
#include "placement-server-internal.h"
#include "placement-server.h"
#include "testproc.h"
#include "uwsgi-server.h"
#include "xalloc.h"

#define START_TIMEOUT_MS 120000 /* a loaded CI box imports slowly */
#define STOP_GRACE_MS 5000
#define PYTHON_DEFAULT "/usr/bin/python3"
#define UWSGI_LISTEN 100 /* the backlog Debian's ini asks for */
#define UWSGI_READY "WSGI app 0 (mountpoint='') ready"
#define UWSGI_WORKER "spawned uWSGI worker "
#define UWSGI_NO_APP "unable to load app"

#define fail testproc_fail

/* A file of the harness: $env if set, else next to the test data. */
static char *
harness_file(const char *env, const char *name)
{
    const char *path = getenv(env);
    const char *data = getenv("VGPU_TEST_DATA");

    if (path && *path)
        return xstrdup(path);
    cr_assert(data != NULL,
              "neither %s nor VGPU_TEST_DATA is set (run via make check)", env);
    return xasprintf("%s/../%s", data, name);
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

/* Placement's own settings: noauth2, its database.  [placement_database]
 * must stay the last section: the wsgiref runner appends sync_on_startup to
 * it. */
static void
write_conf(const char *dir, const char *db_url)
{
    _cleanup_free_ char *path = xasprintf("%s/placement.conf", dir);
    _cleanup_free_ char *conf = xasprintf("[DEFAULT]\n"
                                          "debug = False\n"
                                          "[api]\n"
                                          "auth_strategy = noauth2\n"
                                          "[placement_database]\n"
                                          "connection = %s\n",
                                          db_url);

    write_file(path, conf);
}

/* keystonemiddleware validates every request's token with Keystone: no
 * memcached, no token cache (a revoked token must fail at once), no retries
 * (Keystone down answers 503 at once instead of after seconds of backoff). */
static void
write_keystone_conf(const char *dir, const struct keystone_server *ks,
                    const char *db_url)
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
                  "connection = %s\n",
                  auth_url, auth_url, db_url);

    write_file(path, conf);
}

/* --- wsgiref: test/placement-server.py ----------------------------------- */

/* port 0: the runner picks one; else it binds that one (a restart).
 * Returns the port the runner reported, 0 when none came by deadline. */
static int
spawn_runner(struct placement_server *s, int port, long deadline)
{
    const char *py =
        getenv("VGPU_PYTHON") ? getenv("VGPU_PYTHON") : PYTHON_DEFAULT;
    _cleanup_free_ char *runner =
        harness_file("VGPU_PLACEMENT_RUNNER", "placement-server.py");
    _cleanup_free_ char *log = xasprintf("%s/server.log", s->dir);
    _cleanup_close_ int log_fd = -1, null_fd = -1, port_fd = -1;
    _cleanup_free_ char *py_copy = xstrdup(py), *dir_copy = xstrdup(s->dir);
    const char *tmpl = getenv("VGPU_PLACEMENT_TEMPLATE");
    _cleanup_free_ char *tmpl_copy = xstrdup(tmpl && *tmpl ? tmpl : "-");
    _cleanup_free_ char *port_arg = xasprintf("%d", port);
    char *argv[] = { py_copy, runner, dir_copy, tmpl_copy, port_arg, NULL };
    pid_t parent = getpid();
    int p[2];

    cr_assert(access(runner, R_OK) == 0, "%s: %s", runner, strerror(errno));
    /* appended: a restarted server's log follows the killed one's */
    log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert(log_fd >= 0 && null_fd >= 0, "%s: %s", log, strerror(errno));
    cr_assert(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    s->pid = fork();
    cr_assert(s->pid >= 0, "fork: %s", strerror(errno));
    if (s->pid == 0)
        testproc_child_exec(parent, p[1], log_fd, null_fd, argv);
    setpgid(s->pid, s->pid); /* also here: no window where stop() misses it */
    close(p[1]);
    port_fd = p[0];
    return testproc_read_port(port_fd, deadline);
}

/* --- uwsgi: test/placement-uwsgi.ini ------------------------------------- */

static long
log_size(const struct placement_server *s)
{
    _cleanup_free_ char *path = xasprintf("%s/server.log", s->dir);
    struct stat st;

    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* Occurrences of needle in the log after its first `from` bytes. */
static unsigned
log_count(const struct placement_server *s, long from, const char *needle)
{
    _cleanup_free_ char *log = placement_server_log(s);
    unsigned n = 0;

    if ((size_t)from > strlen(log))
        return 0;
    for (const char *p = strstr(log + from, needle); p;
         p = strstr(p + 1, needle))
        n++;
    return n;
}

static int
env_int(const char *name)
{
    const char *v = getenv(name);
    char *end;
    long n;

    if (!v || !*v)
        return 0;
    n = strtol(v, &end, 10);
    cr_assert(*end == '\0' && n > 0 && n <= 64, "%s=%s: not 1..64", name, v);
    return (int)n;
}

static void
spawn_uwsgi(struct placement_server *s, int port)
{
    _cleanup_free_ char *ini =
        harness_file("VGPU_PLACEMENT_UWSGI_INI", "placement-uwsgi.ini");
    _cleanup_free_ char *env = xasprintf("OS_PLACEMENT_CONFIG_DIR=%s", s->dir);
    _cleanup_free_ char *log = xasprintf("%s/server.log", s->dir);
    _cleanup_free_ char *procs = xasprintf("%d", s->processes);
    _cleanup_free_ char *threads = xasprintf("%d", s->threads);
    const char *args[9] = { "--ini", ini, "--env", env };
    size_t n = 4;

    cr_assert(access(ini, R_OK) == 0, "%s: %s", ini, strerror(errno));
    if (s->processes > 0) {
        args[n++] = "--processes";
        args[n++] = procs;
    }
    if (s->threads > 0) {
        args[n++] = "--threads";
        args[n++] = threads;
    }
    args[n] = NULL;
    s->pid = uwsgi_server_spawn(args, s->keepalive, port, UWSGI_LISTEN, log,
                                &s->port);
}

/* Whether every worker of the uwsgi whose log starts at offset `from` has
 * loaded Placement by deadline: GET / answers once the first has, and a
 * worker still importing would compete with the test for the CPU. */
static bool
workers_ready_by(const struct placement_server *s, long from, long deadline)
{
    for (;;) {
        unsigned spawned = log_count(s, from, UWSGI_WORKER);

        if (log_count(s, from, UWSGI_NO_APP) > 0)
            return false;
        if (spawned > 0 && log_count(s, from, UWSGI_READY) >= spawned)
            return true;
        if (testproc_now_ms() > deadline)
            return false;
        usleep(20 * 1000);
    }
}

/* --- both ------------------------------------------------------------------
 */

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
        msg = xasprintf("placement server (%s): %s (it exited, status "
                        "0x%x); log:\n%s",
                        placement_server_kind_name(s), why, (unsigned)status,
                        tail);
    } else {
        msg = xasprintf("placement server (%s): %s; log:\n%s",
                        placement_server_kind_name(s), why, tail);
    }

    placement_server_stop(s);
    fail("%s", msg);
}

static bool
root_answers(const struct placement_server *s)
{
    char err[CURL_ERROR_SIZE];
    long status = 0;

    free(placement_server_call_raw(s, "GET", "/", NULL, &status, err));
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

/* Start the server on port (0: any); whether it serves by deadline. */
static bool
spawn(struct placement_server *s, int port, long deadline)
{
    long from = log_size(s);

    if (s->kind == PLACEMENT_SERVER_UWSGI) {
        spawn_uwsgi(s, port);
    } else {
        int got = spawn_runner(s, port, deadline);

        if (got <= 0 || got > 65535 || (port && got != port))
            return false;
        s->port = got;
    }
    if (!s->url)
        s->url = xasprintf("http://127.0.0.1:%d", s->port);
    return answers_by(s, deadline) && (s->kind != PLACEMENT_SERVER_UWSGI ||
                                       workers_ready_by(s, from, deadline));
}

/* Overridden by a test binary's PLACEMENT_SERVER_PREFER(). */
__attribute__((weak)) enum placement_server_kind placement_server_binary_kind =
    PLACEMENT_SERVER_WSGIREF;

static enum placement_server_kind
kind_of(const struct placement_server_opts *o)
{
    const char *v = getenv("VGPU_PLACEMENT_SERVER");

    if (o && o->kind != PLACEMENT_SERVER_DEFAULT)
        return o->kind;
    if (!v || !*v)
        return placement_server_binary_kind == PLACEMENT_SERVER_UWSGI
                   ? PLACEMENT_SERVER_UWSGI
                   : PLACEMENT_SERVER_WSGIREF;
    if (strcmp(v, "uwsgi") == 0)
        return PLACEMENT_SERVER_UWSGI;
    if (strcmp(v, "wsgiref") == 0)
        return PLACEMENT_SERVER_WSGIREF;
    fail("VGPU_PLACEMENT_SERVER=%s: neither uwsgi nor wsgiref", v);
}

static struct placement_server *
start(const struct placement_server_opts *o)
{
    const char *tmp = getenv("TMPDIR");
    struct placement_server *s = xcalloc(1, sizeof(*s));
    long deadline = testproc_now_ms() + START_TIMEOUT_MS;
    _cleanup_free_ char *db_url = NULL;

    s->pid = -1;
    s->kind = kind_of(o);
    s->keepalive = o && o->keepalive;
    s->processes = o && o->processes > 0 ? o->processes
                                         : env_int("VGPU_PLACEMENT_PROCESSES");
    s->threads =
        o && o->threads > 0 ? o->threads : env_int("VGPU_PLACEMENT_THREADS");
    cr_assert(s->kind == PLACEMENT_SERVER_UWSGI || !o ||
                  (!o->keepalive && !o->processes && !o->threads),
              "keepalive, processes and threads are uwsgi's");
    /* the database first: a failure leaves no directory behind */
    if (s->kind == PLACEMENT_SERVER_UWSGI)
        db_url = pgcluster_create_db(s->db);
    s->dir = xasprintf("%s/vgpu-placement-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert(mkdtemp(s->dir) != NULL, "mkdtemp %s: %s", s->dir,
              strerror(errno));
    if (!db_url)
        db_url = xasprintf("sqlite:///%s/placement.db", s->dir);
    if (o && o->keystone)
        write_keystone_conf(s->dir, o->keystone, db_url);
    else
        write_conf(s->dir, db_url);
    if (!spawn(s, 0, deadline))
        start_failed(s, "does not serve (GET / 200 from every worker)");
    return s;
}

struct placement_server *
placement_server_start_opts(const struct placement_server_opts *o)
{
    struct placement_server *s = start(o);
    long status = 0;

    if (!o || !o->keystone)
        return s;
    s->auth = xcalloc(1, sizeof(*s->auth));
    s->auth->ks = o->keystone;
    free(placement_server_get(s, "/resource_providers", &status));
    cr_assert(status == 200,
              "GET /resource_providers with a token of %s: "
              "status %ld",
              KEYSTONE_SERVER_PLACEMENT_USER, status);
    return s;
}

struct placement_server *
placement_server_start(void)
{
    return placement_server_start_opts(NULL);
}

struct placement_server *
placement_server_start_keystone(struct keystone_server *ks)
{
    struct placement_server_opts o = { .keystone = ks };

    return placement_server_start_opts(&o);
}

const char *
placement_server_kind_name(const struct placement_server *s)
{
    return s->kind == PLACEMENT_SERVER_UWSGI ? "uwsgi" : "wsgiref";
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
    long deadline = testproc_now_ms() + START_TIMEOUT_MS;
    _cleanup_free_ char *log = NULL;

    cr_assert(s->pid < 0, "placement_server_restart: still running");
    if (spawn(s, s->port, deadline))
        return;
    log = placement_server_log(s);
    if (s->pid > 0)
        placement_server_kill(s); /* s stays the caller's, for its cleanup */
    fail("placement server (%s): restart on port %d failed; log:\n%s",
         placement_server_kind_name(s), s->port, log);
}

const char *
placement_server_url(const struct placement_server *s)
{
    return s->url;
}

void
placement_server_stop(struct placement_server *s)
{
    if (!s)
        return;
    if (s->pid > 0 && s->kind == PLACEMENT_SERVER_UWSGI) {
        uwsgi_server_kill(s->pid); /* nothing to save: its database goes */
    } else if (s->pid > 0) {
        kill(-s->pid, SIGTERM);
        if (!testproc_reap(s->pid, STOP_GRACE_MS)) {
            kill(-s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
        }
        kill(-s->pid, SIGKILL); /* anything the runner left in its group */
    }
    pgcluster_drop_db(s->db);
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

/* Fields 14 and 15 of /proc/PID/stat, utime + stime, in ms; with the
 * process group (field 5) in *ret_pgrp. */
static double
proc_cpu_ms(const char *pid, long *ret_pgrp)
{
    _cleanup_free_ char *path = xasprintf("/proc/%s/stat", pid);
    _cleanup_free_ char *stat = testproc_read_file(path);
    const char *p = strrchr(stat, ')');
    unsigned long long utime = 0, stime = 0;
    long pgrp = -1;

    if (!p ||
        sscanf(p + 2, "%*c %*d %ld %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &pgrp, &utime, &stime) != 3)
        return 0;
    *ret_pgrp = pgrp;
    return (double)(utime + stime) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

double
placement_server_cpu_ms(const struct placement_server *s)
{
    _cleanup_free_ char *backend = xasprintf("postgres: placement %s ", s->db);
    DIR *d = opendir("/proc");
    struct dirent *e;
    double ms = 0;

    cr_assert(d != NULL, "/proc: %s", strerror(errno));
    while ((e = readdir(d))) {
        _cleanup_free_ char *cmd = NULL, *path = NULL;
        long pgrp = -1;
        double cpu;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        cpu = proc_cpu_ms(e->d_name, &pgrp);
        if (s->pid > 0 && pgrp == s->pid) {
            ms += cpu;
            continue;
        }
        if (!s->db[0])
            continue;
        path = xasprintf("/proc/%s/cmdline", e->d_name);
        cmd = testproc_read_file(path);
        if (strncmp(cmd, backend, strlen(backend)) == 0)
            ms += cpu;
    }
    closedir(d);
    return ms;
}
