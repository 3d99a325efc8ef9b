/*
 * uwsgi-server.c - bind a socket, start uwsgi on it, kill it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "strv.h"
#include "testproc.h"
#include "uwsgi-server.h"
#include "xalloc.h"

#define UWSGI_DEFAULT "/usr/bin/uwsgi"
#define FD_FLOOR 10 /* our fds go above fd 3, which the child sets up */
#define BIND_RETRY_MS 10000

/* bind() 127.0.0.1:port.  A given port (a restart) may still be held by
 * a killed server's workers while the kernel tears them down: retry for a
 * while on EADDRINUSE. */
static int
bind_loopback(int fd, struct sockaddr_in *a, int port)
{
    long deadline = testproc_now_ms() + BIND_RETRY_MS;

    for (;;) {
        if (bind(fd, (struct sockaddr *)a, sizeof(*a)) == 0)
            return 0;
        if (errno != EADDRINUSE || port == 0 || testproc_now_ms() > deadline)
            return -1;
        testproc_sleep_ms(20);
    }
}

/* A listening TCP socket on 127.0.0.1:port, close-on-exec, above FD_FLOOR;
 * SO_REUSEADDR so a restart rebinds its port despite TIME_WAIT. */
static int
listen_on(int port, int backlog, int *ret_port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port) };
    socklen_t len = sizeof(a);
    int one = 1, fd, high;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind_loopback(fd, &a, port) < 0 || listen(fd, backlog) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        int e = errno;

        close(fd);
        cr_assert_fail("bind/listen 127.0.0.1:%d: %s", port, strerror(e));
    }
    high = fcntl(fd, F_DUPFD_CLOEXEC, FD_FLOOR);
    close(fd);
    cr_assert(high >= 0, "fcntl: %s", strerror(errno));
    *ret_port = ntohs(a.sin_port);
    return high;
}

/* An fd of ours, moved above FD_FLOOR (close-on-exec). */
static int
high_fd(int fd)
{
    int high = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, FD_FLOOR) : -1;

    if (fd >= 0)
        close(fd);
    cr_assert(high >= 0, "fcntl: %s", strerror(errno));
    return high;
}

pid_t
uwsgi_server_spawn(const char *const *args, bool http11, int port, int backlog,
                   const char *log, int *ret_port)
{
    const char *bin = getenv("VGPU_UWSGI");
    struct strv argv = { 0 };
    _cleanup_close_ int sock = -1, log_fd = -1, null_fd = -1;
    pid_t parent = getpid(), pid;

    strv_push(&argv, bin && *bin ? bin : UWSGI_DEFAULT);
    strv_push(&argv, http11 ? "--http11-socket" : "--http-socket");
    strv_push(&argv, "fd://3");
    for (size_t i = 0; args[i]; i++)
        strv_push(&argv, args[i]);
    sock = listen_on(port, backlog, ret_port);
    log_fd =
        high_fd(open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    null_fd = high_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (dup2(sock, 3) < 0) /* the copy on 3 is inherited */
            _exit(126);
        testproc_child_exec(parent, log_fd, log_fd, null_fd, argv.v);
    }
    setpgid(pid, pid); /* also here: no window where a kill misses it */
    strv_clear(&argv);
    return pid;
}

void
uwsgi_server_kill(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    kill(-pid, SIGKILL); /* a worker the master had not reaped yet */
}
