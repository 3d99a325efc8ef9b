/*
 * confwalk.c - walk a YAML mapping through a table of keys, into a struct.
 *
 * Every value is checked where it is read, and every problem is reported
 * with its position and key path; then the walk carries on with the next
 * key, so one run shows every mistake in the file.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "confwalk.h"
#include "parse.h"
#include "secret.h"
#include "suggest.h"
#include "xalloc.h"

/* Report at node n under key path, into errors or (warning) warnings. */
static void __attribute__((format(printf, 5, 0)))
walk_say(struct confwalk *w, bool warning, const yaml_node_t *n,
         const char *path, const char *fmt, va_list ap)
{
    char where[CONFWALK_WHERE_MAX];
    _cleanup_free_ char *msg = xvasprintf(fmt, ap);
    struct strv *to = warning ? w->warnings : w->errors;

    if (n)
        yamldoc_where(w->doc, n, where, sizeof(where));
    else /* the file as a whole: its start */
        snprintf(where, sizeof(where), "%s:1:1", w->doc->path);
    if (to)
        strv_pushf(to, "%s: %s%s%s", where, path ? path : "", path ? ": " : "",
                   msg);
    if (!warning)
        w->n_errors++;
}

void
confwalk_error(struct confwalk *w, const yaml_node_t *n, const char *path,
               const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    walk_say(w, false, n, path, fmt, ap);
    va_end(ap);
}

void
confwalk_warn(struct confwalk *w, const yaml_node_t *n, const char *path,
              const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    walk_say(w, true, n, path, fmt, ap);
    va_end(ap);
}

/* --- checks any table may use ----------------------------------------- */

char *
confwalk_check_absolute(char **value)
{
    return (*value)[0] == '/'
               ? NULL
               : xasprintf("\"%s\" is not an absolute path", *value);
}

/* host[:port] of an http(s) URL: a name or IPv4 address, or an [IPv6]
 * literal; the port, if any, in [1, 65535]. */
static bool
is_url_authority(const char *s, size_t len)
{
    const char *c = s, *end = s + len;
    _cleanup_free_ char *port = NULL;
    unsigned long v;

    if (c < end && *c == '[') {
        while (++c < end &&
               (isxdigit((unsigned char)*c) || *c == ':' || *c == '.'))
            ;
        if (c == end || *c != ']' || c == s + 1)
            return false;
        c++;
    } else {
        while (c < end && (isalnum((unsigned char)*c) || *c == '-' ||
                           *c == '.' || *c == '_'))
            c++;
        if (c == s)
            return false;
    }
    if (c == end)
        return true;
    if (*c != ':')
        return false;
    port = xstrndup(c + 1, (size_t)(end - c - 1));
    return parse_uint(port, 65535, &v) == 0 && v > 0;
}

/* http[s]://host[:port][/path]; canonical: lower-case scheme, no trailing
 * '/', so callers append "/resource_providers". */
char *
confwalk_check_url(char **value)
{
    char *v = *value;
    size_t scheme = strncasecmp(v, "http://", 7) == 0    ? 7
                    : strncasecmp(v, "https://", 8) == 0 ? 8
                                                         : 0;
    size_t len = strlen(v);

    /* user:password@ is a secret: refuse it without quoting the URL */
    if (strchr(v, '@'))
        return xstrdup("credentials (user:password@) in the URL are not "
                       "supported (value not shown)");
    for (const char *c = v; *c; c++)
        if (*c <= ' ' || *c > '~')
            return xasprintf("\"%s\" contains a space or a non-printable "
                             "character",
                             v);
    if (len > CONFWALK_URL_MAX)
        return xasprintf("longer than %d characters", CONFWALK_URL_MAX);
    if (!scheme)
        return xasprintf("\"%s\" is not an http:// or https:// URL", v);
    if (strpbrk(v, "?#"))
        return xasprintf("\"%s\": a query (?) or fragment (#) is not allowed",
                         v);
    if (!is_url_authority(v + scheme, strcspn(v + scheme, "/")))
        return xasprintf("\"%s\" has no valid host[:port]", v);
    for (size_t i = 0; i < scheme; i++)
        v[i] = (char)tolower((unsigned char)v[i]);
    while (len > scheme && v[len - 1] == '/')
        v[--len] = '\0';
    return NULL;
}

/* --- the walk ---------------------------------------------------------- */

static const char *
node_kind(const yaml_node_t *n)
{
    return yamldoc_is_null(n)              ? "nothing"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
           : n->type == YAML_MAPPING_NODE  ? "a mapping"
                                           : "a scalar";
}

bool
confwalk_expect(struct confwalk *w, yaml_node_t *n, const char *path,
                yaml_node_type_t t)
{
    if (n->type == t && !yamldoc_is_null(n))
        return true;
    confwalk_error(w, n, path, "expected %s, got %s",
                   t == YAML_SCALAR_NODE     ? "a string"
                   : t == YAML_SEQUENCE_NODE ? "a list"
                                             : "a mapping",
                   node_kind(n));
    return false;
}

static void walk_value(struct confwalk *w, yaml_node_t *n,
                       const struct confwalk_key *k, void *target,
                       const char *path);

/* A scalar's text (a copy) that passes check, or NULL after reporting
 * what is wrong.  A plain scalar is not quoted: a number, true/false.
 * Neither message quotes the value: only check does. */
static char *
walk_scalar(struct confwalk *w, yaml_node_t *n, const char *path,
            const char *want, bool plain, confwalk_check_fn *check)
{
    char *s;
    _cleanup_free_ char *complaint = NULL;

    if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n) ||
        (plain && n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)) {
        confwalk_error(w, n, path, "expected %s, got %s", want,
                       plain && n->type == YAML_SCALAR_NODE &&
                               !yamldoc_is_null(n)
                           ? "a quoted string"
                           : node_kind(n));
        return NULL;
    }
    s = xstrdup(yamldoc_scalar(n));
    complaint = check ? check(&s) : NULL;
    if (!complaint)
        return s;
    confwalk_error(w, n, path, "%s", complaint);
    secret_free(s); /* a rejected token is still a token */
    return NULL;
}

/* Record that the mapping or list at path holds name (at node n); false,
 * after reporting it at errpath, if it did already or, if across, if any
 * list of key did.  Mapping keys have key "". */
static bool
walk_claim(struct confwalk *w, const char *key, bool across, yaml_node_t *n,
           const char *path, const char *name, const char *errpath)
{
    char where[CONFWALK_WHERE_MAX];

    for (size_t i = 0; i < w->n_claims; i++) {
        const struct confwalk_claim *c = &w->claims[i];

        if (strcmp(c->name, name) != 0 ||
            (strcmp(c->path, path) != 0 &&
             !(across && strcmp(c->key, key) == 0)))
            continue;
        yamldoc_where(w->doc, c->node, where, sizeof(where));
        if (strcmp(c->path, path) != 0)
            confwalk_error(w, n, errpath, "%s is also listed in %s at %s", name,
                           c->path, where);
        else if (key[0] != '\0')
            confwalk_error(w, n, errpath, "%s is listed twice (first at %s)",
                           name, where);
        else if (strcmp(yamldoc_scalar(c->node), yamldoc_scalar(n)) == 0)
            confwalk_error(w, n, errpath, "duplicate key (first at %s)", where);
        else /* an alias */
            confwalk_error(w, n, errpath, "the same setting as %s, given at %s",
                           yamldoc_scalar(c->node), where);
        return false;
    }
    xgrow(&w->claims, &w->cap_claims, w->n_claims, sizeof(*w->claims));
    w->claims[w->n_claims++] =
        (struct confwalk_claim){ key, xstrdup(path), xstrdup(name), n };
    return true;
}

static void
walk_list(struct confwalk *w, yaml_node_t *seq, const struct confwalk_key *k,
          struct strv *sv, const char *path)
{
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top; it++) {
        yaml_node_t *item = yamldoc_node(w->doc, *it);
        _cleanup_free_ char *s =
            walk_scalar(w, item, path, "a string", false, k->check);

        if (s && (!k->unique ||
                  walk_claim(w, k->name, k->unique == CONFWALK_UNIQUE_IN_FILE,
                             item, path, s, path)))
            strv_take(sv, TAKE_PTR(s));
    }
}

/* Nova's form of a list: one string, items separated by commas, spaces
 * around them ignored ("nvidia-35, nvidia-36").  Every item is reported at
 * the string's position. */
static void
walk_comma_list(struct confwalk *w, yaml_node_t *n,
                const struct confwalk_key *k, struct strv *sv, const char *path)
{
    _cleanup_free_ char *text =
        walk_scalar(w, n, path, "a string", false, NULL);
    char *item = text;

    if (text && !text[strspn(text, " \t")])
        return; /* "" is the empty list, as Nova's "enabled_mdev_types =" */
    while (item) {
        char *next = strchr(item, ',');
        char *end = next ? next : item + strlen(item);
        _cleanup_free_ char *complaint = NULL;
        char *s;

        while (end > item && isspace((unsigned char)end[-1]))
            end--;
        while (item < end && isspace((unsigned char)*item))
            item++;
        s = xstrndup(item, (size_t)(end - item));
        if (!*s)
            complaint = xstrdup("an empty item in the comma-separated list");
        else if (k->check)
            complaint = k->check(&s);
        if (complaint)
            confwalk_error(w, n, path, "%s", complaint);
        else if (!k->unique ||
                 walk_claim(w, k->name, k->unique == CONFWALK_UNIQUE_IN_FILE, n,
                            path, s, path))
            strv_take(sv, TAKE_PTR(s));
        free(s);
        item = next ? next + 1 : NULL;
    }
}

static void
walk_map(struct confwalk *w, yaml_node_t *map, const struct confwalk_key *k,
         void *target, const char *path)
{
    const struct confwalk_key section = { .kind = CONFWALK_SECTION,
                                          .sub = k->sub };

    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *key = yamldoc_node(w->doc, pr->key);
        _cleanup_free_ char *name =
            walk_scalar(w, key, path, "a name", false, k->check);
        _cleanup_free_ char *sub = NULL;

        if (!name)
            continue;
        sub = xasprintf("%s.%s", path, name);
        if (walk_claim(w, "", false, key, path, name, sub))
            walk_value(w, yamldoc_node(w->doc, pr->value), &section,
                       k->add(target, name), sub);
    }
}

/* Whether the key node key (at path, in the mapping at prefix) is to be
 * read: claim is the name of its setting, NULL for an unknown key.  False
 * after reporting an unknown key or a setting given twice. */
static bool
walk_known(struct confwalk *w, yaml_node_t *key, const char *prefix,
           const char *path, const char *claim, const char *near)
{
    if (claim)
        return walk_claim(w, "", false, key, prefix ? prefix : "", claim, path);
    if (w->unknown_warns)
        confwalk_warn(w, key, path, "unknown key, ignored%s%s%s",
                      near ? " (did you mean " : "", near ? near : "",
                      near ? "?)" : "");
    else
        confwalk_error(w, key, path, "unknown key%s%s%s",
                       near ? "; did you mean " : "", near ? near : "",
                       near ? "?" : "");
    return false;
}

/* The name in keys (a table) closest to a mistyped name, or NULL. */
static const char *
walk_near_key(const struct confwalk_key *keys, const char *name)
{
    const char *names[64];
    size_t n = 0;

    for (const struct confwalk_key *k = keys; k->name && n < 64; k++)
        names[n++] = k->name;
    return suggest_closest(name, names, n);
}

/* The name of a mapping key node ("?" if it is no scalar), and its path
 * under prefix (NULL: the root), the caller's to free. */
static const char *
walk_key_name(yaml_node_t *key, const char *prefix, char **ret_path)
{
    const char *name = yamldoc_scalar(key) ? yamldoc_scalar(key) : "?";

    *ret_path = prefix ? xasprintf("%s.%s", prefix, name) : xstrdup(name);
    return name;
}

/* Walk a mapping's keys through the table keys, into target. */
static void
walk_section(struct confwalk *w, yaml_node_t *map,
             const struct confwalk_key *keys, void *target, const char *prefix)
{
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *key = yamldoc_node(w->doc, pr->key);
        _cleanup_free_ char *path = NULL;
        const char *name = walk_key_name(key, prefix, &path);
        const struct confwalk_key *k = keys;

        while (k->name && strcmp(k->name, name) != 0)
            k++;
        /* an alias claims the name of its setting */
        if (!walk_known(w, key, prefix, path,
                        !k->name      ? NULL
                        : k->alias_of ? k->alias_of
                                      : k->name,
                        k->name ? NULL : walk_near_key(keys, name)))
            continue;
        if (k->set_flag)
            *(bool *)((char *)target + k->set_flag - 1) = true;
        walk_value(w, yamldoc_node(w->doc, pr->value), k, target, path);
    }
}

bool
confwalk_keys(struct confwalk *w, yaml_node_t *map, const char *path,
              const char *const *names, yaml_node_t **vals)
{
    if (!confwalk_expect(w, map, path, YAML_MAPPING_NODE))
        return false;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *key = yamldoc_node(w->doc, pr->key);
        _cleanup_free_ char *kpath = NULL;
        const char *name = walk_key_name(key, path, &kpath);
        size_t i = 0;

        while (names[i] && strcmp(names[i], name) != 0)
            i++;
        if (walk_known(w, key, path, kpath, names[i],
                       names[i] ? NULL : suggest_closest(name, names, i)))
            vals[i] = yamldoc_node(w->doc, pr->value);
    }
    return true;
}

static void
walk_uint(struct confwalk *w, yaml_node_t *n, const struct confwalk_key *k,
          unsigned *field, const char *path)
{
    _cleanup_free_ char *s = walk_scalar(w, n, path, "an integer", true, NULL);
    unsigned long v;

    if (s && parse_uint(s, k->max, &v) == 0 && v >= k->min)
        *field = (unsigned)v;
    else if (s)
        confwalk_error(w, n, path, "must be an integer in [%u, %u], not \"%s\"",
                       k->min, k->max, s);
}

static void
walk_string(struct confwalk *w, yaml_node_t *n, const struct confwalk_key *k,
            char **field, const char *path)
{
    char *s = walk_scalar(w, n, path, "a string", false, k->check);

    if (!s)
        return;
    if (k->secret)
        secret_free(*field);
    else
        free(*field);
    *field = s;
}

/* Store node n as key k says; path NULL for the root mapping. */
static void
walk_value(struct confwalk *w, yaml_node_t *n, const struct confwalk_key *k,
           void *target, const char *path)
{
    void *field = (char *)target + k->offset;
    char *s;

    if (k->kind >= CONFWALK_LIST && yamldoc_is_null(n))
        return; /* `key:` with no value: an empty list or mapping */
    if (k->kind == CONFWALK_LIST && k->comma && n->type == YAML_SCALAR_NODE) {
        walk_comma_list(w, n, k, field, path);
        return;
    }
    if ((k->kind == CONFWALK_LIST &&
         !confwalk_expect(w, n, path, YAML_SEQUENCE_NODE)) ||
        (k->kind >= CONFWALK_SECTION &&
         !confwalk_expect(w, n, path, YAML_MAPPING_NODE)))
        return;
    switch (k->kind) {
    case CONFWALK_STRING:
        walk_string(w, n, k, field, path);
        break;
    case CONFWALK_UINT:
        walk_uint(w, n, k, field, path);
        break;
    case CONFWALK_BOOL:
        s = walk_scalar(w, n, path, "true or false", true, NULL);
        if (s && parse_bool(s, field) < 0)
            confwalk_error(w, n, path, "expected true or false, not \"%s\"", s);
        free(s);
        break;
    case CONFWALK_LIST:
        walk_list(w, n, k, field, path);
        break;
    case CONFWALK_SECTION:
        walk_section(w, n, k->sub, field, path);
        break;
    case CONFWALK_MAP:
        walk_map(w, n, k, target, path);
        break;
    }
}

void
confwalk_init(struct confwalk *w, struct yamldoc *doc, struct strv *errors)
{
    *w = (struct confwalk){ .doc = doc, .errors = errors };
}

void
confwalk_done(struct confwalk *w)
{
    for (size_t i = 0; i < w->n_claims; i++) {
        free(w->claims[i].path);
        free(w->claims[i].name);
    }
    free(w->claims);
    w->claims = NULL;
    w->n_claims = w->cap_claims = 0;
}

void
confwalk_run(struct confwalk *w, yaml_node_t *root,
             const struct confwalk_key *keys, void *target)
{
    const struct confwalk_key section = { .kind = CONFWALK_SECTION,
                                          .sub = keys };

    if (root && !yamldoc_is_null(root))
        walk_value(w, root, &section, target, NULL);
}

yaml_node_t *
confwalk_key_node(struct confwalk *w, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yamldoc_node(w->doc, p->key);
        const char *s = yamldoc_scalar(k);

        if (s && strcmp(s, key) == 0)
            return k;
    }
    return NULL;
}
