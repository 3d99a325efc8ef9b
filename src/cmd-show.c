/*
 * cmd-show.c - `vgpu-agent show`: the live picture, read from sysfs,
 * Placement and libvirt (not from the metrics file): per GPU its type and
 * provider, total / used / reserved as Placement holds them, the consumers
 * holding it and the devices each claim owns (and whether they exist);
 * then the orphans, and what is wrong.  The command to run first when a
 * guest did not get its vGPU.
 *
 * The picture is made once, as JSON (--format json prints it), and the
 * table is printed from it.  Exit status: 0 nothing wrong, 1 something is
 * (each problem is a line of "problems"), 2 usage or configuration.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "hostplan.h"
#include "log.h"
#include "placement.h"

static void
show_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] [--sysfs-root DIR] show "
            "[--format table|json]\n"
            "\n"
            "The live picture, from sysfs, Placement and libvirt: per GPU "
            "its type,\ntotal/used/reserved in Placement, the consumers "
            "holding it and the\ndevices each claim owns (and whether they "
            "exist); the orphans; what\nis wrong.  Nothing is changed.\n"
            "\n"
            "  -f, --format FMT  table (default) or json\n"
            "\n"
            "Exit status: 0 nothing wrong, 1 something is (listed under\n"
            "problems), 2 usage or configuration error.\n");
}

/* Problems, one sentence each. */
static void problem(cJSON *problems, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(cJSON *problems, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(problems, cJSON_CreateString(buf));
}

/* The devices plan list v holds for claim c, with their state. */
static void
add_devices(cJSON *devs, const struct reconcile_claim *c,
            const struct reconcile_mdev *v, size_t n, const char *state,
            bool exists, cJSON *problems)
{
    for (size_t i = 0; i < n; i++) {
        cJSON *d;

        if (strcmp(v[i].consumer, c->consumer) != 0 ||
            strcmp(v[i].provider, c->uuid) != 0)
            continue;
        d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "device", v[i].uuid);
        if (v[i].parent)
            cJSON_AddStringToObject(d, "on", v[i].parent);
        cJSON_AddStringToObject(d, "state", state);
        cJSON_AddBoolToObject(d, "exists", exists);
        if (v[i].why)
            cJSON_AddStringToObject(d, "why", v[i].why);
        cJSON_AddItemToArray(devs, d);
        if (strcmp(state, "present") != 0)
            problem(problems, "consumer %s: device %s is %s%s%s", c->consumer,
                    v[i].uuid, state, v[i].why ? ": " : "",
                    v[i].why ? v[i].why
                             : " (vgpu-agent reconcile creates it; run does "
                               "at its next pass)");
    }
}

static cJSON *
claim_json(const struct reconcile_plan *p, const struct reconcile_claim *c,
           cJSON *problems)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *devs;

    cJSON_AddStringToObject(o, "consumer", c->consumer);
    cJSON_AddNumberToObject(o, "units", (double)c->n);
    devs = cJSON_AddArrayToObject(o, "devices");
    add_devices(devs, c, p->keep, p->n_keep, "present", true, problems);
    add_devices(devs, c, p->create, p->n_create, "missing", false, problems);
    add_devices(devs, c, p->misplaced, p->n_misplaced, "misplaced", true,
                problems);
    add_devices(devs, c, p->errors, p->n_errors, "unmakeable", false, problems);
    return o;
}

/* Total and reserved as Placement holds them (uuid "" : not there). */
static void
add_inventory(struct placement *pl, const struct tree_provider *tp,
              const char *uuid, cJSON *g, cJSON *problems)
{
    struct placement_invs invs = { 0 };
    struct errbuf eb = { 0 };
    long want = tp->n_invs ? tp->invs[0].total : 0;

    if (!*uuid) {
        cJSON_AddBoolToObject(g, "in_placement", false);
        problem(problems,
                "gpu %s: provider %s is not in Placement (run "
                "vgpu-agent sync, or see why run has not)",
                tp->device->address, tp->name);
        return;
    }
    cJSON_AddBoolToObject(g, "in_placement", true);
    cJSON_AddStringToObject(g, "uuid", uuid);
    if (placement_get_inventories(pl, uuid, &invs, &eb) < 0) {
        problem(problems, "gpu %s: %s", tp->device->address, eb.msg);
        return;
    }
    for (size_t i = 0; i < invs.n; i++) {
        if (strcmp(invs.invs[i].rc, tp->device->rc) != 0)
            continue;
        cJSON_AddNumberToObject(g, "total", (double)invs.invs[i].total);
        cJSON_AddNumberToObject(g, "reserved", (double)invs.invs[i].reserved);
        if (invs.invs[i].total != want)
            problem(problems,
                    "gpu %s: Placement holds total %ld, the host offers %ld "
                    "(sync corrects it)",
                    tp->device->address, invs.invs[i].total, want);
    }
    placement_invs_clear(&invs);
}

/* The Placement UUID of provider tp: from a claim, else by name. */
static void
placement_uuid(struct hostplan *hp, const struct tree_provider *tp,
               char ret[UUIDSTR_LEN])
{
    struct placement_rp *rps = NULL;
    struct errbuf eb = { 0 };
    size_t n = 0;

    *ret = 0;
    for (size_t i = 0; i < hp->n_claims; i++)
        if (hp->claims[i].provider == tp) {
            snprintf(ret, UUIDSTR_LEN, "%s", hp->claims[i].uuid);
            return;
        }
    if (placement_list_providers(session_placement(hp->session), "name",
                                 tp->name, &rps, &n, &eb) == 0 &&
        n > 0)
        snprintf(ret, UUIDSTR_LEN, "%s", rps[0].uuid);
    placement_rps_free(rps, n);
}

static cJSON *
gpu_json(struct hostplan *hp, const struct tree_provider *tp, cJSON *problems)
{
    cJSON *g = cJSON_CreateObject(), *claims;
    char uuid[UUIDSTR_LEN];
    long used = 0;

    cJSON_AddStringToObject(g, "gpu", tp->device->address);
    cJSON_AddStringToObject(g, "type", tp->device->mdev_type);
    cJSON_AddStringToObject(g, "provider", tp->name);
    placement_uuid(hp, tp, uuid);
    add_inventory(session_placement(hp->session), tp, uuid, g, problems);
    claims = cJSON_AddArrayToObject(g, "claims");
    for (size_t i = 0; i < hp->n_claims; i++) {
        if (hp->claims[i].provider != tp)
            continue;
        used += hp->claims[i].n;
        cJSON_AddItemToArray(claims,
                             claim_json(hp->plan, &hp->claims[i], problems));
    }
    cJSON_AddNumberToObject(g, "used", (double)used);
    return g;
}

static cJSON *
mdev_list(const struct reconcile_mdev *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "device", v[i].uuid);
        if (v[i].parent)
            cJSON_AddStringToObject(o, "on", v[i].parent);
        if (v[i].mdev_type)
            cJSON_AddStringToObject(o, "type", v[i].mdev_type);
        if (*v[i].consumer)
            cJSON_AddStringToObject(o, "consumer", v[i].consumer);
        if (v[i].why)
            cJSON_AddStringToObject(o, "why", v[i].why);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *
picture(struct hostplan *hp)
{
    const struct tree *t = hp->host.tree;
    const struct reconcile_plan *p = hp->plan;
    cJSON *o = cJSON_CreateObject();
    cJSON *gpus, *problems = cJSON_CreateArray();

    cJSON_AddStringToObject(o, "node", t->providers[0].name);
    gpus = cJSON_AddArrayToObject(o, "gpus");
    for (size_t i = 1; i < t->n_providers; i++)
        if (t->providers[i].device)
            cJSON_AddItemToArray(gpus,
                                 gpu_json(hp, &t->providers[i], problems));
    for (size_t i = 0; i < hp->n_claims; i++)
        if (!hp->claims[i].provider)
            problem(problems,
                    "consumer %s holds %ld VGPU of provider %s, which has no "
                    "GPU on this host now",
                    hp->claims[i].consumer, hp->claims[i].n,
                    hp->claims[i].uuid);
    cJSON_AddItemToObject(o, "orphans", mdev_list(p->orphans, p->n_orphans));
    cJSON_AddItemToObject(o, "unaccounted",
                          mdev_list(p->unaccounted, p->n_unaccounted));
    for (size_t i = 0; i < p->n_orphans; i++) {
        const struct reconcile_mdev *m = &p->orphans[i];
        bool vf = m->parent && strcmp(m->uuid, m->parent) == 0;

        problem(problems,
                "orphan %s%s%s (%s): no claim, no guest (reconcile "
                "--remove-orphans removes it)",
                m->uuid, vf ? "" : " on ", vf ? "" : m->parent, m->mdev_type);
    }
    for (size_t i = 0; i < p->n_unaccounted; i++)
        problem(problems, "guest %s uses %s, which no allocation accounts for",
                p->unaccounted[i].consumer, p->unaccounted[i].uuid);
    if (!hp->guests)
        problem(problems,
                "libvirt (%s) could not be read: orphans and the "
                "guests' UUIDs are unknown",
                hp->host.conf->libvirt_uri);
    cJSON_AddItemToObject(o, "problems", problems);
    return o;
}

static long
num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);

    return cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
}

static const char *
str(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

    return s ? s : "";
}

/* Where device d sits, as " on PARENT"; "" for a VF, which is its own
 * function ("0000:41:00.5 present", not "... present on 0000:41:00.5"). */
static const char *
on_parent(const cJSON *d, char *buf, size_t size)
{
    if (strcmp(str(d, "device"), str(d, "on")) == 0 || !*str(d, "on"))
        return "";
    snprintf(buf, size, " on %s", str(d, "on"));
    return buf;
}

static void
print_gpu(const cJSON *g)
{
    const cJSON *c, *d;
    char total[24];

    if (num(g, "total") < 0)
        snprintf(total, sizeof(total), "-");
    else
        snprintf(total, sizeof(total), "%ld", num(g, "total"));
    printf("%-14s %-12s %6s %5ld %8ld  %s\n", str(g, "gpu"), str(g, "type"),
           total, num(g, "used"),
           num(g, "reserved") < 0 ? 0 : num(g, "reserved"), str(g, "provider"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(g, "claims")) {
        printf("  consumer %s: %ld unit(s)\n", str(c, "consumer"),
               num(c, "units"));
        cJSON_ArrayForEach(d, cJSON_GetObjectItem(c, "devices")) {
            char on[64];

            printf("    %s %s%s%s\n", str(d, "device"), str(d, "state"),
                   strcmp(str(d, "state"), "missing") == 0 ? ", to be made"
                                                           : "",
                   on_parent(d, on, sizeof(on)));
        }
    }
}

static void
print_table(const cJSON *o)
{
    const cJSON *g, *m, *p;
    const cJSON *problems = cJSON_GetObjectItem(o, "problems");

    printf("node %s\n", str(o, "node"));
    printf("%-14s %-12s %6s %5s %8s  %s\n", "GPU", "TYPE", "TOTAL", "USED",
           "RESERVED", "PROVIDER");
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(o, "gpus"))
        print_gpu(g);
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(o, "orphans")) {
        char on[64];

        printf("orphan %s%s (%s)\n", str(m, "device"),
               on_parent(m, on, sizeof(on)), str(m, "type"));
    }
    if (cJSON_GetArraySize(problems) == 0) {
        printf("problems: none\n");
        return;
    }
    printf("problems:\n");
    cJSON_ArrayForEach(p, problems)
        printf("  - %s\n", p->valuestring);
}

static int
parse_args(int argc, char **argv, bool *json)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    static const char *const formats[] = { "table", "json", NULL };
    int c;

    while ((c = cmd_getopt(argc, argv, "f:h", opts)) != -1) {
        if (c == 'h') {
            show_usage(stdout);
            return -1;
        }
        if (c != 'f')
            return CMD_EXIT_USAGE;
        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0)
            return cmd_bad_choice("show", "--format", optarg, formats);
        *json = strcmp(optarg, "json") == 0;
    }
    return cmd_no_more_args(argc, argv);
}

static int
cmd_show_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct hostplan hp = { 0 };
    bool json = false;
    int r = parse_args(argc, argv, &json);
    cJSON *o;

    if (r != CMD_EXIT_OK)
        return r < 0 ? CMD_EXIT_OK : r;
    r = hostplan_load(&ctx->host, &hp);
    if (r < 0) {
        hostplan_clear(&hp);
        return cmd_exit_status(r);
    }
    hostplan_make(&hp, HOSTPLAN_NEED_ORPHANS);
    o = picture(&hp);
    if (json) {
        char *s = cJSON_Print(o);

        printf("%s\n", s);
        free(s);
    } else {
        print_table(o);
    }
    r = cJSON_GetArraySize(cJSON_GetObjectItem(o, "problems")) ? CMD_EXIT_FAILED
                                                               : CMD_EXIT_OK;
    cJSON_Delete(o);
    hostplan_clear(&hp);
    return r;
}

const struct cmd cmd_show = {
    .name = "show",
    .args = "[--format table|json]",
    .summary = "the live picture: GPUs, claims, their devices, what is wrong",
    .exec = cmd_show_exec,
};
