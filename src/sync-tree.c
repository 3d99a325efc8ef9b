/*
 * sync-tree.c - where this host's tree is in Placement (see sync-tree.h).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "sync-tree.h"

int
sync_tree_find_root(struct placement *pl, const struct tree *t,
                    struct placement_rp *ret, struct errbuf *eb)
{
    struct placement_rp *rps = NULL;
    size_t n = 0;
    int r = placement_list_providers(pl, "name", t->providers[0].name, &rps, &n,
                                     eb);

    if (r == 0 && n == 0)
        r = -ENOENT;
    if (r == 0) {
        *ret = rps[0];
        rps[0] = (struct placement_rp){ 0 };
    }
    placement_rps_free(rps, n);
    return r;
}

bool
sync_tree_is_stale(const struct tree *t, const struct placement_rp *rp,
                   const char *root_uuid)
{
    return strcmp(rp->parent_uuid, root_uuid) == 0 &&
           tree_is_stale_name(t, rp->name);
}

const struct placement_rp *
sync_tree_find(const struct placement_rp *rps, size_t n, const char *uuid,
               const char *name)
{
    for (size_t i = 0; i < n; i++)
        if ((uuid && strcmp(rps[i].uuid, uuid) == 0) ||
            (name && strcmp(rps[i].name, name) == 0))
            return &rps[i];
    return NULL;
}
