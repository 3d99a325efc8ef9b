/*
 * cmd-reconcile.c - `vgpu-agent reconcile`: make the host's mdevs match
 * what Placement says guests hold.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentlock.h"
#include "cmd.h"
#include "hostplan.h"

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

    static const char *const formats[] = { "text", "json", NULL };

    while ((c = cmd_getopt(argc, argv, "nf:h", opts)) != -1) {
        if (c == 'n')
            ret->dry_run = true;
        else if (c == 'R')
            ret->remove_orphans = true;
        else if (c == 'f' &&
                 (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0))
            ret->json = strcmp(optarg, "json") == 0;
        else if (c == 'f')
            return cmd_bad_choice("reconcile", "--format", optarg, formats);
        else if (c == 'h') {
            reconcile_usage(stdout);
            return -1;
        } else {
            return CMD_EXIT_USAGE;
        }
    }
    return cmd_no_more_args(argc, argv);
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

static int
cmd_reconcile_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct reconcile_args args = { 0 };
    struct reconcile_report rep = { 0 };
    struct hostplan hp = { 0 };
    int lock = -1;
    int r = parse_args(argc, argv, &args);

    if (r != CMD_EXIT_OK)
        return r < 0 ? CMD_EXIT_OK : r;
    r = hostplan_load(&ctx->host, &hp);
    if (r == 0 && !args.dry_run &&
        (lock = agentlock_take(hp.host.conf->lock_file)) < 0)
        r = -EIO;
    if (r == 0) {
        hostplan_make(&hp, HOSTPLAN_NEED_ORPHANS);
        if (hostplan_act(&hp.host, args.dry_run, args.remove_orphans, hp.plan,
                         &rep) != 0)
            r = -EIO;
        if (args.json)
            print_json(hp.plan, &rep);
        else
            print_text(hp.plan, &rep);
        if (!hp.guests) /* guests' UUIDs, orphans unknown: a partial pass */
            r = -EIO;
    }
    reconcile_report_clear(&rep);
    hostplan_clear(&hp);
    if (lock >= 0)
        close(lock);
    return cmd_exit_status(r);
}

const struct cmd cmd_reconcile = {
    .name = "reconcile",
    .args = "[--dry-run] [--remove-orphans] [--format text|json]",
    .summary = "create the mdevs Placement's claims need; report the rest",
    .exec = cmd_reconcile_exec,
};
