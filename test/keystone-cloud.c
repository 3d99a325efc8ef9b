/*
 * keystone-cloud.c - Keystone, the agent's user and Placement behind it.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "keystone-cloud.h"
#include "testproc.h"
#include "xalloc.h"

/* In the runner, before the first test and after the last. */
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

void
keystone_cloud_start(struct keystone_cloud *c, enum keystone_cloud_kind kind,
                     int expiration, bool listed)
{
    struct keystone_server_opts o = { .token_expiration = expiration };

    if (kind == KEYSTONE_CLOUD_SHARED) {
        /* pid and clock: unique within the run even if a pid is reused */
        long tag = testproc_now_ms() % 1000000;

        c->ks = keystone_server_shared();
        c->user = xasprintf("placement-agent-%d-%ld", (int)getpid(), tag);
        c->region = xasprintf("Region-%d-%ld", (int)getpid(), tag);
        keystone_server_add_region(c->ks, c->region);
    } else {
        c->ks = keystone_server_start(&o);
        c->user = xstrdup("placement-agent");
        c->region = xstrdup(KEYSTONE_SERVER_REGION);
    }
    c->user_id = keystone_server_add_user(
        c->ks, c->user, KEYSTONE_CLOUD_PASSWORD, "service", "admin");
    c->srv = placement_server_start_keystone(c->ks);
    if (listed)
        keystone_server_add_endpoints(c->ks, "placement",
                                      placement_server_url(c->srv), c->region);
}

void
keystone_cloud_stop(struct keystone_cloud *c)
{
    placement_server_stop(c->srv);
    keystone_server_stop(c->ks);
    free(c->user);
    free(c->user_id);
    free(c->region);
    free(c->ac_secret);
    *c = (struct keystone_cloud){ 0 };
}

char *
keystone_cloud_password_section(const struct keystone_cloud *c,
                                const struct agentenv *e, const char *password,
                                const char *interface)
{
    _cleanup_free_ char *line = xasprintf("%s\n", password);
    _cleanup_free_ char *pwfile = agentenv_write(e, "password", line);

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
                     keystone_server_auth_url(c->ks), c->user, pwfile,
                     c->region, interface);
}

void
keystone_cloud_assert_no_secret(const struct keystone_cloud *c,
                                const char *what, const char *text)
{
    testsecrets_assert_absent(
        what, text,
        (const char *const[]){ KEYSTONE_CLOUD_PASSWORD,
                               KEYSTONE_CLOUD_FERNET_PREFIX, c->ac_secret,
                               NULL });
}
