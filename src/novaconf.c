/*
 * novaconf.c - Nova's vGPU settings read from nova.conf (see novaconf.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "novaconf.h"
#include "parse.h"
#include "textfile.h"
#include "xalloc.h"

/* One "key = value" of the file, in its section. */
struct ini_entry {
    char *section, *key, *value;
    unsigned line;
};

struct ini {
    struct ini_entry *v;
    size_t n;
};

static void
ini_clear(struct ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->v[i].section);
        free(ini->v[i].key);
        free(ini->v[i].value);
    }
    free(ini->v);
    *ini = (struct ini){ 0 };
}

static char *
trimmed(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    return xstrndup(s, len);
}

/* "key = value" or "key: value", whichever separator comes first; one pair
 * of matching quotes around the value goes, as oslo.config's parser does. */
static int
add_assignment(struct ini *ini, const char *section, const char *line,
               unsigned lineno, const char *name, struct errbuf *eb)
{
    size_t sep = strcspn(line, ":=");
    struct ini_entry *e;
    char *value;
    size_t len;

    if (!line[sep])
        return errbuf_set(eb, -EINVAL, "%s:%u: not \"key = value\"", name,
                          lineno);
    value = trimmed(line + sep + 1, strlen(line + sep + 1));
    len = strlen(value);
    if (len >= 2 && (value[0] == '"' || value[0] == '\'') &&
        value[len - 1] == value[0]) {
        memmove(value, value + 1, len - 2);
        value[len - 2] = '\0';
    }
    ini->v = xrealloc(ini->v, (ini->n + 1) * sizeof(*ini->v));
    e = &ini->v[ini->n++];
    *e = (struct ini_entry){ .section = xstrdup(section ? section : ""),
                             .key = trimmed(line, sep),
                             .value = value,
                             .line = lineno };
    if (!e->key[0])
        return errbuf_set(eb, -EINVAL, "%s:%u: a value without a key", name,
                          lineno);
    return 0;
}

/* One line of the file: a section, a comment, an assignment, or the
 * continuation of the last one. */
static int
ini_line(struct ini *ini, char **section, bool *open, const char *line,
         unsigned lineno, const char *name, struct errbuf *eb)
{
    if (!line[0]) { /* a blank line ends a continued value */
        *open = false;
        return 0;
    }
    if (line[0] == ' ' || line[0] == '\t') {
        char *more, *joined;

        if (!*open)
            return errbuf_set(eb, -EINVAL,
                              "%s:%u: an indented line continues no value",
                              name, lineno);
        more = trimmed(line, strlen(line));
        joined = xasprintf("%s\n%s", ini->v[ini->n - 1].value, more);
        free(ini->v[ini->n - 1].value);
        ini->v[ini->n - 1].value = joined;
        free(more);
        return 0;
    }
    *open = false;
    if (line[0] == '#' || line[0] == ';')
        return 0;
    if (line[0] == '[') {
        size_t len = strlen(line);

        if (len <= 2 || line[len - 1] != ']')
            return errbuf_set(eb, -EINVAL, "%s:%u: a bad section header", name,
                              lineno);
        free(*section);
        *section = xstrndup(line + 1, len - 2);
        return 0;
    }
    *open = true;
    return add_assignment(ini, *section, line, lineno, name, eb);
}

static int
ini_parse(const char *name, const char *buf, struct ini *ret, struct errbuf *eb)
{
    struct ini ini = { 0 };
    char *section = NULL;
    bool open = false;
    unsigned lineno = 0;
    int r = 0;

    for (const char *p = buf; r == 0 && *p;) {
        size_t len = strcspn(p, "\n");
        char *line = xstrndup(p, len);
        size_t end = strlen(line);

        while (end > 0 && isspace((unsigned char)line[end - 1]))
            line[--end] = '\0'; /* oslo.config rstrip()s every line */
        r = ini_line(&ini, &section, &open, line, ++lineno, name, eb);
        free(line);
        p += len + (p[len] == '\n');
    }
    free(section);
    if (r < 0) {
        ini_clear(&ini);
        return r;
    }
    *ret = ini;
    return 0;
}

/* The last entry of key in section, or NULL. */
static const struct ini_entry *
ini_get(const struct ini *ini, const char *section, const char *key)
{
    for (size_t i = ini->n; i-- > 0;)
        if (strcmp(ini->v[i].section, section) == 0 &&
            strcmp(ini->v[i].key, key) == 0)
            return &ini->v[i];
    return NULL;
}

/* key of an option whose group was renamed: the new group's, else the
 * old one's. */
static const struct ini_entry *
type_get(const struct ini *ini, const char *id, const char *key)
{
    _cleanup_free_ char *group = xasprintf("mdev_%s", id);
    _cleanup_free_ char *old = xasprintf("vgpu_%s", id);
    const struct ini_entry *e = ini_get(ini, group, key);

    return e ? e : ini_get(ini, old, key);
}

/* oslo.config's list: comma-separated, items trimmed (newlines of a
 * continued value too), a trailing comma and empty items dropped. */
static void
split_list(const char *value, struct strv *ret)
{
    for (const char *p = value; *p;) {
        size_t len = strcspn(p, ",");
        char *item = trimmed(p, len);
        size_t n = strlen(item);

        if (n >= 2 && (item[0] == '"' || item[0] == '\'') &&
            item[n - 1] == item[0]) {
            memmove(item, item + 1, n - 2);
            item[n - 2] = '\0';
        }
        if (item[0])
            strv_take(ret, item);
        else
            free(item);
        p += len + (p[len] == ',');
    }
}

/* Fill t from its [mdev_<id>] (or [vgpu_<id>]) group. */
static int
read_type(const struct ini *ini, struct novaconf_type *t, const char *name,
          struct errbuf *eb)
{
    const struct ini_entry *a = type_get(ini, t->id, "device_addresses");
    const struct ini_entry *c = type_get(ini, t->id, "mdev_class");
    const struct ini_entry *m = type_get(ini, t->id, "max_instances");

    if (a)
        split_list(a->value, &t->addresses);
    if (c)
        t->mdev_class = xstrdup(c->value);
    if (m && (parse_uint(m->value, 0x7fffffff, &t->max_instances) < 0 ||
              t->max_instances == 0))
        return errbuf_set(eb, -EINVAL,
                          "%s:%u: [%s] max_instances: \"%s\" is not an "
                          "integer of at least 1",
                          name, m->line, m->section, m->value);
    return 0;
}

static void
type_clear(struct novaconf_type *t)
{
    free(t->id);
    strv_clear(&t->addresses);
    free(t->mdev_class);
}

/* Groups of types that are not enabled: Nova registers no options there. */
static void
warn_unused_groups(const struct ini *ini, const struct novaconf *n,
                   const char *name, struct novaconf *out)
{
    struct strv seen = { 0 };

    for (size_t i = 0; i < ini->n; i++) {
        const char *s = ini->v[i].section;
        const char *id = strncmp(s, "mdev_", 5) == 0   ? s + 5
                         : strncmp(s, "vgpu_", 5) == 0 ? s + 5
                                                       : NULL;
        bool enabled = false;

        for (size_t k = 0; id && k < n->n_types; k++)
            enabled |= strcmp(n->types[k].id, id) == 0;
        if (!id || enabled || strv_contains(&seen, s))
            continue;
        strv_push(&seen, s);
        strv_pushf(&out->warnings,
                   "%s:%u: [%s]: %s is not an enabled type; ignored, as Nova "
                   "ignores it",
                   name, ini->v[i].line, s, id);
    }
    strv_clear(&seen);
}

/* The enabled types, each once, with their settings; of those listing no
 * device_addresses only the first stays (Nova's default type). */
static int
read_types(const struct ini *ini, struct novaconf *n, const char *name,
           struct errbuf *eb)
{
    const struct ini_entry *e = ini_get(ini, "devices", "enabled_mdev_types");
    struct strv ids = { 0 };
    const char *fallback = NULL;
    int r = 0;

    if (!e)
        e = ini_get(ini, "devices", "enabled_vgpu_types");
    if (e)
        split_list(e->value, &ids);
    n->types = xcalloc(ids.n ? ids.n : 1, sizeof(*n->types));
    for (size_t i = 0; r == 0 && i < ids.n; i++) {
        struct novaconf_type *t = &n->types[n->n_types];
        bool twice = false;

        for (size_t k = 0; k < n->n_types; k++)
            twice |= strcmp(n->types[k].id, ids.v[i]) == 0;
        if (twice) {
            strv_pushf(&n->warnings, "%s:%u: [devices] %s: %s is listed twice",
                       name, e->line, e->key, ids.v[i]);
            continue;
        }
        *t = (struct novaconf_type){ .id = xstrdup(ids.v[i]) };
        r = read_type(ini, t, name, eb);
        if (r == 0 && t->addresses.n == 0 && fallback) {
            strv_pushf(&n->warnings,
                       "%s:%u: [devices] %s: the default type is %s already, "
                       "so %s (no device_addresses) is not used, as in Nova",
                       name, e->line, e->key, fallback, t->id);
            type_clear(t);
            continue;
        }
        if (t->addresses.n == 0)
            fallback = n->types[n->n_types].id;
        n->n_types++;
    }
    strv_clear(&ids);
    return r;
}

int
novaconf_parse(const char *name, const char *buf, struct novaconf **ret,
               struct errbuf *eb)
{
    struct novaconf *n = xcalloc(1, sizeof(*n));
    struct ini ini = { 0 };
    int r = ini_parse(name, buf, &ini, eb);

    if (r == 0)
        r = read_types(&ini, n, name, eb);
    if (r == 0 && !ini_get(&ini, "devices", "enabled_mdev_types") &&
        !ini_get(&ini, "devices", "enabled_vgpu_types"))
        strv_pushf(&n->warnings,
                   "%s: [devices] enabled_mdev_types is not set: Nova offers "
                   "no vGPU, and neither does this configuration",
                   name);
    if (r == 0)
        warn_unused_groups(&ini, n, name, n);
    ini_clear(&ini);
    if (r < 0) {
        novaconf_free(n);
        return r;
    }
    *ret = n;
    return 0;
}

void
novaconf_free(struct novaconf *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_types; i++)
        type_clear(&n->types[i]);
    free(n->types);
    strv_clear(&n->warnings);
    free(n);
}

/* s as a YAML double-quoted scalar. */
static void
put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s < ' ')
            fprintf(f, "\\x%02x", (unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static bool
sets_something(const struct novaconf_type *t)
{
    return t->addresses.n > 0 || t->mdev_class || t->max_instances > 0;
}

static void
put_type(FILE *f, const struct novaconf_type *t)
{
    fputs("  ", f);
    put_quoted(f, t->id);
    fputs(":\n", f);
    if (t->addresses.n > 0) {
        fputs("    device_addresses: [", f);
        for (size_t i = 0; i < t->addresses.n; i++) {
            fputs(i ? ", " : "", f);
            put_quoted(f, t->addresses.v[i]);
        }
        fputs("]\n", f);
    }
    if (t->mdev_class) {
        fputs("    mdev_class: ", f);
        put_quoted(f, t->mdev_class);
        fputc('\n', f);
    }
    if (t->max_instances > 0)
        fprintf(f, "    max_instances: %lu\n", t->max_instances);
}

char *
novaconf_yaml(const struct novaconf *n)
{
    char *text = NULL;
    size_t len = 0, set = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f)
        abort(); /* out of memory, as xalloc does */
    fputs("enabled_mdev_types: [", f);
    for (size_t i = 0; i < n->n_types; i++) {
        fputs(i ? ", " : "", f);
        put_quoted(f, n->types[i].id);
        set += sets_something(&n->types[i]);
    }
    fputs("]\n", f);
    if (set > 0)
        fputs("mdev_types:\n", f);
    for (size_t i = 0; i < n->n_types; i++)
        if (sets_something(&n->types[i]))
            put_type(f, &n->types[i]);
    fclose(f);
    return text;
}

int
novaconf_load(const char *path, struct novaconf **ret, struct errbuf *eb)
{
    _cleanup_free_ char *buf = NULL;
    int r = textfile_read_text(path, NOVACONF_FILE_MAX, &buf, eb);

    if (r < 0)
        return r;
    return novaconf_parse(path, buf, ret, eb);
}
