/*
 * test-secrets.c - no secret in anything the agent printed, suite-wide.
 *
 * test/agentrun.c appends every byte the agent wrote on stdout and stderr,
 * in every end-to-end test, to $VGPU_BUILDDIR/test/agent-output.log; `make
 * check` truncates it first and runs this binary after every other test
 * (Makefile.am).  Each string of TEST_SECRETS must be absent, and the log
 * must hold real output, so the check cannot pass on nothing.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "testsecrets.h"
#include "xalloc.h"

/* The end-to-end tests print well over this; a log below it means they did
 * not run (or did not record), not that they were quiet. */
#define MIN_LOG_BYTES 4096

static char *
log_path(void)
{
    const char *builddir = getenv("VGPU_BUILDDIR");

    cr_assert(builddir != NULL,
              "VGPU_BUILDDIR is not set (run via make check)");
    return xasprintf("%s/" TEST_AGENT_OUTPUT_LOG, builddir);
}

/* The whole log, NUL-terminated; *ret_len its length. */
static char *
read_log(size_t *ret_len)
{
    _cleanup_free_ char *path = log_path();
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf;
    size_t got = 0;

    cr_assert(fd >= 0,
              "%s: %s (run the whole suite: make check; the end-to-end "
              "tests write it)",
              path, strerror(errno));
    cr_assert(eq(int, fstat(fd, &st), 0));
    buf = xmalloc((size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        cr_assert(n > 0, "%s: read: %s", path, strerror(errno));
        got += (size_t)n;
    }
    buf[got] = '\0';
    *ret_len = got;
    return buf;
}

/* The line of buf around hit, for the failure message. */
static char *
line_around(const char *buf, const char *hit)
{
    const char *start = hit, *end = strchr(hit, '\n');

    while (start > buf && start[-1] != '\n')
        start--;
    return xasprintf("%.*s", (int)(end ? end - start : (long)strlen(start)),
                     start);
}

Test(secrets, the_agent_output_of_the_suite_is_there)
{
    size_t len = 0;
    _cleanup_free_ char *log = read_log(&len);

    cr_assert(len >= MIN_LOG_BYTES,
              TEST_AGENT_OUTPUT_LOG " holds %zu bytes: the end-to-end tests "
                                    "did not record their output",
              len);
    /* the agent's own log lines, not some other text */
    cr_assert(ne(ptr, strstr(log, "vgpu-agent"), NULL));
}

Test(secrets, no_secret_appears_in_anything_the_agent_printed)
{
    static const char *const secrets[] = { TEST_SECRETS, NULL };
    size_t len = 0;
    _cleanup_free_ char *log = read_log(&len);

    cr_assert(len >= MIN_LOG_BYTES, "the log is (nearly) empty: %zu bytes",
              len);
    for (size_t i = 0; secrets[i]; i++) {
        const char *hit = strstr(log, secrets[i]);
        _cleanup_free_ char *line = hit ? line_around(log, hit) : NULL;

        cr_assert(hit == NULL, "secret #%zu was printed by the agent:\n%s", i,
                  line);
    }
}
