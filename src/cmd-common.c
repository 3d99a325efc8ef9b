/*
 * cmd-common.c - the steps every command starts with:
 * config -> sysfs scan -> policy -> provider tree, with warnings logged.
 */
#include "config.h"

#include <string.h>

#include "cmd.h"
#include "log.h"
#include "policy.h"
#include "provconf.h"
#include "sysfs.h"

static void
log_all(enum log_level level, const struct strv *msgs)
{
    for (size_t i = 0; i < msgs->n; i++)
        log_msg(level, "%s", msgs->v[i]);
}

static int
load_conf(const struct ctx *ctx, struct conf **ret_conf,
          struct provconf **ret_pc)
{
    struct strv errors = { 0 };
    int r = conf_load(ctx->conf_path, ctx->conf_explicit, ret_conf, &errors);

    if (r >= 0) {
        r = provconf_load_dir((*ret_conf)->provider_config_dir,
                              (*ret_conf)->provider_config_dir_set, ret_pc,
                              &errors);
        if (r >= 0)
            log_all(LOG_WARNING, &(*ret_pc)->warnings);
    }
    log_all(LOG_ERROR, &errors);
    strv_clear(&errors);
    return r < 0 ? CMD_EXIT_USAGE : CMD_EXIT_OK;
}

static int
scan(const struct ctx *ctx, const struct conf *c, struct mdev_host **ret)
{
    const char *root = ctx->sysfs_root ? ctx->sysfs_root : c->sysfs_root;
    _cleanup_(sysfs_closep) struct sysfs *fs = NULL;
    struct errbuf eb = { 0 };

    if (sysfs_open(root, &fs, &eb) < 0 || mdev_scan(fs, ret, &eb) < 0) {
        log_error("%s", eb.msg);
        return CMD_EXIT_FAILED;
    }
    log_all(LOG_WARNING, &(*ret)->warnings);
    if (!(*ret)->has_mdev_info)
        log_warn("%s: no mediated-device information (neither class/mdev_bus "
                 "nor bus/mdev exists); is a vGPU driver loaded?",
                 root);
    return CMD_EXIT_OK;
}

int
cmd_host_load(const struct ctx *ctx, struct cmd_host *ret)
{
    _cleanup_(provconf_freep) struct provconf *pc = NULL;
    _cleanup_(policy_freep) struct policy *pol = NULL;
    struct cmd_host h = { 0 };
    struct errbuf eb = { 0 };
    int r = load_conf(ctx, &h.conf, &pc);

    if (r == CMD_EXIT_OK)
        r = scan(ctx, h.conf, &h.mdev);
    if (r != CMD_EXIT_OK) {
        cmd_host_clear(&h);
        return r;
    }
    pol = policy_decide(h.conf, h.mdev);
    log_all(LOG_WARNING, &pol->warnings);
    log_all(LOG_INFO, &pol->notes);
    if (tree_build(h.conf, pol, pc, &h.tree, &eb) < 0) {
        log_error("%s", eb.msg);
        cmd_host_clear(&h);
        return CMD_EXIT_USAGE;
    }
    log_all(LOG_WARNING, &h.tree->warnings);
    *ret = h;
    return CMD_EXIT_OK;
}

void
cmd_host_clear(struct cmd_host *h)
{
    tree_free(h->tree);
    mdev_host_free(h->mdev);
    conf_free(h->conf);
    memset(h, 0, sizeof(*h));
}
