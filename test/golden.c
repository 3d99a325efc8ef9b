/*
 * golden.c - golden-file comparison for tests (see golden.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "golden.h"
#include "testproc.h"
#include "xalloc.h"

void
golden_assert(const char *rel, const char *actual)
{
    const char *dir = getenv("VGPU_TEST_DATA");
    const char *regen = getenv("VGPU_TEST_REGENERATE");
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *want = NULL;
    _cleanup_free_ char *got = xstrdup(actual);

    cr_assert(dir != NULL, "VGPU_TEST_DATA is not set (run via make check)");
    path = xasprintf("%s/%s", dir, rel);
    if (regen && strcmp(regen, "1") == 0) {
        _cleanup_fclose_ FILE *f = fopen(path, "we");

        cr_assert(f != NULL, "cannot write %s", path);
        fputs(actual, f);
        return;
    }
    cr_assert(access(path, R_OK) == 0,
              "%s: missing golden file (VGPU_TEST_REGENERATE=1 "
              "writes it)",
              path);
    want = testproc_read_file(path);
    cr_assert(eq(str, got, want), "output differs from %s", path);
}
