/*
 * test-atomicfile.c - a file is replaced whole, with its mode, or not at all.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "atomicfile.h"
#include "cleanup.h"
#include "fixture.h"
#include "testproc.h"
#include "xalloc.h"

/* A temporary directory that goes with the variable. */
static void
rm_tree(char **dir)
{
    fixture_rm_rf(*dir);
    free(*dir);
}

/* Entries of dir, "." and ".." aside, hidden ones included. */
static size_t
entries(const char *dir)
{
    DIR *d = opendir(dir);
    const struct dirent *e;
    size_t n = 0;

    cr_assert(d != NULL);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static char *
path_of(const char *dir, const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

Test(atomicfile, replaces_the_file_whole_with_its_mode_whatever_the_umask)
{
    _cleanup_(rm_tree) char *dir = fixture_tmpdir();
    _cleanup_free_ char *path = path_of(dir, "f.prom");
    _cleanup_free_ char *text = NULL;
    struct errbuf eb = { 0 };
    struct stat st;

    umask(077);
    cr_assert(eq(int, atomicfile_replace(path, "old\n", 4, 0644, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(int, atomicfile_replace(path, "new", 3, 0644, &eb), 0), "%s",
              eb.msg);
    text = testproc_read_file(path);
    cr_assert(eq(str, text, "new"));
    cr_assert(eq(int, stat(path, &st), 0));
    cr_assert(eq(u32, st.st_mode & 07777, 0644));
    cr_assert(eq(sz, entries(dir), 1), "only the file is left");
}

Test(atomicfile, a_dirfd_and_a_label_name_the_file_in_messages)
{
    _cleanup_(rm_tree) char *dir = fixture_tmpdir();
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *path = path_of(dir, "def");
    _cleanup_free_ char *text = NULL;
    struct errbuf eb = { 0 };

    cr_assert(
        eq(int, atomicfile_replaceat(dfd, "D", "def", "x", 1, 0600, &eb), 0),
        "%s", eb.msg);
    text = testproc_read_file(path);
    cr_assert(eq(str, text, "x"));
    cr_assert(eq(int, unlink(path), 0));
    cr_assert(eq(int, mkdir(path, 0755), 0));
    cr_assert(eq(int, atomicfile_replaceat(dfd, "D", "def", "y", 1, 0600, &eb),
                 -EISDIR));
    cr_assert(eq(str, eb.msg, "D/def: Is a directory"));
    cr_assert(eq(sz, entries(dir), 1), "the temporary file is gone");
}

Test(atomicfile, a_failure_leaves_the_old_file_and_no_temporary_file)
{
    _cleanup_(rm_tree) char *dir = fixture_tmpdir();
    _cleanup_free_ char *missing = path_of(dir, "nope/f");
    _cleanup_free_ char *isdir = path_of(dir, "adir");
    struct errbuf eb = { 0 };

    cr_assert(eq(int, atomicfile_replace(missing, "x", 1, 0644, &eb), -ENOENT));
    cr_assert(ne(ptr, strstr(eb.msg, missing), NULL), "%s", eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, "No such file"), NULL), "%s", eb.msg);
    cr_assert(eq(int, mkdir(isdir, 0755), 0));
    cr_assert(eq(int, atomicfile_replace(isdir, "x", 1, 0644, &eb), -EISDIR));
    cr_assert(ne(ptr, strstr(eb.msg, isdir), NULL), "%s", eb.msg);
    cr_assert(eq(sz, entries(dir), 1), "only adir is left");
}

Test(atomicfile, a_symlink_as_the_name_is_replaced_not_written_through)
{
    _cleanup_(rm_tree) char *dir = fixture_tmpdir();
    _cleanup_free_ char *link = path_of(dir, "f");
    _cleanup_free_ char *victim = path_of(dir, "victim");
    _cleanup_free_ char *text = NULL;
    struct errbuf eb = { 0 };
    struct stat st;

    cr_assert(eq(int, atomicfile_replace(victim, "precious", 8, 0644, &eb), 0));
    cr_assert(eq(int, symlink("victim", link), 0));
    cr_assert(eq(int, atomicfile_replace(link, "new", 3, 0644, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(int, lstat(link, &st), 0));
    cr_assert(eq(u32, st.st_mode & S_IFMT, S_IFREG), "the link was replaced");
    text = testproc_read_file(victim);
    cr_assert(eq(str, text, "precious"));
}

Test(atomicfile,
     a_leftover_of_this_pid_is_replaced_and_a_symlink_one_not_followed)
{
    _cleanup_(rm_tree) char *dir = fixture_tmpdir();
    _cleanup_free_ char *tmp = xasprintf("%s/.f.%ld.tmp", dir, (long)getpid());
    _cleanup_free_ char *victim = path_of(dir, "victim");
    _cleanup_free_ char *path = path_of(dir, "f");
    _cleanup_free_ char *text = NULL;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, atomicfile_replace(victim, "precious", 8, 0644, &eb), 0));
    cr_assert(eq(int, symlink("victim", tmp), 0)); /* left by a crash */
    cr_assert(eq(int, atomicfile_replace(path, "new", 3, 0644, &eb), 0), "%s",
              eb.msg);
    text = testproc_read_file(victim);
    cr_assert(eq(str, text, "precious"));
    cr_assert(eq(sz, entries(dir), 2), "f and victim");
}
