/*
 * test-clouds.c - how the agent authenticates: placement.auth, OS_* and
 * clouds.yaml (+ secure.yaml), their precedence, the secret files' modes
 * and every message.
 *
 * Each test runs in its own process (Criterion forks), in a fresh
 * temporary directory that is also its HOME and its working directory,
 * with every OS_* variable unset first: nothing of the machine's own
 * OpenStack setup leaks in.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clouds.h"
#include "conf.h"
#include "fixture.h"
#include "xalloc.h"

#define assert_streq(a, b)                                                     \
    cr_assert(strcmp((a), (b)) == 0, "'%s' != '%s'", (a), (b))

static char *tmpdir; /* HOME and the working directory */
static struct conf *conf;
static struct clouds_auth *auth;
static struct strv errors;

static void
setup(void)
{
    tmpdir = fixture_home();
}

static void
teardown(void)
{
    clouds_auth_free(auth);
    conf_free(conf);
    strv_clear(&errors);
    fixture_rm_rf(tmpdir);
    free(tmpdir);
}

TestSuite(clouds, .init = setup, .fini = teardown);

static void
dir(const char *rel)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", tmpdir, rel);

    cr_assert(eq(int, mkdir(path, 0700), 0), "%s", path);
}

/* All the messages, one a line, for substring checks. */
static char *
joined(void)
{
    char *s = xstrdup("");

    for (size_t i = 0; i < errors.n; i++) {
        char *t = xasprintf("%s%s\n", s, errors.v[i]);

        free(s);
        s = t;
    }
    return s;
}

static int
resolve(const char *yaml)
{
    int r = conf_load_buf("agent.yaml", yaml, strlen(yaml), &conf, &errors);

    cr_assert(eq(int, r, 0), "conf: %s", errors.n ? errors.v[0] : "");
    conf_apply_env(conf);
    return clouds_resolve(conf, &auth, &errors);
}

static void
resolve_ok(const char *yaml)
{
    _cleanup_free_ char *all = NULL;
    int r = resolve(yaml);

    all = joined();
    cr_assert(eq(int, r, 0), "errors: %s", all);
    cr_assert(auth != NULL);
}

/* Resolve yaml, which must fail with a message containing want. */
static void
resolve_fails_with(const char *yaml, const char *want)
{
    _cleanup_free_ char *all = NULL;
    int r = resolve(yaml);

    all = joined();
    cr_assert(eq(int, r, -EINVAL), "resolved; want \"%s\"", want);
    cr_assert(ne(ptr, strstr(all, want), NULL), "want \"%s\" in:\n%s", want,
              all);
    cr_assert(eq(ptr, auth, NULL));
}

#define YAML_PASSWORD                                                          \
    "placement:\n"                                                             \
    "  auth:\n"                                                                \
    "    auth_url: http://keystone.example:5000/v3/\n"                         \
    "    username: placement-agent\n"                                          \
    "    password: s3cret-pw\n"                                                \
    "    user_domain_name: Default\n"                                          \
    "    project_name: service\n"                                              \
    "    project_domain_name: Default\n"

static void
set_os_password_env(void)
{
    setenv("OS_AUTH_URL", "http://env.example:5000/v3", 1);
    setenv("OS_USERNAME", "env-user", 1);
    setenv("OS_PASSWORD", "env-password", 1);
    setenv("OS_USER_DOMAIN_NAME", "Default", 1);
    setenv("OS_PROJECT_NAME", "env-project", 1);
    setenv("OS_PROJECT_DOMAIN_NAME", "Default", 1);
    setenv("OS_REGION_NAME", "EnvRegion", 1);
    setenv("OS_INTERFACE", "public", 1);
}

/* --- placement.auth ---------------------------------------------------- */

Test(clouds, yaml_password_auth_resolves_with_internal_as_the_default)
{
    resolve_ok(YAML_PASSWORD);
    cr_assert(eq(int, auth->method, CLOUDS_AUTH_PASSWORD));
    cr_assert(eq(int, auth->source, CLOUDS_FROM_CONFIG));
    cr_assert(eq(str, auth->cred.auth_url, "http://keystone.example:5000/v3"));
    cr_assert(eq(str, auth->cred.password, "s3cret-pw"));
    cr_assert(eq(str, auth->interface, "internal"));
    cr_assert(eq(ptr, auth->region_name, NULL));
    assert_streq(clouds_method_name(auth->method), "password");
    cr_assert(clouds_uses_keystone(auth));
}

Test(clouds, yaml_application_credential_needs_no_project)
{
    resolve_ok("placement:\n"
               "  auth:\n"
               "    auth_url: https://ks/v3\n"
               "    application_credential_id: ac-id\n"
               "    application_credential_secret: ac-secret\n"
               "  region_name: RegionTwo\n"
               "  interface: admin\n");
    cr_assert(eq(int, auth->method, CLOUDS_AUTH_APPCRED));
    cr_assert(eq(str, auth->cred.application_credential_id, "ac-id"));
    cr_assert(eq(str, auth->region_name, "RegionTwo"));
    cr_assert(eq(str, auth->interface, "admin"));
    assert_streq(clouds_method_name(auth->method), "application credential");
}

Test(clouds, a_token_is_the_token_method_and_no_auth_is_none)
{
    resolve_ok("placement:\n  token: abcdef\n  endpoint: http://p:8778\n");
    cr_assert(eq(int, auth->method, CLOUDS_AUTH_TOKEN));
    cr_assert(eq(int, auth->source, CLOUDS_FROM_NONE));
    cr_assert(clouds_uses_keystone(auth) == false);
    clouds_auth_free(auth);
    auth = NULL;
    conf_free(conf);
    conf = NULL;
    resolve_ok("placement:\n  endpoint: http://p:8778\n");
    cr_assert(eq(int, auth->method, CLOUDS_AUTH_NONE));
}

struct incomplete {
    const char *auth;
    const char *want;
};

static struct incomplete incomplete[] = {
    { "    username: u\n    password: p\n    user_domain_name: D\n"
      "    project_id: x\n",
      "placement.auth: auth_url is not set" },
    { "    auth_url: http://k/v3\n    password: p\n    project_id: x\n",
      "placement.auth: username or user_id is not set" },
    { "    auth_url: http://k/v3\n    user_id: u\n    project_id: x\n",
      "placement.auth: password is not set" },
    { "    auth_url: http://k/v3\n    username: u\n    password: p\n"
      "    project_id: x\n",
      "placement.auth: username needs user_domain_name or user_domain_id" },
    { "    auth_url: http://k/v3\n    user_id: u\n    password: p\n",
      "placement.auth: project_name or project_id is not set" },
    { "    auth_url: http://k/v3\n    user_id: u\n    password: p\n"
      "    project_name: s\n",
      "placement.auth: project_name needs project_domain_name or "
      "project_domain_id" },
    { "    auth_url: http://k/v3\n    application_credential_secret: s\n",
      "placement.auth: application_credential_id is not set" },
    { "    auth_url: http://k/v3\n    application_credential_id: i\n",
      "placement.auth: application_credential_secret is not set" },
};

Test(clouds, incomplete_credentials_say_what_is_missing)
{
    for (size_t i = 0; i < sizeof(incomplete) / sizeof(*incomplete); i++) {
        _cleanup_free_ char *yaml =
            xasprintf("placement:\n  auth:\n%s", incomplete[i].auth);

        resolve_fails_with(yaml, incomplete[i].want);
        conf_free(conf);
        conf = NULL;
        strv_clear(&errors);
    }
}

/* --- OS_* ---------------------------------------------------------------- */

Test(clouds, os_variables_are_used_when_the_yaml_has_no_auth)
{
    set_os_password_env();
    resolve_ok("node_name: n\n");
    cr_assert(eq(int, auth->source, CLOUDS_FROM_ENV));
    cr_assert(eq(str, auth->cred.auth_url, "http://env.example:5000/v3"));
    cr_assert(eq(str, auth->cred.username, "env-user"));
    cr_assert(eq(str, auth->cred.password, "env-password"));
    cr_assert(eq(str, auth->cred.project_name, "env-project"));
    cr_assert(eq(str, auth->region_name, "EnvRegion"));
    cr_assert(eq(str, auth->interface, "public"));
}

Test(clouds, the_v2_interface_names_are_understood)
{
    set_os_password_env();
    setenv("OS_INTERFACE", "internalURL", 1);
    resolve_ok("");
    cr_assert(eq(str, auth->interface, "internal"));
}

Test(clouds, an_unknown_interface_from_the_environment_is_an_error)
{
    set_os_password_env();
    setenv("OS_INTERFACE", "private", 1);
    resolve_fails_with(
        "", "OS_* environment: interface 'private' is not internal, public or "
            "admin");
}

Test(clouds, os_variables_are_ignored_when_the_yaml_has_auth)
{
    set_os_password_env();
    resolve_ok(YAML_PASSWORD);
    cr_assert(eq(int, auth->source, CLOUDS_FROM_CONFIG));
    cr_assert(eq(str, auth->cred.username, "placement-agent"));
    cr_assert(eq(str, auth->cred.password, "s3cret-pw"));
    cr_assert(eq(ptr, auth->region_name, NULL));
    cr_assert(eq(str, auth->interface, "internal"));
}

Test(clouds, vgpu_agent_token_with_keystone_credentials_is_an_error)
{
    setenv("VGPU_AGENT_TOKEN", "abcdef", 1);
    resolve_fails_with(YAML_PASSWORD,
                       "VGPU_AGENT_TOKEN is set, and so is placement.auth: a "
                       "token or Keystone credentials, not both");
}

Test(clouds, os_variables_are_ignored_when_the_yaml_has_a_token)
{
    set_os_password_env();
    resolve_ok("placement:\n  token: abcdef\n");
    cr_assert(eq(int, auth->method, CLOUDS_AUTH_TOKEN));
}

Test(clouds, os_application_credential_variables_work)
{
    setenv("OS_AUTH_URL", "http://k/v3", 1);
    setenv("OS_APPLICATION_CREDENTIAL_ID", "env-ac", 1);
    setenv("OS_APPLICATION_CREDENTIAL_SECRET", "env-ac-secret", 1);
    resolve_ok("");
    cr_assert(eq(int, auth->method, CLOUDS_AUTH_APPCRED));
    cr_assert(
        eq(str, auth->cred.application_credential_secret, "env-ac-secret"));
}

Test(clouds, an_incomplete_environment_is_named_as_such)
{
    setenv("OS_USERNAME", "u", 1);
    resolve_fails_with("", "OS_* environment: auth_url is not set");
}

/* --- clouds.yaml and secure.yaml --------------------------------------- */

#define CLOUDS_YAML                                                            \
    "clouds:\n"                                                                \
    "  other:\n"                                                               \
    "    auth: {auth_url: 'http://other/v3'}\n"                                \
    "  mycloud:\n"                                                             \
    "    auth:\n"                                                              \
    "      auth_url: http://cloud.example:5000/v3\n"                           \
    "      username: cloud-user\n"                                             \
    "      user_domain_name: Default\n"                                        \
    "      project_name: cloud-project\n"                                      \
    "      project_domain_name: Default\n"                                     \
    "      unknown_to_the_agent: fine\n"                                       \
    "    region_name: CloudRegion\n"                                           \
    "    interface: public\n"                                                  \
    "    identity_api_version: 3\n"

#define SECURE_YAML                                                            \
    "clouds:\n"                                                                \
    "  mycloud:\n"                                                             \
    "    auth:\n"                                                              \
    "      password: cloud-password\n"

Test(clouds, clouds_yaml_and_secure_yaml_beside_it_are_merged)
{
    _cleanup_free_ char *c = NULL, *s = NULL;

    dir("etc");
    c = fixture_put(tmpdir, "etc/clouds.yaml", CLOUDS_YAML, 0644);
    s = fixture_put(tmpdir, "etc/secure.yaml", SECURE_YAML, 0600);
    setenv("OS_CLIENT_CONFIG_FILE", c, 1);
    resolve_ok("placement:\n  cloud: mycloud\n");
    cr_assert(eq(int, auth->source, CLOUDS_FROM_CLOUDS));
    cr_assert(eq(str, auth->clouds_path, c));
    cr_assert(eq(str, auth->cloud, "mycloud"));
    cr_assert(eq(str, auth->cred.username, "cloud-user"));
    cr_assert(eq(str, auth->cred.password, "cloud-password"));
    cr_assert(eq(str, auth->region_name, "CloudRegion"));
    cr_assert(eq(str, auth->interface, "public"));
}

Test(clouds, clouds_yaml_is_found_in_home_and_os_cloud_names_the_cloud)
{
    _cleanup_free_ char *c = NULL, *s = NULL;

    dir(".config");
    dir(".config/openstack");
    c = fixture_put(tmpdir, ".config/openstack/clouds.yaml", CLOUDS_YAML, 0644);
    s = fixture_put(tmpdir, ".config/openstack/secure.yaml", SECURE_YAML, 0600);
    setenv("OS_CLOUD", "mycloud", 1);
    resolve_ok("");
    cr_assert(eq(str, auth->clouds_path, c));
    cr_assert(eq(str, auth->cred.password, "cloud-password"));
}

Test(clouds, clouds_yaml_in_the_working_directory_comes_first)
{
    _cleanup_free_ char *c = NULL, *h = NULL;

    dir(".config");
    dir(".config/openstack");
    h = fixture_put(tmpdir, ".config/openstack/clouds.yaml", "clouds: {}\n",
                    0644);
    c = fixture_put(
        tmpdir, "clouds.yaml",
        "clouds:\n  mycloud:\n    auth:\n      auth_url: http://k/v3\n"
        "      application_credential_id: i\n"
        "      application_credential_secret: s3cret\n",
        0600);
    resolve_ok("placement:\n  cloud: mycloud\n");
    cr_assert(eq(str, auth->clouds_path, "./clouds.yaml"));
    cr_assert(eq(int, auth->method, CLOUDS_AUTH_APPCRED));
}

Test(clouds, os_variables_override_the_cloud_and_yaml_overrides_both)
{
    _cleanup_free_ char *c = NULL, *s = NULL;

    c = fixture_put(tmpdir, "clouds.yaml", CLOUDS_YAML, 0644);
    s = fixture_put(tmpdir, "secure.yaml", SECURE_YAML, 0600);
    setenv("OS_CLIENT_CONFIG_FILE", c, 1);
    setenv("OS_PROJECT_NAME", "env-project", 1);
    setenv("OS_REGION_NAME", "EnvRegion", 1);
    resolve_ok("placement:\n  cloud: mycloud\n  interface: admin\n");
    cr_assert(eq(int, auth->source, CLOUDS_FROM_ENV));
    cr_assert(eq(str, auth->cred.username, "cloud-user"));
    cr_assert(eq(str, auth->cred.project_name, "env-project"));
    cr_assert(eq(str, auth->region_name, "EnvRegion"));
    cr_assert(eq(str, auth->interface, "admin"));
}

Test(clouds, yaml_auth_keys_override_the_cloud)
{
    _cleanup_free_ char *c = NULL, *s = NULL;

    c = fixture_put(tmpdir, "clouds.yaml", CLOUDS_YAML, 0644);
    s = fixture_put(tmpdir, "secure.yaml", SECURE_YAML, 0600);
    setenv("OS_CLIENT_CONFIG_FILE", c, 1);
    resolve_ok("placement:\n  cloud: mycloud\n  auth:\n"
               "    project_name: yaml-project\n");
    cr_assert(eq(int, auth->source, CLOUDS_FROM_CONFIG));
    cr_assert(eq(str, auth->cred.project_name, "yaml-project"));
    cr_assert(eq(str, auth->cred.password, "cloud-password"));
}

Test(clouds, a_clouds_yaml_holding_a_password_must_be_private)
{
    _cleanup_free_ char *c = fixture_put(tmpdir, "clouds.yaml",
                                         "clouds:\n  mycloud:\n    auth:\n"
                                         "      auth_url: http://k/v3\n"
                                         "      password: leaked-pw\n",
                                         0644);
    _cleanup_free_ char *want =
        xasprintf("%s contains a secret but is mode 0644; chmod 600 it", c);
    _cleanup_free_ char *all = NULL;

    setenv("OS_CLIENT_CONFIG_FILE", c, 1);
    resolve_fails_with("placement:\n  cloud: mycloud\n", want);
    all = joined();
    cr_assert(eq(ptr, strstr(all, "leaked-pw"), NULL));
}

Test(clouds, a_secure_yaml_holding_a_secret_must_be_private)
{
    _cleanup_free_ char *c =
        fixture_put(tmpdir, "clouds.yaml", CLOUDS_YAML, 0644);
    _cleanup_free_ char *s =
        fixture_put(tmpdir, "secure.yaml", SECURE_YAML, 0640);
    _cleanup_free_ char *want =
        xasprintf("%s contains a secret but is mode 0640", s);

    setenv("OS_CLIENT_CONFIG_FILE", c, 1);
    resolve_fails_with("placement:\n  cloud: mycloud\n", want);
}

Test(clouds, an_unknown_cloud_names_the_file_and_the_cloud)
{
    _cleanup_free_ char *c =
        fixture_put(tmpdir, "clouds.yaml", CLOUDS_YAML, 0644);
    _cleanup_free_ char *want =
        xasprintf("%s: no cloud 'nosuch' under clouds:", c);

    setenv("OS_CLIENT_CONFIG_FILE", c, 1);
    resolve_fails_with("placement:\n  cloud: nosuch\n", want);
}

Test(clouds, no_clouds_yaml_anywhere_says_where_it_looked)
{
    resolve_fails_with("placement:\n  cloud: mycloud\n",
                       "cloud 'mycloud': no clouds.yaml (looked for "
                       "./clouds.yaml, ~/.config/openstack/clouds.yaml, "
                       "/etc/openstack/clouds.yaml");
}

Test(clouds, a_bad_value_in_clouds_yaml_names_file_line_and_column)
{
    _cleanup_free_ char *c = fixture_put(tmpdir, "clouds.yaml",
                                         "clouds:\n  mycloud:\n    auth:\n"
                                         "      auth_url: [not, a, string]\n",
                                         0644);
    _cleanup_free_ char *want =
        xasprintf("%s:4:17: auth_url: expected a string", c);

    setenv("OS_CLIENT_CONFIG_FILE", c, 1);
    resolve_fails_with("placement:\n  cloud: mycloud\n", want);
}

Test(clouds, a_clouds_yaml_syntax_error_names_file_line_and_column)
{
    _cleanup_free_ char *c =
        fixture_put(tmpdir, "clouds.yaml", "clouds: [\n", 0644);
    _cleanup_free_ char *want = xasprintf("%s:2:1: ", c);

    setenv("OS_CLIENT_CONFIG_FILE", c, 1);
    resolve_fails_with("placement:\n  cloud: mycloud\n", want);
}

/* --- secret files ------------------------------------------------------ */

Test(clouds, password_file_gives_its_first_line)
{
    _cleanup_free_ char *pw =
        fixture_put(tmpdir, "password", "file-pw\nignored\n", 0600);
    _cleanup_free_ char *yaml = xasprintf(
        "placement:\n  auth:\n    auth_url: http://k/v3\n    user_id: u\n"
        "    password_file: %s\n    project_id: p\n",
        pw);

    resolve_ok(yaml);
    cr_assert(eq(str, auth->cred.password, "file-pw"));
}

Test(clouds, application_credential_secret_file_gives_the_secret)
{
    _cleanup_free_ char *s =
        fixture_put(tmpdir, "ac-secret", "ac-file-secret", 0400);
    _cleanup_free_ char *yaml =
        xasprintf("placement:\n  auth:\n    auth_url: http://k/v3\n"
                  "    application_credential_id: i\n"
                  "    application_credential_secret_file: %s\n",
                  s);

    resolve_ok(yaml);
    cr_assert(
        eq(str, auth->cred.application_credential_secret, "ac-file-secret"));
}

Test(clouds, a_secret_file_others_may_read_is_refused_by_name)
{
    _cleanup_free_ char *pw =
        fixture_put(tmpdir, "password", "file-pw\n", 0644);
    _cleanup_free_ char *yaml = xasprintf(
        "placement:\n  auth:\n    auth_url: http://k/v3\n    user_id: u\n"
        "    password_file: %s\n    project_id: p\n",
        pw);
    _cleanup_free_ char *want =
        xasprintf("%s contains a secret but is mode 0644", pw);
    _cleanup_free_ char *all = NULL;

    resolve_fails_with(yaml, want);
    all = joined();
    cr_assert(eq(ptr, strstr(all, "file-pw"), NULL));
}

Test(clouds, a_missing_or_empty_secret_file_is_an_error)
{
    _cleanup_free_ char *empty = fixture_put(tmpdir, "empty", "\n", 0600);
    _cleanup_free_ char *yaml = xasprintf(
        "placement:\n  auth:\n    auth_url: http://k/v3\n    user_id: u\n"
        "    password_file: %s\n    project_id: p\n",
        empty);
    _cleanup_free_ char *want = xasprintf("%s: the secret is empty", empty);

    resolve_fails_with(yaml, want);
    conf_free(conf);
    conf = NULL;
    resolve_fails_with("placement:\n  auth:\n    auth_url: http://k/v3\n"
                       "    user_id: u\n    password_file: /nonexistent/pw\n"
                       "    project_id: p\n",
                       "/nonexistent/pw: No such file or directory");
}

/* --- the config file's own rules (conf.c) ------------------------------ */

Test(clouds, a_config_file_holding_the_password_must_be_private)
{
    _cleanup_free_ char *path =
        fixture_put(tmpdir, "agent.yaml", YAML_PASSWORD, 0644);
    _cleanup_free_ char *want = xasprintf(
        "%s:5:5: placement.auth.password: %s contains a secret but is mode "
        "0644; chmod 600 it",
        path, path);
    _cleanup_free_ char *all = NULL;

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -EINVAL));
    all = joined();
    cr_assert(ne(ptr, strstr(all, want), NULL), "want %s in:\n%s", want, all);
    cr_assert(eq(ptr, strstr(all, "s3cret-pw"), NULL));
}

Test(clouds, a_private_config_file_may_hold_the_password)
{
    _cleanup_free_ char *path =
        fixture_put(tmpdir, "agent.yaml", YAML_PASSWORD, 0600);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0));
    cr_assert(eq(str, conf->placement.auth.password, "s3cret-pw"));
}

Test(clouds, token_and_auth_together_are_a_config_error)
{
    const char *yaml = YAML_PASSWORD "  token: abcdef\n";

    cr_assert(
        eq(int, conf_load_buf("agent.yaml", yaml, strlen(yaml), &conf, &errors),
           -EINVAL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(str, errors.v[0],
                 "agent.yaml:9:3: placement.token: placement.auth is given "
                 "too; use one of them"));
}

Test(clouds, a_bad_interface_and_both_password_forms_are_config_errors)
{
    const char *yaml = "placement:\n  interface: private\n  auth:\n"
                       "    password: x\n    password_file: /pw\n";

    cr_assert(
        eq(int, conf_load_buf("agent.yaml", yaml, strlen(yaml), &conf, &errors),
           -EINVAL));
    cr_assert(eq(sz, errors.n, 2));
    cr_assert(eq(str, errors.v[0],
                 "agent.yaml:2:14: placement.interface: \"private\" is not "
                 "internal, public or admin"));
    cr_assert(
        ne(ptr, strstr(errors.v[1], "placement.auth.password_file: "), NULL),
        "%s", errors.v[1]);
}
