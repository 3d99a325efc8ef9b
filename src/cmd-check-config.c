/*
 * cmd-check-config.c - `vgpu-agent check-config [--connect]`: what the
 * agent makes of its configuration, the environment and clouds.yaml.
 *
 * One "key: value" line per key of the configuration table (conf.c), as
 * resolved, secrets as ********; then how it authenticates and where
 * Placement is.  --connect goes on to get a token
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
#include "strv.h"
#include "tree.h"
#include "xalloc.h"

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

/* Every setting of the key table, as the agent resolved it: placement.auth,
 * region_name and interface as merged with OS_* and clouds.yaml, the
 * enabled types as enabled (not as written), node_uuid as derived,
 * sysfs_root as --sysfs-root overrides it. */
static void
print_settings(const struct ctx *ctx, const struct conf *c,
               const struct clouds_auth *a)
{
    _cleanup_(strv_clear) struct strv lines = { 0 };
    _cleanup_free_ char *root =
        ctx->host.sysfs_root ? xstrdup(ctx->host.sysfs_root) : NULL;
    struct conf shown = *c; /* a shallow copy: borrows, frees nothing */
    char uuid[UUIDSTR_LEN];

    printf("config: %s\n", c->path ? c->path : "built-in defaults");
    tree_root_uuid(c, uuid);
    shown.node_uuid = uuid;
    if (root) /* --sysfs-root */
        shown.sysfs_root = root;
    shown.enabled_mdev_types = (struct strv){ 0 };
    for (size_t i = 0; i < c->n_types; i++)
        strv_push(&shown.enabled_mdev_types, c->types[i].id);
    shown.placement.interface = a->interface;
    if (clouds_uses_keystone(a)) {
        shown.placement.auth = a->cred;
        shown.placement.region_name = a->region_name;
    }
    conf_show(&shown, &lines);
    strv_clear(&shown.enabled_mdev_types);
    for (size_t i = 0; i < lines.n; i++)
        printf("%s\n", lines.v[i]);
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

    static const struct option opts[] = {
        { "connect", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;

    while ((c = cmd_getopt(argc, argv, "h", opts)) != -1) {
        if (c == 'h') {
            check_usage(stdout);
            return CMD_EXIT_OK;
        }
        if (c != 'C')
            return CMD_EXIT_USAGE;
        connect = true;
    }
    if (cmd_no_more_args(argc, argv) != CMD_EXIT_OK)
        return CMD_EXIT_USAGE;
    r = hostload_conf(&ctx->host, &host);
    if (r < 0)
        return cmd_exit_status(r);
    print_settings(ctx, host.conf, host.auth);
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
