/*
 * agentrun.c - run the vgpu-agent binary and capture what it prints.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentrun.h"
#include "cleanup.h"
#include "xalloc.h"

extern char **environ;

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

void
agentrun(struct agentrun *ret, const char *const *args)
{
    const char *builddir = getenv("VGPU_BUILDDIR");
    _cleanup_free_ char *bin = NULL;
    posix_spawn_file_actions_t fa;
    int out[2], err[2], fds[2], status;
    char *bufs[2] = { NULL, NULL };
    size_t n = 0;
    char **argv;
    pid_t pid;

    cr_assert(builddir != NULL, "VGPU_BUILDDIR is not set (run via make check)");
    bin = xasprintf("%s/src/vgpu-agent", builddir);
    while (args[n])
        n++;
    argv = xcalloc(n + 2, sizeof(*argv));
    argv[0] = bin;
    memcpy(argv + 1, args, n * sizeof(*argv));
    cr_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
    cr_assert(posix_spawn(&pid, bin, &fa, NULL, argv, environ) == 0,
              "cannot run %s", bin);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    close(out[1]);
    close(err[1]);
    fds[0] = out[0];
    fds[1] = err[0];
    drain(fds, bufs);
    *ret = (struct agentrun){ .out = bufs[0], .err = bufs[1] };
    cr_assert(waitpid(pid, &status, 0) == pid);
    ret->status = WIFEXITED(status) ? WEXITSTATUS(status)
                                    : 128 + WTERMSIG(status);
}

void
agentrun_clear(struct agentrun *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
