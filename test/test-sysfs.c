/*
 * test-sysfs.c - reads, resolution and writes stay inside the root.
 *
 * Each test gets a fresh temporary directory: DIR/sys is the sysfs root and
 * DIR/outside a file that no path may reach.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include "xalloc.h"

static char tmp[] = "/tmp/vgpu-test-sysfs-XXXXXX";
static char *root;
static struct sysfs *fs;

#define ASSERT_MSG_HAS(eb, s)                                                  \
    cr_assert(ne(ptr, strstr((eb).msg, (s)), NULL), "message: %s", (eb).msg)

static void
mk(const char *rel, const char *content)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_write(root, rel, content, &eb), 0), "%s", eb.msg);
}

static void
ln(const char *link, const char *target)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_symlink(root, link, target, &eb), 0), "%s",
              eb.msg);
}

static void
mkd(const char *rel)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_mkdir_p(root, rel, &eb), 0), "%s", eb.msg);
}

static void
setup(void)
{
    struct errbuf eb = { 0 };

    cr_assert(ne(ptr, mkdtemp(tmp), NULL));
    root = xasprintf("%s/sys", tmp);
    cr_assert(eq(int, mkdir(root, 0755), 0));
    mkd("devices");
    cr_assert(eq(int, fstree_write(tmp, "outside", "secret\n", &eb), 0));
    cr_assert(eq(int, sysfs_open(root, &fs, &eb), 0), "%s", eb.msg);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void
teardown(void)
{
    sysfs_close(fs);
    fs = NULL;
    chmod(tmp, 0700);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(root);
}

TestSuite(sysfs, .init = setup, .fini = teardown);

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

/* --- resolve ---------------------------------------------------------------
 */

#define GPU "devices/pci0000:80/0000:80:02.0/0000:84:00.0"
#define UUID "3131f5fd-7c04-4a61-92c1-0c37f9547b6b"

static void
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

Test(sysfs, resolve_follows_kernel_links_to_the_canonical_path)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;
    _cleanup_free_ char *c = NULL;
    unsigned n = 0;

    kernel_tree();
    cr_assert(
        eq(int, sysfs_resolve(fs, "class/mdev_bus/0000:84:00.0", &a, &eb), 0),
        "%s", eb.msg);
    cr_assert(eq(str, a, GPU));
    cr_assert(
        eq(int,
           sysfs_resolve(fs, "bus/mdev/devices/" UUID "/mdev_type", &b, &eb),
           0),
        "%s", eb.msg);
    cr_assert(eq(str, b, GPU "/mdev_supported_types/nvidia-35"));
    cr_assert(eq(int,
                 sysfs_read_uint(fs,
                                 "bus/mdev/devices/" UUID
                                 "/mdev_type/available_instances",
                                 &n, &eb),
                 0),
              "%s", eb.msg);
    cr_assert(eq(uint, n, 4));
    cr_assert(eq(int,
                 sysfs_resolve(fs, "./class//mdev_bus/../mdev_bus/", &c, &eb),
                 0),
              "%s", eb.msg);
    cr_assert(eq(str, c, "class/mdev_bus"));
}

Test(sysfs, resolve_follows_chains_of_relative_links)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *p = NULL;

    mkd("devices/real/dir");
    mk("devices/real/dir/attr", "x\n");
    ln("a/l1", "b/l2");                          /* a/l1 -> ../b/l2 */
    ln("b/l2", "c/d/l3");                        /* b/l2 -> ../c/d/l3 */
    ln("c/d/l3", "devices/real");                /* -> ../../devices/real */
    ln("devices/real/self", "devices/real/dir"); /* link inside the target */
    cr_assert(eq(int, sysfs_resolve(fs, "a/l1/self/attr", &p, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(str, p, "devices/real/dir/attr"));
}

Test(sysfs, resolve_of_the_root_is_dot)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *p = NULL;
    _cleanup_free_ char *q = NULL;

    cr_assert(eq(int, sysfs_resolve(fs, ".", &p, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, p, "."));
    cr_assert(eq(int, sysfs_resolve(fs, "devices/..", &q, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(str, q, "."));
}

Test(sysfs, link_climbing_above_the_root_is_exdev)
{
    struct errbuf eb = { 0 };
    char *p = NULL;
    char *s = NULL;

    ln("class/mdev_bus/evil", "!../../../../etc");
    ln("leak", "!../outside"); /* DIR/outside exists: must not be read */
    cr_assert(
        eq(int, sysfs_resolve(fs, "class/mdev_bus/evil", &p, &eb), -EXDEV));
    cr_assert(eq(ptr, p, NULL));
    ASSERT_MSG_HAS(eb, "class/mdev_bus/evil: ");
    cr_assert(eq(int, sysfs_read_str(fs, "leak", &s, &eb), -EXDEV));
    cr_assert(eq(ptr, s, NULL));
    ASSERT_MSG_HAS(eb, "leak: link leaves the sysfs root");
}

Test(sysfs, link_that_climbs_but_stays_inside_is_fine)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *p = NULL;

    mkd("x/y");
    ln("a/b/c/l", "!../../../x/y");
    cr_assert(eq(int, sysfs_resolve(fs, "a/b/c/l", &p, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, p, "x/y"));
}

Test(sysfs, absolute_link_is_exdev_even_if_it_points_inside)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *target = xasprintf("!%s/devices", root);
    char *p = NULL;

    ln("abs", target);
    ln("etc", "!/etc");
    cr_assert(eq(int, sysfs_resolve(fs, "abs", &p, &eb), -EXDEV));
    ASSERT_MSG_HAS(eb, "abs: link leaves the sysfs root: absolute target");
    cr_assert(eq(int, sysfs_resolve(fs, "etc/passwd", &p, &eb), -EXDEV));
    ASSERT_MSG_HAS(eb, "etc/passwd: ");
    cr_assert(eq(ptr, p, NULL));
}

Test(sysfs, dotdot_above_the_root_is_exdev)
{
    struct errbuf eb = { 0 };
    char *p = NULL;

    cr_assert(eq(int, sysfs_resolve(fs, "../outside", &p, &eb), -EXDEV));
    cr_assert(
        eq(int, sysfs_resolve(fs, "devices/../../outside", &p, &eb), -EXDEV));
    ASSERT_MSG_HAS(eb, "devices/../../outside: climbs above the sysfs root");
    cr_assert(eq(ptr, p, NULL));
    cr_assert(not(sysfs_exists(fs, "../outside")));
}

Test(sysfs, link_cycle_is_eloop)
{
    struct errbuf eb = { 0 };
    char *p = NULL;

    ln("a", "b");
    ln("b", "a");
    ln("self", "self");
    cr_assert(eq(int, sysfs_resolve(fs, "a", &p, &eb), -ELOOP));
    ASSERT_MSG_HAS(eb, "a: ");
    cr_assert(eq(int, sysfs_resolve(fs, "self/x", &p, &eb), -ELOOP));
    cr_assert(eq(ptr, p, NULL));
}

/* A chain of n links l0 -> l1 -> ... -> l(n-1) -> devices. */
static void
chain(int n)
{
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *l = xasprintf("l%d", i);
        _cleanup_free_ char *t =
            i + 1 < n ? xasprintf("l%d", i + 1) : xstrdup("devices");

        ln(l, t);
    }
}

Test(sysfs, link_budget_is_forty)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *p = NULL;

    chain(SYSFS_LINK_MAX);
    cr_assert(eq(int, sysfs_resolve(fs, "l0", &p, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, p, "devices"));
}

Test(sysfs, more_than_forty_links_is_eloop)
{
    struct errbuf eb = { 0 };
    char *p = NULL;

    chain(SYSFS_LINK_MAX + 1);
    cr_assert(eq(int, sysfs_resolve(fs, "l0", &p, &eb), -ELOOP));
}

Test(sysfs, a_dangling_link_inside_the_path_is_named_in_the_message)
{
    struct errbuf eb = { 0 };
    char *p = NULL;

    ln("class/mdev_bus/gone", "devices/gone");
    cr_assert(eq(
        int,
        sysfs_resolve(fs, "class/mdev_bus/gone/mdev_supported_types", &p, &eb),
        -ENOENT));
    ASSERT_MSG_HAS(eb, "class/mdev_bus/gone/mdev_supported_types: dangling "
                       "link class/mdev_bus/gone: ");
}

Test(sysfs, dangling_link_is_enoent)
{
    struct errbuf eb = { 0 };
    char *p = NULL;

    ln("class/mdev_bus/gone", "devices/gone");
    cr_assert(
        eq(int, sysfs_resolve(fs, "class/mdev_bus/gone", &p, &eb), -ENOENT));
    ASSERT_MSG_HAS(eb, "class/mdev_bus/gone: dangling link");
    cr_assert(not(sysfs_exists(fs, "class/mdev_bus/gone")));
    cr_assert(sysfs_lexists(fs, "class/mdev_bus/gone"));
    cr_assert(not(sysfs_lexists(fs, "class/mdev_bus/other")));
}

Test(sysfs, file_in_the_middle_is_enotdir)
{
    struct errbuf eb = { 0 };
    char *p = NULL;

    mk("f", "x\n");
    cr_assert(eq(int, sysfs_resolve(fs, "f/x", &p, &eb), -ENOTDIR));
    ASSERT_MSG_HAS(eb, "f/x: ");
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

/* --- write -----------------------------------------------------------------
 */

static char *
slurp(const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char buf[256];
    size_t n;

    cr_assert(ne(ptr, f, NULL));
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    return xstrdup(buf);
}

Test(sysfs, write_writes_the_value_through_links)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *got = NULL;

    kernel_tree();
    mk(GPU "/mdev_supported_types/nvidia-35/create", "");
    cr_assert(eq(int,
                 sysfs_write(fs,
                             "class/mdev_bus/0000:84:00.0/mdev_supported_types/"
                             "nvidia-35/create",
                             UUID, &eb),
                 0),
              "%s", eb.msg);
    got = slurp(GPU "/mdev_supported_types/nvidia-35/create");
    cr_assert(eq(str, got, UUID));
}

Test(sysfs, write_never_creates_a_file)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *path = xasprintf("%s/devices/create", root);

    cr_assert(eq(int, sysfs_write(fs, "devices/create", "1", &eb), -ENOENT));
    ASSERT_MSG_HAS(eb, "devices/create: ");
    cr_assert(ne(int, access(path, F_OK), 0));
}

Test(sysfs, write_to_a_directory_is_eisdir_naming_path_and_value)
{
    struct errbuf eb = { 0 };

    mkd("devices/create");
    cr_assert(eq(int, sysfs_write(fs, "devices/create", "1", &eb), -EISDIR));
    cr_assert(eq(str, eb.msg, "devices/create: write \"1\": Is a directory"));
}

Test(sysfs, write_to_a_read_only_file_returns_eacces)
{
    struct errbuf eb = { 0 };
    int r;

    mk("remove", "");
    cr_assert(eq(int, chmod(tmp, 0755), 0));
    {
        _cleanup_free_ char *p = xasprintf("%s/remove", root);

        cr_assert(eq(int, chmod(p, 0444), 0));
    }
    /* root ignores file modes: drop to nobody for the write itself */
    if (geteuid() == 0)
        cr_assert(eq(int, seteuid(65534), 0));
    r = sysfs_write(fs, "remove", "1", &eb);
    if (getuid() == 0)
        cr_assert(eq(int, seteuid(0), 0));
    cr_assert(eq(int, r, -EACCES), "%s", eb.msg);
    cr_assert(eq(str, eb.msg, "remove: write \"1\": Permission denied"));
}

Test(sysfs, write_through_an_escaping_link_is_exdev_and_leaves_it_alone)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *path = xasprintf("%s/outside", tmp);
    _cleanup_fclose_ FILE *f = NULL;
    char buf[32] = "";

    ln("create", "!../outside");
    cr_assert(eq(int, sysfs_write(fs, "create", "pwned", &eb), -EXDEV));
    f = fopen(path, "re");
    cr_assert(ne(ptr, f, NULL));
    cr_assert(ne(ptr, fgets(buf, sizeof(buf), f), NULL));
    cr_assert(eq(str, buf, "secret\n"));
}

Test(sysfs, write_to_a_fifo_does_not_block)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *path = xasprintf("%s/create", root);

    cr_assert(eq(int, mkfifo(path, 0644), 0));
    cr_assert(lt(int, sysfs_write(fs, "create", "1", &eb), 0));
    ASSERT_MSG_HAS(eb, "create: write \"1\": ");
}

Test(sysfs, write_refuses_any_file_but_create_and_remove)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *got = NULL;

    mk("devices/power", "on");
    cr_assert(eq(int, sysfs_write(fs, "devices/power", "off", &eb), -EPERM));
    cr_assert(eq(str, eb.msg,
                 "devices/power: write \"off\": not a create, remove or "
                 "nvidia/current_vgpu_type file (it is devices/power)"));
    got = slurp("devices/power");
    cr_assert(eq(str, got, "on"));
}

Test(sysfs, write_refuses_a_create_link_to_another_file)
{
    struct errbuf eb = { 0 };
    _cleanup_free_ char *got = NULL;

    mk("devices/power", "on");
    ln("devices/create", "devices/power");
    cr_assert(eq(int, sysfs_write(fs, "devices/create", "off", &eb), -EPERM));
    ASSERT_MSG_HAS(eb, "nvidia/current_vgpu_type file (it is "
                       "devices/power)");
    got = slurp("devices/power");
    cr_assert(eq(str, got, "on"));
}

Test(sysfs, write_refuses_dot_and_dot_dot_even_inside_the_root)
{
    static const char *const rels[] = { "devices/../create", "./create",
                                        "devices/x/../../create", NULL };
    _cleanup_free_ char *got = NULL;

    mk("create", "");
    mkd("devices/x");
    for (size_t i = 0; rels[i]; i++) {
        struct errbuf eb = { 0 };
        _cleanup_free_ char *want = xasprintf(
            "%s: write \"1\": '.' or '..' in a path to write", rels[i]);

        cr_assert(eq(int, sysfs_write(fs, rels[i], "1", &eb), -EINVAL), "%s",
                  rels[i]);
        cr_assert(eq(str, eb.msg, want));
    }
    got = slurp("create");
    cr_assert(eq(str, got, ""));
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
