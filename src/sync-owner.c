/*
 * sync-owner.c - which GPU providers under the root are this host's (see
 * nodeid.h): each one the agent writes carries this host's owner trait,
 * and one that carries another host's is left alone and reported.
 *
 * Two hosts given one node name share one root provider.  Without the
 * mark each took the other's GPU providers for its own stale ones and
 * deleted them, every pass.  A provider without any owner trait (made by
 * nova-compute, or by an agent before owner traits) is taken over.
 */
#include "config.h"

#include <string.h>

#include "nodeid.h"
#include "syncpass.h"
#include "xalloc.h"

/* The ID of this host's owner trait, "" when it has none. */
static void
own_id(const struct tree_owner *o, char ret[NODEID_ID_LEN + 1])
{
    const char *host;

    if (!o->trait || !nodeid_parse_owner(o->trait, ret, &host))
        ret[0] = '\0';
}

void
sync_owner_wants(const struct sync_pass *ps, const struct sync_job *j,
                 struct strv *want, struct strv *managed)
{
    const struct tree_owner *o = &ps->tree->owner;
    char mine[NODEID_ID_LEN + 1], id[NODEID_ID_LEN + 1];
    const char *host;

    strv_copy(want, &j->want->traits);
    strv_copy(managed, &j->want->managed);
    if (!o->trait)
        return;
    strv_push(want, o->trait);
    strv_sort_uniq(want);
    own_id(o, mine);
    /* this host's mark under an older host name goes */
    for (size_t i = 0; i < j->traits.n; i++)
        if (nodeid_parse_owner(j->traits.v[i], id, &host) &&
            strcmp(id, mine) == 0)
            strv_push(managed, j->traits.v[i]);
}

/* Another host's owner trait among traits, or NULL. */
static const char *
foreign_owner(const struct strv *traits, const char *mine)
{
    char id[NODEID_ID_LEN + 1];
    const char *host;

    for (size_t i = 0; i < traits->n; i++)
        if (nodeid_parse_owner(traits->v[i], id, &host) &&
            strcmp(id, mine) != 0)
            return traits->v[i];
    return NULL;
}

void
sync_check_owner(struct sync_pass *ps)
{
    const struct tree_owner *o = &ps->tree->owner;
    char mine[NODEID_ID_LEN + 1], id[NODEID_ID_LEN + 1];

    own_id(o, mine);
    for (size_t i = 0; i < ps->jobs.n; i++) {
        struct sync_job *j = &ps->jobs.v[i];
        const char *theirs, *host;
        _cleanup_free_ char *why = NULL;

        if (j->is_root || !j->exists || j->need_read || j->failed ||
            !(theirs = foreign_owner(&j->traits, mine)))
            continue;
        (void)nodeid_parse_owner(theirs, id, &host);
        why = xasprintf("another host's GPU provider: it carries the owner "
                        "trait of host %s (%s), this host is %s (%s); two "
                        "hosts report under the node name %s, so give each "
                        "its own node_name; left alone",
                        host[0] ? host : "(unnamed)", theirs,
                        o->host ? o->host : "(unnamed)",
                        o->trait ? o->trait : "no owner trait: no machine ID",
                        ps->tree->providers[0].name);
        sync_job_fail(j, why, NULL);
    }
}
