/*
 * promcheck.c - run test/metrics-check.py on a metrics file.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "promcheck.h"
#include "testproc.h"
#include "xalloc.h"

#define PYTHON_DEFAULT "/usr/bin/python3"

extern char **environ;

/* Run the checker with stdout to out_path, stderr to err_path; returns
 * its exit status. */
static int
run_checker(const char *path, const char *out_path, const char *err_path)
{
    const char *data = getenv("VGPU_TEST_DATA");
    const char *python =
        getenv("VGPU_PYTHON") ? getenv("VGPU_PYTHON") : PYTHON_DEFAULT;
    _cleanup_free_ char *script = NULL, *py = xstrdup(python);
    _cleanup_free_ char *file = xstrdup(path);
    posix_spawn_file_actions_t fa;
    char *argv[4];
    int status;
    pid_t pid;

    cr_assert(data != NULL, "VGPU_TEST_DATA is not set (run via make check)");
    script = xasprintf("%s/../metrics-check.py", data);
    argv[0] = py;
    argv[1] = script;
    argv[2] = file;
    argv[3] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(posix_spawn(&pid, python, &fa, NULL, argv, environ) == 0,
              "cannot run %s", python);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

cJSON *
promcheck(const char *path)
{
    _cleanup_free_ char *out_path = xasprintf("%s.check-out", path);
    _cleanup_free_ char *err_path = xasprintf("%s.check-err", path);
    _cleanup_free_ char *out = NULL, *err = NULL;
    cJSON *samples = cJSON_CreateArray();
    int status = run_checker(path, out_path, err_path);

    cr_assert(access(out_path, R_OK) == 0 && access(err_path, R_OK) == 0,
              "%s: the checker wrote no output", path);
    out = testproc_read_file(out_path);
    err = testproc_read_file(err_path);
    unlink(out_path);
    unlink(err_path);
    cr_assert(status == 0, "Prometheus's parser rejects %s (status %d): %s",
              path, status, err);
    for (char *line = out, *nl; *line; line = nl + 1) {
        cJSON *s;

        nl = strchr(line, '\n');
        cr_assert(nl != NULL, "checker output not line-ended: %s", line);
        *nl = '\0';
        s = cJSON_Parse(line);
        cr_assert(s != NULL, "checker output: %s", line);
        cJSON_AddItemToArray(samples, s);
    }
    return samples;
}

double
promcheck_value(const cJSON *samples, const char *name, const char *label,
                const char *value)
{
    const cJSON *s;

    cJSON_ArrayForEach(s, samples) {
        const char *v;

        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(s, "name")),
                   name) != 0)
            continue;
        v = label ? cJSON_GetStringValue(cJSON_GetObjectItem(
                        cJSON_GetObjectItem(s, "labels"), label))
                  : NULL;
        if (!label || (v && strcmp(v, value) == 0))
            return cJSON_GetNumberValue(cJSON_GetObjectItem(s, "value"));
    }
    return -1;
}
