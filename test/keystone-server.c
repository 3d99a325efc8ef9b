/*
 * keystone-server.c - start, configure and stop a real Keystone for tests.
 *
 * The server is test/keystone-server.py under Debian's /usr/bin/python3.  It
 * binds the port itself (0 the first time, the same port on
 * keystone_server_up()) and writes the port it got to a pipe, like
 * test/placement-server.py.  The REST helpers (keystone-admin.c) use a
 * token of the bootstrap admin, fetched again whenever Keystone answers 401
 * (short token lifetimes, restarts).
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

#include "cleanup.h"
#include "fixture.h"
#include "keystone-internal.h"
#include "keystone-server.h"
#include "testproc.h"
#include "xalloc.h"

#define START_TIMEOUT_MS 120000 /* building the template takes ~12 s */
#define STOP_GRACE_MS 5000
#define PYTHON_DEFAULT "/usr/bin/python3"

static bool in_keeper; /* this process is the shared server's keeper */
static void keeper_idle(void);
/* The server keystone_server_start() is setting up: keystone_server_fail()
 * stops it, as no test holds it yet to stop it in its teardown. */
static struct keystone_server *starting;

void
keystone_server_fail(const char *fmt, ...)
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
    testproc_fail("%s", msg);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");
    bool ok;

    if (!f)
        keystone_server_fail("%s: %s", path, strerror(errno));
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

static void __attribute__((noreturn))
start_failed(struct keystone_server *ks, const char *why)
{
    _cleanup_free_ char *log = keystone_server_log(ks);
    size_t n = strlen(log);
    const char *tail = n > 3000 ? log + n - 3000 : log;
    _cleanup_free_ char *msg =
        xasprintf("keystone server: %s; log:\n%s", why, tail);

    /* Down only: a first start is freed by keystone_server_fail(), a restart by
     * the test */
    keystone_server_down(ks);
    keystone_server_fail("%s", msg);
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
    while (!keystone_admin_answers(ks)) {
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
    keystone_admin_seed(ks);
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
    free(keystone_admin_service_id(ks, "placement"));
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
