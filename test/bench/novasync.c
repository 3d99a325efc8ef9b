/*
 * novasync.c - run test/bench/nova-sync.py and read its one line of JSON.
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "novasync.h"
#include "testproc.h"
#include "xalloc.h"

#define PYTHON "/usr/bin/python3"
#define NOVA_MODULE "/usr/lib/python3/dist-packages/nova/scheduler/client"
#define TIMEOUT_MS 600000L

extern char **environ;

bool
novasync_available(void)
{
    return access(NOVA_MODULE "/report.py", R_OK) == 0;
}

/* Everything on fd until EOF or the deadline; the child is killed then. */
static char *
drain(pid_t pid, int fd)
{
    long deadline = testproc_now_ms() + TIMEOUT_MS;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[4096];

    if (!mem)
        abort();
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        long left = deadline - testproc_now_ms();
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        n = read(fd, chunk, sizeof(chunk));
        if (n <= 0)
            break;
        fwrite(chunk, 1, (size_t)n, mem);
    }
    fclose(mem);
    return buf;
}

static int
parse(const char *out, struct novasync *ret)
{
    const char *line = strrchr(out, '{'); /* the last line; warnings before */
    cJSON *j = line ? cJSON_Parse(line) : NULL;
    const cJSON *ms = cJSON_GetObjectItem(j, "ms");
    const cJSON *cpu = cJSON_GetObjectItem(j, "cpu_ms");
    const cJSON *requests = cJSON_GetObjectItem(j, "requests");
    int r = -1;

    if (cJSON_IsNumber(ms) && cJSON_IsNumber(cpu) && cJSON_IsNumber(requests)) {
        ret->ms = ms->valuedouble;
        ret->cpu_ms = cpu->valuedouble;
        ret->requests = (unsigned long)requests->valuedouble;
        r = 0;
    }
    cJSON_Delete(j);
    return r;
}

int
novasync_run(const char *url, const char *dump_path, struct novasync *ret,
             char **ret_err)
{
    const char *data = getenv("VGPU_TEST_DATA");
    _cleanup_free_ char *script =
        xasprintf("%s/../bench/nova-sync.py", data ? data : "test/data");
    _cleanup_free_ char *py = xstrdup(PYTHON), *url_copy = xstrdup(url);
    _cleanup_free_ char *dump_copy = xstrdup(dump_path);
    char *argv[] = { py, script, url_copy, dump_copy, NULL };
    posix_spawn_file_actions_t fa;
    _cleanup_free_ char *out = NULL;
    int p[2], status = 0;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
    if (posix_spawn(&pid, PYTHON, &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(p[0]);
        close(p[1]);
        *ret_err = xstrdup("cannot run " PYTHON);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    out = drain(pid, p[0]);
    close(p[0]);
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && parse(out, ret) == 0)
        return 0;
    *ret_err = TAKE_PTR(out);
    return -1;
}

/* a / b, for a table cell */
static double
ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

void
novasync_print(const struct novasync_vs *rows, size_t n)
{
    if (n == 0 || !rows[0].nova_done) {
        printf("\nNova's report client: not measured (apt-get install "
               "python3-nova)\n");
        return;
    }
    printf("\nFirst sync, the agent against Nova's report client "
           "(python3-nova's SchedulerReportClient,\n"
           "get_provider_tree_and_ensure_root + update_from_provider_tree of "
           "the same tree),\neach on a fresh Placement.  ms: wall time "
           "(Nova's leaves out Python's start-up and\nimports); client: the "
           "client's CPU ms; server: Placement's CPU ms (uwsgi and its\n"
           "PostgreSQL backends), which a busy machine distorts less than "
           "wall time\n\n");
    printf("%5s | %-30s | %-30s | %s\n", "", "agent", "Nova", "agent / Nova");
    printf("%5s | %8s %7s %6s %6s | %8s %7s %6s %6s | %5s %5s %6s\n", "GPUs",
           "requests", "ms", "client", "server", "requests", "ms", "client",
           "server", "req", "ms", "server");
    for (size_t i = 0; i < n; i++) {
        const struct novasync_vs *r = &rows[i];

        printf("%5u | %8lu %7.0f %6.0f %6.0f | %8lu %7.0f %6.0f %6.0f | "
               "%5.2f %5.2f %6.2f\n",
               r->gpus, r->agent_requests, r->agent_ms, r->agent_cpu_ms,
               r->agent_server_ms, r->nova.requests, r->nova.ms, r->nova.cpu_ms,
               r->nova_server_ms,
               ratio((double)r->agent_requests, (double)r->nova.requests),
               ratio(r->agent_ms, r->nova.ms),
               ratio(r->agent_server_ms, r->nova_server_ms));
        if (r->nova_logged != r->nova.requests)
            printf("NOTE %u GPUs: Nova sent %lu requests, Placement logged "
                   "%lu\n",
                   r->gpus, r->nova.requests, r->nova_logged);
    }
}
