/*
 * strv.c - growable vector of owned strings.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "xalloc.h"

void
strv_take(struct strv *sv, char *s)
{
    xgrow(&sv->v, &sv->cap, sv->n + 1, sizeof(*sv->v));
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void
strv_push(struct strv *sv, const char *s)
{
    strv_take(sv, xstrdup(s));
}

void
strv_pushf(struct strv *sv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strv_take(sv, xvasprintf(fmt, ap));
    va_end(ap);
}

bool
strv_contains(const struct strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

static int
strv_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strv_sort_uniq(struct strv *sv)
{
    size_t out = 0;

    if (sv->n == 0)
        return;
    qsort(sv->v, sv->n, sizeof(*sv->v), strv_cmp);
    for (size_t i = 0; i < sv->n; i++) {
        if (out > 0 && strcmp(sv->v[out - 1], sv->v[i]) == 0) {
            free(sv->v[i]);
            continue;
        }
        sv->v[out++] = sv->v[i];
    }
    sv->n = out;
    sv->v[out] = NULL;
}

void
strv_copy(struct strv *dst, const struct strv *src)
{
    size_t n = src->n; /* dst may be src: copy what was there at the start */

    for (size_t i = 0; i < n; i++)
        strv_push(dst, src->v[i]);
}

void
strv_clear(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}
