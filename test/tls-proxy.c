/*
 * tls-proxy.c - throwaway CAs (openssl CLI) and stunnel4 in front of a
 * test Placement.
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixture.h"
#include "testproc.h"
#include "tls-proxy.h"
#include "xalloc.h"

#define STUNNEL "/usr/bin/stunnel4"
#define START_TIMEOUT_MS 10000L
#define STOP_GRACE_MS 2000L
#define PORT_TRIES 3 /* another process may take the free port we picked */

extern char **environ;

struct tls_proxy {
    char *dir;
    char *url;
    char *ca, *other_ca;
    pid_t pid; /* -1 when not running */
};

/* Run a tool (PATH lookup) with stdout and stderr appended to DIR/tools.log;
 * it must exit 0. */
static void
run_tool(const char *dir, char *const *argv)
{
    _cleanup_free_ char *log = xasprintf("%s/tools.log", dir);
    posix_spawn_file_actions_t fa;
    int status = 0;
    pid_t pid;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
                                     0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log,
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    cr_assert(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0,
              "cannot run %s", argv[0]);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert(waitpid(pid, &status, 0) == pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "%s %s failed (status 0x%x); see %s", argv[0], argv[1],
              (unsigned)status, log);
}

static void
write_text(const char *path, const char *text)
{
    _cleanup_fclose_ FILE *f = fopen(path, "we");

    cr_assert(f != NULL, "%s: %s", path, strerror(errno));
    cr_assert(fputs(text, f) >= 0);
}

/* A self-signed CA: DIR/NAME.pem and DIR/NAME.key; returns the .pem path. */
static char *
make_ca(const char *dir, const char *name)
{
    _cleanup_free_ char *key = xasprintf("%s/%s.key", dir, name);
    _cleanup_free_ char *subj = xasprintf("/CN=vgpu-agent test %s", name);
    char *pem = xasprintf("%s/%s.pem", dir, name);
    char *argv[] = { "openssl",
                     "req",
                     "-x509",
                     "-newkey",
                     "ec",
                     "-pkeyopt",
                     "ec_paramgen_curve:prime256v1",
                     "-nodes",
                     "-keyout",
                     key,
                     "-out",
                     pem,
                     "-days",
                     "2",
                     "-subj",
                     subj,
                     "-addext",
                     "basicConstraints=critical,CA:TRUE",
                     "-addext",
                     "keyUsage=critical,keyCertSign,cRLSign",
                     NULL };

    run_tool(dir, argv);
    return pem;
}

/* DIR/server.{key,pem}, signed by DIR/ca, for subjectAltName san. */
static void
make_server_cert(const char *dir, const char *san)
{
    _cleanup_free_ char *key = xasprintf("%s/server.key", dir);
    _cleanup_free_ char *csr = xasprintf("%s/server.csr", dir);
    _cleanup_free_ char *pem = xasprintf("%s/server.pem", dir);
    _cleanup_free_ char *ext = xasprintf("%s/server.ext", dir);
    _cleanup_free_ char *ca = xasprintf("%s/ca.pem", dir);
    _cleanup_free_ char *cakey = xasprintf("%s/ca.key", dir);
    _cleanup_free_ char *exts = xasprintf(
        "subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        san);
    char *req[] = { "openssl",
                    "req",
                    "-new",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    key,
                    "-out",
                    csr,
                    "-subj",
                    "/CN=vgpu-agent test server",
                    NULL };
    char *sign[] = { "openssl", "x509", "-req",   "-in", csr,
                     "-CA",     ca,     "-CAkey", cakey, "-CAcreateserial",
                     "-out",    pem,    "-days",  "2",   "-extfile",
                     ext,       NULL };

    write_text(ext, exts);
    run_tool(dir, req);
    run_tool(dir, sign);
}

/* A loopback port nobody listens on right now. */
static int
free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "bind: %s",
              strerror(errno));
    cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    return ntohs(a.sin_port);
}

static bool
accepts(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    return fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}

static void
write_stunnel_conf(const char *dir, int port, const char *backend)
{
    _cleanup_free_ char *path = xasprintf("%s/stunnel.conf", dir);
    const char *colon = strrchr(backend, ':');
    _cleanup_free_ char *conf = NULL;

    cr_assert(colon != NULL, "backend %s has no port", backend);
    conf = xasprintf("foreground = yes\n"
                     "syslog = no\n"
                     "pid =\n"
                     "[placement]\n"
                     "accept = 127.0.0.1:%d\n"
                     "connect = 127.0.0.1:%s\n"
                     "cert = %s/server.pem\n"
                     "key = %s/server.key\n",
                     port, colon + 1, dir, dir);
    write_text(path, conf);
}

static pid_t
spawn_stunnel(const char *dir)
{
    _cleanup_free_ char *conf = xasprintf("%s/stunnel.conf", dir);
    _cleanup_free_ char *log = xasprintf("%s/stunnel.log", dir);
    _cleanup_close_ int log_fd = -1, null_fd = -1;
    char *argv[] = { STUNNEL, conf, NULL };
    pid_t parent = getpid(), pid;

    log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    cr_assert(log_fd >= 0 && null_fd >= 0, "%s: %s", log, strerror(errno));
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        testproc_child_exec(parent, log_fd, log_fd, null_fd, argv);
    setpgid(pid, pid); /* also here: no window where stop() misses it */
    return pid;
}

/* Wait until stunnel accepts on port (true) or exits (false). */
static bool
wait_listening(struct tls_proxy *p, int port)
{
    long deadline = testproc_now_ms() + START_TIMEOUT_MS;

    while (testproc_now_ms() < deadline) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = -1;
            return false;
        }
        if (accepts(port))
            return true;
        usleep(10 * 1000);
    }
    return false;
}

/* Stop the stunnel process, if any (the directory stays). */
static void
stop_process(struct tls_proxy *p)
{
    if (p->pid <= 0)
        return;
    kill(-p->pid, SIGTERM);
    if (!testproc_reap(p->pid, STOP_GRACE_MS)) {
        kill(-p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    p->pid = -1;
}

static void __attribute__((noreturn)) start_failed(struct tls_proxy *p)
{
    _cleanup_free_ char *log = tls_proxy_log(p);
    _cleanup_free_ char *msg =
        xasprintf("stunnel did not start; its log:\n%s", log);

    tls_proxy_stop(p);
    cr_assert_fail("%s", msg);
    abort(); /* not reached */
}

struct tls_proxy *
tls_proxy_start(const char *backend, const char *san)
{
    struct tls_proxy *p = xcalloc(1, sizeof(*p));

    cr_assert(access(STUNNEL, X_OK) == 0,
              STUNNEL ": %s (apt-get install stunnel4)", strerror(errno));
    p->pid = -1;
    p->dir = fixture_tmpdir();
    p->ca = make_ca(p->dir, "ca");
    p->other_ca = make_ca(p->dir, "other-ca");
    make_server_cert(p->dir, san);
    for (int i = 0; i < PORT_TRIES; i++) {
        int port = free_port();

        write_stunnel_conf(p->dir, port, backend);
        p->pid = spawn_stunnel(p->dir);
        if (wait_listening(p, port)) {
            p->url = xasprintf("https://127.0.0.1:%d", port);
            return p;
        }
        stop_process(p);
    }
    start_failed(p);
}

const char *
tls_proxy_url(const struct tls_proxy *p)
{
    return p->url;
}

const char *
tls_proxy_ca(const struct tls_proxy *p)
{
    return p->ca;
}

const char *
tls_proxy_other_ca(const struct tls_proxy *p)
{
    return p->other_ca;
}

char *
tls_proxy_log(const struct tls_proxy *p)
{
    _cleanup_free_ char *path = xasprintf("%s/stunnel.log", p->dir);

    return testproc_read_file(path);
}

void
tls_proxy_stop(struct tls_proxy *p)
{
    if (!p)
        return;
    stop_process(p);
    if (p->dir)
        fixture_rm_rf(p->dir);
    free(p->dir);
    free(p->url);
    free(p->ca);
    free(p->other_ca);
    free(p);
}
