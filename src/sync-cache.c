/*
 * sync-cache.c - what a sync pass remembers for the next one (see
 * sync-cache.h and sync.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync-cache.h"
#include "xalloc.h"

/* What the agent last saw of one provider. */
struct cached {
    char uuid[UUIDSTR_LEN];
    char *name;
    long generation;
    struct placement_invs invs;
    struct strv traits;
};

struct sync_cache {
    char root_uuid[UUIDSTR_LEN]; /* "" until the root is ensured */
    bool root_owned;   /* the agent created the root: it may add to it */
    bool waiting;      /* the last pass waited for nova-compute's root */
    struct strv known; /* CUSTOM_ traits and classes known to exist */
    struct cached *rps;
    size_t n, cap;
};

struct sync_cache *
sync_cache_new(void)
{
    return xcalloc(1, sizeof(struct sync_cache));
}

static void
cached_clear(struct cached *e)
{
    free(e->name);
    e->name = NULL;
    placement_invs_clear(&e->invs);
    strv_clear(&e->traits);
}

void
sync_cache_forget(struct sync_cache *c)
{
    for (size_t i = 0; i < c->n; i++)
        cached_clear(&c->rps[i]);
    c->n = 0;
    c->root_uuid[0] = '\0';
}

void
sync_cache_free(struct sync_cache *c)
{
    if (!c)
        return;
    sync_cache_forget(c);
    free(c->rps);
    strv_clear(&c->known);
    free(c);
}

int
sync_cache_lookup(const struct sync_cache *c, const char *name,
                  char ret_uuid[UUIDSTR_LEN], long *ret_generation)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->rps[i].name && strcmp(c->rps[i].name, name) == 0) {
            memcpy(ret_uuid, c->rps[i].uuid, UUIDSTR_LEN);
            *ret_generation = c->rps[i].generation;
            return 0;
        }
    return -ENOENT;
}

const char *
sync_cache_root(const struct sync_cache *c, bool *ret_owned)
{
    if (ret_owned)
        *ret_owned = c->root_owned;
    return c->root_uuid[0] ? c->root_uuid : NULL;
}

void
sync_cache_set_root(struct sync_cache *c, const char *uuid, bool owned)
{
    snprintf(c->root_uuid, sizeof(c->root_uuid), "%s", uuid);
    c->root_owned = owned;
}

bool
sync_cache_set_waiting(struct sync_cache *c, bool waiting)
{
    bool changed = c->waiting != waiting;

    c->waiting = waiting;
    return changed;
}

static struct cached *
find(const struct sync_cache *c, const char *uuid)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->rps[i].uuid, uuid) == 0)
            return &c->rps[i];
    return NULL;
}

static void
invs_copy(struct placement_invs *dst, const struct placement_invs *src,
          long generation)
{
    placement_invs_clear(dst);
    dst->generation = generation;
    dst->invs = xcalloc(src->n ? src->n : 1, sizeof(*dst->invs));
    for (size_t i = 0; i < src->n; i++) {
        dst->invs[i] = src->invs[i];
        dst->invs[i].rc = xstrdup(src->invs[i].rc);
    }
    dst->n = src->n;
}

int
sync_cache_recall(const struct sync_cache *c, const char *uuid, long generation,
                  struct placement_invs *ret_invs, struct strv *ret_traits)
{
    const struct cached *e = find(c, uuid);

    if (!e)
        return -ENOENT;
    if (e->generation != generation)
        return -ESTALE;
    invs_copy(ret_invs, &e->invs, e->generation);
    strv_clear(ret_traits);
    strv_copy(ret_traits, &e->traits);
    return 0;
}

void
sync_cache_remember(struct sync_cache *c, const char *uuid, const char *name,
                    long generation, const struct placement_invs *invs,
                    const struct strv *traits)
{
    struct cached *e = find(c, uuid);

    if (!e) {
        xgrow(&c->rps, &c->cap, c->n, sizeof(*c->rps));
        e = &c->rps[c->n++];
        *e = (struct cached){ .name = xstrdup(name) };
        snprintf(e->uuid, sizeof(e->uuid), "%s", uuid);
    }
    e->generation = generation;
    invs_copy(&e->invs, invs, generation);
    strv_clear(&e->traits);
    strv_copy(&e->traits, traits);
    for (size_t i = 0; i < invs->n; i++)
        strv_push(&c->known, invs->invs[i].rc);
    strv_copy(&c->known, traits);
    strv_sort_uniq(&c->known);
}

void
sync_cache_drop(struct sync_cache *c, const char *uuid)
{
    struct cached *e = find(c, uuid);

    if (!e)
        return;
    cached_clear(e);
    *e = c->rps[--c->n];
}

const struct strv *
sync_cache_known(const struct sync_cache *c)
{
    return &c->known;
}

void
sync_cache_learn(struct sync_cache *c, const char *name)
{
    strv_push(&c->known, name);
    strv_sort_uniq(&c->known);
}
