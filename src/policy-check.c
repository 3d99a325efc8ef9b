/*
 * policy-check.c - the configuration against the host: the slips that
 * would take capacity away without a word (see policy_check_conf()).
 */
#include "config.h"

#include <string.h>

#include "policy.h"
#include "xalloc.h"

/* "agent.yaml:7:25: " or "" when the file does not say. */
static const char *
prefix(const char *where, char **buf)
{
    *buf = where && where[0] ? xasprintf("%s: ", where) : xstrdup("");
    return *buf;
}

/* The GPU of h that name (a GPU's address or a function's) belongs to. */
static const struct host_gpu *
gpu_of(const struct host *h, const char *name)
{
    const struct host_gpu *gpu = NULL;

    for (size_t i = 0; i < h->n_gpus; i++)
        if (strcmp(h->gpus[i].address, name) == 0)
            return &h->gpus[i];
    return host_find_fn(h, name, &gpu) ? gpu : NULL;
}

static bool
gpu_offers(const struct host_gpu *gpu, const char *type_id)
{
    for (size_t i = 0; i < gpu->n_fns; i++)
        if (host_fn_find_type(&gpu->fns[i], type_id))
            return true;
    return false;
}

/* Whether some GPU function of h offers type_id. */
static bool
host_offers(const struct conf *c, const struct host *h, const char *type_id)
{
    for (size_t i = 0; i < h->n_gpus; i++)
        for (size_t j = 0; j < h->gpus[i].n_fns; j++)
            if (policy_fn_is_gpu(c, &h->gpus[i].fns[j]) &&
                host_fn_find_type(&h->gpus[i].fns[j], type_id))
                return true;
    return false;
}

size_t
policy_check_conf(const struct conf *c, const struct host *h, struct strv *ret)
{
    size_t before = ret->n;

    for (size_t i = 0; i < c->n_types; i++) {
        const struct conf_type *t = &c->types[i];
        _cleanup_free_ char *p = NULL;

        for (size_t j = 0; j < t->parents.n; j++) {
            const struct host_gpu *gpu = gpu_of(h, t->parents.v[j]);
            _cleanup_free_ char *q = NULL;

            if (!gpu)
                strv_pushf(ret,
                           "%smdev_types.%s.device_addresses: %s is not on "
                           "this host; no GPU offers %s there",
                           prefix(conf_parent_where(t, j), &q), t->id,
                           t->parents.v[j], t->id);
            else if (!gpu_offers(gpu, t->id))
                strv_pushf(ret,
                           "%smdev_types.%s.device_addresses: %s does not "
                           "offer %s; it gets no provider",
                           prefix(conf_parent_where(t, j), &q), t->id,
                           t->parents.v[j], t->id);
        }
        if (!host_offers(c, h, t->id))
            strv_pushf(ret, "%senabled type %s: no GPU of this host offers it",
                       prefix(t->where, &p), t->id);
    }
    return ret->n - before;
}
