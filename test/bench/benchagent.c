/*
 * benchagent.c - the built agent as one child process of `make bench`
 * (see benchagent.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/benchagent.h"
#include "cleanup.h"
#include "xalloc.h"

extern char **environ;

double
benchagent_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double
tv_ms(const struct timeval *tv)
{
    return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

static pid_t
agent_spawn(const char *const *args, int *ret_fd)
{
    const char *builddir = getenv("VGPU_BUILDDIR");
    _cleanup_free_ char *bin = NULL;
    posix_spawn_file_actions_t fa;
    char *argv[16] = { NULL };
    size_t n = 0;
    int p[2];
    pid_t pid;

    cr_assert(builddir != NULL, "VGPU_BUILDDIR is not set (run make bench)");
    bin = xasprintf("%s/src/vgpu-agent", builddir);
    while (args[n])
        n++;
    cr_assert(n + 2 <= sizeof(argv) / sizeof(*argv), "too many arguments");
    argv[0] = bin;
    memcpy(argv + 1, args, n * sizeof(*argv)); /* posix_spawn's char *[] */
    cr_assert(pipe2(p, O_CLOEXEC) == 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY,
                                     0);
    posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
    cr_assert(posix_spawn(&pid, bin, &fa, NULL, argv, environ) == 0,
              "cannot run %s", bin);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    *ret_fd = p[0];
    return pid;
}

size_t
benchagent_passes(const char *log, struct pass_cost *ret, size_t max)
{
    size_t n = 0;

    for (const char *p = log; (p = strstr(p, ": pass ")) != NULL; p++) {
        struct pass_cost c = { 0 };
        char state[16];

        if (sscanf(p,
                   ": pass %15[a-z]: %u created, %u updated, %u "
                   "deleted; %lu requests",
                   state, &c.created, &c.updated, &c.deleted, &c.requests) != 5)
            continue;
        c.done = strcmp(state, "done") == 0;
        if (ret && n < max)
            ret[n] = c;
        n++;
    }
    return n;
}

/* Read the child's stderr to EOF; with stop_after, SIGTERM it once it has
 * logged that many passes.  A child past the timeout is killed. */
static char *
agent_drain(pid_t pid, int fd, size_t stop_after)
{
    double deadline = benchagent_now_ms() + BENCHAGENT_TIMEOUT_MS;
    size_t len = 0, cap = 4096;
    char *buf = xmalloc(cap);
    bool signalled = false;

    for (;;) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        double left = deadline - benchagent_now_ms();
        ssize_t got;

        if (left <= 0 && !signalled) {
            kill(pid, SIGKILL);
            signalled = true;
        }
        if (poll(&pfd, 1, left > 0 ? (int)left : 1000) < 0 && errno != EINTR)
            break;
        if (!(pfd.revents & (POLLIN | POLLHUP)))
            continue;
        if (cap - len < 4097)
            buf = xrealloc(buf, cap *= 2);
        got = read(fd, buf + len, cap - len - 1);
        if (got <= 0)
            break;
        len += (size_t)got;
        buf[len] = '\0';
        if (stop_after && !signalled &&
            benchagent_passes(buf, NULL, 0) >= stop_after) {
            kill(pid, SIGTERM);
            signalled = true;
        }
    }
    buf[len] = '\0';
    close(fd);
    return buf;
}

void
benchagent_run(const char *const *args, size_t stop_after,
               struct agent_run *ret)
{
    double start = benchagent_now_ms();
    struct rusage ru = { 0 };
    int fd, status = 0;
    pid_t pid = agent_spawn(args, &fd);
    char *err = agent_drain(pid, fd, stop_after);

    cr_assert(wait4(pid, &status, 0, &ru) == pid, "wait4: %s", strerror(errno));
    *ret = (struct agent_run){
        .status =
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
        .err = err,
        .maxrss_kib = ru.ru_maxrss,
        .ms = benchagent_now_ms() - start,
        .cpu_ms = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime),
    };
}
