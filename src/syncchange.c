/*
 * syncchange.c - the record of what a pass wrote (or, dry, would write),
 * each change with the request and what it changes in words.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "syncpass.h"
#include "xalloc.h"

const char *
sync_change_event(enum sync_change_kind kind)
{
    static const char *const names[] = {
        [SYNC_CHANGE_PROVIDER_CREATED] = "provider_created",
        [SYNC_CHANGE_PROVIDER_DELETED] = "provider_deleted",
        [SYNC_CHANGE_PROVIDER_DRAINED] = "provider_drained",
        [SYNC_CHANGE_INVENTORY] = "inventory_changed",
        [SYNC_CHANGE_TRAITS] = "traits_changed",
        [SYNC_CHANGE_NAME] = "name_created",
    };

    return names[kind];
}

void
sync_change_add(struct sync_report *r, enum sync_change_kind kind,
                const char *provider, const char *method, char *path,
                char *what)
{
    struct sync_changes *c = &r->changes;

    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 8;
        c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    c->v[c->n++] =
        (struct sync_change){ .kind = kind,
                              .provider = provider ? xstrdup(provider) : NULL,
                              .method = method,
                              .path = path,
                              .what = what };
}

void
sync_changes_clear(struct sync_changes *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].provider);
        free(c->v[i].path);
        free(c->v[i].what);
    }
    free(c->v);
    *c = (struct sync_changes){ 0 };
}

void
sync_error_add(struct sync_report *r, const struct errbuf_request *req,
               const char *fmt, ...)
{
    struct sync_errors *e = &r->errors;
    va_list ap;

    xgrow(&e->v, &e->cap, e->n, sizeof(*e->v));
    va_start(ap, fmt);
    e->v[e->n] = (struct sync_error){ .msg = xvasprintf(fmt, ap) };
    va_end(ap);
    if (req)
        e->v[e->n].req = *req;
    e->n++;
}

void
sync_errors_clear(struct sync_errors *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].msg);
    free(e->v);
    *e = (struct sync_errors){ 0 };
}

/* s + ", " + more, s freed; NULL s: more copied. */
static char *
append(char *s, const char *sep, char *more)
{
    char *next = s ? xasprintf("%s%s%s", s, sep, more) : xstrdup(more);

    free(s);
    free(more);
    return next;
}

static char *
describe_one(const struct inventory *a, const struct inventory *b)
{
    char *s = NULL;

#define FIELD(f)                                                               \
    if (a->f != b->f)                                                          \
        s = append(s, ", ", xasprintf(#f " %ld -> %ld", a->f, b->f));
    FIELD(total)
    FIELD(reserved)
    FIELD(min_unit)
    FIELD(max_unit)
    FIELD(step_size)
#undef FIELD
    if (fabs(a->allocation_ratio - b->allocation_ratio) >= 1e-9)
        s = append(s, ", ",
                   xasprintf("allocation_ratio %g -> %g", a->allocation_ratio,
                             b->allocation_ratio));
    return s ? append(xasprintf("%s", a->rc), " ", s) : NULL;
}

char *
sync_change_describe_invs(const struct inventory *old, size_t n_old,
                          const struct inventory *new, size_t n_new)
{
    char *s = NULL;
    size_t i = 0, j = 0;

    while (i < n_old || j < n_new) {
        int cmp = i == n_old   ? 1
                  : j == n_new ? -1
                               : strcmp(old[i].rc, new[j].rc);

        if (cmp < 0) {
            s = append(s, "; ", xasprintf("%s removed", old[i++].rc));
        } else if (cmp > 0) {
            s = append(s, "; ",
                       xasprintf("%s added (total %ld, reserved %ld)",
                                 new[j].rc, new[j].total, new[j].reserved));
            j++;
        } else {
            char *d = describe_one(&old[i++], &new[j++]);

            if (d)
                s = append(s, "; ", d);
        }
    }
    return s ? s : xstrdup("no change");
}

char *
sync_change_describe_traits(const struct strv *old, const struct strv *new)
{
    char *s = NULL;

    for (size_t i = 0; i < new->n; i++)
        if (!strv_contains(old, new->v[i]))
            s = append(s, " ", xasprintf("+%s", new->v[i]));
    for (size_t i = 0; i < old->n; i++)
        if (!strv_contains(new, old->v[i]))
            s = append(s, " ", xasprintf("-%s", old->v[i]));
    return s ? s : xstrdup("no change");
}
