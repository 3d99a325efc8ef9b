/*
 * syncdiff.c - decide what a provider in Placement must become.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "syncdiff.h"
#include "xalloc.h"

static bool
inv_equal(const struct inventory *a, const struct inventory *b)
{
    return strcmp(a->rc, b->rc) == 0 && a->total == b->total &&
           a->reserved == b->reserved && a->min_unit == b->min_unit &&
           a->max_unit == b->max_unit && a->step_size == b->step_size &&
           fabs(a->allocation_ratio - b->allocation_ratio) < 1e-9;
}

bool
syncdiff_invs_equal(const struct inventory *a, size_t na,
                    const struct inventory *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!inv_equal(&a[i], &b[i]))
            return false;
    return true;
}

bool
syncdiff_is_managed_trait(const char *name, const struct strv *managed)
{
    return strncmp(name, "HW_GPU_MAX_DISPLAY_HEADS_", 25) == 0 ||
           strncmp(name, "HW_GPU_RESOLUTION_", 18) == 0 ||
           strv_contains(managed, name);
}

void
syncdiff_traits(const struct strv *current, const struct strv *want,
                const struct strv *managed, struct strv *ret)
{
    strv_clear(ret);
    for (size_t i = 0; i < current->n; i++)
        if (!syncdiff_is_managed_trait(current->v[i], managed) ||
            strv_contains(want, current->v[i]))
            strv_push(ret, current->v[i]);
    strv_copy(ret, want);
    strv_sort_uniq(ret);
}

static const struct inventory *
find_inv(const struct inventory *v, size_t n, const char *rc)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].rc, rc) == 0)
            return &v[i];
    return NULL;
}

void
syncdiff_merge_invs(const struct inventory *current, size_t n_current,
                    const struct inventory *want, size_t n_want,
                    struct inventory **ret, size_t *ret_n)
{
    struct inventory *out = xcalloc(n_current + n_want + 1, sizeof(*out));
    size_t n = 0;

    for (size_t i = 0; i < n_current; i++)
        if (!find_inv(want, n_want, current[i].rc)) {
            out[n] = current[i];
            out[n++].rc = xstrdup(current[i].rc);
        }
    for (size_t i = 0; i < n_want; i++) {
        out[n] = want[i];
        out[n++].rc = xstrdup(want[i].rc);
    }
    if (n > 1)
        qsort(out, n, sizeof(*out), inventory_cmp_rc);
    *ret = out;
    *ret_n = n;
}

void
syncdiff_missing_custom(const struct strv *want, const struct strv *known,
                        struct strv *ret)
{
    for (size_t i = 0; i < want->n; i++)
        if (strncmp(want->v[i], "CUSTOM_", 7) == 0 &&
            !strv_contains(known, want->v[i]) &&
            !strv_contains(ret, want->v[i]))
            strv_push(ret, want->v[i]);
}
