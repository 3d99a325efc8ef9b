/*
 * suggest.c - the closest known word (see suggest.h).
 */
#include "config.h"

#include <string.h>

#include "suggest.h"

#define SUGGEST_MAX_LEN 64 /* longer words are not typos of ours */
#define SUGGEST_MAX_DIST 3

static size_t
min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;

    return m < c ? m : c;
}

/* Optimal string alignment distance (Damerau-Levenshtein without
 * substrings edited twice). */
static size_t
suggest_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return (size_t)-1;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];

            d[i][j] =
                min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    }
    return d[la][lb];
}

const char *
suggest_closest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;

    for (size_t i = 0; i < n; i++) {
        size_t len, d;

        if (!cands[i] || strcmp(cands[i], word) == 0)
            continue;
        d = suggest_distance(word, cands[i]);
        len = strlen(word) > strlen(cands[i]) ? strlen(word) : strlen(cands[i]);
        if (d <= SUGGEST_MAX_DIST && d * 3 <= len && d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}
