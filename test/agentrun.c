/*
 * agentrun.c - run the vgpu-agent binary and capture what it prints.
 *
 * agentrun() runs it to the end (posix_spawn, both pipes drained);
 * agentproc_*() keeps it running in the background (fork, so the child can
 * ask for PR_SET_PDEATHSIG before exec) and reads its pipes on demand.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentrun.h"
#include "cleanup.h"
#include "testproc.h"
#include "testsecrets.h"
#include "xalloc.h"

extern char **environ;

/* Append what the agent printed to the suite-wide TEST_AGENT_OUTPUT_LOG,
 * which test/test-secrets greps for the suite's secrets.  One write() per
 * stream on an O_APPEND file: parallel tests never split a line of it. */
static void
record(const char *data, size_t n)
{
    const char *builddir = getenv("VGPU_BUILDDIR");
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;

    if (!builddir || !data || n == 0)
        return;
    path = xasprintf("%s/" TEST_AGENT_OUTPUT_LOG, builddir);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    cr_assert(write(fd, data, n) == (ssize_t)n, "%s: short write", path);
}

/* Read both pipes to EOF without letting either fill up. */
static void
drain(int fds[2], char *bufs[2])
{
    size_t lens[2] = { 0, 0 };
    FILE *mem[2];
    int open_fds = 2;

    for (int i = 0; i < 2; i++)
        mem[i] = open_memstream(&bufs[i], &lens[i]);
    while (open_fds > 0) {
        struct pollfd p[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
        char chunk[4096];

        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            ssize_t n;

            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
                continue;
            n = read(fds[i], chunk, sizeof(chunk));
            if (n > 0) {
                fwrite(chunk, 1, (size_t)n, mem[i]);
                continue;
            }
            close(fds[i]);
            fds[i] = -1;
            open_fds--;
        }
    }
    for (int i = 0; i < 2; i++)
        fclose(mem[i]);
}

/* environ with env applied: "NAME=value" sets, "NAME" unsets.  Free the
 * array, not the strings. */
static char **
env_merge(const char *const *env)
{
    size_t n = 0, m = 0, k = 0;
    char **out;

    while (environ[n])
        n++;
    while (env && env[m])
        m++;
    out = xcalloc(n + m + 1, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        bool overridden = false;

        for (size_t j = 0; j < m && !overridden; j++) {
            size_t len = strcspn(env[j], "=");

            overridden =
                strncmp(environ[i], env[j], len) == 0 && environ[i][len] == '=';
        }
        if (!overridden)
            out[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++)
        if (strchr(env[j], '=')) /* execve's envp is char *const[] */
            memcpy(&out[k++], &env[j], sizeof(*out));
    return out;
}

static char *
agent_path(void)
{
    const char *builddir = getenv("VGPU_BUILDDIR");

    cr_assert(builddir != NULL,
              "VGPU_BUILDDIR is not set (run via make check)");
    return xasprintf("%s/src/vgpu-agent", builddir);
}

/* { path of the agent, args..., NULL }; free the array, not the strings
 * (argv[0] is bin). */
static char **
agent_argv(char *bin, const char *const *args)
{
    size_t n = 0;
    char **argv;

    while (args[n])
        n++;
    argv = xcalloc(n + 2, sizeof(*argv));
    argv[0] = bin;
    memcpy(argv + 1, args, n * sizeof(*argv));
    return argv;
}

void
agentrun(struct agentrun *ret, const char *const *args)
{
    agentrun_env(ret, args, NULL);
}

void
agentrun_env(struct agentrun *ret, const char *const *args,
             const char *const *env)
{
    _cleanup_free_ char *bin = agent_path();
    _cleanup_free_ char **argv = agent_argv(bin, args);
    _cleanup_free_ char **envp = env_merge(env);
    posix_spawn_file_actions_t fa;
    int out[2], err[2], fds[2], status;
    char *bufs[2] = { NULL, NULL };
    pid_t pid;

    cr_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
    cr_assert(posix_spawn(&pid, bin, &fa, NULL, argv, envp) == 0,
              "cannot run %s", bin);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    fds[0] = out[0];
    fds[1] = err[0];
    drain(fds, bufs);
    record(bufs[0], strlen(bufs[0]));
    record(bufs[1], strlen(bufs[1]));
    *ret = (struct agentrun){ .out = bufs[0], .err = bufs[1] };
    cr_assert(waitpid(pid, &status, 0) == pid);
    ret->status =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

cJSON *
agentrun_dump_err(const char *conf, const char *root, char **ret_err)
{
    struct agentrun d = { 0 };
    cJSON *j;

    agentrun(&d, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                        "dump", "--format", "json", NULL });
    cr_assert(d.status == 0, "dump: %s", d.err);
    j = cJSON_Parse(d.out);
    cr_assert(j != NULL, "dump printed no JSON: %s", d.out);
    if (ret_err)
        *ret_err = TAKE_PTR(d.err);
    agentrun_clear(&d);
    return j;
}

cJSON *
agentrun_dump(const char *conf, const char *root)
{
    return agentrun_dump_err(conf, root, NULL);
}

void
agentrun_clear(struct agentrun *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* Whether an agent's stderr holds a sanitizer report. */
static bool
sanitizer_spoke(const char *err)
{
    return strstr(err, "Sanitizer") || strstr(err, "runtime error");
}

void
agentrun_assert_sane(const struct agentrun *r, const char *what)
{
    cr_assert(r->status < 128, "%s: killed by signal %d: %s", what,
              r->status - 128, r->err);
    cr_assert(!sanitizer_spoke(r->err), "%s: %s", what, r->err);
}

void
agentrun_assert_line(const char *text, const char *needle, const char *word)
{
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
        const char *eol = strchr(p, '\n');
        const char *w = strstr(p + strlen(needle), word);

        if (w && (!eol || w < eol))
            return;
    }
    cr_assert(false, "no line with '%s' and then '%s' in:\n%s", needle, word,
              text);
}

/* --- the agent in the background ----------------------------------------- */

struct agentproc {
    pid_t pid;  /* -1 once reaped */
    int status; /* valid once reaped */
    int fds[2]; /* stdout, stderr read ends; -1 at EOF */
    char *buf[2];
    size_t len[2], cap[2];
};

/* Between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(pid_t parent, const int out[2], const int err[2], char **argv)
{
    sigset_t none;

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(126); /* the test is gone already */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
        _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

struct agentproc *
agentproc_start(const char *const *args)
{
    _cleanup_free_ char *bin = agent_path();
    _cleanup_free_ char **argv = agent_argv(bin, args);
    struct agentproc *p = xcalloc(1, sizeof(*p));
    pid_t parent = getpid();
    int out[2], err[2];

    cr_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
    p->pid = fork();
    cr_assert(p->pid >= 0, "fork: %s", strerror(errno));
    if (p->pid == 0)
        child_exec(parent, out, err, argv);
    close(out[1]);
    close(err[1]);
    p->fds[0] = out[0];
    p->fds[1] = err[0];
    for (int i = 0; i < 2; i++) {
        fcntl(p->fds[i], F_SETFL, O_NONBLOCK);
        p->cap[i] = 4096;
        p->buf[i] = xcalloc(1, p->cap[i]);
    }
    return p;
}

/* Read whatever is pending, waiting at most ms for something to arrive. */
static void
pump(struct agentproc *p, int ms)
{
    struct pollfd pf[2] = { { p->fds[0], POLLIN, 0 },
                            { p->fds[1], POLLIN, 0 } };

    if (p->fds[0] < 0 && p->fds[1] < 0) {
        usleep((useconds_t)ms * 1000); /* nothing left to read: just wait */
        return;
    }
    if (poll(pf, 2, ms) <= 0)
        return;
    for (int i = 0; i < 2; i++) {
        for (;;) {
            ssize_t r;

            if (p->fds[i] < 0)
                break;
            if (p->len[i] + 4096 + 1 > p->cap[i]) {
                p->cap[i] *= 2;
                p->buf[i] = xrealloc(p->buf[i], p->cap[i]);
            }
            r = read(p->fds[i], p->buf[i] + p->len[i], 4096);
            if (r > 0) {
                p->len[i] += (size_t)r;
                p->buf[i][p->len[i]] = '\0';
                continue;
            }
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            close(p->fds[i]); /* EOF or error */
            p->fds[i] = -1;
        }
    }
}

static bool
reaped(struct agentproc *p)
{
    int status;

    if (p->pid < 0)
        return true;
    if (waitpid(p->pid, &status, WNOHANG) != p->pid)
        return false;
    p->status =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    p->pid = -1;
    return true;
}

const char *
agentproc_err(struct agentproc *p)
{
    pump(p, 0);
    return p->buf[1];
}

unsigned
agentproc_count(struct agentproc *p, const char *needle)
{
    const char *s = agentproc_err(p);
    unsigned n = 0;

    while ((s = strstr(s, needle))) {
        n++;
        s += strlen(needle);
    }
    return n;
}

bool
agentproc_wait_for(struct agentproc *p, const char *needle, unsigned n, long ms)
{
    long deadline = testproc_now_ms() + ms;

    for (;;) {
        bool gone = reaped(p);

        if (agentproc_count(p, needle) >= n)
            return true;
        if (gone || testproc_now_ms() >= deadline)
            return agentproc_count(p, needle) >= n;
        pump(p, 20);
    }
}

void
agentproc_expect(struct agentproc *p, const char *needle, unsigned n, long ms)
{
    cr_assert(agentproc_wait_for(p, needle, n, ms),
              "no %u x '%s' in the agent's log within %ld ms:\n%s", n, needle,
              ms, agentproc_err(p));
}

unsigned
agentproc_passes(struct agentproc *p)
{
    return agentproc_count(p, ": pass done: ") +
           agentproc_count(p, ": pass incomplete: ");
}

void
agentproc_expect_passes(struct agentproc *p, unsigned n, long ms)
{
    unsigned want = agentproc_passes(p) + n;
    long deadline = testproc_now_ms() + ms;

    while (agentproc_passes(p) < want) {
        cr_assert(testproc_now_ms() < deadline,
                  "no %u more passes within %ld ms:\n%s", n, ms,
                  agentproc_err(p));
        agentproc_assert_running(p);
        testproc_sleep_ms(20);
    }
}

int
agentproc_pid(const struct agentproc *p)
{
    return (int)p->pid;
}

void
agentproc_signal(const struct agentproc *p, int sig)
{
    cr_assert(p->pid > 0, "the agent is not running");
    cr_assert(kill(p->pid, sig) == 0, "kill: %s", strerror(errno));
}

int
agentproc_wait(struct agentproc *p, long ms)
{
    long deadline = testproc_now_ms() + ms;

    while (!reaped(p)) {
        if (testproc_now_ms() >= deadline)
            return -1;
        pump(p, 5);
    }
    while (p->fds[0] >= 0 || p->fds[1] >= 0)
        pump(p, 100); /* the rest, up to EOF */
    return p->status;
}

void
agentproc_assert_running(struct agentproc *p)
{
    cr_assert(agentproc_wait(p, 0) == -1, "the service stopped:\n%s",
              agentproc_err(p));
}

void
agentproc_assert_sane(struct agentproc *p)
{
    cr_assert(!sanitizer_spoke(agentproc_err(p)), "%s", agentproc_err(p));
}

void
agentproc_assert_stops(struct agentproc *p)
{
    int status;

    agentproc_signal(p, SIGTERM);
    status = agentproc_wait(p, 5000);
    cr_assert(status == 0, "exit status %d after SIGTERM:\n%s", status,
              agentproc_err(p));
    agentproc_assert_sane(p);
}

void
agentproc_stop(struct agentproc *p)
{
    if (!p)
        return;
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    pump(p, 0); /* what it wrote before it died */
    for (int i = 0; i < 2; i++) {
        record(p->buf[i], p->len[i]);
        if (p->fds[i] >= 0)
            close(p->fds[i]);
        free(p->buf[i]);
    }
    free(p);
}
