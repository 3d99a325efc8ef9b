/*
 * pgcluster.c - find or start the test binary's PostgreSQL, make and drop
 * databases in it (with psql).
 *
 * Concurrent tests of one binary (Criterion runs them in parallel) agree on
 * the cluster through a directory named after the runner and a flock on a
 * file in it: the first starts test/pgcluster.py and marks the directory
 * ready, the others wait on the lock and find the mark.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "pgcluster.h"
#include "testproc.h"
#include "xalloc.h"

#define START_TIMEOUT_MS 180000 /* a template build on a loaded box */
#define PSQL_TIMEOUT_MS 60000
#define PYTHON_DEFAULT "/usr/bin/python3"
#define DB_USER "placement"
#define TEMPLATE_DB "placement_template"

static char *cluster;   /* this process's answer: the cluster's directory */
static unsigned serial; /* databases this process made */

#define fail testproc_fail

/* The process whose exit ends the cluster: the Criterion runner when this
 * is one of its test workers (BoxFort sets BXFI_MAP in those), else us. */
static pid_t
owner_pid(void)
{
    return getenv("BXFI_MAP") ? getppid() : getpid();
}

/* Field 22 of /proc/PID/stat, the start time: with the pid, a name no
 * later process reuses while this boot lasts. */
static unsigned long long
start_time(pid_t pid)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid);
    _cleanup_free_ char *stat = testproc_read_file(path);
    const char *p = strrchr(stat, ')');
    unsigned long long t = 0;

    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (p)
        t = strtoull(p + 1, NULL, 10);
    return t;
}

/* $VGPU_PG_BINDIR/name, else the newest /usr/lib/postgresql/N/bin/name. */
static char *
pg_tool(const char *name)
{
    const char *dir = getenv("VGPU_PG_BINDIR");
    _cleanup_free_ char *pattern = NULL;
    glob_t g = { 0 };
    char *best = NULL;
    long best_v = -1;

    if (dir && *dir)
        return xasprintf("%s/%s", dir, name);
    pattern = xasprintf("/usr/lib/postgresql/*/bin/%s", name);
    if (glob(pattern, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++) {
            long v = strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"),
                            NULL, 10);

            if (v > best_v) {
                free(best);
                best = xstrdup(g.gl_pathv[i]);
                best_v = v;
            }
        }
    globfree(&g);
    cr_assert(best != NULL, "no %s (apt-get install postgresql)", pattern);
    return best;
}

static char *
keeper_path(void)
{
    const char *data = getenv("VGPU_TEST_DATA");

    cr_assert(data != NULL, "VGPU_TEST_DATA is not set (run via make check)");
    return xasprintf("%s/../pgcluster.py", data);
}

/* Start pgcluster.py for dir, detached (its own session, not our child):
 * it must outlive this test.  Returns the read end of its stdout. */
static int
spawn_keeper(const char *dir, pid_t owner)
{
    const char *py =
        getenv("VGPU_PYTHON") ? getenv("VGPU_PYTHON") : PYTHON_DEFAULT;
    const char *tmpl = getenv("VGPU_PLACEMENT_PG_TEMPLATE");
    _cleanup_free_ char *script = keeper_path(), *py_copy = xstrdup(py);
    _cleanup_free_ char *owner_arg = xasprintf("%d", (int)owner);
    _cleanup_free_ char *dir_copy = xstrdup(dir);
    _cleanup_free_ char *tmpl_copy = xstrdup(tmpl ? tmpl : "");
    _cleanup_free_ char *log = xasprintf("%s/keeper.log", dir);
    char *argv[] = { py_copy, script, owner_arg, dir_copy, tmpl_copy, NULL };
    _cleanup_close_ int log_fd = -1, null_fd = -1;
    int p[2];
    pid_t pid;

    cr_assert(access(script, R_OK) == 0, "%s: %s", script, strerror(errno));
    log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert(log_fd >= 0 && null_fd >= 0, "%s: %s", log, strerror(errno));
    cr_assert(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* the grandchild, reparented when we exit, runs the keeper */
        if (fork() != 0)
            _exit(0);
        setsid();
        if (dup2(null_fd, 0) < 0 || dup2(p[1], 1) < 0 || dup2(log_fd, 2) < 0)
            _exit(126);
        /* nothing of the test's: a pipe of Criterion's held open here
         * would keep its runner waiting, and the runner's exit is what
         * the keeper waits for */
        if (close_range(3, ~0U, 0) < 0)
            for (int fd = 3; fd < 1024; fd++)
                close(fd);
        execv(argv[0], argv);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
    close(p[1]);
    return p[0];
}

/* Everything fd gives until EOF, or until deadline (testproc_now_ms()). */
static char *
read_all(int fd, long deadline)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[1024];

    cr_assert(mem != NULL, "open_memstream failed");
    for (;;) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        long left = deadline - testproc_now_ms();
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        n = read(fd, chunk, sizeof(chunk));
        if (n <= 0)
            break;
        fwrite(chunk, 1, (size_t)n, mem);
    }
    fclose(mem);
    return buf;
}

static void
mark_ready(const char *dir)
{
    _cleanup_free_ char *path = xasprintf("%s/ready", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    close(fd);
}

/* With the lock held: start the keeper unless the directory is ready.  It
 * says "pid PID", then "ready DIR" (or "error: WHY") and closes stdout. */
static void
start_locked(const char *dir, pid_t owner)
{
    _cleanup_free_ char *ready = xasprintf("%s/ready", dir);
    _cleanup_free_ char *want = xasprintf("\nready %s\n", dir);
    _cleanup_free_ char *out = NULL;
    _cleanup_close_ int fd = -1;
    int keeper = 0;

    if (access(ready, F_OK) == 0)
        return;
    fd = spawn_keeper(dir, owner);
    out = read_all(fd, testproc_now_ms() + START_TIMEOUT_MS);
    if (sscanf(out, "pid %d", &keeper) == 1 && strstr(out, want)) {
        mark_ready(dir);
        return;
    }
    if (keeper > 0)
        kill(keeper, SIGTERM); /* it stops PostgreSQL, removes dir */
    fail("PostgreSQL for the tests (test/pgcluster.py, in %s) did not "
         "start: %s",
         dir, *out ? out : "no answer in time");
}

/* Find or start the cluster; returns whether dir holds a ready one (false:
 * the directory went away under us, a keeper that failed; try again). */
static bool
try_cluster(const char *dir, pid_t owner)
{
    _cleanup_free_ char *lock = xasprintf("%s/lock", dir);
    _cleanup_close_ int fd = -1;
    struct stat st;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        fail("mkdir %s: %s", dir, strerror(errno));
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT)
        return false;
    cr_assert(fd >= 0, "%s: %s", lock, strerror(errno));
    cr_assert(flock(fd, LOCK_EX) == 0, "flock %s: %s", lock, strerror(errno));
    if (fstat(fd, &st) < 0 || st.st_nlink == 0)
        return false; /* removed while we waited */
    start_locked(dir, owner);
    return true;
}

static const char *
cluster_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    pid_t owner = owner_pid();
    _cleanup_free_ char *dir = NULL;

    if (cluster)
        return cluster;
    dir = xasprintf("%s/vgpu-pg-%d-%llu", tmp && *tmp ? tmp : "/tmp",
                    (int)owner, start_time(owner));
    for (int attempt = 0; !try_cluster(dir, owner); attempt++)
        cr_assert(attempt < 3, "%s: removed while starting, %d times", dir,
                  attempt + 1);
    cluster = TAKE_PTR(dir);
    return cluster;
}

/* Run one SQL statement as the cluster's superuser in database postgres;
 * returns psql's exit status (0: done) and its output in *ret_out. */
static int
psql(const char *dir, const char *sql, char **ret_out)
{
    _cleanup_free_ char *bin = pg_tool("psql");
    char *argv[] = { bin,        "-X", "-q", "-v", "ON_ERROR_STOP=1",
                     "-h",       NULL, "-U", NULL, "-d",
                     "postgres", "-c", NULL, NULL };
    _cleanup_free_ char *dir_copy = xstrdup(dir), *user = xstrdup(DB_USER);
    _cleanup_free_ char *sql_copy = xstrdup(sql);
    _cleanup_close_ int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = getpid(), pid;
    int p[2], status = 0;

    argv[6] = dir_copy;
    argv[8] = user;
    argv[12] = sql_copy;
    cr_assert(null_fd >= 0 && pipe2(p, O_CLOEXEC) == 0, "pipe: %s",
              strerror(errno));
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        testproc_child_exec(parent, p[1], p[1], null_fd, argv);
    close(p[1]);
    *ret_out = read_all(p[0], testproc_now_ms() + PSQL_TIMEOUT_MS);
    close(p[0]);
    if (!testproc_reap(pid, 1000)) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return status;
}

char *
pgcluster_create_db(char name[PGCLUSTER_DB_NAME_MAX])
{
    const char *dir = cluster_dir();
    _cleanup_free_ char *sql = NULL, *out = NULL;
    int status;

    snprintf(name, PGCLUSTER_DB_NAME_MAX, "t%d_%u", (int)getpid(), ++serial);
    /* FILE_COPY: a few files, not the whole database through the WAL */
    sql = xasprintf(
        "CREATE DATABASE %s TEMPLATE " TEMPLATE_DB " STRATEGY FILE_COPY", name);
    status = psql(dir, sql, &out);
    if (status != 0) {
        name[0] = '\0';
        fail("%s (in %s): psql status 0x%x: %s", sql, dir, (unsigned)status,
             out);
    }
    return xasprintf("postgresql+psycopg2://" DB_USER "@/%s?host=%s", name,
                     dir);
}

void
pgcluster_drop_db(const char *name)
{
    _cleanup_free_ char *sql = NULL, *out = NULL;

    if (!name || !*name || !cluster)
        return;
    sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    (void)psql(cluster, sql, &out);
}
