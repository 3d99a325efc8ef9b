/*
 * sysroot.c - a test's sysfs root and the calls that fill it.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fixture.h"
#include "fstree.h"
#include "sysroot.h"
#include "xalloc.h"

char *tmp;
char *root;
struct sysfs *fs;

void
sysroot_setup(void)
{
    struct errbuf eb = { 0 };

    tmp = fixture_tmpdir();
    root = xasprintf("%s/sys", tmp);
    cr_assert(eq(int, mkdir(root, 0755), 0));
    mkd("devices");
    cr_assert(eq(int, sysfs_open(root, &fs, &eb), 0), "%s", eb.msg);
}

void
sysroot_teardown(void)
{
    sysfs_close(fs);
    fs = NULL;
    if (tmp) {
        chmod(tmp, 0700); /* where a test took the permissions away */
        chmod(root, 0755);
        fixture_rm_rf(tmp);
    }
    free(tmp);
    free(root);
    tmp = root = NULL;
}

void
mk(const char *rel, const char *content)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_write(root, rel, content, &eb), 0), "%s", eb.msg);
}

void
mkd(const char *rel)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_mkdir_p(root, rel, &eb), 0), "%s", eb.msg);
}

void
ln(const char *link, const char *target)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fstree_symlink(root, link, target, &eb), 0), "%s",
              eb.msg);
}

void
rm(const char *rel)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);

    cr_assert(eq(int, remove(p), 0), "remove %s", p);
}
