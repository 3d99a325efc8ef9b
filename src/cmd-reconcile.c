/*
 * cmd-reconcile.c - `vgpu-agent reconcile`: make the host's mdevs match
 * what Placement says guests hold.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "guests.h"
#include "log.h"
#include "reconcile-act.h"
#include "reconcile.h"
#include "sysfs.h"

struct reconcile_args {
    bool dry_run, remove_orphans, json;
};

static void
reconcile_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] [--sysfs-root DIR] reconcile "
            "[--dry-run] [--remove-orphans] [--format text|json]\n"
            "\n"
            "Create the mdevs Placement's allocations on this host's GPUs "
            "need, with\nthe UUIDs their guests reference (or deterministic "
            "ones), and keep mdevctl\ndefinitions so they survive a reboot.  "
            "Mdevs nobody claims or uses are\nreported; removed only with "
            "--remove-orphans, after orphan_grace_s.\n"
            "\n"
            "  -n, --dry-run         print the plan, change nothing\n"
            "      --remove-orphans  also remove orphans (never a guest's "
            "mdev)\n"
            "  -f, --format FMT      text (default) or json\n");
}

static int
parse_args(int argc, char **argv, struct reconcile_args *ret)
{
    static const struct option opts[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "remove-orphans", no_argument, NULL, 'R' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;

    while ((c = getopt_long(argc, argv, "nf:h", opts, NULL)) != -1) {
        if (c == 'n')
            ret->dry_run = true;
        else if (c == 'R')
            ret->remove_orphans = true;
        else if (c == 'f' &&
                 (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0))
            ret->json = strcmp(optarg, "json") == 0;
        else if (c == 'h') {
            reconcile_usage(stdout);
            return -1;
        } else {
            reconcile_usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    return optind < argc ? CMD_EXIT_USAGE : CMD_EXIT_OK;
}

static cJSON *
mdev_json(const char *uuid, const char *parent, const char *type,
          const char *consumer, const char *provider)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "uuid", uuid);
    cJSON_AddStringToObject(o, "parent", parent);
    cJSON_AddStringToObject(o, "mdev_type", type);
    if (*consumer)
        cJSON_AddStringToObject(o, "consumer", consumer);
    if (*provider)
        cJSON_AddStringToObject(o, "provider", provider);
    return o;
}

static void
add_list(cJSON *root, const char *key, const struct reconcile_mdev *v, size_t n)
{
    cJSON *a = cJSON_AddArrayToObject(root, key);

    for (size_t i = 0; i < n; i++) {
        cJSON *o = mdev_json(v[i].uuid, v[i].parent, v[i].mdev_type,
                             v[i].consumer, v[i].provider);

        if (v[i].why)
            cJSON_AddStringToObject(o, "why", v[i].why);
        cJSON_AddItemToArray(a, o);
    }
}

static void
print_json(const struct reconcile_plan *p, const struct reconcile_report *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *actions = cJSON_AddArrayToObject(root, "actions");
    char *s;

    for (size_t i = 0; i < r->n; i++) {
        const struct reconcile_action *a = &r->v[i];
        cJSON *o = mdev_json(a->uuid, a->parent, a->mdev_type, a->consumer,
                             a->provider);
        _cleanup_free_ char *result = reconcile_result_text(a);

        cJSON_AddStringToObject(o, "action", reconcile_verb_name(a->action));
        cJSON_AddStringToObject(o, "result", result);
        cJSON_AddItemToArray(actions, o);
    }
    add_list(root, "misplaced", p->misplaced, p->n_misplaced);
    add_list(root, "unaccounted", p->unaccounted, p->n_unaccounted);
    add_list(root, "orphans", p->orphans, p->n_orphans);
    add_list(root, "errors", p->errors, p->n_errors);
    s = cJSON_Print(root);
    printf("%s\n", s);
    free(s);
    cJSON_Delete(root);
}

static void
print_list(const char *what, const struct reconcile_mdev *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%-11s %s on %s (%s)%s%s%s%s\n", what, v[i].uuid, v[i].parent,
               v[i].mdev_type, *v[i].consumer ? " consumer " : "",
               v[i].consumer, v[i].why ? ": " : "", v[i].why ? v[i].why : "");
}

static void
print_text(const struct reconcile_plan *p, const struct reconcile_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        _cleanup_free_ char *result = reconcile_result_text(&r->v[i]);

        printf("%-11s %s on %s (%s)%s%s: %s\n",
               reconcile_verb_name(r->v[i].action), r->v[i].uuid,
               r->v[i].parent, r->v[i].mdev_type,
               *r->v[i].consumer ? " for consumer " : "", r->v[i].consumer,
               result);
    }
    print_list("misplaced", p->misplaced, p->n_misplaced);
    print_list("unaccounted", p->unaccounted, p->n_unaccounted);
    print_list("orphan", p->orphans, p->n_orphans);
    print_list("error", p->errors, p->n_errors);
    if (r->n + p->n_misplaced + p->n_unaccounted + p->n_orphans + p->n_errors ==
        0)
        printf("nothing to do: %zu mdev(s) match the allocations\n", p->n_keep);
}

/* Guests through libvirt; NULL (logged) when it cannot be reached: then
 * nothing counts as an orphan. */
struct guests *
cmd_load_guests(const struct conf *c)
{
    struct guests *g = NULL;
    struct errbuf eb = { 0 };

    if (guests_load(c->libvirt_uri, &g, &eb) < 0) {
        log_error("%s; orphans are not looked for", eb.msg);
        return NULL;
    }
    for (size_t i = 0; i < g->warnings.n; i++)
        log_warn("%s", g->warnings.v[i]);
    return g;
}

int
cmd_reconcile_act(const struct ctx *ctx, const struct cmd_host *host,
                  bool dry_run, bool remove_orphans,
                  const struct reconcile_plan *p, struct reconcile_report *rep)
{
    const struct conf *c = host->conf;
    const char *root = ctx->sysfs_root ? ctx->sysfs_root : c->sysfs_root;
    struct reconcile_opts o = {
        .dry_run = dry_run,
        .remove_orphans = remove_orphans || c->reconcile.remove_orphans,
        .grace_s = c->reconcile.orphan_grace_s,
        .mdevctl_dir = strcmp(c->reconcile.persist, "mdevctl") == 0
                           ? c->reconcile.mdevctl_dir
                           : NULL,
    };
    _cleanup_(sysfs_closep) struct sysfs *fs = NULL;
    struct errbuf eb = { 0 };

    if (sysfs_open(root, &fs, &eb) < 0) {
        log_error("%s", eb.msg);
        return CMD_EXIT_FAILED;
    }
    reconcile_act(p, fs, host->hw, &o, rep);
    return rep->failed || p->n_misplaced || p->n_errors ? CMD_EXIT_FAILED
                                                        : CMD_EXIT_OK;
}

static int
act(const struct ctx *ctx, const struct cmd_host *host,
    const struct reconcile_args *a, const struct reconcile_plan *p,
    struct reconcile_report *rep)
{
    int r = cmd_reconcile_act(ctx, host, a->dry_run, a->remove_orphans, p, rep);

    if (a->json)
        print_json(p, rep);
    else
        print_text(p, rep);
    return r;
}

static int
cmd_reconcile_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct reconcile_args args = { 0 };
    struct reconcile_report rep = { 0 };
    struct cmd_claims cc = { 0 };
    int lock = -1;
    int r = parse_args(argc, argv, &args);

    if (r != CMD_EXIT_OK)
        return r < 0 ? CMD_EXIT_OK : r;
    r = cmd_claims_load(ctx, &cc);
    if (r == CMD_EXIT_OK && !args.dry_run &&
        (lock = cmd_lock(cc.host.conf)) < 0)
        r = CMD_EXIT_FAILED;
    if (r == CMD_EXIT_OK) {
        _cleanup_(guests_freep) struct guests *g =
            cmd_load_guests(cc.host.conf);
        _cleanup_(reconcile_plan_freep) struct reconcile_plan *p =
            reconcile_plan(cc.host.tree, cc.host.hw, g, cc.claims, cc.n_claims);

        r = act(ctx, &cc.host, &args, p, &rep);
        if (!g) /* guests' UUIDs and orphans unknown: the pass is partial */
            r = CMD_EXIT_FAILED;
    }
    reconcile_report_clear(&rep);
    cmd_claims_clear(&cc);
    if (lock >= 0)
        close(lock);
    return r;
}

const struct cmd cmd_reconcile = {
    .name = "reconcile",
    .args = "[--dry-run] [--remove-orphans] [--format text|json]",
    .summary = "create the mdevs Placement's claims need; report the rest",
    .exec = cmd_reconcile_exec,
};
