/*
 * test-textfile.c - a whole file read, up to its cap and not a byte more.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "cleanup.h"
#include "fixture.h"
#include "textfile.h"
#include "xalloc.h"

static char *dir;

static void
setup(void)
{
    dir = fixture_tmpdir();
}

static void
teardown(void)
{
    fixture_rm_rf(dir);
    free(dir);
}

TestSuite(textfile, .init = setup, .fini = teardown);

/* A file of n bytes "xxx...", larger than one read, at dir/name. */
static char *
file_of(const char *name, size_t n)
{
    _cleanup_free_ char *text = xmalloc(n + 1);

    memset(text, 'x', n);
    text[n] = '\0';
    return fixture_put(dir, name, text, 0644);
}

Test(textfile, a_file_of_exactly_the_cap_is_read_whole_and_terminated)
{
    _cleanup_free_ char *path = file_of("f", 10000);
    _cleanup_free_ char *buf = NULL;
    struct errbuf eb = { 0 };
    size_t len = 0;

    cr_assert(eq(int, textfile_read(path, 10000, &buf, &len, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(sz, len, 10000));
    cr_assert(eq(sz, strlen(buf), 10000));
}

Test(textfile, one_byte_over_the_cap_is_efbig_naming_the_file)
{
    _cleanup_free_ char *path = file_of("f", 10001);
    _cleanup_free_ char *want = xasprintf("%s: larger than 10000 bytes", path);
    char *buf = NULL;
    struct errbuf eb = { 0 };
    size_t len = 0;

    cr_assert(eq(int, textfile_read(path, 10000, &buf, &len, &eb), -EFBIG));
    cr_assert(eq(str, eb.msg, want));
    cr_assert(eq(ptr, buf, NULL));
}

Test(textfile, an_empty_file_is_an_empty_string)
{
    _cleanup_free_ char *path = file_of("f", 0);
    _cleanup_free_ char *buf = NULL;
    struct errbuf eb = { 0 };
    size_t len = 1;

    cr_assert(eq(int, textfile_read(path, 16, &buf, &len, &eb), 0));
    cr_assert(eq(sz, len, 0));
    cr_assert(eq(int, buf[0], 0));
}

Test(textfile, a_missing_file_or_a_directory_is_its_errno)
{
    _cleanup_free_ char *missing = xasprintf("%s/none", dir);
    _cleanup_free_ char *want = xasprintf("%s: Is a directory", dir);
    char *buf = NULL;
    struct errbuf eb = { 0 };
    size_t len = 0;

    cr_assert(eq(int, textfile_read(missing, 16, &buf, &len, &eb), -ENOENT));
    cr_assert(eq(int, textfile_read(dir, 16, &buf, &len, &eb), -EISDIR));
    cr_assert(eq(str, eb.msg, want));
    cr_assert(eq(ptr, buf, NULL));
}

Test(textfile, a_nul_byte_is_not_text_and_says_which_file)
{
    _cleanup_free_ char *path = xasprintf("%s/nul", dir);
    _cleanup_free_ char *want =
        xasprintf("%s: a NUL byte: not a text file", path);
    _cleanup_free_ char *buf = NULL;
    struct errbuf eb = { 0 };
    FILE *f = fopen(path, "we");

    cr_assert(f != NULL);
    cr_assert(eq(sz, fwrite("ab\0cd", 1, 5, f), 5));
    cr_assert(eq(int, fclose(f), 0));
    cr_assert(eq(int, textfile_read_text(path, 16, &buf, &eb), -EINVAL));
    cr_assert(eq(str, eb.msg, want));
    cr_assert(eq(ptr, buf, NULL));
    free(file_of("text", 3));
    free(path);
    path = xasprintf("%s/text", dir);
    cr_assert(eq(int, textfile_read_text(path, 16, &buf, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(int, strcmp(buf, "xxx"), 0), "%s", buf);
}
