/*
 * tree.c - build the resource-provider tree from the policy's GPUs.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "tree.h"
#include "xalloc.h"

void
tree_root_uuid(const struct conf *c, char ret[UUIDSTR_LEN])
{
    uuid_t out;

    if (c->node_uuid) {
        snprintf(ret, UUIDSTR_LEN, "%s", c->node_uuid);
        return;
    }
    uuid_generate_sha1(out, *uuid_get_template("dns"), c->node_name,
                       strlen(c->node_name));
    uuid_unparse_lower(out, ret);
}

bool
tree_is_stale_name(const struct tree *t, const char *name)
{
    const char *node = t->providers[0].name;
    size_t len = strlen(node);

    if (strncmp(name, node, len) != 0 || name[len] != '_')
        return false;
    for (size_t i = 1; i < t->n_providers; i++)
        if (strcmp(t->providers[i].name, name) == 0)
            return false;
    return true;
}

char *
tree_child_name(const char *node_name, const struct policy_gpu *gpu)
{
    char buf[PCI_ADDR_STR_MAX];
    char *name;

    if (gpu->is_pci)
        return xasprintf("%s_pci_%s", node_name,
                         pci_addr_format_rp(&gpu->addr, buf));
    /* Non-PCI parents ("mtty", "0.0.0010"): the same idea, name sanitized. */
    name = xasprintf("%s_%s", node_name, gpu->address);
    for (char *p = name + strlen(node_name) + 1; *p; p++)
        if (!isalnum((unsigned char)*p))
            *p = '_';
    return name;
}

static struct tree_device *
device_new(const struct policy_gpu *gpu)
{
    struct tree_device *d = xcalloc(1, sizeof(*d));

    d->address = xstrdup(gpu->address);
    d->mode = gpu->mode;
    d->mdev_type = xstrdup(gpu->conf->id);
    d->type_name = xstrdup(gpu->type->name ? gpu->type->name : gpu->conf->id);
    d->rc = xstrdup(gpu->conf->mdev_class);
    strv_copy(&d->parents, &gpu->parents);
    strv_copy(&d->mdevs, &gpu->mdevs);
    return d;
}

static void
child_init(struct tree_provider *p, const struct conf *c, const char *root_uuid,
           const struct policy_gpu *gpu)
{
    uuid_t ns, out;

    p->name = tree_child_name(c->node_name, gpu);
    uuid_parse(root_uuid, ns);
    uuid_generate_sha1(out, ns, p->name, strlen(p->name));
    uuid_unparse_lower(out, p->uuid);
    snprintf(p->parent_uuid, sizeof(p->parent_uuid), "%s", root_uuid);
    p->invs = xcalloc(1, sizeof(*p->invs));
    p->n_invs = 1;
    inventory_init(&p->invs[0], gpu->conf->mdev_class, gpu->total);
    strv_copy(&p->traits, &gpu->traits);
    strv_copy(&p->managed, &gpu->managed);
    p->device = device_new(gpu);
}

static int
provider_name_cmp(const void *a, const void *b)
{
    const struct tree_provider *x = a, *y = b;

    return strcmp(x->name, y->name);
}

static struct tree_provider *
find_provider(struct tree *t, const struct provconf_entry *e)
{
    if (e->by == PROVCONF_COMPUTE_NODE)
        return &t->providers[0];
    for (size_t i = 0; i < t->n_providers; i++) {
        const char *key = e->by == PROVCONF_BY_UUID ? t->providers[i].uuid
                                                    : t->providers[i].name;
        if (strcmp(key, e->ident) == 0)
            return &t->providers[i];
    }
    return NULL;
}

/* Nova: $COMPUTE_NODE does not apply to a root also named explicitly. */
static bool
root_named_explicitly(const struct tree *t, const struct provconf *pc)
{
    for (size_t i = 0; i < pc->n_entries; i++) {
        const struct provconf_entry *e = &pc->entries[i];

        if (e->by != PROVCONF_COMPUTE_NODE &&
            strcmp(e->ident, e->by == PROVCONF_BY_UUID
                                 ? t->providers[0].uuid
                                 : t->providers[0].name) == 0)
            return true;
    }
    return false;
}

static int
merge_entry(struct tree_provider *p, const struct provconf_entry *e,
            struct errbuf *eb)
{
    for (size_t i = 0; i < e->n_invs; i++) {
        for (size_t j = 0; j < p->n_invs; j++)
            if (strcmp(p->invs[j].rc, e->invs[i].rc) == 0)
                return errbuf_set(eb, -EINVAL,
                                  "%s: inventory %s of provider %s is "
                                  "owned by vgpu-agent",
                                  e->where, e->invs[i].rc, p->name);
        p->invs = xrealloc(p->invs, (p->n_invs + 1) * sizeof(*p->invs));
        p->invs[p->n_invs] = e->invs[i];
        p->invs[p->n_invs++].rc = xstrdup(e->invs[i].rc);
    }
    if (p->n_invs > 1) /* qsort(NULL, 0, ...) is undefined */
        qsort(p->invs, p->n_invs, sizeof(*p->invs), inventory_cmp_rc);
    strv_copy(&p->traits, &e->traits);
    strv_sort_uniq(&p->traits);
    return 0;
}

static int
merge_provconf(struct tree *t, const struct provconf *pc, struct errbuf *eb)
{
    _cleanup_free_ const struct provconf_entry **by_provider =
        xcalloc(t->n_providers, sizeof(*by_provider));
    bool skip_compute_node = root_named_explicitly(t, pc);

    for (size_t i = 0; i < pc->n_entries; i++) {
        const struct provconf_entry *e = &pc->entries[i];
        struct tree_provider *p;
        size_t k;
        int r;

        if (e->by == PROVCONF_COMPUTE_NODE && skip_compute_node)
            continue;
        p = find_provider(t, e);
        if (!p) {
            strv_pushf(&t->warnings,
                       "%s: provider %s is not in the tree; ignored", e->where,
                       e->ident);
            continue;
        }
        k = (size_t)(p - t->providers);
        if (by_provider[k])
            return errbuf_set(eb, -EINVAL,
                              "%s: provider %s is already identified at %s",
                              e->where, p->name, by_provider[k]->where);
        by_provider[k] = e;
        r = merge_entry(p, e, eb);
        if (r < 0)
            return r;
    }
    return 0;
}

int
tree_build(const struct conf *c, const struct policy *pol,
           const struct provconf *pc, struct tree **ret, struct errbuf *eb)
{
    _cleanup_(tree_freep) struct tree *t = xcalloc(1, sizeof(*t));
    struct tree_provider *root;

    t->providers = xcalloc(pol->n_gpus + 1, sizeof(*t->providers));
    root = &t->providers[t->n_providers++];
    root->name = xstrdup(c->node_name);
    tree_root_uuid(c, root->uuid);
    for (size_t i = 0; i < pol->n_gpus; i++)
        child_init(&t->providers[t->n_providers++], c, root->uuid,
                   &pol->gpus[i]);
    qsort(t->providers + 1, t->n_providers - 1, sizeof(*t->providers),
          provider_name_cmp);
    if (pc) {
        int r = merge_provconf(t, pc, eb);

        if (r < 0)
            return r;
    }
    *ret = TAKE_PTR(t);
    return 0;
}

static void
device_free(struct tree_device *d)
{
    if (!d)
        return;
    free(d->address);
    free(d->mdev_type);
    free(d->type_name);
    free(d->rc);
    strv_clear(&d->parents);
    strv_clear(&d->mdevs);
    free(d);
}

void
tree_set_owner(struct tree *t, const char *trait, const char *host,
               bool adopt_root, const char *nova_file)
{
    free(t->owner.trait);
    free(t->owner.host);
    free(t->owner.nova_file);
    t->owner = (struct tree_owner){
        .trait = trait ? xstrdup(trait) : NULL,
        .host = host ? xstrdup(host) : NULL,
        .adopt_root = adopt_root,
        .nova_file = nova_file ? xstrdup(nova_file) : NULL,
    };
}

void
tree_free(struct tree *t)
{
    if (!t)
        return;
    tree_set_owner(t, NULL, NULL, false, NULL);
    for (size_t i = 0; i < t->n_providers; i++) {
        struct tree_provider *p = &t->providers[i];

        free(p->name);
        for (size_t j = 0; j < p->n_invs; j++)
            inventory_clear(&p->invs[j]);
        free(p->invs);
        strv_clear(&p->traits);
        strv_clear(&p->managed);
        device_free(p->device);
    }
    free(t->providers);
    strv_clear(&t->warnings);
    free(t);
}
