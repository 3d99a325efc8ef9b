/*
 * hostload.c - config -> sysfs scan -> policy -> provider tree, with the
 * warnings of each step logged.  The one place that scans and builds.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "hostload.h"
#include "log.h"
#include "policy.h"
#include "sysfs.h"

static void
log_all(enum log_level level, const struct strv *msgs)
{
    for (size_t i = 0; i < msgs->n; i++)
        log_msg(level, "%s", msgs->v[i]);
}

int
hostload_conf(const struct hostload_opts *o, struct hostload *ret)
{
    struct strv errors = { 0 };
    struct conf *c = NULL;
    struct provconf *pc = NULL;
    struct clouds_auth *auth = NULL;
    struct strv warnings = { 0 }, notes = { 0 };
    struct nodeid id = { 0 };
    struct errbuf eb = { 0 };
    int r = conf_load(o->conf_path, o->conf_explicit, &c, &errors);

    if (r >= 0) {
        log_all(LOG_WARNING, &c->warnings);
        conf_apply_env(c);
        r = nodeid_resolve(c, &id, &warnings, &notes, &eb);
        if (r < 0)
            strv_push(&errors, eb.msg);
    }
    if (r >= 0) {
        nodeid_apply(&id, c, &warnings);
        r = clouds_resolve(c, &auth, &errors);
    }
    if (r >= 0)
        r = provconf_load_dir(c->provider_config_dir,
                              c->provider_config_dir_set, &pc, &errors);
    if (r >= 0)
        log_all(LOG_WARNING, &pc->warnings);
    log_all(LOG_INFO, &notes);
    log_all(LOG_WARNING, &warnings);
    log_all(LOG_ERROR, &errors);
    strv_clear(&notes);
    strv_clear(&warnings);
    strv_clear(&errors);
    if (r < 0) {
        clouds_auth_free(auth);
        nodeid_clear(&id);
        conf_free(c);
        return -EINVAL;
    }
    *ret = (struct hostload){
        .opts = *o, .conf = c, .auth = auth, .provconf = pc, .id = id
    };
    return 0;
}

const char *
hostload_sysfs_root(const struct hostload *h)
{
    return h->opts.sysfs_root ? h->opts.sysfs_root : h->conf->sysfs_root;
}

const char *
hostload_conf_name(const struct hostload *h)
{
    return h->conf->path ? h->conf->path : "built-in defaults";
}

static int
scan(const struct hostload *h, struct host **ret)
{
    const char *root = hostload_sysfs_root(h);
    _cleanup_(sysfs_closep) struct sysfs *fs = NULL;
    struct errbuf eb = { 0 };

    if (sysfs_open(root, &fs, &eb) < 0 || host_scan(fs, ret, &eb) < 0) {
        log_error("%s", eb.msg);
        return -EIO; /* not -EINVAL: that would blame the configuration */
    }
    log_all(LOG_WARNING, &(*ret)->warnings);
    if (!(*ret)->has_vgpu_info)
        log_warn("%s: no mediated-device information (neither class/mdev_bus "
                 "nor bus/mdev exists) and no VF with "
                 "nvidia/creatable_vgpu_types; is a vGPU driver loaded?",
                 root);
    return 0;
}

int
hostload_scan(struct hostload *h)
{
    _cleanup_(policy_freep) struct policy *pol = NULL;
    struct errbuf eb = { 0 };
    int r;

    tree_free(TAKE_PTR(h->tree));
    host_free(TAKE_PTR(h->hw));
    r = scan(h, &h->hw);
    if (r < 0)
        return r;
    pol = policy_decide(h->conf, h->hw);
    log_all(LOG_WARNING, &pol->warnings);
    log_all(LOG_INFO, &pol->notes);
    if (tree_build(h->conf, pol, h->provconf, &h->tree, &eb) < 0) {
        log_error("%s", eb.msg);
        host_free(TAKE_PTR(h->hw));
        return -EINVAL;
    }
    log_all(LOG_WARNING, &h->tree->warnings);
    tree_set_owner(h->tree, h->id.owner_trait, h->id.hostname, h->id.adopt_root,
                   h->id.nova_uuid[0] &&
                           strcmp(h->conf->node_uuid, h->id.nova_uuid) == 0
                       ? h->conf->nova_compute_id_file
                       : NULL);
    return 0;
}

int
hostload_open(const struct hostload_opts *o, struct hostload *ret)
{
    struct hostload h = { 0 };
    int r = hostload_conf(o, &h);

    if (r == 0)
        r = hostload_scan(&h);
    if (r < 0) {
        hostload_clear(&h);
        return r;
    }
    *ret = h;
    return 0;
}

void
hostload_clear(struct hostload *h)
{
    tree_free(h->tree);
    host_free(h->hw);
    provconf_free(h->provconf);
    clouds_auth_free(h->auth);
    nodeid_clear(&h->id);
    conf_free(h->conf);
    memset(h, 0, sizeof(*h));
}
