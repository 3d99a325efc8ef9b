/*
 * xalloc.c - allocation that aborts on out-of-memory.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void __attribute__((noreturn)) xalloc_die(size_t size)
{
    fprintf(stderr, "vgpu-agent: out of memory allocating %zu bytes\n", size);
    abort();
}

void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (!p)
        xalloc_die(size);
    return p;
}

void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p)
        xalloc_die(n * size);
    return p;
}

void *
xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);

    if (!q)
        xalloc_die(size);
    return q;
}

void
xgrow(void *arr, size_t *cap, size_t n, size_t elem)
{
    void **parr = arr;
    size_t newcap;

    if (n < *cap)
        return;
    newcap = *cap ? *cap * 2 : 8;
    while (newcap <= n)
        newcap *= 2;
    *parr = xrealloc(*parr, newcap * elem);
    memset((char *)*parr + *cap * elem, 0, (newcap - *cap) * elem);
    *cap = newcap;
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);

    if (!p)
        xalloc_die(n + 1);
    return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
    char *p;

    if (vasprintf(&p, fmt, ap) < 0)
        xalloc_die(strlen(fmt));
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}
