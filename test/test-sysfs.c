/*
 * test-sysfs.c - reads, resolution and writes stay inside the root.
 *
 * Each test gets a fresh temporary directory: DIR/sys is the sysfs root and
 * DIR/outside a file that no path may reach.  The binary has two sources
 * (test/testsysfs.h): opening, reading and listing here, resolving links
 * and writing in test-sysfs-links.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "cleanup.h"
#include "fstree.h"
#include "sysfs.h"
#include "testsysfs.h"
#include "xalloc.h"

static void
setup(void)
{
    struct errbuf eb = { 0 };

    sysroot_setup();
    cr_assert(eq(int, fstree_write(tmp, "outside", "secret\n", &eb), 0));
}

TestSuite(sysfs, .init = setup, .fini = sysroot_teardown);

void
kernel_tree(void)
{
    mkd(GPU "/mdev_supported_types/nvidia-35/devices");
    mkd(GPU "/" UUID);
    mk(GPU "/mdev_supported_types/nvidia-35/available_instances", "4\n");
    ln("class/mdev_bus/0000:84:00.0", GPU);
    ln("bus/pci/devices/0000:84:00.0", GPU);
    ln("bus/mdev/devices/" UUID, GPU "/" UUID);
    ln(GPU "/" UUID "/mdev_type", GPU "/mdev_supported_types/nvidia-35");
}

/* --- open ------------------------------------------------------------------
 */

Test(sysfs, open_missing_root_fails_naming_it)
{
    struct errbuf eb = { 0 };
    struct sysfs *f = NULL;
    _cleanup_free_ char *missing = xasprintf("%s/nope", tmp);

    cr_assert(eq(int, sysfs_open(missing, &f, &eb), -ENOENT));
    cr_assert(eq(ptr, f, NULL));
    ASSERT_MSG_HAS(eb, missing);
}

Test(sysfs, open_root_that_is_a_file_fails)
{
    struct errbuf eb = { 0 };
    struct sysfs *f = NULL;
    _cleanup_free_ char *file = xasprintf("%s/outside", tmp);

    cr_assert(eq(int, sysfs_open(file, &f, &eb), -ENOTDIR));
    ASSERT_MSG_HAS(eb, file);
}

Test(sysfs, root_is_remembered)
{
    cr_assert(eq(int, strcmp(sysfs_root(fs), root), 0));
}

/* --- read_str --------------------------------------------------------------
 */

Test(sysfs, read_str_strips_one_trailing_newline)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;
    _cleanup_free_ char *c = NULL;

    mk("a", "vfio-pci\n");
    mk("b", "two\n\n");
    mk("c", "");
    cr_assert(eq(int, sysfs_read_str(fs, "a", &a, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, a, "vfio-pci"));
    cr_assert(eq(int, sysfs_read_str(fs, "b", &b, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, b, "two\n"));
    cr_assert(eq(int, sysfs_read_str(fs, "c", &c, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, c, ""));
}

Test(sysfs, read_str_keeps_inner_newlines)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *s = NULL;

    mk("d", "low_gm_size: 128MB\nfence: 4\n");
    cr_assert(eq(int, sysfs_read_str(fs, "d", &s, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, s, "low_gm_size: 128MB\nfence: 4"));
}

Test(sysfs, missing_attribute_is_enoent_and_names_the_path)
{
    struct errbuf eb = { 0 };
    char *s = NULL;

    mkd("class/mdev_bus");
    cr_assert(
        eq(int, sysfs_read_str(fs, "class/mdev_bus/x/name", &s, &eb), -ENOENT));
    cr_assert(eq(ptr, s, NULL));
    ASSERT_MSG_HAS(eb, "class/mdev_bus/x/name: ");
    /* relative to the root: the temporary directory is not in it */
    cr_assert(eq(ptr, strstr(eb.msg, tmp), NULL), "%s", eb.msg);
}

static void
write_bytes(const char *rel, const char *buf, size_t len)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    _cleanup_close_ int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    cr_assert(fd >= 0);
    cr_assert(eq(long, (long)write(fd, buf, len), (long)len));
}

Test(sysfs, attribute_over_64k_is_efbig)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *big = xmalloc(SYSFS_ATTR_MAX + 1);
    _cleanup_free_ char *s = NULL;
    char *t = NULL;

    memset(big, 'a', SYSFS_ATTR_MAX + 1);
    write_bytes("exact", big, SYSFS_ATTR_MAX);
    write_bytes("big", big, SYSFS_ATTR_MAX + 1);
    cr_assert(eq(int, sysfs_read_str(fs, "exact", &s, &eb), 0), "%s", eb.msg);
    cr_assert(eq(sz, strlen(s), (size_t)SYSFS_ATTR_MAX));
    cr_assert(eq(int, sysfs_read_str(fs, "big", &t, &eb), -EFBIG));
    cr_assert(eq(ptr, t, NULL));
    ASSERT_MSG_HAS(eb, "big: ");
}

Test(sysfs, nul_byte_is_eilseq)
{
    struct errbuf eb = { 0 };
    char *s = NULL;

    write_bytes("nul", "ab\0cd\n", 6);
    cr_assert(eq(int, sysfs_read_str(fs, "nul", &s, &eb), -EILSEQ));
    cr_assert(eq(ptr, s, NULL));
    ASSERT_MSG_HAS(eb, "nul: ");
}

Test(sysfs, reading_a_directory_is_eisdir)
{
    struct errbuf eb = { 0 };
    char *s = NULL;

    cr_assert(eq(int, sysfs_read_str(fs, "devices", &s, &eb), -EISDIR));
    ASSERT_MSG_HAS(eb, "devices: ");
}

Test(sysfs, reading_a_fifo_is_refused_without_blocking)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *path = xasprintf("%s/fifo", root);
    char *s = NULL;

    cr_assert(eq(int, mkfifo(path, 0644), 0));
    cr_assert(eq(int, sysfs_read_str(fs, "fifo", &s, &eb), -EINVAL));
    ASSERT_MSG_HAS(eb, "fifo: not a regular file");
}

/* --- read_uint -------------------------------------------------------------
 */

Test(sysfs, read_uint_reads_decimal)
{
    struct errbuf eb = { 0 };
    unsigned n = 7;

    mk("n", "16\n");
    mk("zero", "0\n");
    mk("max", "4294967295\n");
    cr_assert(eq(int, sysfs_read_uint(fs, "n", &n, &eb), 0), "%s", eb.msg);
    cr_assert(eq(uint, n, 16));
    cr_assert(eq(int, sysfs_read_uint(fs, "zero", &n, &eb), 0), "%s", eb.msg);
    cr_assert(eq(uint, n, 0));
    cr_assert(eq(int, sysfs_read_uint(fs, "max", &n, &eb), 0), "%s", eb.msg);
    cr_assert(eq(uint, n, 4294967295u));
}

/* Criterion re-executes the binary per test: parameters hold no pointers. */
struct bad_uint {
    char value[32];
};

ParameterizedTestParameters(sysfs, read_uint_rejects)
{
    static struct bad_uint bad[] = {
        { "-1\n" },  { "12abc\n" }, { "" },       { "\n" },
        { " 1\n" },  { "+1\n" },    { "0x10\n" }, { "4294967296\n" },
        { "1 2\n" }, { "16\n\n" },
    };

    return cr_make_param_array(struct bad_uint, bad,
                               sizeof(bad) / sizeof(*bad));
}

ParameterizedTest(struct bad_uint *p, sysfs, read_uint_rejects)
{
    struct errbuf eb = { 0 };
    unsigned n = 42;

    mk("available_instances", p->value);
    cr_assert(
        eq(int, sysfs_read_uint(fs, "available_instances", &n, &eb), -EINVAL),
        "value \"%s\"", p->value);
    cr_assert(eq(uint, n, 42), "output written on failure");
    ASSERT_MSG_HAS(eb, "available_instances: ");
}

Test(sysfs, read_uint_quotes_the_value)
{
    struct errbuf eb = { 0 };
    unsigned n;

    mk("available_instances", "-1\n");
    cr_assert(
        eq(int, sysfs_read_uint(fs, "available_instances", &n, &eb), -EINVAL));
    cr_assert(
        eq(str, eb.msg, "available_instances: not an unsigned number: \"-1\""));
}

/* --- list ------------------------------------------------------------------
 */

Test(sysfs, list_is_sorted_and_appends)
{
    struct errbuf eb = { 0 };
    struct strv sv = { 0 };

    strv_push(&sv, "first");
    mk("d/nvidia-35/x", "");
    mk("d/nvidia-210", "");
    mk("d/nvidia-11", "");
    ln("d/link", "devices");
    cr_assert(eq(int, sysfs_list(fs, "d", &sv, &eb), 0), "%s", eb.msg);
    cr_assert(eq(sz, sv.n, 5));
    cr_assert(eq(str, sv.v[0], "first"));
    cr_assert(eq(str, sv.v[1], "link"));
    cr_assert(eq(str, sv.v[2], "nvidia-11"));
    cr_assert(eq(str, sv.v[3], "nvidia-210"));
    cr_assert(eq(str, sv.v[4], "nvidia-35"));
    strv_clear(&sv);
}

Test(sysfs, list_follows_links_and_reports_errors)
{
    struct errbuf eb = { 0 };
    struct strv sv = { 0 };

    kernel_tree();
    cr_assert(
        eq(int,
           sysfs_list(fs, "class/mdev_bus/0000:84:00.0/mdev_supported_types",
                      &sv, &eb),
           0),
        "%s", eb.msg);
    cr_assert(eq(sz, sv.n, 1));
    cr_assert(eq(str, sv.v[0], "nvidia-35"));
    strv_clear(&sv);
    cr_assert(eq(int, sysfs_list(fs, "nope", &sv, &eb), -ENOENT));
    ASSERT_MSG_HAS(eb, "nope: ");
    mk("file", "");
    cr_assert(eq(int, sysfs_list(fs, "file", &sv, &eb), -ENOTDIR));
    cr_assert(eq(sz, sv.n, 0));
}

/* --- escape ----------------------------------------------------------------
 */

Test(sysfs, escape_makes_values_quotable)
{
    _cleanup_free_ char *a = sysfs_escape("a\"b\\c\x01\xff\n", 100);
    _cleanup_free_ char *b = sysfs_escape("abcdef", 3);
    _cleanup_free_ char *c = sysfs_escape("", 3);

    cr_assert(eq(str, a, "a\\\"b\\\\c\\x01\\xff\\x0a"));
    cr_assert(eq(str, b, "abc..."));
    cr_assert(eq(str, c, ""));
}
