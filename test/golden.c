/*
 * golden.c - golden-file comparison for tests (see golden.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "golden.h"
#include "xalloc.h"

static char *
slurp(const char *path)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem;
    char chunk[4096];
    size_t n;

    if (!f)
        return NULL;
    mem = open_memstream(&buf, &len);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(mem);
    return buf;
}

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
    want = slurp(path);
    cr_assert(want != NULL,
              "%s: missing golden file (VGPU_TEST_REGENERATE=1 "
              "writes it)",
              path);
    cr_assert(eq(str, got, want), "output differs from %s", path);
}
