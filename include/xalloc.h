/*
 * xalloc.h - allocation that never returns NULL.
 *
 * On out-of-memory these print one line and abort(): a half-built provider
 * tree is worse than a restart by systemd.  Never check their result.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t size) __attribute__((returns_nonnull));
/* Grow *arr (of *cap elements of size elem) so that index n fits. */
void xgrow(void *arr, size_t *cap, size_t n, size_t elem);
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n)
    __attribute__((malloc, returns_nonnull));
char *xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), malloc, returns_nonnull));
char *xvasprintf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0), malloc, returns_nonnull));
