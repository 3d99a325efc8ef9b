/*
 * cmd-check-config.c - `vgpu-agent check-config [--connect]`: what the
 * agent makes of its configuration, the environment and clouds.yaml.
 *
 * One "key: value" line per setting, secrets as ********; then how it
 * authenticates and where Placement is.  --connect goes on to get a token
 * and read Placement's version document, the two things a first start
 * needs.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "clouds.h"
#include "cmd.h"
#include "hostload.h"
#include "keystone.h"
#include "placement.h"
#include "session.h"

#define MASK "********"

static void
check_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] check-config [--connect]\n"
            "\n"
            "Validate the configuration and show what the agent resolved\n"
            "from it, the OS_* environment and clouds.yaml (secrets masked).\n"
            "--connect also authenticates and reads Placement's versions.\n"
            "\n"
            "Exit status: 0 fine, 1 --connect failed, 2 usage or "
            "configuration error.\n");
}

static void
line(const char *key, const char *value)
{
    if (value)
        printf("%s: %s\n", key, value);
}

static void
print_settings(const struct conf *c)
{
    const struct conf_placement *pc = &c->placement;

    line("config", c->path ? c->path : "built-in defaults");
    line("node_name", c->node_name);
    line("node_uuid", c->node_uuid);
    line("sysfs_root", c->sysfs_root);
    line("placement.endpoint", pc->endpoint ? pc->endpoint : "(not set)");
    line("placement.token", pc->token ? MASK : NULL);
    line("placement.cacert", pc->cacert);
    line("placement.insecure", pc->insecure ? "true" : NULL);
    printf("placement.timeout_s: %u\n", pc->timeout_s);
}

static void
print_credentials(const struct clouds_auth *a)
{
    const struct conf_auth *cr = &a->cred;

    line("placement.auth.auth_url", cr->auth_url);
    line("placement.auth.username", cr->username);
    line("placement.auth.user_id", cr->user_id);
    line("placement.auth.password", cr->password ? MASK : NULL);
    line("placement.auth.user_domain_name", cr->user_domain_name);
    line("placement.auth.user_domain_id", cr->user_domain_id);
    line("placement.auth.project_name", cr->project_name);
    line("placement.auth.project_id", cr->project_id);
    line("placement.auth.project_domain_name", cr->project_domain_name);
    line("placement.auth.project_domain_id", cr->project_domain_id);
    line("placement.auth.application_credential_id",
         cr->application_credential_id);
    line("placement.auth.application_credential_secret",
         cr->application_credential_secret ? MASK : NULL);
    line("placement.region_name", a->region_name);
    line("placement.interface", a->interface);
}

static void
print_auth(const struct conf *c, const struct clouds_auth *a)
{
    const struct conf_placement *pc = &c->placement;
    const struct conf_auth *cr = &a->cred;

    switch (a->method) {
    case CLOUDS_AUTH_PASSWORD:
        printf("auth: password (user '%s', project '%s')\n",
               cr->username ? cr->username : cr->user_id,
               cr->project_name ? cr->project_name : cr->project_id);
        break;
    case CLOUDS_AUTH_APPCRED:
        printf("auth: application credential (id '%s')\n",
               cr->application_credential_id);
        break;
    case CLOUDS_AUTH_TOKEN:
        printf("auth: token (from %s)\n", pc->token_from_env ? CONF_TOKEN_ENV
                                          : pc->token_file   ? pc->token_file
                                                           : "placement.token");
        break;
    default:
        printf("auth: none\n");
    }
    if (a->source == CLOUDS_FROM_CONFIG)
        printf("auth source: config file\n");
    else if (a->source == CLOUDS_FROM_ENV)
        printf("auth source: environment (OS_*)\n");
    else if (a->source == CLOUDS_FROM_CLOUDS)
        printf("auth source: clouds.yaml '%s' cloud '%s'\n", a->clouds_path,
               a->cloud);
    if (clouds_uses_keystone(a))
        print_credentials(a);
    if (pc->endpoint)
        printf("endpoint: %s (configured)\n", pc->endpoint);
    else if (clouds_uses_keystone(a))
        printf("endpoint: from the catalog (interface %s, %s%s)\n",
               a->interface, a->region_name ? "region " : "any region",
               a->region_name ? a->region_name : "");
    else
        printf("endpoint: not set\n");
}

/* Authenticate, find Placement, read its versions. */
static int
connect_placement(const struct hostload *h)
{
    _cleanup_(session_freep) struct session *s = session_new();
    const struct placement *pl;
    int r;

    fflush(stdout); /* the log lines on stderr come after, in order */
    r = session_open(s, h);
    if (r < 0)
        return cmd_exit_status(r);
    pl = session_placement(s);
    if (session_keystone(s) && !h->conf->placement.endpoint)
        printf("endpoint: %s (catalog)\n",
               keystone_endpoint(session_keystone(s)));
    printf("placement: microversions %s, using %s\n",
           placement_server_range(pl), placement_version(pl));
    return CMD_EXIT_OK;
}

static int
cmd_check_config_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct hostload host = { 0 };
    bool connect = false;
    int r;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            check_usage(stdout);
            return CMD_EXIT_OK;
        }
        if (strcmp(argv[i], "--connect") != 0) {
            check_usage(stderr);
            return CMD_EXIT_USAGE;
        }
        connect = true;
    }
    r = hostload_conf(&ctx->host, &host);
    if (r < 0)
        return cmd_exit_status(r);
    print_settings(host.conf);
    print_auth(host.conf, host.auth);
    if (connect)
        r = connect_placement(&host);
    fflush(stdout);
    hostload_clear(&host);
    return r;
}

const struct cmd cmd_check_config = {
    .name = "check-config",
    .args = "[--connect]",
    .summary = "show the resolved configuration and authentication; "
               "--connect: try them",
    .exec = cmd_check_config_exec,
};
