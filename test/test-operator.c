/*
 * test-operator.c - the one-shot commands as an operator meets them: every
 * mistake named, the global options anywhere, --help for every command,
 * bash completion for every command and option.  Each test runs the built
 * binary and checks what it prints and its exit status.  What sync,
 * check-config --connect and show say against Placement:
 * test-operator-report.c; the service's own lines: test-runlog.c.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixture.h"
#include "testoperator.h"
#include "xalloc.h"

struct placement_server *srv; /* started by the tests that need it */
char *root;                   /* the materialized m60 host */
char *dir;                    /* agent.yaml and what it names */
struct agentrun run;
char *metrics_path; /* metrics_file; NULL: dir/metrics/... */

static void
setup(void)
{
    dir = fixture_tmpdir();
    root = fixture_host("m60");
}

static void
teardown(void)
{
    agentrun_clear(&run);
    placement_server_stop(srv);
    srv = NULL;
    fixture_rm_rf(root);
    fixture_rm_rf(dir);
    free(root);
    free(dir);
    free(metrics_path);
    metrics_path = NULL;
}

TestSuite(operator, .init = setup, .fini = teardown, .timeout = 120);

/* dir/rel; caller frees. */
static char *
path_of(const char *rel)
{
    return xasprintf("%s/%s", dir, rel);
}

/* Write dir/rel (mode 0600); returns the path, caller frees. */
char *
put(const char *rel, const char *text)
{
    char *path = path_of(rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    cr_assert(fd >= 0, "%s", path);
    cr_assert(
        eq(long, (long)write(fd, text, strlen(text)), (long)strlen(text)));
    close(fd);
    return path;
}

/* The demo's settings (two GPUs: nvidia-18 pinned, nvidia-13 capped at
 * cap), the files in dir, Placement at srv with token (NULL: admin). */
char *
conf_cap(unsigned cap, const char *enabled, const char *extra,
         const char *token)
{
    _cleanup_free_ char *placement =
        srv ? xasprintf("placement:\n  endpoint: %s\n  token: %s\n",
                        placement_server_url(srv), token ? token : "admin")
            : xstrdup("");
    _cleanup_free_ char *metrics =
        metrics_path ? xstrdup(metrics_path)
                     : xasprintf("%s/metrics/vgpu-agent.prom", dir);
    _cleanup_free_ char *text = xasprintf(
        "node_name: op-host\n"
        "enabled_mdev_types: [%s]\n"
        "mdev_types:\n"
        "  nvidia-18:\n"
        "    device_addresses: [\"0000:3d:00.0\"]\n"
        "  nvidia-13:\n"
        "    max_instances: %u\n"
        "lock_file: %s/lock\n"
        "metrics_file: %s\n"
        "libvirt_uri: test:///default\n"
        "reconcile:\n"
        "  mdevctl_dir: %s/mdevctl.d\n"
        "%s%s",
        enabled, cap, dir, metrics, dir, extra ? extra : "", placement);

    return put("agent.yaml", text);
}

char *
conf(const char *extra, const char *token)
{
    return conf_cap(4, "nvidia-18, nvidia-13", extra, token);
}

/* vgpu-agent -c CONF --sysfs-root ROOT args... */
void
agent(const char *conf_path, const char *const *args)
{
    const char *argv[16] = { "-c", conf_path, "--sysfs-root", root };
    size_t n = 4;

    for (size_t i = 0; args[i]; i++) {
        cr_assert(lt(sz, n, sizeof(argv) / sizeof(*argv) - 1));
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    agentrun_clear(&run);
    agentrun(&run, argv);
}

void
assert_has(const char *text, const char *needle)
{
    cr_assert(ne(ptr, strstr(text, needle), NULL), "no '%s' in:\n%s", needle,
              text);
}

void
assert_str(const char *got, const char *want)
{
    cr_assert(strcmp(got, want) == 0, "got '%s', want '%s'", got, want);
}

void
assert_lacks(const char *text, const char *needle)
{
    cr_assert(eq(ptr, strstr(text, needle), NULL), "'%s' in:\n%s", needle,
              text);
}

/* Every line of s starts with prefix. */
static void
assert_every_line_starts(const char *s, const char *prefix)
{
    for (const char *l = s; *l; l = strchr(l, '\n') + 1) {
        cr_assert(eq(int, strncmp(l, prefix, strlen(prefix)), 0),
                  "a line without '%s': %s", prefix, l);
        if (!strchr(l, '\n'))
            break;
    }
}

/* --- 3. every mistake gets a clear answer ----------------------------- */

Test(operator, usage_errors_name_what_was_wrong)
{
    static const struct {
        const char *args[4];
        const char *says;
    } cases[] = {
        { { "sync", "extra" },
          "vgpu-agent: error: sync: unexpected argument 'extra' (see "
          "vgpu-agent sync --help)\n" },
        { { "reconcile", "--format", "yaml" },
          "vgpu-agent: error: reconcile: --format: 'yaml' is not one of "
          "text, json (see vgpu-agent reconcile --help)\n" },
        { { "check-config", "--conect" },
          "vgpu-agent: error: check-config: unknown option '--conect'; did "
          "you mean '--connect'? (see vgpu-agent check-config --help)\n" },
        { { "mdevs", "not-a-uuid" },
          "vgpu-agent: error: mdevs: 'not-a-uuid' is not a consumer UUID "
          "(see vgpu-agent mdevs --help)\n" },
        { { "run", "--passes" },
          "vgpu-agent: error: run: option '--passes' needs a value (see "
          "vgpu-agent run --help)\n" },
        { { "dump", "-x" },
          "vgpu-agent: error: dump: unknown option '-x' (see vgpu-agent "
          "dump --help)\n" },
        { { "snyc" },
          "vgpu-agent: error: unknown command 'snyc' (did you mean 'sync'? "
          "see --help)\n" },
        { { "restore", "extra" },
          "vgpu-agent: error: restore: unexpected argument 'extra' (see "
          "vgpu-agent restore --help)\n" },
        { { "restore", "--state-onyl" },
          "vgpu-agent: error: restore: unknown option '--state-onyl'; did "
          "you mean '--state-only'? (see vgpu-agent restore --help)\n" },
        { { "import-nova-conf" },
          "vgpu-agent: error: import-nova-conf: which file? give "
          "nova.conf's path (see vgpu-agent import-nova-conf --help)\n" },
        { { "import-nova-conf", "nova.conf", "extra" },
          "vgpu-agent: error: import-nova-conf: unexpected argument 'extra' "
          "(see vgpu-agent import-nova-conf --help)\n" },
        { { "devices", "not-a-uuid" },
          "vgpu-agent: error: devices: 'not-a-uuid' is not a consumer UUID "
          "(see vgpu-agent devices --help)\n" },
    };
    _cleanup_free_ char *c = conf(NULL, NULL);

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const char *const *a = cases[i].args;

        agent(c, a);
        cr_assert(eq(int, run.status, 2), "%s: %s", a[0], run.err);
        assert_str(run.err, cases[i].says);
        cr_assert(eq(str, run.out, ""));
    }
}

Test(operator, global_options_work_after_the_command_too)
{
    _cleanup_free_ char *c = conf(NULL, NULL);

    /* -v after the command: the cap is an info line */
    AGENT(c, "dump", "-v", "--format", "table");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: info: 0000:3e:00.0: nvidia-13 capped "
                        "from 8 to 4 by max_instances 4");
    assert_has(run.out, "op-host_pci_0000_3d_00_0");
    /* without it, not */
    AGENT(c, "dump", "--format", "table");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_lacks(run.err, "capped");
    /* --log-format=json after the command */
    AGENT(c, "dump", "--log-format=json", "--verbose", "--format", "json");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "{\"ts\":\"");
}

Test(operator, every_command_has_help)
{
    static const char *const cmds[] = {
        "dump",
        "sync",
        "run",
        "reconcile",
        "mdevs",
        "devices",
        "restore",
        "check-config",
        "status",
        "show",
        "import-nova-conf",
    };
    _cleanup_free_ char *c = conf(NULL, NULL);

    for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
        AGENT(c, cmds[i], "--help");
        cr_assert(eq(int, run.status, 0), "%s --help: %s", cmds[i], run.err);
        assert_has(run.out, "Usage: vgpu-agent");
        cr_assert(eq(str, run.err, ""));
    }
}

Test(operator, config_mistakes_are_named)
{
    _cleanup_free_ char *typo = put("typo.yaml", "interval_sec: 5\n"
                                                 "enabled_mdev_type: [a]\n");
    _cleanup_free_ char *tab = put("tab.yaml", "placement:\n\tendpoint: x\n");
    _cleanup_free_ char *ini = put("nova.conf", "[DEFAULT]\nenabled_vgpu_types"
                                                " = nvidia-35\n");
    _cleanup_free_ char *off =
        put("off.yaml", "enabled_mdev_types: [nvidia-18]\n"
                        "mdev_types:\n  nvidia-13:\n    max_instances: 2\n");

    AGENT(typo, "dump");
    cr_assert(eq(int, run.status, 2));
    assert_has(run.err, "typo.yaml:1:1: interval_sec: unknown key; did you "
                        "mean interval_s?");
    assert_has(run.err, "typo.yaml:2:1: enabled_mdev_type: unknown key; did "
                        "you mean enabled_mdev_types?");
    assert_every_line_starts(run.err, "vgpu-agent: ");
    AGENT(tab, "dump");
    cr_assert(eq(int, run.status, 2));
    assert_has(run.err, "tab.yaml:2:1: ");
    assert_has(run.err, "(a tab: YAML indents with spaces only)");
    AGENT(ini, "dump");
    cr_assert(eq(int, run.status, 2));
    assert_has(run.err, "this looks like nova.conf, an INI file, not YAML; "
                        "see vgpu-agent import-nova-conf");
    AGENT(off, "dump", "--format", "table");
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_has(run.err, "vgpu-agent: warning: ");
    assert_has(run.err, "off.yaml:3:3: mdev_types.nvidia-13: type is not "
                        "enabled (not in enabled_mdev_types); its entry is "
                        "ignored");
}

/* --- 4. bash completion knows every command and option ------------------ */

/* Whether word occurs in text as a whole word (not inside a longer one). */
static bool
has_word(const char *text, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        bool start = p == text || !(isalnum((unsigned char)p[-1]) ||
                                    p[-1] == '-' || p[-1] == '_');
        bool end =
            !(isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '_');

        if (start && end)
            return true;
    }
    return false;
}

/* Every "--long-option" a help text names is in the completion. */
static void
assert_options_completed(const char *help, const char *completion,
                         const char *what)
{
    for (const char *p = strstr(help, "--"); p; p = strstr(p + 2, "--")) {
        size_t n = 2;
        _cleanup_free_ char *opt = NULL;

        while (isalnum((unsigned char)p[n]) || p[n] == '-')
            n++;
        if (n == 2)
            continue;
        opt = xstrndup(p, n);
        cr_assert(has_word(completion, opt), "%s: %s is missing", what, opt);
    }
}

Test(operator, bash_completion_knows_every_command_and_option)
{
    _cleanup_free_ char *path = fixture_data_path("vgpu-agent.bash-completion");
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    _cleanup_free_ char *c = conf(NULL, NULL);
    _cleanup_free_ char *help = NULL;
    static char text[16384];
    size_t n;

    cr_assert(f != NULL, "%s", path);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = 0;
    agentrun_clear(&run);
    agentrun(&run, (const char *const[]){ "--help", NULL });
    cr_assert(eq(int, run.status, 0));
    assert_options_completed(run.out, text, "vgpu-agent");
    help = xstrdup(run.out); /* run is reused for each command's --help */
    /* the commands: the lines "  NAME ..." after "Commands" */
    for (const char *l = strstr(help, "Commands"); l && *l;
         l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        _cleanup_free_ char *cmd = NULL;
        size_t k = 0;

        if (strncmp(l, "  ", 2) != 0 || l[2] == ' ')
            continue;
        while (isalnum((unsigned char)l[2 + k]) || l[2 + k] == '-')
            k++;
        cmd = xstrndup(l + 2, k);
        cr_assert(has_word(text, cmd), "command %s is not completed", cmd);
        AGENT(c, cmd, "--help");
        cr_assert(eq(int, run.status, 0), "%s --help", cmd);
        assert_options_completed(run.out, text, cmd);
    }
}

/* The manual as it reads: roff's "\-" is "-", font changes ("\fB") are
 * left out. */
static void
read_manual(char *text, size_t size)
{
    _cleanup_free_ char *path = fixture_data_path("vgpu-agent.8");
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    size_t n = 0;
    int ch;

    cr_assert(f != NULL, "%s", path);
    while ((ch = fgetc(f)) != EOF) {
        cr_assert(lt(sz, n, size - 1), "%s is larger than the buffer", path);
        if (n > 0 && text[n - 1] == '\\' && ch == 'f') {
            n--;
            (void)fgetc(f); /* the font */
            continue;
        }
        if (ch == '-' && n > 0 && text[n - 1] == '\\')
            n--;
        text[n++] = (char)ch;
    }
    text[n] = 0;
}

Test(operator, the_manual_has_every_command_and_option)
{
    _cleanup_free_ char *c = conf(NULL, NULL);
    _cleanup_free_ char *help = NULL;
    static char man[131072];

    read_manual(man, sizeof(man));
    agentrun_clear(&run);
    agentrun(&run, (const char *const[]){ "--help", NULL });
    cr_assert(eq(int, run.status, 0));
    assert_options_completed(run.out, man, "vgpu-agent(8)");
    /* every exit status, sync --dry-run's 3 included, in both */
    assert_has(run.out, ", 3 sync --dry-run:\nwrites pending.");
    assert_has(man, "; 3\n.B sync --dry-run\nwith writes pending.");
    help = xstrdup(run.out);
    for (const char *l = strstr(help, "Commands"); l && *l;
         l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        _cleanup_free_ char *cmd = NULL, *synopsis = NULL, *alias = NULL;
        size_t k = 0;

        if (strncmp(l, "  ", 2) != 0 || l[2] == ' ')
            continue;
        while (isalnum((unsigned char)l[2 + k]) || l[2 + k] == '-')
            k++;
        cmd = xstrndup(l + 2, k);
        synopsis = xasprintf(".B vgpu-agent %s\n", cmd);
        alias = xasprintf(".RB ( %s\nis another name", cmd);
        cr_assert(strstr(man, synopsis) || strstr(man, alias),
                  "vgpu-agent(8): no '%s' in the synopsis", cmd);
        AGENT(c, cmd, "--help");
        cr_assert(eq(int, run.status, 0), "%s --help", cmd);
        assert_options_completed(run.out, man, cmd);
    }
}
