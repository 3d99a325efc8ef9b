/*
 * typedesc.c - lenient parsing of vendor mdev type descriptions.
 *
 * Items are separated by ',' or newlines; an item is "key=value" (NVIDIA)
 * or "key: value" (Intel GVT-g), whichever separator comes first.  A key is
 * letters, digits, '_', '-' and '.'; a value is non-empty printable text.
 * Anything else is skipped, so an unknown vendor format just yields fewer
 * pairs.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "cleanup.h"
#include "parse.h"
#include "typedesc.h"
#include "xalloc.h"

#define TYPEDESC_ITEM_MAX 256 /* longer items are not pairs */

static bool
key_ok(const char *k)
{
    if (*k == '\0')
        return false;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && !strchr("_-.", *k))
            return false;
    return true;
}

static bool
value_ok(const char *v)
{
    if (*v == '\0')
        return false;
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return false;
    return true;
}

/* Trim blanks from both ends in place; returns the new start. */
static char *
trim(char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static bool
parse_u(const char *s, unsigned *ret)
{
    unsigned long v;

    if (parse_uint(s, UINT_MAX, &v) < 0)
        return false;
    *ret = (unsigned)v;
    return true;
}

/* "7680x4320" -> both sides, each non-zero. */
static void
decode_resolution(const char *v, struct type_desc *d)
{
    _cleanup_free_ char *w = xstrdup(v);
    char *x = strchr(w, 'x');
    unsigned width, height;

    if (!x)
        return;
    *x = '\0';
    if (!parse_u(w, &width) || !parse_u(x + 1, &height) || width == 0 ||
        height == 0)
        return;
    d->max_res_w = width;
    d->max_res_h = height;
}

/* "2048M", "16G", "512MB", "1GB" -> MB.  A bare number is ambiguous and
 * ignored. */
static bool
decode_size_mb(const char *v, unsigned *ret)
{
    static const struct {
        const char *suffix;
        unsigned mult;
    } units[] = { { "M", 1 }, { "MB", 1 }, { "G", 1024 }, { "GB", 1024 } };
    size_t digits = strspn(v, "0123456789");
    _cleanup_free_ char *num = xstrndup(v, digits);
    unsigned n;

    if (digits == 0 || !parse_u(num, &n))
        return false;
    for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
        if (strcmp(v + digits, units[i].suffix) != 0)
            continue;
        if (n > UINT_MAX / units[i].mult)
            return false;
        *ret = n * units[i].mult;
        return true;
    }
    return false;
}

static void
decode_pair(const char *k, const char *v, struct type_desc *d, bool *have_fb)
{
    unsigned n;

    if (strcmp(k, "num_heads") == 0 && parse_u(v, &n))
        d->num_heads = n;
    else if (strcmp(k, "max_instance") == 0 && parse_u(v, &n))
        d->max_instance = n;
    else if (strcmp(k, "max_resolution") == 0 || strcmp(k, "resolution") == 0)
        decode_resolution(v, d);
    else if (strcmp(k, "framebuffer") == 0 && decode_size_mb(v, &n)) {
        d->framebuffer_mb = n;
        *have_fb = true;
    } else if (strcmp(k, "high_gm_size") == 0 && !*have_fb &&
               decode_size_mb(v, &n))
        d->framebuffer_mb = n; /* NVIDIA's framebuffer wins if both */
}

static void
parse_item(char *item, struct type_desc *d, bool *have_fb)
{
    char *sep = item + strcspn(item, "=:");
    char *k, *v;

    if (*sep == '\0')
        return;
    *sep = '\0';
    k = trim(item);
    v = trim(sep + 1);
    if (!key_ok(k) || !value_ok(v))
        return;
    strv_pushf(&d->pairs, "%s=%s", k, v);
    decode_pair(k, v, d, have_fb);
}

void
typedesc_parse(const char *text, struct type_desc *ret)
{
    bool have_fb = false;
    const char *s = text ? text : "";

    memset(ret, 0, sizeof(*ret));
    while (*s) {
        size_t n = strcspn(s, ",\n");

        if (n > 0 && n <= TYPEDESC_ITEM_MAX) {
            _cleanup_free_ char *item = xstrndup(s, n);

            parse_item(item, ret, &have_fb);
        }
        s += n;
        if (*s)
            s++;
    }
}

void
typedesc_clear(struct type_desc *d)
{
    if (!d)
        return;
    strv_clear(&d->pairs);
    memset(d, 0, sizeof(*d));
}
