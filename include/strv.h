/*
 * strv.h - a growable vector of owned strings (trait lists, warnings, names).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct strv {
    char **v; /* v[n] is NULL once anything was pushed */
    size_t n;
    size_t cap;
};

/* Push a copy of s. */
void strv_push(struct strv *sv, const char *s);
/* Push an owned string; sv takes it. */
void strv_take(struct strv *sv, char *s);
void strv_pushf(struct strv *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool strv_contains(const struct strv *sv, const char *s);
/* Sort bytewise and drop duplicates. */
void strv_sort_uniq(struct strv *sv);
void strv_copy(struct strv *dst, const struct strv *src); /* appends */
/* Free the strings and the array; leaves an empty, reusable vector. */
void strv_clear(struct strv *sv);
