/*
 * test-sysfs-links.c - resolving links and writing stay inside the root:
 * the kernel's relative links are followed to the canonical path, a link
 * that leaves the root or loops is refused, and writes go only to create
 * and remove files, through links, never blocking.  Part of the test-sysfs
 * binary (test/testsysfs.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "cleanup.h"
#include "sysfs.h"
#include "testproc.h"
#include "testsysfs.h"
#include "xalloc.h"

/* --- resolve ---------------------------------------------------------------
 */

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

/* --- write -----------------------------------------------------------------
 */

/* root/rel's whole text; the file must exist. */
static char *
slurp(const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);

    cr_assert(eq(int, access(path, F_OK), 0), "%s", path);
    return testproc_read_file(path);
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
