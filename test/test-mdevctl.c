/*
 * test-mdevctl.c - definitions we write are what mdevctl writes and reads.
 *
 * The unit tests work in a temporary directory.  The last suite runs
 * Debian's real mdevctl (1.2.0, which has no root override) in a private
 * mount namespace with the test's definition directory bind-mounted over
 * /etc/mdevctl.d and a materialized sample host over /sys, and compares
 * what it lists with what mdevctl_write() wrote.
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
#include "xalloc.h"

#define GPU_A "0000:3d:00.0"
#define GPU_B "0000:3e:00.0"
#define UUID1 "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c1"
#define UUID2 "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c2"
#define UUID3 "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c3"
/* `mdevctl define --auto --parent 0000:3d:00.0 --type nvidia-35` 1.2.0 */
#define MDEVCTL_FILE                                                           \
    "{\n  \"mdev_type\": \"nvidia-35\",\n  \"start\": \"auto\",\n"             \
    "  \"attrs\": []\n}"

static void
json_deletep(cJSON **j)
{
    cJSON_Delete(*j);
}

static char *dir; /* the definition directory (mdevctl's /etc/mdevctl.d) */
static char *sys; /* a materialized sample host, for the mdevctl suite */
static char *io;  /* the mdevctl suite's scratch: dir, mdevctl's output */

static void
make_dir(void)
{
    dir = fixture_tmpdir();
}

static void
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

/* base/rel's whole text (up to 1 MiB); "" when unreadable. */
static char *
slurp_at(const char *base, const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", base, rel);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0, cap = 1 << 20;
    char *buf = xmalloc(cap + 1);
    ssize_t n;

    while (fd >= 0 && len < cap && (n = read(fd, buf + len, cap - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    return buf;
}

static char *
slurp(const char *rel)
{
    return slurp_at(dir, rel);
}

static void
put(const char *rel, const char *text)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);
    _cleanup_fclose_ FILE *f = fopen(path, "we");

    cr_assert(f != NULL, "%s", path);
    fputs(text, f);
}

static void
mkdir_in(const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);

    cr_assert(eq(int, mkdir(path, 0755), 0), "%s", path);
}

static bool
exists(const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);
    struct stat st;

    return lstat(path, &st) == 0;
}

static void
write_ok(const char *parent, const char *uuid, const char *type, int want)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, mdevctl_write(dir, parent, uuid, type, &eb), want), "%s",
              eb.msg);
}

/* The strings, each followed by a newline unless it ends in one. */
static char *
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
static char *
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

/* ---- the real mdevctl in a private mount namespace ------------------------
 */

#define NS_FAILED 99 /* the child could not set up the namespace */

static const char *const mdevctl_bins[] = { "/usr/sbin/mdevctl",
                                            "/usr/bin/mdevctl", "/sbin/mdevctl",
                                            "/bin/mdevctl" };

static const char *
mdevctl_bin(void)
{
    for (size_t i = 0; i < sizeof(mdevctl_bins) / sizeof(mdevctl_bins[0]); i++)
        if (access(mdevctl_bins[i], X_OK) == 0)
            return mdevctl_bins[i];
    return NULL;
}

/* Child: see only etc as /etc/mdevctl.d and sys as /sys, then exec. */
static void __attribute__((noreturn))
child(const char *bin, const char *etc, const char *sysroot, char *const *argv)
{
    const char *step = "unshare(CLONE_NEWNS)";

    if (unshare(CLONE_NEWNS) == 0) {
        step = "mount --make-rprivate /";
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
            step = "mount --bind <definitions> /etc/mdevctl.d";
            if (mount(etc, "/etc/mdevctl.d", NULL, MS_BIND, NULL) == 0) {
                step = "mount --bind <sample host> /sys";
                if (mount(sysroot, "/sys", NULL, MS_BIND, NULL) == 0) {
                    execv(bin, argv);
                    fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
                    _exit(127);
                }
            }
        }
    }
    fprintf(stderr, "%s: %s\n", step, strerror(errno));
    _exit(NS_FAILED);
}

/* Skip the test, saying why, when mdevctl cannot be run here. */
static const char *
need_mdevctl(void)
{
    const char *bin = mdevctl_bin();
    struct stat st;

    if (!bin)
        cr_skip_test("mdevctl is not installed (apt-get install mdevctl)");
    if (stat("/etc/mdevctl.d", &st) < 0 || !S_ISDIR(st.st_mode))
        cr_skip_test("no /etc/mdevctl.d to mount over (apt-get install "
                     "mdevctl)");
    return bin;
}

/* Run mdevctl with argv (argv[0] included, NULL-terminated) seeing dir as
 * /etc/mdevctl.d and sys as /sys; its stdout into *ret.  Returns its exit
 * status; skips the test, saying why, when this environment allows no
 * private mount namespace. */
static int
run_mdevctl(char **ret, char *const *argv)
{
    const char *bin = need_mdevctl();
    static char why[ERRBUF_MSG_MAX];
    int status = -1;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    cr_assert(ge(int, pid, 0));
    if (pid == 0) {
        _cleanup_free_ char *out = xasprintf("%s/stdout", io);
        _cleanup_free_ char *err = xasprintf("%s/stderr", io);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (o < 0 || e < 0 || dup2(o, STDOUT_FILENO) < 0 ||
            dup2(e, STDERR_FILENO) < 0)
            _exit(127);
        child(bin, dir, sys, argv);
    }
    cr_assert(eq(int, waitpid(pid, &status, 0), pid));
    {
        _cleanup_free_ char *msg = slurp_at(io, "stderr");

        snprintf(why, sizeof(why), "%s", msg);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == NS_FAILED)
        cr_skip_test("no private mount namespace here: %s", why);
    cr_expect(eq(str, why, ""), "mdevctl %s wrote to stderr", argv[1]);
    *ret = slurp_at(io, "stdout");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* What mdevctl needs in /etc/mdevctl.d, the sample host as /sys. */
static void
setup_real(void)
{
    io = fixture_tmpdir();
    dir = xasprintf("%s/mdevctl.d", io);
    cr_assert(eq(int, mkdir(dir, 0755), 0));
    mkdir_in("scripts.d");
    mkdir_in("scripts.d/callouts");
    mkdir_in("scripts.d/notifiers");
    sys = fixture_host("m60");
}

TestSuite(mdevctl_real, .init = setup_real, .fini = rm_dirs);

/* `mdevctl list --defined --dumpjson`, [{parent: [{uuid: {...}}]}], as
 * list_text() lines, sorted. */
static char *
flatten_list(const char *json)
{
    _cleanup_(json_deletep) cJSON *j = cJSON_Parse(json);
    const cJSON *o, *parent, *def, *uuid;
    struct strv lines = { 0 };
    char *text;

    cr_assert(cJSON_IsArray(j), "not a JSON list: %s", json);
    cJSON_ArrayForEach(o, j)
        cJSON_ArrayForEach(parent, o)
            cJSON_ArrayForEach(def, parent)
                cJSON_ArrayForEach(uuid, def) {
                    const cJSON *type = cJSON_GetObjectItem(uuid, "mdev_type");
                    const cJSON *start = cJSON_GetObjectItem(uuid, "start");
                    const cJSON *attrs = cJSON_GetObjectItem(uuid, "attrs");

                    strv_pushf(&lines, "%s %s %s %s %d\n", parent->string,
                               uuid->string,
                               cJSON_IsString(type) ? type->valuestring : "?",
                               cJSON_IsString(start) ? start->valuestring : "?",
                               cJSON_IsArray(attrs) ? cJSON_GetArraySize(attrs)
                                                    : -1);
                }
    strv_sort_uniq(&lines);
    text = joined(&lines);
    strv_clear(&lines);
    return text;
}

Test(mdevctl_real, mdevctl_lists_exactly_the_definitions_we_wrote)
{
    char *const argv[] = { "mdevctl", "list", "--defined", "--dumpjson", NULL };
    _cleanup_free_ char *out = NULL, *theirs = NULL, *ours = NULL;
    struct errbuf eb = { 0 };
    struct strv w = { 0 };

    write_ok(GPU_A, UUID1, "nvidia-18", 1);
    write_ok(GPU_B, UUID2, "nvidia-11", 1);
    write_ok(GPU_A, "6E1BD8C8-5A36-4E69-A0F4-1BA2A1E9A0C3", "nvidia-18", 1);
    write_ok(GPU_B, "00000000-0000-0000-0000-000000000001", "nvidia-11", 1);
    cr_assert(eq(int,
                 mdevctl_remove(dir, GPU_B,
                                "00000000-0000-0000-0000-000000000001", &eb),
                 0),
              "%s", eb.msg);
    cr_assert(eq(int, run_mdevctl(&out, argv), 0), "%s", out);
    theirs = flatten_list(out);
    ours = list_text(&w);
    cr_expect(eq(str, theirs, ours), "mdevctl said:\n%s", out);
    cr_expect(eq(str, theirs,
                 GPU_A " " UUID1 " nvidia-18 auto 0\n" GPU_A " " UUID3
                       " nvidia-18 auto 0\n" GPU_B " " UUID2
                       " nvidia-11 auto 0\n"));
    cr_expect(eq(sz, w.n, 0), "mdevctl's scripts.d is not ours to warn about");
    strv_clear(&w);
}

Test(mdevctl_real, what_mdevctl_define_writes_is_byte_for_byte_ours)
{
    char *const define[] = { "mdevctl", "define", "--auto",    "--parent",
                             GPU_A,     "--type", "nvidia-35", "--uuid",
                             UUID1,     NULL };
    char *const undefine[] = { "mdevctl", "undefine", "--uuid", UUID2, NULL };
    _cleanup_free_ char *out = NULL, *text = NULL, *listed = NULL;
    struct errbuf eb = { 0 };
    struct strv w = { 0 };

    cr_assert(eq(int, run_mdevctl(&out, define), 0), "%s", out);
    text = slurp(GPU_A "/" UUID1);
    cr_expect(eq(str, text, MDEVCTL_FILE));
    write_ok(GPU_A, UUID1, "nvidia-35", 0); /* identical: nothing to do */
    listed = list_text(&w);
    cr_expect(eq(str, listed, GPU_A " " UUID1 " nvidia-35 auto 0\n"));
    /* each side undefines what the other defined */
    write_ok(GPU_B, UUID2, "nvidia-35", 1);
    free(out);
    cr_assert(eq(int, run_mdevctl(&out, undefine), 0), "%s", out);
    cr_expect(not(exists(GPU_B "/" UUID2)));
    cr_expect(eq(int, mdevctl_remove(dir, GPU_A, UUID1, &eb), 0), "%s", eb.msg);
    cr_expect(not(exists(GPU_A "/" UUID1)));
    strv_clear(&w);
}

/* mdevctl's "Description:": trimmed, lines joined with ", ". */
static char *
mdevctl_description(const char *d)
{
    char *out = xstrdup(d ? d : ""), *o = out;

    for (const char *p = d ? d : ""; *p; p++) {
        if (*p == '\n' && p[1]) {
            *o++ = ',';
            *o++ = ' ';
        } else if (*p != '\n') {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* The sample host's types as "parent type available api name description". */
static char *
model_types(const char *host)
{
    _cleanup_free_ char *rel = xasprintf("hosts/%s.yaml", host);
    _cleanup_free_ char *yaml = fixture_data_path(rel);
    _cleanup_(fakesys_host_freep) struct fakesys_host *h = NULL;
    struct errbuf eb = { 0 };
    struct strv lines = { 0 };
    char *text;

    cr_assert(eq(int, fakesys_host_load(yaml, &h, &eb), 0), "%s", eb.msg);
    for (size_t p = 0; p < h->n_parents; p++)
        for (size_t t = 0; t < h->parents[p].n_types; t++) {
            const struct fakesys_type *ty = &h->parents[p].types[t];
            _cleanup_free_ char *desc = mdevctl_description(ty->description);

            strv_pushf(&lines, "%s %s %u %s '%s' '%s'\n", h->parents[p].name,
                       ty->id, fakesys_host_available(h, p, t),
                       ty->device_api ? ty->device_api : "?",
                       ty->name ? ty->name : "", desc);
        }
    strv_sort_uniq(&lines);
    text = joined(&lines);
    strv_clear(&lines);
    return text;
}

/* `mdevctl types --dumpjson`, [{parent: [{type: {...}}]}], the same way. */
static char *
flatten_types(const char *json)
{
    _cleanup_(json_deletep) cJSON *j = cJSON_Parse(json);
    const cJSON *o, *parent, *entry, *type;
    struct strv lines = { 0 };
    char *text;

    cr_assert(cJSON_IsArray(j), "not a JSON list: %s", json);
    cJSON_ArrayForEach(o, j)
        cJSON_ArrayForEach(parent, o)
            cJSON_ArrayForEach(entry, parent)
                cJSON_ArrayForEach(type, entry) {
                    const cJSON *n =
                        cJSON_GetObjectItem(type, "available_instances");
                    const cJSON *api = cJSON_GetObjectItem(type, "device_api");
                    const cJSON *name = cJSON_GetObjectItem(type, "name");
                    const cJSON *desc =
                        cJSON_GetObjectItem(type, "description");

                    strv_pushf(&lines, "%s %s %d %s '%s' '%s'\n",
                               parent->string, type->string,
                               cJSON_IsNumber(n) ? n->valueint : -1,
                               cJSON_IsString(api) ? api->valuestring : "?",
                               cJSON_IsString(name) ? name->valuestring : "",
                               cJSON_IsString(desc) ? desc->valuestring : "");
                }
    strv_sort_uniq(&lines);
    text = joined(&lines);
    strv_clear(&lines);
    return text;
}

Test(mdevctl_real, mdevctl_types_reads_the_sample_host_as_the_model_says)
{
    char *const argv[] = { "mdevctl", "types", "--dumpjson", NULL };
    _cleanup_free_ char *out = NULL, *theirs = NULL, *model = NULL;

    cr_assert(eq(int, run_mdevctl(&out, argv), 0), "%s", out);
    theirs = flatten_types(out);
    model = model_types("m60");
    cr_expect(eq(str, theirs, model));
    cr_expect(ne(ptr,
                 strstr(theirs, GPU_B " nvidia-22 1 vfio-pci 'GRID "
                                      "M60-8Q'"),
                 NULL),
              "%s", theirs);
}
