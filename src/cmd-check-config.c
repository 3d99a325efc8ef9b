/*
 * cmd-check-config.c - `vgpu-agent check-config [--connect]`: what the
 * agent makes of its configuration, the environment and clouds.yaml.
 *
 * One "key: value" line per key of the configuration table (conf.c), as
 * resolved, secrets as ********; then how it authenticates and where
 * Placement is.  With types enabled, the host under the sysfs root is
 * scanned and every configured device address it lacks and every enabled
 * type no GPU of it offers is an error (exit 1): such a slip would take
 * capacity away without a word.  --connect goes on to get a token and read
 * Placement's version document, the two things a first start needs.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clouds.h"
#include "cmd.h"
#include "hostload.h"
#include "keystone.h"
#include "log.h"
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
            "--connect also prints which type each GPU gets, checks that\n"
            "the directories of lock_file, metrics_file and\n"
            "reconcile.mdevctl_dir are writable, authenticates, reads\n"
            "Placement's versions and looks the node up by name (an\n"
            "authenticated read: a token Placement refuses fails here).\n"
            "\n"
            "With types enabled, the host under the sysfs root must have\n"
            "every configured device address and offer every enabled type.\n"
            "\n"
            "Exit status: 0 fine, 1 the host does not match the\n"
            "configuration or --connect failed, 2 usage or configuration\n"
            "error.\n");
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

/* The configuration against the host: each slip an error. */
static int
check_host(struct hostload *h)
{
    size_t n;

    if (h->conf->n_types == 0)
        return CMD_EXIT_OK; /* nothing to find on the host */
    fflush(stdout);
    if (hostload_scan(h) < 0)
        return CMD_EXIT_FAILED;
    n = hostload_check(h, LOG_ERROR);
    printf("host: %zu GPU(s) under %s; %zu configuration problem(s)\n",
           h->hw->n_gpus, hostload_sysfs_root(h), n);
    return n > 0 ? CMD_EXIT_FAILED : CMD_EXIT_OK;
}

/* An authenticated read (GET / needs no token): the node's root provider
 * by name.  Placement refusing the token fails here, not at the first
 * sync. */
static int
find_node(struct placement *pl, const struct conf *c)
{
    struct placement_rp *rps = NULL;
    struct errbuf eb = { 0 };
    char uuid[UUIDSTR_LEN];
    size_t n = 0;
    int r = placement_list_providers(pl, "name", c->node_name, &rps, &n, &eb);

    if (r < 0) {
        fflush(stdout);
        errbuf_prefix(&eb, "check-config");
        log_failure(NULL, r, &eb.req, eb.msg);
        return CMD_EXIT_FAILED;
    }
    tree_root_uuid(c, uuid);
    if (n == 0)
        printf("node: %s is not in Placement yet (sync creates it, uuid %s)\n",
               c->node_name, uuid);
    else if (rps[0].parent_uuid[0])
        printf("node: %s exists (uuid %s) but is not a root provider: its "
               "parent is %s; the agent reports under a root of this name\n",
               c->node_name, rps[0].uuid, rps[0].parent_uuid);
    else
        printf("node: %s exists (uuid %s, generation %ld), %s\n", c->node_name,
               rps[0].uuid, rps[0].generation,
               strcmp(rps[0].uuid, uuid) == 0
                   ? "with the UUID the agent derives (its own)"
                   : "with another UUID (made by another service, such as "
                     "nova-compute: adopted, never changed)");
    placement_rps_free(rps, n);
    return CMD_EXIT_OK;
}

/* Authenticate, find Placement, read its versions and the node. */
static int
connect_placement(const struct hostload *h)
{
    _cleanup_(session_freep) struct session *s = session_new();
    struct placement *pl;
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
    return find_node(pl, h->conf);
}

/* Whether the directory a file of the agent's goes into exists and is
 * writable, or can be made (its nearest existing ancestor is writable). */
static bool
check_dir(const char *what, const char *file, bool is_dir)
{
    _cleanup_free_ char *dir = xstrdup(file);
    char *slash;
    bool made = false;
    struct stat st;

    if (!is_dir && (slash = strrchr(dir, '/')))
        *(slash == dir ? slash + 1 : slash) = 0;
    while (access(dir, F_OK) < 0 && (slash = strrchr(dir, '/'))) {
        *(slash == dir ? slash + 1 : slash) = 0; /* made at need */
        made = true;
    }
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        errno = ENOTDIR;
    else if (access(dir, W_OK) == 0) {
        printf("%s: %s: %s writable\n", what, file,
               made ? "to be made; its parent is" : "directory");
        return true;
    }
    fflush(stdout);
    log_error("check-config: %s %s: %s %s is not writable: %s", what, file,
              made ? "the nearest existing directory" : "directory", dir,
              strerror(errno));
    return false;
}

/* The files the agent writes. */
static int
check_dirs(const struct conf *c)
{
    bool ok = check_dir("lock_file", c->lock_file, false);

    if (c->metrics_file)
        ok &= check_dir("metrics_file", c->metrics_file, false);
    if (c->reconcile.enabled && strcmp(c->reconcile.persist, "mdevctl") == 0)
        ok &=
            check_dir("reconcile.mdevctl_dir", c->reconcile.mdevctl_dir, true);
    return ok ? CMD_EXIT_OK : CMD_EXIT_FAILED;
}

/* Which type each GPU of the host gets, as `dump` decides it. */
static int
print_gpus(struct hostload *h)
{
    size_t n = 0;

    fflush(stdout);
    if (!h->tree && hostload_scan(h) < 0)
        return CMD_EXIT_FAILED; /* logged */
    for (size_t i = 1; i < h->tree->n_providers; i++) {
        const struct tree_provider *p = &h->tree->providers[i];

        if (!p->device)
            continue;
        printf("gpu %s: %s (%s), %ld vGPU(s) as %s\n", p->device->address,
               p->device->mdev_type,
               p->device->type_name ? p->device->type_name : "?",
               p->n_invs ? p->invs[0].total : 0L, p->name);
        n++;
    }
    for (size_t i = 0; h->hw && i < h->hw->n_gpus; i++) {
        const char *addr = h->hw->gpus[i].address;
        bool typed = false;

        for (size_t k = 1; k < h->tree->n_providers && !typed; k++)
            typed = h->tree->providers[k].device &&
                    strcmp(h->tree->providers[k].device->address, addr) == 0;
        if (!typed)
            printf("gpu %s: no type (vgpu-agent -v dump says why)\n", addr);
    }
    if (n == 0)
        printf("gpus: none offers an enabled type under %s\n",
               hostload_sysfs_root(h));
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
    r = check_host(&host);
    if (connect) {
        int g = print_gpus(&host), d = check_dirs(host.conf);
        int k = connect_placement(&host);

        k = k != CMD_EXIT_OK ? k : g != CMD_EXIT_OK ? g : d;
        r = k != CMD_EXIT_OK ? k : r;
    }
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
