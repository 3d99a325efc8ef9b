/*
 * novafleet.c - run test/bench/nova-fleet.py, answer its marks, read its
 * JSON (see novafleet.h).
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "novafleet.h"
#include "testproc.h"
#include "xalloc.h"

#define PYTHON "/usr/bin/python3"

static void
phase_parse(const cJSON *j, struct novafleet_phase *ret)
{
    ret->requests =
        (unsigned long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "requests"));
    ret->passes =
        (unsigned long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "passes"));
    ret->ms = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "ms"));
}

static int
parse(const char *line, struct novafleet *ret)
{
    cJSON *j = cJSON_Parse(line);
    const cJSON *rss = cJSON_GetObjectItem(j, "rss_anon_kib");
    int r = -1;

    if (cJSON_IsNumber(rss) && cJSON_GetObjectItem(j, "restart")) {
        phase_parse(cJSON_GetObjectItem(j, "first"), &ret->first);
        phase_parse(cJSON_GetObjectItem(j, "steady"), &ret->steady);
        phase_parse(cJSON_GetObjectItem(j, "restart"), &ret->restart);
        ret->rss_anon_kib = (unsigned long)rss->valuedouble;
        r = 0;
    }
    cJSON_Delete(j);
    return r;
}

static pid_t
spawn(char **argv, int *ret_in, FILE **ret_out)
{
    int in[2], out[2];
    pid_t parent = getpid(), pid;

    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
        abort();
    pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) /* stdin: the acks; stderr joins stdout */
        testproc_child_exec(parent, out[1], out[1], in[0], argv);
    close(in[0]);
    close(out[1]);
    *ret_in = in[1];
    *ret_out = fdopen(out[0], "r");
    return pid;
}

int
novafleet_run(const char *url, const char *dump_path, size_t k,
              unsigned interval_s, unsigned steady_s, novafleet_mark_fn fn,
              void *arg, struct novafleet *ret, char **ret_err)
{
    const char *data = getenv("VGPU_TEST_DATA");
    _cleanup_free_ char *script =
        xasprintf("%s/../bench/nova-fleet.py", data ? data : "test/data");
    _cleanup_free_ char *kk = xasprintf("%zu", k);
    _cleanup_free_ char *iv = xasprintf("%u", interval_s);
    _cleanup_free_ char *st = xasprintf("%u", steady_s);
    _cleanup_free_ char *py = xstrdup(PYTHON), *u = xstrdup(url);
    _cleanup_free_ char *d = xstrdup(dump_path);
    char *argv[] = { py, script, u, d, kk, iv, st, NULL };
    char *out = NULL, *line = NULL;
    size_t out_len = 0, cap = 0;
    FILE *mem = open_memstream(&out, &out_len), *from;
    int to, status = 0, r = -1;
    pid_t pid = spawn(argv, &to, &from);

    while (getline(&line, &cap, from) > 0) {
        if (strncmp(line, "mark ", 5) == 0) {
            line[strcspn(line, "\n")] = '\0';
            fn(line + 5, arg);
            if (write(to, "\n", 1) != 1)
                break;
            continue;
        }
        fputs(line, mem);
        if (line[0] == '{')
            r = parse(line, ret);
    }
    free(line);
    fclose(from);
    close(to);
    waitpid(pid, &status, 0);
    fclose(mem);
    if (r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        free(out);
        return 0;
    }
    *ret_err = out;
    return -1;
}
