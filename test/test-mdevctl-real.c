/*
 * test-mdevctl-real.c - Debian's real mdevctl (1.2.0, which has no root
 * override) in a private mount namespace, with the test's definition
 * directory bind-mounted over /etc/mdevctl.d and a materialized sample
 * host over /sys: it lists what mdevctl_write() wrote, writes what we
 * write, and reads the sample host as the model says.  Part of the
 * test-mdevctl binary (test/testmdevctl.h).
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
#include "mdevctl.h"
#include "strv.h"
#include "testmdevctl.h"
#include "xalloc.h"

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
