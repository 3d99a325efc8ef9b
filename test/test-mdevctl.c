/*
 * test-mdevctl.c - definitions we write are what mdevctl writes and reads.
 *
 * The unit tests work in a temporary directory.  The binary has two
 * sources (test/testmdevctl.h); the suite in test-mdevctl-real.c runs
 * Debian's real mdevctl.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "cleanup.h"
#include "fixture.h"
#include "mdevctl-list.h"
#include "mdevctl.h"
#include "strv.h"
#include "testmdevctl.h"
#include "testproc.h"
#include "xalloc.h"

void
json_deletep(cJSON **j)
{
    cJSON_Delete(*j);
}

char *dir;
char *sys;
char *io;

void
make_dir(void)
{
    dir = fixture_tmpdir();
}

void
rm_dirs(void)
{
    if (dir)
        fixture_rm_rf(dir);
    if (sys)
        fixture_rm_rf(sys);
    if (io)
        fixture_rm_rf(io);
    free(dir);
    free(sys);
    free(io);
    dir = sys = io = NULL;
}

/* base/rel's whole text; "" when unreadable. */
char *
slurp_at(const char *base, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", base, rel);

    return testproc_read_file(path);
}

char *
slurp(const char *rel)
{
    return slurp_at(dir, rel);
}

void
put(const char *rel, const char *text)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);
    _cleanup_fclose_ FILE *f = fopen(path, "we");

    cr_assert(f != NULL, "%s", path);
    fputs(text, f);
}

void
mkdir_in(const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);

    cr_assert(eq(int, mkdir(path, 0755), 0), "%s", path);
}

bool
exists(const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);
    struct stat st;

    return lstat(path, &st) == 0;
}

void
write_ok(const char *parent, const char *uuid, const char *type, int want)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, mdevctl_write(dir, parent, uuid, type, &eb), want), "%s",
              eb.msg);
}

/* The strings, each followed by a newline unless it ends in one. */
char *
joined(const struct strv *sv)
{
    char *text = xstrdup("");

    for (size_t i = 0; i < sv->n; i++) {
        size_t n = strlen(sv->v[i]);
        char *t = xasprintf("%s%s%s", text, sv->v[i],
                            n && sv->v[i][n - 1] == '\n' ? "" : "\n");

        free(text);
        text = t;
    }
    return text;
}

/* "parent uuid type start n_attrs" per definition, one a line. */
char *
list_text(struct strv *warnings)
{
    struct mdevctl_def *d = NULL;
    struct errbuf eb = { 0 };
    struct strv lines = { 0 };
    size_t n = 0;
    char *text;

    cr_assert(ge(int, mdevctl_list(dir, &d, &n, warnings, &eb), 0), "%s",
              eb.msg);
    for (size_t i = 0; i < n; i++)
        strv_pushf(&lines, "%s %s %s %s %zu\n", d[i].parent, d[i].uuid,
                   d[i].mdev_type, d[i].autostart ? "auto" : "manual",
                   d[i].n_attrs);
    text = joined(&lines);
    strv_clear(&lines);
    mdevctl_defs_free(d, n);
    return text;
}
/* ---- unit: a temporary directory ----------------------------------------- */

TestSuite(mdevctl, .init = make_dir, .fini = rm_dirs);

Test(mdevctl, written_definitions_list_sorted_and_remove_one_by_one)
{
    _cleanup_free_ char *all = NULL, *rest = NULL;
    struct strv w = { 0 };
    struct errbuf eb = { 0 };

    write_ok(GPU_B, UUID2, "nvidia-18", 1);
    write_ok(GPU_A, UUID3, "nvidia-35", 1);
    write_ok(GPU_A, UUID1, "nvidia-35", 1);
    all = list_text(&w);
    cr_expect(eq(str, all,
                 GPU_A " " UUID1 " nvidia-35 auto 0\n" GPU_A " " UUID3
                       " nvidia-35 auto 0\n" GPU_B " " UUID2
                       " nvidia-18 auto 0\n"));
    cr_assert(eq(int, mdevctl_remove(dir, GPU_A, UUID3, &eb), 0), "%s", eb.msg);
    rest = list_text(&w);
    cr_expect(eq(str, rest,
                 GPU_A " " UUID1 " nvidia-35 auto 0\n" GPU_B " " UUID2
                       " nvidia-18 auto 0\n"));
    cr_expect(eq(sz, w.n, 0), "%s", w.n ? w.v[0] : "");
    cr_expect(exists(GPU_A), "the parent directory stays, as with mdevctl");
    strv_clear(&w);
}

Test(mdevctl, removing_what_is_not_defined_is_enoent_naming_the_path)
{
    struct errbuf eb = { 0 };

    write_ok(GPU_A, UUID1, "nvidia-35", 1);
    cr_expect(eq(int, mdevctl_remove(dir, GPU_A, UUID2, &eb), -ENOENT));
    cr_expect(ne(ptr, strstr(eb.msg, GPU_A "/" UUID2 ": No such file"), NULL),
              "%s", eb.msg);
    cr_expect(eq(int, mdevctl_remove(dir, GPU_B, UUID1, &eb), -ENOENT));
    cr_expect(ne(ptr, strstr(eb.msg, GPU_B ": No such file"), NULL), "%s",
              eb.msg);
}

Test(mdevctl, file_is_byte_for_byte_what_mdevctl_define_auto_writes)
{
    _cleanup_free_ char *text = NULL, *file = NULL, *pdir = NULL;
    struct stat st;

    umask(077); /* the modes must not depend on it */
    write_ok(GPU_A, UUID1, "nvidia-35", 1);
    text = slurp(GPU_A "/" UUID1);
    cr_expect(eq(str, text, MDEVCTL_FILE));
    file = xasprintf("%s/" GPU_A "/" UUID1, dir);
    pdir = xasprintf("%s/" GPU_A, dir);
    cr_assert(eq(int, stat(file, &st), 0));
    cr_expect(eq(u32, st.st_mode & 07777, 0644));
    cr_assert(eq(int, stat(pdir, &st), 0));
    cr_expect(eq(u32, st.st_mode & 07777, 0755));
}

Test(mdevctl, upper_case_uuid_is_written_and_removed_in_lower_case)
{
    struct errbuf eb = { 0 };

    write_ok(GPU_A, "6E1BD8C8-5A36-4E69-A0F4-1BA2A1E9A0C1", "nvidia-35", 1);
    cr_expect(exists(GPU_A "/" UUID1));
    cr_expect(eq(int,
                 mdevctl_remove(dir, GPU_A,
                                "6E1BD8C8-5A36-4E69-A0F4-1BA2A1E9A0C1", &eb),
                 0),
              "%s", eb.msg);
    cr_expect(not(exists(GPU_A "/" UUID1)));
}

Test(mdevctl, same_definition_again_touches_nothing)
{
    _cleanup_free_ char *path = xasprintf("%s/" GPU_A "/" UUID1, dir);
    _cleanup_free_ char *text = NULL;
    const struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
    struct stat before, after;

    write_ok(GPU_A, UUID1, "nvidia-35", 1);
    cr_assert(eq(int, utimensat(AT_FDCWD, path, old, 0), 0));
    cr_assert(eq(int, stat(path, &before), 0));
    write_ok(GPU_A, UUID1, "nvidia-35", 0);
    cr_assert(eq(int, stat(path, &after), 0));
    cr_expect(eq(i64, (int64_t)after.st_mtime, 1000000000));
    cr_expect(eq(u64, (uint64_t)after.st_ino, (uint64_t)before.st_ino));
    /* another type, or "manual", is rewritten */
    write_ok(GPU_A, UUID1, "nvidia-18", 1);
    text = slurp(GPU_A "/" UUID1);
    cr_expect(ne(ptr, strstr(text, "\"nvidia-18\""), NULL), "%s", text);
    put(GPU_A "/" UUID1, "{\n  \"mdev_type\": \"nvidia-18\",\n  \"start\": "
                         "\"manual\",\n  \"attrs\": []\n}");
    write_ok(GPU_A, UUID1, "nvidia-18", 1);
    free(text);
    text = slurp(GPU_A "/" UUID1);
    cr_expect(ne(ptr, strstr(text, "\"auto\""), NULL), "%s", text);
}

struct bad_name {
    const char *parent, *uuid, *type;
    const char *msg; /* expected in the message */
};

static const char long_name[] =
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345"; /* 256 */

Test(mdevctl, names_that_cannot_be_a_path_component_are_refused)
{
    const struct bad_name bad[] = {
        { "../x", UUID1, "nvidia-35", "parent \"../x\": contains '/'" },
        { "a/b", UUID1, "nvidia-35", "parent \"a/b\": contains '/'" },
        { "..", UUID1, "nvidia-35", "parent \"..\": not a file name" },
        { ".", UUID1, "nvidia-35", "parent \".\": not a file name" },
        { "", UUID1, "nvidia-35", "parent \"\": empty" },
        { "a b", UUID1, "nvidia-35", "parent \"a b\": not printable ASCII" },
        { "gpu\n\"x", UUID1, "nvidia-35",
          "parent \"gpu\\x0a\\\"x\": not printable ASCII" },
        { long_name, UUID1, "nvidia-35", "longer than 255 bytes" },
        { GPU_A, "not-a-uuid", "nvidia-35", "uuid \"not-a-uuid\": not a UUID" },
        { GPU_A, "{" UUID1 "}", "nvidia-35", "not a UUID" },
        { GPU_A, UUID1 "\n", "nvidia-35", "not a UUID" },
        { GPU_A, "", "nvidia-35", "uuid \"\": not a UUID" },
        { GPU_A, "../../../../etc/passwd", "nvidia-35", "not a UUID" },
        { GPU_A, UUID1, "", "mdev_type \"\": empty" },
        { GPU_A, UUID1, "../x", "mdev_type \"../x\": contains '/'" },
    };
    _cleanup_free_ char *left = NULL;
    struct strv w = { 0 };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct errbuf eb = { 0 };

        cr_expect(
            eq(int,
               mdevctl_write(dir, bad[i].parent, bad[i].uuid, bad[i].type, &eb),
               -EINVAL),
            "case %zu", i);
        cr_expect(ne(ptr, strstr(eb.msg, bad[i].msg), NULL), "case %zu: %s", i,
                  eb.msg);
        if (strcmp(bad[i].type, "nvidia-35") == 0) /* parent or uuid */
            cr_expect(eq(int,
                         mdevctl_remove(dir, bad[i].parent, bad[i].uuid, &eb),
                         -EINVAL),
                      "case %zu", i);
    }
    left = list_text(&w);
    cr_expect(eq(str, left, ""), "nothing was created");
    cr_expect(eq(sz, w.n, 0));
}

Test(mdevctl, symlink_planted_as_the_parent_directory_is_never_followed)
{
    _cleanup_free_ char *elsewhere = fixture_tmpdir();
    _cleanup_free_ char *link = xasprintf("%s/" GPU_A, dir);
    _cleanup_free_ char *victim = xasprintf("%s/" UUID1, elsewhere);
    _cleanup_free_ char *warned = NULL, *listed = NULL;
    _cleanup_fclose_ FILE *f = fopen(victim, "we");
    struct errbuf eb = { 0 };
    struct strv w = { 0 };
    struct stat st;

    cr_assert(f != NULL);
    fputs("precious", f);
    fflush(f);
    cr_assert(eq(int, symlink(elsewhere, link), 0));
    cr_expect(
        eq(int, mdevctl_write(dir, GPU_A, UUID2, "nvidia-35", &eb), -ELOOP));
    cr_expect(ne(ptr, strstr(eb.msg, GPU_A ": is a symlink"), NULL), "%s",
              eb.msg);
    cr_expect(
        eq(int, mdevctl_write(dir, GPU_A, UUID1, "nvidia-35", &eb), -ELOOP));
    cr_expect(eq(int, mdevctl_remove(dir, GPU_A, UUID1, &eb), -ELOOP));
    cr_assert(eq(int, stat(victim, &st), 0), "the target's file survives");
    cr_expect(eq(i64, (int64_t)st.st_size, 8));
    listed = list_text(&w);
    cr_expect(eq(str, listed, ""));
    warned = joined(&w);
    cr_expect(ne(ptr, strstr(warned, GPU_A ": is a symlink"), NULL), "%s",
              warned);
    strv_clear(&w);
    fixture_rm_rf(elsewhere);
}

Test(mdevctl, symlink_planted_as_the_definition_is_replaced_not_written_through)
{
    _cleanup_free_ char *elsewhere = fixture_tmpdir();
    _cleanup_free_ char *victim = xasprintf("%s/passwd", elsewhere);
    _cleanup_free_ char *link = xasprintf("%s/" GPU_A "/" UUID1, dir);
    _cleanup_free_ char *warned = NULL;
    struct strv w = { 0 };
    struct stat st;

    mkdir_in(GPU_A);
    cr_assert(eq(int, symlink(victim, link), 0));
    {
        _cleanup_fclose_ FILE *f = fopen(victim, "we");

        cr_assert(f != NULL);
        fputs(MDEVCTL_FILE, f); /* even identical content is not trusted */
    }
    free(list_text(&w));
    warned = joined(&w);
    cr_expect(ne(ptr, strstr(warned, UUID1 ": a symlink, not followed"), NULL),
              "%s", warned);
    write_ok(GPU_A, UUID1, "nvidia-18", 1);
    cr_assert(eq(int, lstat(link, &st), 0));
    cr_expect(eq(u32, st.st_mode & S_IFMT, S_IFREG), "the link was replaced");
    {
        _cleanup_fclose_ FILE *f = fopen(victim, "re");
        char buf[256] = "";

        cr_assert(f != NULL);
        cr_expect(ne(sz, fread(buf, 1, sizeof(buf) - 1, f), 0));
        cr_expect(eq(str, buf, MDEVCTL_FILE), "the target is untouched");
    }
    strv_clear(&w);
    fixture_rm_rf(elsewhere);
}

Test(mdevctl, odd_files_are_skipped_with_a_warning_naming_the_path)
{
    _cleanup_free_ char *listed = NULL, *warned = NULL;
    const char *want[] = {
        GPU_A "/" UUID2 ": not JSON",
        GPU_A "/" UUID3 ": \"start\" is not \"auto\" or \"manual\"",
        GPU_A "/00000000-0000-0000-0000-000000000001: not a JSON object",
        GPU_A "/00000000-0000-0000-0000-000000000002: \"mdev_type\" is "
              "missing or not a type name",
        GPU_A "/00000000-0000-0000-0000-000000000003: \"attrs\" is not a list",
        GPU_A "/00000000-0000-0000-0000-000000000004: \"attrs\" entry is not",
        GPU_A "/00000000-0000-0000-0000-000000000005: not a regular file",
        GPU_A "/6E1BD8C8-5A36-4E69-A0F4-1BA2A1E9A0C2: not a lower-case UUID",
        GPU_A "/notes.txt: not a lower-case UUID",
        "/README: Not a directory",
    };
    struct strv w = { 0 };

    write_ok(GPU_A, UUID1, "nvidia-35", 1);
    put(GPU_A "/" UUID2, "garbage");
    put(GPU_A "/" UUID3, "{\"mdev_type\": \"nvidia-35\", \"start\": \"now\"}");
    put(GPU_A "/00000000-0000-0000-0000-000000000001", "[]");
    put(GPU_A "/00000000-0000-0000-0000-000000000002",
        "{\"mdev_type\": 35, \"start\": \"auto\"}");
    put(GPU_A "/00000000-0000-0000-0000-000000000003",
        "{\"mdev_type\": \"a\", \"start\": \"auto\", \"attrs\": {}}");
    put(GPU_A "/00000000-0000-0000-0000-000000000004",
        "{\"mdev_type\": \"a\", \"start\": \"auto\", \"attrs\": [{\"x\": 1}]}");
    mkdir_in(GPU_A "/00000000-0000-0000-0000-000000000005");
    put(GPU_A "/6E1BD8C8-5A36-4E69-A0F4-1BA2A1E9A0C2", MDEVCTL_FILE);
    put(GPU_A "/notes.txt", "");
    put(GPU_A "/." UUID3 ".123.tmp", "left by a crash: hidden, ignored");
    put("README", "not a parent");
    /* mdevctl's own scripts and a manual definition with attrs are fine */
    mkdir_in("scripts.d");
    mkdir_in("scripts.d/callouts");
    mkdir_in(GPU_B);
    put(GPU_B "/" UUID2, "{\"mdev_type\": \"i915-GVTg_V5_8\", \"start\": "
                         "\"manual\", \"attrs\": [{\"a\": \"1\"}, {\"b\": "
                         "\"2\"}]}");
    mkdir_in("x y"); /* a parent name we would never write */

    listed = list_text(&w);
    cr_expect(eq(str, listed,
                 GPU_A " " UUID1 " nvidia-35 auto 0\n" GPU_B " " UUID2
                       " i915-GVTg_V5_8 manual 2\n"));
    warned = joined(&w);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect(ne(ptr, strstr(warned, want[i]), NULL), "want %s in:\n%s",
                  want[i], warned);
    cr_expect(ne(ptr, strstr(warned, "/x y: not printable ASCII"), NULL), "%s",
              warned);
    cr_expect(eq(sz, w.n, sizeof(want) / sizeof(want[0]) + 1), "%s", warned);
    cr_expect(eq(ptr, strstr(warned, "scripts.d"), NULL), "%s", warned);
    strv_clear(&w);
}

Test(mdevctl, missing_directory_holds_no_definitions)
{
    _cleanup_free_ char *gone = xasprintf("%s/nope", dir);
    struct mdevctl_def *d = (struct mdevctl_def *)1;
    struct errbuf eb = { 0 };
    size_t n = 99;

    cr_expect(eq(int, mdevctl_list(gone, &d, &n, NULL, &eb), 0), "%s", eb.msg);
    cr_expect(eq(sz, n, 0));
    cr_expect(eq(ptr, d, NULL));
    mdevctl_defs_free(d, n);
}

Test(mdevctl, write_creates_a_missing_directory)
{
    _cleanup_free_ char *sub = xasprintf("%s/mdevctl.d", dir);
    struct errbuf eb = { 0 };

    cr_expect(eq(int, mdevctl_write(sub, GPU_A, UUID1, "nvidia-35", &eb), 1),
              "%s", eb.msg);
    cr_expect(exists("mdevctl.d/" GPU_A "/" UUID1));
}
