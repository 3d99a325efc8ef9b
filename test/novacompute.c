/*
 * novacompute.c - nova-compute's report client as a test helper (see
 * novacompute.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fixture.h"
#include "novacompute.h"
#include "testproc.h"
#include "xalloc.h"

#define PYTHON_DEFAULT "/usr/bin/python3"
#define START_MS 120000L /* importing Nova on a loaded box */
#define CYCLE_MS 120000L

struct novacompute {
    pid_t pid;
    char *dir; /* the socket and the log */
};

/* Whether the helper wrote its "ready" line on fd by deadline. */
static bool
wait_ready(int fd, long deadline)
{
    char buf[16];
    size_t len = 0;

    while (len < sizeof(buf) - 1) {
        struct pollfd p = { fd, POLLIN, 0 };
        long left = deadline - testproc_now_ms();
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return false;
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return false;
        len += (size_t)n;
        if (memchr(buf, '\n', len))
            return strncmp(buf, "ready\n", 6) == 0;
    }
    return false;
}

struct novacompute *
novacompute_start(void)
{
    struct novacompute *n = xcalloc(1, sizeof(*n));
    const char *py =
        getenv("VGPU_PYTHON") ? getenv("VGPU_PYTHON") : PYTHON_DEFAULT;
    const char *srcdir = getenv("VGPU_TEST_DATA");
    _cleanup_free_ char *script = xasprintf("%s/../nova-compute.py", srcdir);
    _cleanup_free_ char *sock = NULL, *log = NULL, *py_copy = xstrdup(py);
    pid_t parent = getpid();
    int p[2], log_fd, null_fd;
    bool ready;

    cr_assert(srcdir != NULL, "VGPU_TEST_DATA is not set");
    n->dir = fixture_tmpdir();
    sock = xasprintf("%s/nova.sock", n->dir);
    log = xasprintf("%s/nova.log", n->dir);
    cr_assert(pipe2(p, O_CLOEXEC) == 0);
    log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert(log_fd >= 0 && null_fd >= 0);
    n->pid = fork();
    cr_assert(n->pid >= 0);
    if (n->pid == 0)
        testproc_child_exec(parent, p[1], log_fd, null_fd,
                            (char *[]){ py_copy, script, sock, NULL });
    close(p[1]);
    close(log_fd);
    close(null_fd);
    ready = wait_ready(p[0], testproc_now_ms() + START_MS);
    close(p[0]);
    if (!ready) {
        _cleanup_free_ char *text = testproc_read_file(log);

        fprintf(stderr, "novacompute: %s did not start:\n%s\n", script, text);
        novacompute_stop(n);
        abort();
    }
    setenv(NOVACOMPUTE_SOCKET_ENV, sock, 1);
    return n;
}

void
novacompute_stop(struct novacompute *n)
{
    if (!n)
        return;
    if (n->pid > 0) {
        kill(-n->pid, SIGKILL);
        testproc_reap(n->pid, 5000);
    }
    if (n->dir)
        fixture_rm_rf(n->dir);
    free(n->dir);
    free(n);
}

static cJSON *
request(const char *url, const char *uuid, const char *name,
        const char *const *traits, const struct novacompute_child *children,
        size_t n, bool refresh)
{
    cJSON *req = cJSON_CreateObject();
    cJSON *tr = cJSON_AddArrayToObject(req, "traits");
    cJSON *ch = cJSON_AddArrayToObject(req, "children");

    cJSON_AddStringToObject(req, "op", "cycle");
    cJSON_AddStringToObject(req, "url", url);
    cJSON_AddStringToObject(req, "uuid", uuid);
    cJSON_AddStringToObject(req, "name", name);
    cJSON_AddBoolToObject(req, "refresh", refresh);
    for (size_t i = 0; traits && traits[i]; i++)
        cJSON_AddItemToArray(tr, cJSON_CreateString(traits[i]));
    for (size_t i = 0; i < n; i++) {
        cJSON *c = cJSON_CreateObject();

        cJSON_AddStringToObject(c, "name", children[i].name);
        cJSON_AddStringToObject(c, "rc", children[i].rc);
        cJSON_AddNumberToObject(c, "total", children[i].total);
        cJSON_AddItemToArray(ch, c);
    }
    return req;
}

/* Send line (with its '\n') over a fresh connection; the answer line. */
static char *
exchange(const char *line)
{
    const char *path = getenv(NOVACOMPUTE_SOCKET_ENV);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    long deadline = testproc_now_ms() + CYCLE_MS;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert(path != NULL, NOVACOMPUTE_SOCKET_ENV " is not set (main())");
    cr_assert(fd >= 0 && mem != NULL);
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0,
              "connect %s: %s", path, strerror(errno));
    cr_assert(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        long left = deadline - testproc_now_ms();
        char chunk[4096];
        ssize_t got;

        cr_assert(left > 0 && poll(&p, 1, (int)left) > 0,
                  "nova-compute.py did not answer within %ld ms", CYCLE_MS);
        got = read(fd, chunk, sizeof(chunk));
        if (got <= 0)
            break;
        fwrite(chunk, 1, (size_t)got, mem);
    }
    close(fd);
    fclose(mem);
    return buf;
}

char *
novacompute_cycle(const char *url, const char *uuid, const char *name,
                  const char *const *traits,
                  const struct novacompute_child *children, size_t n,
                  bool refresh)
{
    cJSON *req = request(url, uuid, name, traits, children, n, refresh);
    _cleanup_free_ char *body = cJSON_PrintUnformatted(req);
    _cleanup_free_ char *line = xasprintf("%s\n", body);
    _cleanup_free_ char *answer = exchange(line);
    cJSON *a = cJSON_Parse(answer);
    const cJSON *ok = cJSON_GetObjectItem(a, "ok");
    const cJSON *err = cJSON_GetObjectItem(a, "error");
    char *ret = NULL;

    cJSON_Delete(req);
    cr_assert(cJSON_IsBool(ok), "nova-compute.py answered \"%s\"", answer);
    if (!cJSON_IsTrue(ok))
        ret = xstrdup(cJSON_IsString(err) ? err->valuestring : answer);
    cJSON_Delete(a);
    return ret;
}
