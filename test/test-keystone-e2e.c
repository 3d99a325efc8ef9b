/*
 * test-keystone-e2e.c - end to end: the agent authenticates with a real
 * Keystone, finds Placement in the catalog and syncs to a real Placement
 * that validates every token with that Keystone (keystonemiddleware).
 *
 * Each test starts its own Keystone (test/keystone-server.h, from the
 * template: about 2.5 s) and its own Placement behind it, so a test may
 * revoke tokens, shorten their lifetime, leave Placement out of the catalog
 * or take Keystone down without disturbing another.  The agent user is
 * "placement-agent" with the admin role on project "service" (Placement's
 * policy); its password and application credential secret must appear
 * nowhere in what the agent prints, and neither may a Fernet token (they
 * all start "gAAAAA").
 *
 * The log lines matched here are the contract between the agent and these
 * tests (the issue-6 brief): "keystone: authenticated (<method>) at <url>;
 * token expires ...; placement endpoint <url>", "POST <auth_url>/auth/tokens"
 * with the status or transport reason, "no placement service in the
 * catalog".
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agentrun.h"
#include "cleanup.h"
#include "fixture.h"
#include "keystone-server.h"
#include "placement-server.h"
#include "testproc.h"
#include "testsecrets.h"
#include "xalloc.h"

#define AGENT_PASSWORD TEST_KEYSTONE_PASSWORD
#define WRONG_PASSWORD TEST_KEYSTONE_WRONG_PASSWORD
#define FERNET_PREFIX "gAAAAA"
#define AUTHENTICATED "keystone: authenticated ("
#define PASS_DONE "pass done: "
#define WAIT_MS 30000 /* patience for one pass incl. a token (sanitizers) */

static struct keystone_server *ks;
static struct placement_server *srv;
static struct agentproc *agent;
static char *agent_user; /* "placement-agent", + "-PID-TAG" on the shared one */
static char *region;     /* RegionOne, or a region of this test's own */
static char *agent_id;   /* the agent user's id */
static char *root;       /* the materialized host */
static char *confdir;    /* agent.yaml, secrets, clouds.yaml, HOME */
static char *ac_secret;  /* application credential secret, when made */

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    keystone_server_share_start();
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    keystone_server_share_stop();
}

enum keystone_kind {
    SHARED,  /* the binary's Keystone; this test's own user and region */
    PRIVATE, /* a Keystone of its own: it may take it down, or leave */
};

/* Keystone (private ones with token lifetime expiration, 0: default), the
 * agent user, Placement behind it, and Placement in the catalog when
 * listed. */
static void
start_cloud(enum keystone_kind kind, int expiration, bool listed)
{
    struct keystone_server_opts o = { .token_expiration = expiration };

    if (kind == SHARED) {
        /* pid and clock: unique within the run even if a pid is reused */
        long tag = testproc_now_ms() % 1000000;

        ks = keystone_server_shared();
        agent_user = xasprintf("placement-agent-%d-%ld", (int)getpid(), tag);
        region = xasprintf("Region-%d-%ld", (int)getpid(), tag);
        keystone_server_add_region(ks, region);
    } else {
        ks = keystone_server_start(&o);
        agent_user = xstrdup("placement-agent");
        region = xstrdup(KEYSTONE_SERVER_REGION);
    }
    agent_id = keystone_server_add_user(ks, agent_user, AGENT_PASSWORD,
                                        "service", "admin");
    srv = placement_server_start_keystone(ks);
    if (listed)
        keystone_server_add_endpoints(ks, "placement",
                                      placement_server_url(srv), region);
}

static void
setup(void)
{
    confdir = fixture_tmpdir();
    root = fixture_host("m60");
}

static void
teardown(void)
{
    agentproc_stop(agent);
    placement_server_stop(srv);
    keystone_server_stop(ks);
    agent = NULL;
    srv = NULL;
    ks = NULL;
    if (root)
        fixture_rm_rf(root);
    if (confdir)
        fixture_rm_rf(confdir);
    free(root);
    free(confdir);
    free(agent_id);
    free(ac_secret);
    free(agent_user);
    free(region);
    root = confdir = agent_id = ac_secret = agent_user = region = NULL;
}

TestSuite(keystone, .init = setup, .fini = teardown);

/* --- files ---------------------------------------------------------------- */

/* Write text to confdir/rel (directories made), mode 0600, atomically. */
static char *
write_private(const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", confdir, rel);
    _cleanup_free_ char *tmp = xasprintf("%s.new", path);
    int fd;
    FILE *f;

    for (char *s = strchr(path + strlen(confdir) + 1, '/'); s;
         s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(path, 0700);
        *s = '/';
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    f = fdopen(fd, "w");
    cr_assert(f != NULL, "%s", tmp);
    fputs(text, f);
    cr_assert(eq(int, fclose(f), 0));
    cr_assert(eq(int, rename(tmp, path), 0));
    return path;
}

/* test/data/dump/m60.conf.yaml, the host's settings. */
static char *
m60_settings(void)
{
    _cleanup_free_ char *src = fixture_data_path("dump/m60.conf.yaml");
    _cleanup_fclose_ FILE *in = fopen(src, "re");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char line[1024];

    cr_assert(in != NULL && mem != NULL, "%s", src);
    while (fgets(line, sizeof(line), in))
        fputs(line, mem);
    fclose(mem);
    return buf;
}

/* agent.yaml: the host's settings, interval_s 1, a lock file in confdir and
 * placement_section (starting "placement:\n", or "" for none). */
static char *
write_conf(const char *placement_section)
{
    _cleanup_free_ char *settings = m60_settings();
    _cleanup_free_ char *text =
        xasprintf("%sinterval_s: 1\nlock_file: %s/lock\n%s", settings, confdir,
                  placement_section);

    return write_private("agent.yaml", text);
}

/* The password auth section of agent.yaml, password from a file. */
static char *
password_section(const char *password, const char *interface)
{
    _cleanup_free_ char *line = xasprintf("%s\n", password);
    _cleanup_free_ char *pwfile = write_private("password", line);

    return xasprintf("placement:\n"
                     "  auth:\n"
                     "    auth_url: %s\n"
                     "    username: %s\n"
                     "    password_file: %s\n"
                     "    user_domain_name: Default\n"
                     "    project_name: service\n"
                     "    project_domain_name: Default\n"
                     "  region_name: %s\n"
                     "  interface: %s\n",
                     keystone_server_auth_url(ks), agent_user, pwfile, region,
                     interface);
}

/* The host's dump, from a config without any placement section (the
 * dump needs no Placement). */
static cJSON *
dump(void)
{
    _cleanup_free_ char *settings = m60_settings();
    _cleanup_free_ char *conf = write_private("dump.yaml", settings);

    return agentrun_dump(conf, root);
}

/* --- assertions ------------------------------------------------------------
 */

static void
assert_no_secret(const char *what, const char *text)
{
    cr_assert(eq(ptr, strstr(text, AGENT_PASSWORD), NULL),
              "%s shows the password:\n%s", what, text);
    cr_assert(eq(ptr, strstr(text, FERNET_PREFIX), NULL),
              "%s shows a token:\n%s", what, text);
    if (ac_secret)
        cr_assert(eq(ptr, strstr(text, ac_secret), NULL),
                  "%s shows the application credential secret:\n%s", what,
                  text);
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

/* Some line of text has needle and, after it, also word. */
static void
assert_line_has(const char *text, const char *needle, const char *word)
{
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
        const char *eol = strchr(p, '\n');
        const char *w = strstr(p + strlen(needle), word);

        if (w && (!eol || w < eol))
            return;
    }
    cr_assert(false, "no line with '%s' and then '%s' in:\n%s", needle, word,
              text);
}

/* `sync -v` with conf and env; asserts no secret shows. */
static void
sync_env(struct agentrun *r, const char *conf, const char *const *env)
{
    agentrun_env(r,
                 (const char *const[]){ "-v", "-c", conf, "--sysfs-root", root,
                                        "sync", NULL },
                 env);
    assert_run_clean(r);
}

/* sync exited 0 after authenticating with method, and Placement holds the
 * host. */
static void
assert_synced(const struct agentrun *r, const char *method)
{
    _cleanup_free_ char *line = xasprintf(AUTHENTICATED "%s) at %s", method,
                                          keystone_server_auth_url(ks));
    _cleanup_free_ char *endpoint =
        xasprintf("placement endpoint %s", placement_server_url(srv));
    cJSON *d;

    cr_assert(eq(int, r->status, 0), "sync failed:\n%s", r->err);
    assert_contains(r->err, line);
    assert_contains(r->err, endpoint);
    d = dump();
    placement_server_assert_tree(srv, d);
    cJSON_Delete(d);
}

/* The environment of a test that must not see the caller's cloud: HOME in
 * confdir, no OS_* variables. */
#define CLEAN_ENV_ENTRIES                                                      \
    "OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_AUTH_URL", "OS_USERNAME",         \
        "OS_PASSWORD", "OS_PROJECT_NAME", "OS_USER_DOMAIN_NAME",               \
        "OS_PROJECT_DOMAIN_NAME", "OS_REGION_NAME", "OS_INTERFACE",            \
        "OS_APPLICATION_CREDENTIAL_ID", "OS_APPLICATION_CREDENTIAL_SECRET",    \
        "OS_AUTH_TYPE", "VGPU_AGENT_TOKEN"

static char *
home_env(void)
{
    return xasprintf("HOME=%s/home", confdir);
}

/* --- the harness itself ----------------------------------------------------
 */

Test(keystone, placement_accepts_only_tokens_keystone_validates)
{
    _cleanup_free_ char *token = NULL;
    long status = 0;

    start_cloud(SHARED, 0, true);
    free(placement_server_get(srv, "/resource_providers", &status));
    cr_assert(eq(long, status, 200), "the harness's own token");
    token = keystone_server_token(ks, agent_user, AGENT_PASSWORD, "service",
                                  &status);
    cr_assert(eq(long, status, 201));
    cr_assert(keystone_server_token_valid(ks, token));
    free(keystone_server_token(ks, agent_user, WRONG_PASSWORD, "service",
                               &status));
    cr_assert(eq(long, status, 401), "a wrong password");
    keystone_server_revoke_token(ks, token);
    cr_assert(not(keystone_server_token_valid(ks, token)), "revoked");
}

/* GET /resource_providers from Placement with token; the status. */
static long
placement_status_with(const char *token)
{
    _cleanup_free_ char *url =
        xasprintf("%s/resource_providers", placement_server_url(srv));
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

    start_cloud(SHARED, 0, true);
    cr_assert(eq(long, placement_status_with("admin"), 401));
    cr_assert(eq(long, placement_status_with(FERNET_PREFIX "BogusToken"), 401));
    good = keystone_server_token(ks, agent_user, AGENT_PASSWORD, "service",
                                 &status);
    cr_assert(good != NULL);
    /* The agent with a static token: TEST_TOKEN works under noauth2 only. */
    {
        _cleanup_free_ char *section =
            xasprintf("placement:\n  endpoint: %s\n  token: " TEST_TOKEN "\n",
                      placement_server_url(srv));
        _cleanup_free_ char *conf = write_conf(section);

        agentrun(&r, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                            "sync", NULL });
        assert_run_clean(&r);
        cr_assert(eq(int, r.status, 1), "sync with a bogus token:\n%s", r.err);
        agentrun_clear(&r);
    }
    /* A valid Keystone token as a static token: accepted. */
    {
        _cleanup_free_ char *tokfile = NULL, *section = NULL, *conf = NULL;

        tokfile = write_private("token", good);
        section = xasprintf("placement:\n  endpoint: %s\n  token_file: %s\n",
                            placement_server_url(srv), tokfile);
        conf = write_conf(section);
        agentrun(&r, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                            "sync", NULL });
        assert_run_clean(&r);
        cr_assert(eq(int, r.status, 0), "sync with a Keystone token:\n%s",
                  r.err);
        agentrun_clear(&r);
    }
    cr_assert(eq(long, placement_status_with(good), 200));
    keystone_server_revoke_token(ks, good);
    cr_assert(eq(long, placement_status_with(good), 401));
    {
        _cleanup_free_ char *section =
            xasprintf("placement:\n  endpoint: %s\n  token_file: %s/token\n",
                      placement_server_url(srv), confdir);
        _cleanup_free_ char *conf = write_conf(section);

        agentrun(&r, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                            "sync", NULL });
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

    start_cloud(PRIVATE, 0, true);
    token = keystone_server_token(ks, agent_user, AGENT_PASSWORD, "service",
                                  &status);
    cr_assert(token != NULL);
    keystone_server_down(ks);
    free(placement_server_get(srv, "/resource_providers", &status));
    cr_assert(ne(long, status, 200), "Placement cannot validate tokens");
    keystone_server_up(ks);
    cr_assert(keystone_server_token_valid(ks, token), "same keys");
    again = keystone_server_token(ks, agent_user, AGENT_PASSWORD, "service",
                                  &status);
    cr_assert(again != NULL, "same users");
    free(placement_server_get(srv, "/resource_providers", &status));
    cr_assert(eq(long, status, 200));
}

/* --- the agent: sync -------------------------------------------------------
 */

Test(keystone, sync_with_a_password)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *home = NULL, *section = NULL, *conf = NULL;

    start_cloud(SHARED, 0, true);
    home = home_env();
    section = password_section(AGENT_PASSWORD, "internal");
    conf = write_conf(section);
    sync_env(&r, conf, (const char *const[]){ home, CLEAN_ENV_ENTRIES, NULL });
    assert_synced(&r, "password");
    agentrun_clear(&r);
}

Test(keystone, sync_with_an_application_credential)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *id = NULL, *home = NULL, *section = NULL;
    _cleanup_free_ char *conf = NULL, *secret_file = NULL;

    start_cloud(SHARED, 0, true);
    id = keystone_server_add_app_cred(ks, agent_user, AGENT_PASSWORD, "service",
                                      "vgpu-agent", &ac_secret);
    secret_file = write_private("ac-secret", ac_secret);
    home = home_env();
    section = xasprintf("placement:\n"
                        "  auth:\n"
                        "    auth_url: %s\n"
                        "    application_credential_id: %s\n"
                        "    application_credential_secret_file: %s\n"
                        "  region_name: %s\n"
                        "  interface: public\n",
                        keystone_server_auth_url(ks), id, secret_file, region);
    conf = write_conf(section);
    sync_env(&r, conf, (const char *const[]){ home, CLEAN_ENV_ENTRIES, NULL });
    assert_synced(&r, "application credential");
    agentrun_clear(&r);
}

/* clouds.yaml named by OS_CLIENT_CONFIG_FILE, the password in secure.yaml
 * under ~/.config/openstack (HOME in the temporary directory). */
Test(keystone, sync_with_clouds_yaml_and_secure_yaml)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *clouds = NULL, *secure = NULL, *conf = NULL;
    _cleanup_free_ char *cfgenv = NULL, *home = NULL, *text = NULL;

    start_cloud(SHARED, 0, true);
    text = xasprintf("clouds:\n"
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
                     keystone_server_auth_url(ks), agent_user, region);
    clouds = write_private("etc/clouds.yaml", text);
    secure = write_private("home/.config/openstack/secure.yaml",
                           "clouds:\n"
                           "  mycloud:\n"
                           "    auth:\n"
                           "      password: " AGENT_PASSWORD "\n");
    conf = write_conf("placement:\n  cloud: mycloud\n");
    cfgenv = xasprintf("OS_CLIENT_CONFIG_FILE=%s", clouds);
    home = home_env();
    sync_env(&r, conf,
             (const char *const[]){ CLEAN_ENV_ENTRIES, home, cfgenv, NULL });
    assert_synced(&r, "password");
    agentrun_clear(&r);
}

Test(keystone, sync_with_os_environment_variables)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *conf = NULL, *home = NULL, *auth_url = NULL;
    _cleanup_free_ char *user = NULL, *region_env = NULL;

    start_cloud(SHARED, 0, true);
    conf = write_conf("");
    home = home_env();
    auth_url = xasprintf("OS_AUTH_URL=%s", keystone_server_auth_url(ks));
    user = xasprintf("OS_USERNAME=%s", agent_user);
    region_env = xasprintf("OS_REGION_NAME=%s", region);
    sync_env(&r, conf,
             (const char *const[]){ CLEAN_ENV_ENTRIES, home, auth_url, user,
                                    "OS_PASSWORD=" AGENT_PASSWORD,
                                    "OS_PROJECT_NAME=service",
                                    "OS_USER_DOMAIN_NAME=Default",
                                    "OS_PROJECT_DOMAIN_NAME=Default",
                                    region_env, "OS_INTERFACE=public", NULL });
    assert_synced(&r, "password");
    agentrun_clear(&r);
}

Test(keystone, a_wrong_password_fails_with_keystones_401)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *home = NULL, *section = NULL, *conf = NULL;
    _cleanup_free_ char *post = NULL;

    start_cloud(SHARED, 0, true);
    home = home_env();
    section = password_section(WRONG_PASSWORD, "internal");
    conf = write_conf(section);
    sync_env(&r, conf, (const char *const[]){ home, CLEAN_ENV_ENTRIES, NULL });
    cr_assert(eq(int, r.status, 1), "exit status:\n%s", r.err);
    post = xasprintf("POST %s/auth/tokens", keystone_server_auth_url(ks));
    assert_line_has(r.err, post, "401");
    cr_assert(eq(ptr, strstr(r.err, WRONG_PASSWORD), NULL), "%s", r.err);
    cr_assert(eq(ptr, strstr(r.err, AUTHENTICATED), NULL), "%s", r.err);
    agentrun_clear(&r);
}

Test(keystone, placement_missing_from_the_catalog_is_reported)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *home = NULL, *section = NULL, *conf = NULL;

    start_cloud(PRIVATE, 0, false);
    home = home_env();
    section = password_section(AGENT_PASSWORD, "internal");
    conf = write_conf(section);
    sync_env(&r, conf, (const char *const[]){ home, CLEAN_ENV_ENTRIES, NULL });
    cr_assert(eq(int, r.status, 1), "exit status:\n%s", r.err);
    assert_contains(r.err, "no placement service in the catalog");
    agentrun_clear(&r);
}

/* check-config --connect resolves the method, the source and the endpoint,
 * masks the secret, and reads Placement's version document. */
Test(keystone, check_config_connect_shows_what_it_resolved)
{
    struct agentrun r = { 0 };
    _cleanup_free_ char *home = NULL, *section = NULL, *conf = NULL;
    _cleanup_free_ char *endpoint = NULL, *auth = NULL, *catalog = NULL;

    start_cloud(SHARED, 0, true);
    home = home_env();
    section = password_section(AGENT_PASSWORD, "internal");
    conf = write_conf(section);
    agentrun_env(
        &r,
        (const char *const[]){ "-c", conf, "check-config", "--connect", NULL },
        (const char *const[]){ home, CLEAN_ENV_ENTRIES, NULL });
    assert_run_clean(&r);
    cr_assert(eq(int, r.status, 0), "check-config --connect:\n%s\n%s", r.out,
              r.err);
    auth =
        xasprintf("auth: password (user '%s', project 'service')", agent_user);
    assert_contains(r.out, auth);
    assert_contains(r.out, "auth source: config file");
    catalog = xasprintf(
        "endpoint: from the catalog (interface internal, region %s)", region);
    assert_contains(r.out, catalog);
    endpoint = xasprintf("endpoint: %s (catalog)", placement_server_url(srv));
    assert_contains(r.out, endpoint);
    assert_contains(r.out, "placement: microversions ");
    agentrun_clear(&r);
}

/* --- the agent: run --------------------------------------------------------
 */

static void
start_agent(const char *conf)
{
    agent = agentproc_start((const char *const[]){
        "-v", "-c", conf, "--sysfs-root", root, "run", NULL });
}

static void
wait_for(const char *needle, unsigned n)
{
    cr_assert(agentproc_wait_for(agent, needle, n, WAIT_MS),
              "no %u x '%s' in the agent's log within %d ms:\n%s", n, needle,
              WAIT_MS, agentproc_err(agent));
}

/* Unplug GPU 0000:3e:00.0, wait until the agent wrote that, and check that
 * Placement holds the host as it is now. */
static void
assert_converges_after_unplug(void)
{
    _cleanup_free_ char *link =
        xasprintf("%s/class/mdev_bus/0000:3e:00.0", root);
    cJSON *d;

    cr_assert(eq(int, unlink(link), 0));
    wait_for("1 deleted", 1);
    d = dump();
    cr_assert(
        eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(d, "providers")), 2),
        "the root and one GPU left");
    placement_server_assert_tree(srv, d);
    cJSON_Delete(d);
}

static void
assert_stops_clean(void)
{
    cr_assert(eq(int, agentproc_wait(agent, 0), -1), "the service stopped:\n%s",
              agentproc_err(agent));
    assert_no_secret("the service's stderr", agentproc_err(agent));
    agentproc_signal(agent, SIGTERM);
    cr_assert(eq(int, agentproc_wait(agent, 5000), 0), "%s",
              agentproc_err(agent));
}

/* Tokens live 30 s (a pass on a loaded CI box with every request validated
 * by Keystone takes several): the agent must authenticate again while it
 * runs and keep converging. */
Test(keystone, run_renews_a_token_that_expires, .timeout = 120)
{
    _cleanup_free_ char *section = NULL, *conf = NULL;
    cJSON *d;

    start_cloud(PRIVATE, 30, true);
    section = password_section(AGENT_PASSWORD, "internal");
    conf = write_conf(section);
    start_agent(conf);
    wait_for(PASS_DONE, 1);
    d = dump();
    placement_server_assert_tree(srv, d);
    cJSON_Delete(d);
    wait_for(AUTHENTICATED, 2);
    wait_for(PASS_DONE, agentproc_count(agent, PASS_DONE) + 2);
    assert_converges_after_unplug();
    assert_stops_clean();
}

/* Every token of the agent user is revoked while it runs: Placement answers
 * 401, the agent authenticates again at once and writes the change. */
Test(keystone, run_recovers_from_a_revoked_token, .timeout = 120)
{
    _cleanup_free_ char *section = NULL, *conf = NULL;
    unsigned auths;

    start_cloud(SHARED, 0, true);
    section = password_section(AGENT_PASSWORD, "internal");
    conf = write_conf(section);
    start_agent(conf);
    wait_for(PASS_DONE, 1);
    auths = agentproc_count(agent, AUTHENTICATED);
    cr_assert(eq(uint, auths, 1), "%s", agentproc_err(agent));
    keystone_server_revoke_user(ks, agent_id, AGENT_PASSWORD);
    /* Keystone revokes what was issued up to the revocation's second. */
    sleep(1);
    assert_converges_after_unplug();
    wait_for(AUTHENTICATED, 2);
    assert_stops_clean();
}

/* The agent starts while Keystone is down: it reports the refused
 * connection, keeps running, and syncs once Keystone is back. */
Test(keystone, run_waits_for_keystone_to_come_back, .timeout = 120)
{
    _cleanup_free_ char *section = NULL, *conf = NULL, *post = NULL;
    cJSON *d;

    start_cloud(PRIVATE, 0, true);
    section = password_section(AGENT_PASSWORD, "internal");
    conf = write_conf(section);
    keystone_server_down(ks);
    start_agent(conf);
    post = xasprintf("POST %s/auth/tokens", keystone_server_auth_url(ks));
    wait_for(post, 2);
    assert_line_has(agentproc_err(agent), post, "onnection refused");
    cr_assert(eq(uint, agentproc_count(agent, AUTHENTICATED), 0));
    cr_assert(eq(int, agentproc_wait(agent, 0), -1), "the service stopped:\n%s",
              agentproc_err(agent));
    keystone_server_up(ks);
    wait_for(AUTHENTICATED, 1);
    wait_for(PASS_DONE, agentproc_count(agent, PASS_DONE) + 1);
    d = dump();
    placement_server_assert_tree(srv, d);
    cJSON_Delete(d);
    assert_stops_clean();
}
