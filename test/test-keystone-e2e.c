/*
 * test-keystone-e2e.c - end to end: `vgpu-agent sync` authenticates with a
 * real Keystone, finds Placement in the catalog and syncs to a real
 * Placement that validates every token with that Keystone
 * (keystonemiddleware).
 *
 * Each test starts its cloud (test/keystone-cloud.h): the binary's shared
 * Keystone with a user and region of the test's own, or a Keystone of its
 * own (from the template: about 2.5 s) when it changes Keystone itself,
 * and its own Placement behind it.  The agent's password and application
 * credential secret must appear nowhere in what the agent prints, and
 * neither may a Fernet token (they all start "gAAAAA").
 *
 * The log lines matched here are the contract between the agent and these
 * tests: "keystone: authenticated (<method>) at <url>; token expires ...;
 * placement endpoint <url>", "POST <auth_url>/auth/tokens" with the status
 * or transport reason, "no placement service in the catalog".  The
 * service (`run`) with Keystone: test-keystone-run.c, the other source of
 * this binary (test/testkeystone.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fixture.h"
#include "keystone-cloud.h"
#include "testkeystone.h"
#include "xalloc.h"

struct keystone_cloud cloud;
struct agentenv env;

static void
setup(void)
{
    agentenv_init(&env);
    env.patience_ms = WAIT_MS;
    agentenv_host(&env, "m60");
}

static void
teardown(void)
{
    agentenv_clear(&env); /* the agent first */
    keystone_cloud_stop(&cloud);
}

TestSuite(keystone, .init = setup, .fini = teardown);

/* --- files ---------------------------------------------------------------- */

/* Write text to rel in the test's directory, mode 0600; the path. */
static char *
write_private(const char *rel, const char *text)
{
    return agentenv_write(&env, rel, text);
}

void
write_conf(const char *placement_section)
{
    agentenv_write_conf(&env, &(struct agentconf){
                                  .settings_file = "dump/m60.conf.yaml",
                                  .settings = "interval_s: 1\n",
                                  .placement = placement_section,
                              });
}

char *
password_section(const char *password, const char *interface)
{
    return keystone_cloud_password_section(&cloud, &env, password, interface);
}

cJSON *
dump(void)
{
    _cleanup_free_ char *src = fixture_data_path("dump/m60.conf.yaml");

    return agentrun_dump(src, env.root);
}

/* --- assertions ------------------------------------------------------------
 */

void
assert_no_secret(const char *what, const char *text)
{
    keystone_cloud_assert_no_secret(&cloud, what, text);
}

static void
assert_run_clean(const struct agentrun *r)
{
    assert_no_secret("stdout", r->out);
    assert_no_secret("stderr", r->err);
}

static void
assert_contains(const char *text, const char *needle)
{
    cr_assert(ne(ptr, strstr(text, needle), NULL), "no '%s' in:\n%s", needle,
              text);
}

/* `sync -v` with the environment changed by vars (agentrun_env());
 * asserts no secret shows. */
static void
sync_env(struct agentrun *r, const char *const *vars)
{
    agentrun_env(r,
                 (const char *const[]){ "-v", "-c", env.conf, "--sysfs-root",
                                        env.root, "sync", NULL },
                 vars);
    assert_run_clean(r);
}

/* sync exited 0 after authenticating with method, and Placement holds the
 * host. */
static void
assert_synced(const struct agentrun *r, const char *method)
{
    _cleanup_free_ char *line = xasprintf(AUTHENTICATED "%s) at %s", method,
                                          keystone_server_auth_url(cloud.ks));
    _cleanup_free_ char *endpoint =
        xasprintf("placement endpoint %s", placement_server_url(cloud.srv));
    cJSON *d;

    cr_assert(eq(int, r->status, 0), "sync failed:\n%s", r->err);
    assert_contains(r->err, line);
    assert_contains(r->err, endpoint);
    d = dump();
    placement_server_assert_tree(cloud.srv, d);
    cJSON_Delete(d);
}

static char *
home_env(void)
{
    return xasprintf("HOME=%s/home", env.dir);
}

/* --- the harness itself ----------------------------------------------------
 */

Test(keystone, placement_accepts_only_tokens_keystone_validates)
{
    _cleanup_free_ char *token = NULL;
    long status = 0;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_SHARED, 0, true);
    free(placement_server_get(cloud.srv, "/resource_providers", &status));
    cr_assert(eq(long, status, 200), "the harness's own token");
    token = keystone_server_token(cloud.ks, cloud.user, AGENT_PASSWORD,
                                  "service", &status);
    cr_assert(eq(long, status, 201));
    cr_assert(keystone_server_token_valid(cloud.ks, token));
    free(keystone_server_token(cloud.ks, cloud.user, WRONG_PASSWORD, "service",
                               &status));
    cr_assert(eq(long, status, 401), "a wrong password");
    keystone_server_revoke_token(cloud.ks, token);
    cr_assert(not(keystone_server_token_valid(cloud.ks, token)), "revoked");
}

/* GET /resource_providers from Placement with token; the status. */
static long
placement_status_with(const char *token)
{
    _cleanup_free_ char *url =
        xasprintf("%s/resource_providers", placement_server_url(cloud.srv));
    _cleanup_free_ char *auth = xasprintf("X-Auth-Token: %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    FILE *sink = fopen("/dev/null", "we");
    CURL *c = curl_easy_init();
    long status = 0;

    cr_assert(c != NULL && sink != NULL);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    cr_assert(eq(int, curl_easy_perform(c), CURLE_OK), "GET %s", url);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    fclose(sink);
    return status;
}

/* Placement answers 401 to a token Keystone does not know, through
 * keystonemiddleware (not a noauth2 setup that accepts anything). */
Test(keystone, keystonemiddleware_rejects_an_invalid_token)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *good = NULL;
    long status = 0;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_SHARED, 0, true);
    cr_assert(eq(long, placement_status_with("admin"), 401));
    cr_assert(eq(long, placement_status_with(FERNET_PREFIX "BogusToken"), 401));
    good = keystone_server_token(cloud.ks, cloud.user, AGENT_PASSWORD,
                                 "service", &status);
    cr_assert(good != NULL);
    /* The agent with a static token: TEST_TOKEN works under noauth2 only. */
    {
        _cleanup_free_ char *section =
            xasprintf("placement:\n  endpoint: %s\n  token: " TEST_TOKEN "\n",
                      placement_server_url(cloud.srv));
        write_conf(section);

        agentenv_run(&env, &r, (const char *const[]){ "sync", NULL });
        assert_run_clean(&r);
        cr_assert(eq(int, r.status, 1), "sync with a bogus token:\n%s", r.err);
        agentrun_clear(&r);
    }
    /* A valid Keystone token as a static token: accepted. */
    {
        _cleanup_free_ char *tokfile = NULL, *section = NULL;

        tokfile = write_private("token", good);
        section = xasprintf("placement:\n  endpoint: %s\n  token_file: %s\n",
                            placement_server_url(cloud.srv), tokfile);
        write_conf(section);
        agentenv_run(&env, &r, (const char *const[]){ "sync", NULL });
        assert_run_clean(&r);
        cr_assert(eq(int, r.status, 0), "sync with a Keystone token:\n%s",
                  r.err);
        agentrun_clear(&r);
    }
    cr_assert(eq(long, placement_status_with(good), 200));
    keystone_server_revoke_token(cloud.ks, good);
    cr_assert(eq(long, placement_status_with(good), 401));
    {
        _cleanup_free_ char *section =
            xasprintf("placement:\n  endpoint: %s\n  token_file: %s/token\n",
                      placement_server_url(cloud.srv), env.dir);
        write_conf(section);

        agentenv_run(&env, &r, (const char *const[]){ "sync", NULL });
        assert_run_clean(&r);
        cr_assert(eq(int, r.status, 1), "sync with a revoked token:\n%s",
                  r.err);
        agentrun_clear(&r);
    }
}

Test(keystone, keystone_comes_back_on_the_same_port_with_its_data)
{
    _cleanup_free_ char *token = NULL, *again = NULL;
    long status = 0;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_PRIVATE, 0, true);
    token = keystone_server_token(cloud.ks, cloud.user, AGENT_PASSWORD,
                                  "service", &status);
    cr_assert(token != NULL);
    keystone_server_down(cloud.ks);
    free(placement_server_get(cloud.srv, "/resource_providers", &status));
    cr_assert(ne(long, status, 200), "Placement cannot validate tokens");
    keystone_server_up(cloud.ks);
    cr_assert(keystone_server_token_valid(cloud.ks, token), "same keys");
    again = keystone_server_token(cloud.ks, cloud.user, AGENT_PASSWORD,
                                  "service", &status);
    cr_assert(again != NULL, "same users");
    free(placement_server_get(cloud.srv, "/resource_providers", &status));
    cr_assert(eq(long, status, 200));
}

/* --- the agent: sync -------------------------------------------------------
 */

Test(keystone, sync_with_a_password)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *home = NULL, *section = NULL;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_SHARED, 0, true);
    home = home_env();
    section = password_section(AGENT_PASSWORD, "internal");
    write_conf(section);
    sync_env(&r, (const char *const[]){ home, KEYSTONE_CLOUD_CLEAN_ENV, NULL });
    assert_synced(&r, "password");
    agentrun_clear(&r);
}

Test(keystone, sync_with_an_application_credential)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *id = NULL, *home = NULL, *section = NULL;
    _cleanup_free_ char *secret_file = NULL;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_SHARED, 0, true);
    id =
        keystone_server_add_app_cred(cloud.ks, cloud.user, AGENT_PASSWORD,
                                     "service", "vgpu-agent", &cloud.ac_secret);
    secret_file = write_private("ac-secret", cloud.ac_secret);
    home = home_env();
    section = xasprintf("placement:\n"
                        "  auth:\n"
                        "    auth_url: %s\n"
                        "    application_credential_id: %s\n"
                        "    application_credential_secret_file: %s\n"
                        "  region_name: %s\n"
                        "  interface: public\n",
                        keystone_server_auth_url(cloud.ks), id, secret_file,
                        cloud.region);
    write_conf(section);
    sync_env(&r, (const char *const[]){ home, KEYSTONE_CLOUD_CLEAN_ENV, NULL });
    assert_synced(&r, "application credential");
    agentrun_clear(&r);
}

/* clouds.yaml named by OS_CLIENT_CONFIG_FILE, the password in secure.yaml
 * under ~/.config/openstack (HOME in the temporary directory). */
Test(keystone, sync_with_clouds_yaml_and_secure_yaml)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *clouds = NULL, *secure = NULL;
    _cleanup_free_ char *cfgenv = NULL, *home = NULL, *text = NULL;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_SHARED, 0, true);
    text =
        xasprintf("clouds:\n"
                  "  mycloud:\n"
                  "    auth:\n"
                  "      auth_url: %s\n"
                  "      username: %s\n"
                  "      user_domain_name: Default\n"
                  "      project_name: service\n"
                  "      project_domain_name: Default\n"
                  "    region_name: %s\n"
                  "    interface: internal\n"
                  "    identity_api_version: 3\n",
                  keystone_server_auth_url(cloud.ks), cloud.user, cloud.region);
    clouds = write_private("etc/clouds.yaml", text);
    secure = write_private("home/.config/openstack/secure.yaml",
                           "clouds:\n"
                           "  mycloud:\n"
                           "    auth:\n"
                           "      password: " AGENT_PASSWORD "\n");
    write_conf("placement:\n  cloud: mycloud\n");
    cfgenv = xasprintf("OS_CLIENT_CONFIG_FILE=%s", clouds);
    home = home_env();
    sync_env(&r, (const char *const[]){ KEYSTONE_CLOUD_CLEAN_ENV, home, cfgenv,
                                        NULL });
    assert_synced(&r, "password");
    agentrun_clear(&r);
}

Test(keystone, sync_with_os_environment_variables)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *home = NULL, *auth_url = NULL;
    _cleanup_free_ char *user = NULL, *region_env = NULL;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_SHARED, 0, true);
    write_conf("");
    home = home_env();
    auth_url = xasprintf("OS_AUTH_URL=%s", keystone_server_auth_url(cloud.ks));
    user = xasprintf("OS_USERNAME=%s", cloud.user);
    region_env = xasprintf("OS_REGION_NAME=%s", cloud.region);
    sync_env(&r, (const char *const[]){
                     KEYSTONE_CLOUD_CLEAN_ENV, home, auth_url, user,
                     "OS_PASSWORD=" AGENT_PASSWORD, "OS_PROJECT_NAME=service",
                     "OS_USER_DOMAIN_NAME=Default",
                     "OS_PROJECT_DOMAIN_NAME=Default", region_env,
                     "OS_INTERFACE=public", NULL });
    assert_synced(&r, "password");
    agentrun_clear(&r);
}

Test(keystone, a_wrong_password_fails_with_keystones_401)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *home = NULL, *section = NULL;
    _cleanup_free_ char *post = NULL;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_SHARED, 0, true);
    home = home_env();
    section = password_section(WRONG_PASSWORD, "internal");
    write_conf(section);
    sync_env(&r, (const char *const[]){ home, KEYSTONE_CLOUD_CLEAN_ENV, NULL });
    cr_assert(eq(int, r.status, 1), "exit status:\n%s", r.err);
    post = xasprintf("POST %s/auth/tokens", keystone_server_auth_url(cloud.ks));
    agentrun_assert_line(r.err, post, "401");
    cr_assert(eq(ptr, strstr(r.err, WRONG_PASSWORD), NULL), "%s", r.err);
    cr_assert(eq(ptr, strstr(r.err, AUTHENTICATED), NULL), "%s", r.err);
    agentrun_clear(&r);
}

Test(keystone, placement_missing_from_the_catalog_is_reported)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *home = NULL, *section = NULL;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_PRIVATE, 0, false);
    home = home_env();
    section = password_section(AGENT_PASSWORD, "internal");
    write_conf(section);
    sync_env(&r, (const char *const[]){ home, KEYSTONE_CLOUD_CLEAN_ENV, NULL });
    cr_assert(eq(int, r.status, 1), "exit status:\n%s", r.err);
    assert_contains(r.err, "no placement service in the catalog");
    agentrun_clear(&r);
}

/* check-config --connect resolves the method, the source and the endpoint,
 * masks the secret, and reads Placement's version document. */
Test(keystone, check_config_connect_shows_what_it_resolved)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *home = NULL, *section = NULL;
    _cleanup_free_ char *endpoint = NULL, *auth = NULL, *catalog = NULL;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_SHARED, 0, true);
    home = home_env();
    section = password_section(AGENT_PASSWORD, "internal");
    write_conf(section);
    agentrun_env(&r,
                 (const char *const[]){ "-c", env.conf, "check-config",
                                        "--connect", NULL },
                 (const char *const[]){ home, KEYSTONE_CLOUD_CLEAN_ENV, NULL });
    assert_run_clean(&r);
    cr_assert(eq(int, r.status, 0), "check-config --connect:\n%s\n%s", r.out,
              r.err);
    auth =
        xasprintf("auth: password (user '%s', project 'service')", cloud.user);
    assert_contains(r.out, auth);
    assert_contains(r.out, "auth source: config file");
    catalog =
        xasprintf("endpoint: from the catalog (interface internal, region %s)",
                  cloud.region);
    assert_contains(r.out, catalog);
    endpoint =
        xasprintf("endpoint: %s (catalog)", placement_server_url(cloud.srv));
    assert_contains(r.out, endpoint);
    assert_contains(r.out, "placement: microversions ");
    agentrun_clear(&r);
}
