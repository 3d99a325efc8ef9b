/*
 * fault-proxy.c - start, steer and stop test/fault-proxy.py.
 *
 * Started like the Placement runner (placement-server.c): fork, a process
 * group of its own, PR_SET_PDEATHSIG so it dies with the test, the port it
 * bound read from a pipe.  It is steered with plain libcurl requests to its
 * /__fault__/ control paths, which it never forwards.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "cleanup.h"
#include "fault-proxy.h"
#include "testproc.h"
#include "xalloc.h"

#define START_TIMEOUT_MS 20000
#define STOP_GRACE_MS 2000
#define PYTHON_DEFAULT "/usr/bin/python3"

struct fault_proxy {
    pid_t pid; /* also the process group id */
    char *url;
    char *log; /* the proxy's stderr (Python tracebacks), a temporary file */
};

static char *
script_path(void)
{
    const char *data = getenv("VGPU_TEST_DATA");

    cr_assert(data != NULL, "VGPU_TEST_DATA is not set (run via make check)");
    return xasprintf("%s/../fault-proxy.py", data);
}

struct fault_proxy *
fault_proxy_start(const char *upstream)
{
    const char *py =
        getenv("VGPU_PYTHON") ? getenv("VGPU_PYTHON") : PYTHON_DEFAULT;
    const char *tmp = getenv("TMPDIR");
    struct fault_proxy *p = xcalloc(1, sizeof(*p));
    _cleanup_free_ char *script = script_path();
    _cleanup_free_ char *py_copy = xstrdup(py), *up = xstrdup(upstream);
    char *argv[] = { py_copy, script, up, NULL };
    _cleanup_close_ int log_fd = -1, null_fd = -1, port_fd = -1;
    pid_t parent = getpid();
    int pipefd[2], port;

    cr_assert(access(script, R_OK) == 0, "%s: %s", script, strerror(errno));
    p->pid = -1;
    p->log = xasprintf("%s/vgpu-proxy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    log_fd = mkostemp(p->log, O_CLOEXEC);
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert(log_fd >= 0 && null_fd >= 0, "%s: %s", p->log, strerror(errno));
    cr_assert(pipe2(pipefd, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    p->pid = fork();
    cr_assert(p->pid >= 0, "fork: %s", strerror(errno));
    if (p->pid == 0)
        testproc_child_exec(parent, pipefd[1], log_fd, null_fd, argv);
    setpgid(p->pid, p->pid);
    close(pipefd[1]);
    port_fd = pipefd[0];
    port = testproc_read_port(port_fd, testproc_now_ms() + START_TIMEOUT_MS);
    if (port <= 0 || port > 65535) {
        _cleanup_free_ char *log = testproc_read_file(p->log);
        _cleanup_free_ char *msg =
            xasprintf("fault proxy: no port reported; log:\n%s", log);

        fault_proxy_stop(p);
        cr_assert_fail("%s", msg);
    }
    p->url = xasprintf("http://127.0.0.1:%d", port);
    return p;
}

const char *
fault_proxy_url(const struct fault_proxy *p)
{
    return p->url;
}

/* A control request; returns the body (free() it), asserts the status. */
static char *
control(const struct fault_proxy *p, const char *method, const char *path,
        long want)
{
    _cleanup_free_ char *url = xasprintf("%s/__fault__/%s", p->url, path);
    char *buf = NULL, err[CURL_ERROR_SIZE] = "";
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    CURL *c = curl_easy_init();
    long status = 0;
    CURLcode rc;

    cr_assert(c != NULL && mem != NULL);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, testproc_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)mem);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    fclose(mem);
    cr_assert(rc == CURLE_OK && status == want,
              "fault proxy %s %s: %s (status %ld)", method, path,
              rc != CURLE_OK ? err : buf, status);
    return buf;
}

void
fault_proxy_set(struct fault_proxy *p, const char *mode, const char *match)
{
    _cleanup_free_ char *path = NULL;

    if (match) {
        CURL *c = curl_easy_init();
        char *esc = c ? curl_easy_escape(c, match, 0) : NULL;

        cr_assert(esc != NULL);
        path = xasprintf("%s?match=%s", mode, esc);
        curl_free(esc);
        curl_easy_cleanup(c);
    } else {
        path = xstrdup(mode);
    }
    free(control(p, "POST", path, 204));
}

static cJSON *
stats_json(const struct fault_proxy *p)
{
    _cleanup_free_ char *body = control(p, "GET", "stats", 200);
    cJSON *j = cJSON_Parse(body);

    cr_assert(cJSON_IsObject(j), "fault proxy stats: %s", body);
    return j;
}

static unsigned long
count_of(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

    cr_assert(cJSON_IsNumber(v), "fault proxy stats: no %s", key);
    return (unsigned long)v->valuedouble;
}

void
fault_proxy_stats(const struct fault_proxy *p, struct fault_proxy_stats *ret)
{
    cJSON *j = stats_json(p);

    *ret = (struct fault_proxy_stats){
        .received = count_of(j, "received"),
        .forwarded = count_of(j, "forwarded"),
        .faulted = count_of(j, "faulted"),
    };
    cJSON_Delete(j);
}

char *
fault_proxy_log(const struct fault_proxy *p)
{
    cJSON *j = stats_json(p);
    const cJSON *line;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);

    cr_assert(mem != NULL);
    cJSON_ArrayForEach(line, cJSON_GetObjectItemCaseSensitive(j, "log"))
        if (cJSON_IsString(line))
            fprintf(mem, "%s\n", line->valuestring);
    fclose(mem);
    cJSON_Delete(j);
    return buf;
}

void
fault_proxy_stop(struct fault_proxy *p)
{
    if (!p)
        return;
    if (p->pid > 0) {
        kill(-p->pid, SIGTERM);
        if (!testproc_reap(p->pid, STOP_GRACE_MS)) {
            kill(-p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
        }
    }
    if (p->log)
        unlink(p->log);
    free(p->log);
    free(p->url);
    free(p);
}
