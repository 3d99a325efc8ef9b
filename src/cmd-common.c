/*
 * cmd-common.c - the steps every command starts with:
 * config -> sysfs scan -> policy -> provider tree, with warnings logged;
 * the claims on the host's GPUs; the agent's lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claims.h"
#include "clouds.h"
#include "cmd.h"
#include "http.h"
#include "keystone.h"
#include "log.h"
#include "placement.h"
#include "policy.h"
#include "provconf.h"
#include "sysfs.h"
#include "xalloc.h"

static void
log_all(enum log_level level, const struct strv *msgs)
{
    for (size_t i = 0; i < msgs->n; i++)
        log_msg(level, "%s", msgs->v[i]);
}

int
cmd_host_conf(const struct ctx *ctx, struct cmd_host *ret)
{
    struct strv errors = { 0 };
    struct conf *c = NULL;
    struct provconf *pc = NULL;
    struct clouds_auth *auth = NULL;
    int r = conf_load(ctx->conf_path, ctx->conf_explicit, &c, &errors);

    if (r >= 0) {
        conf_apply_env(c);
        r = clouds_resolve(c, &auth, &errors);
    }
    if (r >= 0)
        r = provconf_load_dir(c->provider_config_dir,
                              c->provider_config_dir_set, &pc, &errors);
    if (r >= 0)
        log_all(LOG_WARNING, &pc->warnings);
    log_all(LOG_ERROR, &errors);
    strv_clear(&errors);
    if (r < 0) {
        clouds_auth_free(auth);
        conf_free(c);
        return CMD_EXIT_USAGE;
    }
    ret->conf = c;
    ret->auth = auth;
    ret->provconf = pc;
    return CMD_EXIT_OK;
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
cmd_host_scan(const struct ctx *ctx, struct cmd_host *h)
{
    _cleanup_(policy_freep) struct policy *pol = NULL;
    struct errbuf eb = { 0 };
    int r;

    tree_free(TAKE_PTR(h->tree));
    mdev_host_free(TAKE_PTR(h->mdev));
    r = scan(ctx, h->conf, &h->mdev);
    if (r != CMD_EXIT_OK)
        return r;
    pol = policy_decide(h->conf, h->mdev);
    log_all(LOG_WARNING, &pol->warnings);
    log_all(LOG_INFO, &pol->notes);
    if (tree_build(h->conf, pol, h->provconf, &h->tree, &eb) < 0) {
        log_error("%s", eb.msg);
        return CMD_EXIT_USAGE;
    }
    log_all(LOG_WARNING, &h->tree->warnings);
    return CMD_EXIT_OK;
}

int
cmd_host_load(const struct ctx *ctx, struct cmd_host *ret)
{
    struct cmd_host h = { 0 };
    int r = cmd_host_conf(ctx, &h);

    if (r == CMD_EXIT_OK)
        r = cmd_host_scan(ctx, &h);
    if (r != CMD_EXIT_OK) {
        cmd_host_clear(&h);
        return r;
    }
    *ret = h;
    return CMD_EXIT_OK;
}

void
cmd_host_clear(struct cmd_host *h)
{
    tree_free(h->tree);
    mdev_host_free(h->mdev);
    provconf_free(h->provconf);
    clouds_auth_free(h->auth);
    conf_free(h->conf);
    memset(h, 0, sizeof(*h));
}

int
cmd_claims_load(const struct ctx *ctx, struct cmd_claims *ret)
{
    struct errbuf eb = { 0 };
    int r = cmd_host_load(ctx, &ret->host);

    if (r == CMD_EXIT_OK)
        r = cmd_placement_open(&ret->host, NULL, &ret->ks, &ret->http,
                               &ret->pl);
    if (r == CMD_EXIT_OK &&
        claims_load(ret->pl, ret->host.tree,
                    ret->host.conf->placement.max_parallel, &ret->claims,
                    &ret->n_claims, &eb) < 0) {
        log_error("%s", eb.msg);
        r = CMD_EXIT_FAILED;
    }
    return r;
}

void
cmd_claims_clear(struct cmd_claims *c)
{
    free(c->claims);
    placement_free(c->pl);
    http_free(c->http);
    keystone_free(c->ks);
    cmd_host_clear(&c->host);
    memset(c, 0, sizeof(*c));
}

/* mkdir the lock file's directory (/run/vgpu-agent is gone after a boot). */
static void
make_lock_dir(const char *path)
{
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');

    if (slash && slash != dir) {
        *slash = '\0';
        (void)mkdir(dir, 0755);
    }
}

int
cmd_lock(const struct conf *c)
{
    int fd;
    char pid[32] = "";

    make_lock_dir(c->lock_file);
    fd = open(c->lock_file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        log_error("%s: cannot open the lock file: %s", c->lock_file,
                  strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        ssize_t n = read(fd, pid, sizeof(pid) - 1);

        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        log_error("%s: another vgpu-agent (pid %s) is running on this host; "
                  "only one may act on it at a time",
                  c->lock_file, *pid ? pid : "unknown");
        close(fd);
        return -1;
    }
    snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) < 0)
        log_warn("%s: cannot record the pid: %s", c->lock_file,
                 strerror(errno));
    return fd;
}
