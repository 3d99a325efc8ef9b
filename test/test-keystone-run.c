/*
 * test-keystone-run.c - end to end: the `vgpu-agent run` service with a
 * real Keystone: tokens that expire, tokens revoked under it, Keystone down
 * when it starts.
 *
 * Each test starts its cloud (test/keystone-cloud.h: Keystone, the agent's
 * user, a Placement that validates every token with that Keystone), runs
 * the agent in the background on the m60 sample host and follows its log.
 * No password or token may appear in it.  Part of the test-keystone-e2e
 * binary (test/testkeystone.h), whose other source tests one-shot `sync`.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fixture.h"
#include "keystone-cloud.h"
#include "testkeystone.h"
#include "xalloc.h"

/* agent.yaml with the password auth section for the agent user. */
static void
write_password_conf(void)
{
    _cleanup_free_ char *section = password_section(AGENT_PASSWORD, "internal");

    write_conf(section);
}

/* Unplug GPU 0000:3e:00.0, wait until the agent wrote that, and check that
 * Placement holds the host as it is now. */
static void
assert_converges_after_unplug(void)
{
    _cleanup_free_ char *link =
        xasprintf("%s/class/mdev_bus/0000:3e:00.0", env.root);
    cJSON *d;

    cr_assert(eq(int, unlink(link), 0));
    agentenv_expect(&env, "1 deleted", 1);
    d = dump();
    cr_assert(
        eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(d, "providers")), 2),
        "the root and one GPU left");
    placement_server_assert_tree(cloud.srv, d);
    cJSON_Delete(d);
}

static void
assert_stops_clean(void)
{
    agentproc_assert_running(env.agent);
    assert_no_secret("the service's stderr", agentproc_err(env.agent));
    agentproc_assert_stops(env.agent);
}

/* Tokens live 30 s (a pass on a loaded CI box with every request validated
 * by Keystone takes several): the agent must authenticate again while it
 * runs and keep converging. */
Test(keystone, run_renews_a_token_that_expires, .timeout = 120)
{
    cJSON *d;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_PRIVATE, 30, true);
    write_password_conf();
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    d = dump();
    placement_server_assert_tree(cloud.srv, d);
    cJSON_Delete(d);
    agentenv_expect(&env, AUTHENTICATED, 2);
    agentenv_expect(&env, PASS_DONE, agentproc_count(env.agent, PASS_DONE) + 2);
    assert_converges_after_unplug();
    assert_stops_clean();
}

/* Every token of the agent user is revoked while it runs: Placement answers
 * 401, the agent authenticates again at once and writes the change. */
Test(keystone, run_recovers_from_a_revoked_token, .timeout = 120)
{
    unsigned auths;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_SHARED, 0, true);
    write_password_conf();
    agentenv_start(&env, NULL);
    agentenv_expect(&env, PASS_DONE, 1);
    auths = agentproc_count(env.agent, AUTHENTICATED);
    cr_assert(eq(uint, auths, 1), "%s", agentproc_err(env.agent));
    keystone_server_revoke_user(cloud.ks, cloud.user_id, AGENT_PASSWORD);
    /* Keystone revokes what was issued up to the revocation's second. */
    sleep(1);
    assert_converges_after_unplug();
    agentenv_expect(&env, AUTHENTICATED, 2);
    assert_stops_clean();
}

/* The agent starts while Keystone is down: it reports the refused
 * connection, keeps running, and syncs once Keystone is back. */
Test(keystone, run_waits_for_keystone_to_come_back, .timeout = 120)
{
    _cleanup_free_ char *post = NULL;
    cJSON *d;

    keystone_cloud_start(&cloud, KEYSTONE_CLOUD_PRIVATE, 0, true);
    write_password_conf();
    keystone_server_down(cloud.ks);
    agentenv_start(&env, NULL);
    post = xasprintf("POST %s/auth/tokens", keystone_server_auth_url(cloud.ks));
    agentenv_expect(&env, post, 2);
    agentrun_assert_line(agentproc_err(env.agent), post, "onnection refused");
    cr_assert(eq(uint, agentproc_count(env.agent, AUTHENTICATED), 0));
    agentproc_assert_running(env.agent);
    keystone_server_up(cloud.ks);
    agentenv_expect(&env, AUTHENTICATED, 1);
    agentenv_expect(&env, PASS_DONE, agentproc_count(env.agent, PASS_DONE) + 1);
    d = dump();
    placement_server_assert_tree(cloud.srv, d);
    cJSON_Delete(d);
    assert_stops_clean();
}
