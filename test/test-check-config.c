/*
 * test-check-config.c - `vgpu-agent check-config [--connect]` as a user
 * runs it: the resolved settings, the auth lines of the contract, secrets
 * masked everywhere, the exit statuses.
 *
 * Every test runs the built binary in a fresh temporary directory that is
 * also HOME and the working directory, with every OS_* variable unset
 * first (the child inherits the environment).  Against a real Keystone:
 * test-keystone-e2e.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentrun.h"
#include "conf-keys.h"
#include "fixture.h"
#include "strv.h"
#include "testsecrets.h"
#include "xalloc.h"

#define PASSWORD "pw-Secret-1234"
#define APPSECRET "ac-Secret-5678"
#define TOKEN "tok-Secret-9999"

static char *tmpdir; /* HOME and the working directory */
static struct agentrun run;

static void
setup(void)
{
    tmpdir = fixture_home();
}

static void
teardown(void)
{
    agentrun_clear(&run);
    fixture_rm_rf(tmpdir);
    free(tmpdir);
}

TestSuite(check_config, .init = setup, .fini = teardown);

/* check-config [extra] with the config at path. */
static void
check_config(const char *path, const char *extra)
{
    const char *args[] = { "-c", path, "check-config", extra, NULL };

    agentrun(&run, args);
}

static void
assert_line(const char *line)
{
    _cleanup_free_ char *want = xasprintf("\n%s\n", line);
    _cleanup_free_ char *out = xasprintf("\n%s", run.out);

    cr_assert(ne(ptr, strstr(out, want), NULL), "want line \"%s\" in:\n%s",
              line, run.out);
}

static void
assert_no_secret(void)
{
    const char *const secrets[] = { PASSWORD, APPSECRET, TOKEN, NULL };

    testsecrets_assert_absent("stdout", run.out, secrets);
    testsecrets_assert_absent("stderr", run.err, secrets);
}

#define AUTH_YAML(url)                                                         \
    "node_name: host-1\n"                                                      \
    "placement:\n"                                                             \
    "  auth:\n"                                                                \
    "    auth_url: " url "\n"                                                  \
    "    username: placement-agent\n"                                          \
    "    password: " PASSWORD "\n"                                             \
    "    user_domain_name: Default\n"                                          \
    "    project_name: service\n"                                              \
    "    project_domain_name: Default\n"                                       \
    "  region_name: RegionOne\n"

Test(check_config, password_auth_is_shown_with_the_password_masked)
{
    _cleanup_free_ char *path =
        fixture_put(tmpdir, "agent.yaml",
                    AUTH_YAML("http://keystone.example:5000/v3/"), 0600);

    check_config(path, NULL);
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_line("node_name: host-1");
    assert_line("placement.endpoint: (not set)");
    assert_line("auth: password (user 'placement-agent', project 'service')");
    assert_line("auth source: config file");
    assert_line("placement.auth.auth_url: http://keystone.example:5000/v3");
    assert_line("placement.auth.password: ********");
    assert_line("placement.region_name: RegionOne");
    assert_line("placement.interface: internal");
    assert_line(
        "endpoint: from the catalog (interface internal, region RegionOne)");
    assert_no_secret();
}

Test(check_config, os_variables_are_the_environment_source)
{
    _cleanup_free_ char *path =
        fixture_put(tmpdir, "agent.yaml", "node_name: host-1\n", 0644);

    setenv("OS_AUTH_URL", "http://env.example/v3", 1);
    setenv("OS_APPLICATION_CREDENTIAL_ID", "ac-1", 1);
    setenv("OS_APPLICATION_CREDENTIAL_SECRET", APPSECRET, 1);
    setenv("OS_INTERFACE", "public", 1);
    check_config(path, NULL);
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_line("auth: application credential (id 'ac-1')");
    assert_line("auth source: environment (OS_*)");
    assert_line("placement.auth.application_credential_secret: ********");
    assert_line("endpoint: from the catalog (interface public, any region)");
    assert_no_secret();
}

Test(check_config, a_cloud_names_its_clouds_yaml)
{
    _cleanup_free_ char *path = fixture_put(
        tmpdir, "agent.yaml",
        "placement:\n  cloud: mycloud\n  endpoint: http://p.example:8778\n",
        0644);
    _cleanup_free_ char *clouds = NULL, *secure = NULL, *want = NULL;

    clouds = fixture_put(
        tmpdir, "clouds.yaml",
        "clouds:\n  mycloud:\n    auth:\n      auth_url: http://c/v3\n"
        "      user_id: u-1\n      project_id: p-1\n",
        0644);
    secure = fixture_put(
        tmpdir, "secure.yaml",
        "clouds:\n  mycloud:\n    auth:\n      password: " PASSWORD "\n", 0600);
    check_config(path, NULL);
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_line("auth: password (user 'u-1', project 'p-1')");
    want = xasprintf("auth source: clouds.yaml '%s' cloud 'mycloud'",
                     "./clouds.yaml");
    assert_line(want);
    assert_line("endpoint: http://p.example:8778 (configured)");
    assert_no_secret();
}

Test(check_config, a_token_and_no_auth_at_all)
{
    _cleanup_free_ char *path = fixture_put(
        tmpdir, "agent.yaml", "placement:\n  endpoint: http://p:8778\n", 0644);

    setenv("VGPU_AGENT_TOKEN", TOKEN, 1);
    check_config(path, NULL);
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_line("auth: token (from VGPU_AGENT_TOKEN)");
    assert_line("placement.token: ********");
    assert_line("endpoint: http://p:8778 (configured)");
    cr_assert(eq(ptr, strstr(run.out, "auth source:"), NULL), "%s", run.out);
    assert_no_secret();
    agentrun_clear(&run);
    unsetenv("VGPU_AGENT_TOKEN");
    check_config(path, NULL);
    assert_line("auth: none");
}

Test(check_config, an_invalid_config_is_exit_2_with_file_line_column)
{
    _cleanup_free_ char *path = fixture_put(
        tmpdir, "agent.yaml", "placement:\n  interface: private\n", 0644);
    _cleanup_free_ char *want = NULL;

    check_config(path, NULL);
    cr_assert(eq(int, run.status, 2));
    want = xasprintf("%s:2:14: placement.interface: \"private\" is not "
                     "internal, public or admin",
                     path);
    cr_assert(ne(ptr, strstr(run.err, want), NULL), "%s", run.err);
    cr_assert(eq(str, run.out, ""));
}

Test(check_config, a_world_readable_config_with_a_password_is_refused)
{
    _cleanup_free_ char *path =
        fixture_put(tmpdir, "agent.yaml", AUTH_YAML("http://k/v3"), 0644);

    check_config(path, NULL);
    cr_assert(eq(int, run.status, 2));
    cr_assert(
        ne(ptr, strstr(run.err, "contains a secret but is mode 0644"), NULL),
        "%s", run.err);
    assert_no_secret();
}

/* Assert a "PATH: " line for every key of keys under prefix (a map's
 * entries under prefix.ENTRY), but for an alias stored in its setting's
 * field. */
static void
assert_every_key(const struct confwalk_key *keys, const char *prefix,
                 const char *entry)
{
    for (const struct confwalk_key *k = keys; k->name; k++) {
        _cleanup_free_ char *path =
            prefix ? xasprintf("%s.%s", prefix, k->name) : xstrdup(k->name);
        _cleanup_free_ char *want = xasprintf("\n%s: ", path);
        _cleanup_free_ char *out = xasprintf("\n%s", run.out);
        const struct confwalk_key *of = keys;

        while (k->alias_of && strcmp(of->name, k->alias_of) != 0)
            of++;
        if (k->alias_of && of->offset == k->offset)
            continue;
        if (k->kind == CONFWALK_SECTION) {
            assert_every_key(k->sub, path, entry);
        } else if (k->kind == CONFWALK_MAP) {
            _cleanup_free_ char *sub = xasprintf("%s.%s", path, entry);

            assert_every_key(k->sub, sub, entry);
        } else {
            cr_assert(ne(ptr, strstr(out, want), NULL),
                      "no line for %s in:\n%s", path, run.out);
        }
    }
}

Test(check_config, every_key_of_the_table_is_shown_as_resolved)
{
    _cleanup_free_ char *tok = fixture_put(tmpdir, "token", TOKEN "\n", 0600);
    _cleanup_free_ char *yaml =
        xasprintf("node_name: host-1\nmdev_types:\n  nvidia-35:\n"
                  "    device_addresses: [\"0000:84:00.0\"]\n"
                  "    traits: [CUSTOM_A, CUSTOM_B]\n"
                  "placement:\n  token_file: %s\n",
                  tok);
    _cleanup_free_ char *path = fixture_put(tmpdir, "agent.yaml", yaml, 0644);
    _cleanup_free_ char *want = xasprintf("placement.token_file: %s", tok);

    check_config(path, NULL);
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    assert_every_key(conf_keys, NULL, "nvidia-35");
    assert_line("enabled_mdev_types: [nvidia-35]");
    assert_line("mdev_types.nvidia-35.device_addresses: [0000:84:00.0]");
    assert_line("mdev_types.nvidia-35.mdev_class: VGPU");
    assert_line("mdev_types.nvidia-35.max_instances: (not set)");
    assert_line("mdev_types.nvidia-35.traits: [CUSTOM_A, CUSTOM_B]");
    assert_line("sysfs_root: /sys");
    assert_line("placement.token: ********");
    assert_line(want);
    assert_line("placement.timeout_s: 10");
    assert_line("placement.insecure: false");
    assert_line("interval_s: 60");
    assert_line("lock_file: /run/vgpu-agent/lock");
    assert_line("metrics_file: (not set)");
    assert_line("reconcile.enabled: true");
    assert_line("reconcile.mdevctl_dir: /etc/mdevctl.d");
    cr_assert(eq(ptr, strstr(run.out, "enabled_vgpu_types"), NULL), "%s",
              run.out);
    assert_no_secret();
}

Test(check_config, node_uuid_is_shown_derived_and_sysfs_root_overridden)
{
    _cleanup_free_ char *path =
        fixture_put(tmpdir, "agent.yaml", "node_name: host-1\n", 0644);
    const char *args[] = { "--sysfs-root", "/srv/sys",     "-c",
                           path,           "check-config", NULL };

    agentrun(&run, args);
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    /* UUIDv5(DNS namespace, "host-1") */
    assert_line("node_uuid: f72400a4-a35a-5d17-b5ce-25036ebf0bbc");
    assert_line("sysfs_root: /srv/sys");
}

/* A loopback port nothing listens on (bound, then closed). */
static int
closed_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert(fd >= 0);
    cr_assert(eq(int, bind(fd, (struct sockaddr *)&a, sizeof(a)), 0));
    cr_assert(eq(int, getsockname(fd, (struct sockaddr *)&a, &len), 0));
    close(fd);
    return ntohs(a.sin_port);
}

Test(check_config, connect_with_keystone_down_fails_naming_the_request)
{
    _cleanup_free_ char *url =
        xasprintf("http://127.0.0.1:%d/v3", closed_port());
    _cleanup_free_ char *yaml =
        xasprintf("placement:\n  auth:\n    auth_url: %s\n"
                  "    application_credential_id: ac-1\n"
                  "    application_credential_secret: " APPSECRET "\n",
                  url);
    _cleanup_free_ char *path = fixture_put(tmpdir, "agent.yaml", yaml, 0600);
    _cleanup_free_ char *want = xasprintf("POST %s/auth/tokens: ", url);

    check_config(path, "--connect");
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, want), NULL), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.err, "(connection refused)"), NULL), "%s",
              run.err);
    assert_line("auth: application credential (id 'ac-1')");
    assert_no_secret();
}

Test(check_config, an_unknown_argument_is_a_usage_error)
{
    _cleanup_free_ char *path = fixture_put(tmpdir, "agent.yaml", "", 0644);

    check_config(path, "--bogus");
    cr_assert(eq(int, run.status, 2));
    cr_assert(ne(ptr,
                 strstr(run.err, "vgpu-agent: error: check-config: unknown "
                                 "option '--bogus' (see vgpu-agent "
                                 "check-config --help)"),
                 NULL),
              "%s", run.err);
}
