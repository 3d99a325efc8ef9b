/*
 * testproc.c - start, watch and stop a test's helper processes.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testproc.h"

void
testproc_fail(const char *fmt, ...)
{
    char msg[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cr_assert_fail("%s", msg);
    abort(); /* not reached */
}

long
testproc_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
testproc_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

char *
testproc_read_file(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;

    if (!mem)
        abort(); /* out of memory */
    while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    if (f)
        fclose(f);
    fclose(mem);
    return buf;
}

void
testproc_child_exec(pid_t parent, int out_fd, int log_fd, int null_fd,
                    char **argv)
{
    sigset_t none;

    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(126); /* the test is gone already */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(log_fd, STDERR_FILENO) < 0)
        _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

int
testproc_read_port(int fd, long deadline_ms)
{
    char buf[16];
    size_t len = 0;

    while (len < sizeof(buf) - 1) {
        struct pollfd p = { fd, POLLIN, 0 };
        long left = deadline_ms - testproc_now_ms();
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return 0;
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return 0;
        len += (size_t)n;
        if (memchr(buf, '\n', len)) {
            buf[len] = '\0';
            return (int)strtol(buf, NULL, 10);
        }
    }
    return 0;
}

bool
testproc_reap(pid_t pid, long ms)
{
    long deadline = testproc_now_ms() + ms;

    for (;;) {
        pid_t r = waitpid(pid, NULL, WNOHANG);

        if (r == pid || (r < 0 && errno == ECHILD))
            return true;
        if (testproc_now_ms() >= deadline)
            return false;
        usleep(5 * 1000);
    }
}

size_t
testproc_collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    fwrite(data, size, nmemb, userdata);
    return size * nmemb;
}

int
testproc_thread_start(struct testproc_thread *t, void *(*fn)(void *), void *arg)
{
    int r;

    atomic_store(&t->stop, false);
    r = pthread_create(&t->thread, NULL, fn, arg);
    t->running = r == 0;
    return r;
}

bool
testproc_thread_going(struct testproc_thread *t)
{
    return !atomic_load(&t->stop);
}

void
testproc_thread_stop(struct testproc_thread *t)
{
    if (!t->running)
        return;
    atomic_store(&t->stop, true);
    pthread_join(t->thread, NULL);
    t->running = false;
}
