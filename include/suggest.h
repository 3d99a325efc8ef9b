/*
 * suggest.h - "did you mean": the known word closest to a mistyped one.
 *
 * Closeness is the edit distance (insert, delete, substitute, swap two
 * neighbours: `--conect`, `interval_sec`, `enabled_mdev_type`); a word is
 * suggested only when it is close enough that the typo is the likely
 * story (at most a third of the longer word's letters, and at most 3).
 */
#pragma once

#include <stddef.h>

/* The candidate closest to word, or NULL when none is close enough.
 * cands holds n words (NULL entries are skipped); the result is one of
 * them. */
const char *suggest_closest(const char *word, const char *const *cands,
                            size_t n);
