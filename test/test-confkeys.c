/*
 * test-confkeys.c - the key table (conf.c) against the manual and the
 * example config, so that the three cannot disagree.
 *
 * Every key of the table has an entry in the CONFIGURATION section of
 * data/vgpu-agent.8 whose tag names it and whose text says "Default: D"
 * (D: the table's default, its words for one, or "none") and, for a
 * bounded number, "MIN to MAX"; the section holds every key's help text
 * (case aside); no tag names a key the table lacks.
 * data/agent.yaml.example names every key, commented out or not, with
 * "Default: D" and the range in the comment above it (or above a section
 * holding it), and no key the table lacks.  The table's defaults pass
 * their own checks and are what conf_new() holds.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf-keys.h"
#include "conf.h"
#include "fixture.h"
#include "strv.h"
#include "testproc.h"
#include "xalloc.h"

#define MAP_ENTRY "TYPE" /* how the manual names mdev_types' entries */

/* --- the table, flat --------------------------------------------------- */

struct flat_key {
    char *path; /* "placement.timeout_s", "mdev_types.TYPE.traits" */
    const struct confwalk_key *k;
};

static struct flat_key keys[128];
static size_t n_keys;

static void
flatten(const struct confwalk_key *table, const char *prefix)
{
    for (const struct confwalk_key *k = table; k->name; k++) {
        char *path =
            prefix ? xasprintf("%s.%s", prefix, k->name) : xstrdup(k->name);

        cr_assert(lt(sz, n_keys, sizeof(keys) / sizeof(*keys)));
        keys[n_keys++] = (struct flat_key){ path, k };
        if (k->kind == CONFWALK_SECTION) {
            flatten(k->sub, path);
        } else if (k->kind == CONFWALK_MAP) {
            _cleanup_free_ char *sub = xasprintf("%s." MAP_ENTRY, path);

            flatten(k->sub, sub);
        }
    }
}

static void
setup(void)
{
    flatten(conf_keys, NULL);
}

static void
teardown(void)
{
    for (size_t i = 0; i < n_keys; i++)
        free(keys[i].path);
    n_keys = 0;
}

TestSuite(confkeys, .init = setup, .fini = teardown);

/* A key whose default the documentation must state: a value, not a
 * section, and not a second name of another key's setting. */
static bool
has_default(const struct confwalk_key *k)
{
    return k->kind != CONFWALK_SECTION && k->kind != CONFWALK_MAP &&
           !k->alias_of;
}

/* The table path of a dotted path as a document spells it (an entry of a
 * map in place of TYPE), or NULL if the table has no such key. */
static const char *
table_path(const char *dotted)
{
    _cleanup_(strv_clear) struct strv parts = { 0 };
    _cleanup_free_ char *norm = NULL;
    const char *s = dotted;

    while (*s) {
        size_t n = strcspn(s, ".");

        strv_take(&parts, xstrndup(s, n));
        s += n + (s[n] == '.');
    }
    for (size_t i = 0; i < parts.n; i++) {
        char *next =
            norm ? xasprintf("%s.%s", norm, parts.v[i]) : xstrdup(parts.v[i]);

        free(norm);
        norm = next;
        for (size_t j = 0; j < n_keys; j++)
            if (strcmp(keys[j].path, norm) == 0 &&
                keys[j].k->kind == CONFWALK_MAP && i + 1 < parts.n) {
                free(parts.v[i + 1]);
                parts.v[i + 1] = xstrdup(MAP_ENTRY);
            }
    }
    for (size_t j = 0; norm && j < n_keys; j++)
        if (strcmp(keys[j].path, norm) == 0 ||
            (keys[j].k->kind == CONFWALK_MAP &&
             strncmp(norm, keys[j].path, strlen(keys[j].path)) == 0 &&
             strcmp(norm + strlen(keys[j].path), "." MAP_ENTRY) == 0))
            return keys[j].path; /* a map's entry: the map */
    return NULL;
}

/* --- text -------------------------------------------------------------- */

/* Whether text holds needle followed by a character that cannot continue
 * it ("Default: 10" is not "Default: 1"). */
static bool
holds(const char *text, const char *needle)
{
    size_t len = strlen(needle);

    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        if (!isalnum((unsigned char)p[len]) && p[len] != '_' && p[len] != '/')
            return true;
    return false;
}

/* Whether text names the key path as a word of its own: not a prefix of
 * placement.token_file or placement.auth.auth_url. */
static bool
names(const char *text, const char *path)
{
    size_t len = strlen(path);

    for (const char *p = strstr(text, path); p; p = strstr(p + 1, path)) {
        char before = p == text ? ' ' : p[-1];
        char after = p[len];

        if (!isalnum((unsigned char)before) && before != '_' && before != '.' &&
            !isalnum((unsigned char)after) && after != '_' &&
            !(after == '.' && isalpha((unsigned char)p[len + 1])))
            return true;
    }
    return false;
}

/* s with runs of white space made one space, trimmed. */
static char *
squeeze(const char *s)
{
    char *out = xmalloc(strlen(s) + 1), *o = out;

    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            *o++ = *s;
        else if (o > out && o[-1] != ' ')
            *o++ = ' ';
    while (o > out && o[-1] == ' ')
        o--;
    *o = '\0';
    return out;
}

static char *
read_data(const char *rel)
{
    _cleanup_free_ char *path = fixture_data_path(rel);
    char *text = testproc_read_file(path);

    cr_assert(ne(sz, strlen(text), 0), "%s is missing or empty", path);
    return text;
}

/* *buf += s (both NUL-terminated; *buf may be NULL). */
static void
append(char **buf, const char *s)
{
    char *next = xasprintf("%s%s", *buf ? *buf : "", s);

    free(*buf);
    *buf = next;
}

/* --- the manual -------------------------------------------------------- */

struct man_entry {
    char *tag;  /* the line after .TP, as text */
    char *text; /* tag and body, squeezed */
};

static struct man_entry entries[128];
static size_t n_entries;
static char *man_text; /* the whole CONFIGURATION section, squeezed */

/* A troff escape at s (after the backslash) as text, into *buf; returns
 * how many characters it took. */
static size_t
troff_escape(const char *s, char **buf)
{
    if (s[0] == 'f' && s[1]) /* \fB \fI \fR \fP: fonts */
        return 2;
    if (s[0] == '(' && s[1] && s[2]) { /* \(+- \(mu */
        append(buf, strncmp(s + 1, "mu", 2) == 0 ? "x" : "+-");
        return 3;
    }
    if (s[0] == '&')
        return 1;
    if (s[0] == 'e')
        append(buf, "\\");
    else if (s[0]) {
        char c[2] = { s[0], '\0' };

        append(buf, c);
    }
    return s[0] ? 1 : 0;
}

/* One line of troff as text: a font macro's arguments (".B a b" joined
 * by spaces, ".BR a b" and its kin joined without), other requests
 * nothing, escapes resolved. */
static char *
troff_text(const char *line)
{
    bool alternating = line[0] == '.' && line[1] && strchr("BIR", line[1]) &&
                       line[2] && strchr("BIR", line[2]) && line[3] == ' ';
    bool font =
        line[0] == '.' && line[1] && strchr("BI", line[1]) && line[2] == ' ';
    char *buf = xstrdup("");
    bool quoted = false;

    if (line[0] == '.' && !alternating && !font)
        return buf;
    for (const char *s = line + (alternating ? 4 : font ? 3 : 0); *s; s++)
        if (*s == '\\')
            s += troff_escape(s + 1, &buf);
        else if ((alternating || font) && *s == '"')
            quoted = !quoted;
        else if (alternating && *s == ' ' && !quoted)
            continue;
        else {
            char c[2] = { *s, '\0' };

            append(&buf, c);
        }
    return buf;
}

static void
end_entry(char **text)
{
    if (n_entries > 0 && *text) {
        entries[n_entries - 1].text = squeeze(*text);
        free(*text);
        *text = NULL;
    }
}

/* Split the CONFIGURATION section of the manual into entries. */
static void
read_manual(void)
{
    _cleanup_free_ char *man = read_data("vgpu-agent.8");
    char *start = strstr(man, "\n.SH CONFIGURATION\n");
    _cleanup_free_ char *all = NULL, *text = NULL;
    bool tag_next = false;

    cr_assert(start != NULL, "no CONFIGURATION section");
    start = strchr(start + 1, '\n') + 1;
    for (char *line = start; *line && strncmp(line, ".SH ", 4) != 0;) {
        char *nl = strchr(line, '\n');
        _cleanup_free_ char *raw =
            xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
        _cleanup_free_ char *t = troff_text(raw);

        line = nl ? nl + 1 : line + strlen(line);
        if (strcmp(raw, ".TP") == 0 || strcmp(raw, ".PP") == 0) {
            end_entry(&text);
            tag_next = strcmp(raw, ".TP") == 0;
            if (tag_next) {
                cr_assert(lt(sz, n_entries, 128));
                entries[n_entries++] = (struct man_entry){ 0 };
            }
            continue;
        }
        append(&all, t);
        append(&all, "\n");
        if (tag_next)
            entries[n_entries - 1].tag = squeeze(t);
        if (tag_next || text) {
            append(&text, t);
            append(&text, "\n");
        }
        tag_next = false;
    }
    end_entry(&text);
    man_text = squeeze(all ? all : "");
}

static void
free_manual(void)
{
    for (size_t i = 0; i < n_entries; i++) {
        free(entries[i].tag);
        free(entries[i].text);
    }
    n_entries = 0;
    free(man_text);
    man_text = NULL;
}

/* "MIN to MAX" of a bounded number, or NULL. */
static char *
range_text(const struct confwalk_key *k)
{
    if (k->kind != CONFWALK_UINT || k->max == UINT_MAX)
        return NULL;
    return xasprintf("%u to %u", k->min, k->max);
}

Test(confkeys, the_manual_has_every_key_with_its_default_and_range)
{
    read_manual();
    for (size_t i = 0; i < n_keys; i++) {
        const struct flat_key *f = &keys[i];
        _cleanup_free_ char *def =
            xasprintf("Default: %s", confwalk_default_text(f->k));
        _cleanup_free_ char *range = range_text(f->k);
        bool named = false, said = !has_default(f->k), ranged = !range;

        if (f->k->kind == CONFWALK_SECTION || f->k->kind == CONFWALK_MAP)
            continue;
        for (size_t j = 0; j < n_entries; j++) {
            if (!entries[j].tag || !names(entries[j].tag, f->path))
                continue;
            named = true;
            said = said || holds(entries[j].text, def);
            ranged = ranged || holds(entries[j].text, range);
        }
        cr_expect(named, "vgpu-agent.8: no entry for %s", f->path);
        if (!named)
            continue;
        cr_expect(said, "vgpu-agent.8: %s: no \"%s\"", f->path, def);
        cr_expect(ranged, "vgpu-agent.8: %s: no \"%s\"", f->path, range);
    }
    free_manual();
}

Test(confkeys, the_manual_uses_the_help_text_of_every_key)
{
    read_manual();
    for (size_t i = 0; i < n_keys; i++) {
        _cleanup_free_ char *help = squeeze(keys[i].k->help);

        cr_expect(ne(ptr, strcasestr(man_text, help), NULL),
                  "vgpu-agent.8: %s: the help text \"%s\" is not in "
                  "CONFIGURATION",
                  keys[i].path, help);
    }
    free_manual();
}

/* Whether word looks like a key: lower case first, then letters, digits,
 * '_' or '.', with a '_' or a '.' somewhere. */
static bool
looks_like_key(const char *word)
{
    if (!islower((unsigned char)word[0]) || !strpbrk(word, "_."))
        return false;
    for (const char *c = word; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.')
            return false;
    return true;
}

#define SEPARATORS " (),;"

Test(confkeys, the_manual_names_no_key_the_table_lacks)
{
    read_manual();
    for (size_t j = 0; j < n_entries; j++) {
        const char *s = entries[j].tag ? entries[j].tag : "";

        for (s += strspn(s, SEPARATORS); *s; s += strspn(s, SEPARATORS)) {
            size_t n = strcspn(s, SEPARATORS);
            _cleanup_free_ char *w = xstrndup(s, n);

            if (looks_like_key(w))
                cr_expect(table_path(w) != NULL,
                          "vgpu-agent.8: \"%s\" is no key of the table", w);
            s += n;
        }
    }
    free_manual();
}

/* --- the example config ------------------------------------------------ */

struct ex_key {
    char *path;   /* as written: "mdev_types.nvidia-35.traits" */
    char *doc;    /* the comment lines right above it and its own comment */
    size_t up;    /* the index of the key it is under, or SIZE_MAX */
    size_t level; /* its indentation, '#' not counted */
};

static struct ex_key ex[256];
static size_t n_ex;

/* If line is a key line, commented out or not ("  #  password: x"), its
 * name into *ret (caller frees) and its level; else false. */
static bool
ex_key_line(const char *line, char **ret, size_t *ret_level,
            const char **ret_rest)
{
    size_t level = 0, n;
    const char *s = line;

    for (; *s == ' ' || *s == '#'; s++)
        level += *s == ' ';
    n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-");
    if (n == 0 || !islower((unsigned char)s[0]) || s[n] != ':' ||
        (s[n + 1] != ' ' && s[n + 1] != '\0'))
        return false;
    *ret = xstrndup(s, n);
    *ret_level = level;
    *ret_rest = s + n + 1;
    return true;
}

static void
ex_add(char *name, size_t level, const char *rest, char **pending)
{
    const char *inline_comment = strstr(rest, " #");
    size_t up = n_ex > 0 ? n_ex - 1 : SIZE_MAX;
    char *doc = *pending ? *pending : xstrdup("");

    while (up != SIZE_MAX && ex[up].level >= level)
        up = ex[up].up;
    if (inline_comment)
        append(&doc, inline_comment + 2);
    cr_assert(lt(sz, n_ex, 256));
    ex[n_ex++] = (struct ex_key){
        .path = up == SIZE_MAX ? xstrdup(name)
                               : xasprintf("%s.%s", ex[up].path, name),
        .doc = squeeze(doc),
        .up = up,
        .level = level,
    };
    free(doc);
    free(name);
    *pending = NULL;
}

static void
read_example(void)
{
    _cleanup_free_ char *text = read_data("agent.yaml.example");
    _cleanup_free_ char *pending = NULL;

    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        _cleanup_free_ char *raw =
            xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
        const char *hash = strchr(raw, '#'), *rest;
        size_t level;
        char *name;

        line = nl ? nl + 1 : line + strlen(line);
        if (ex_key_line(raw, &name, &level, &rest)) {
            ex_add(name, level, rest, &pending);
        } else if (hash && raw[strspn(raw, " ")] == '#') {
            append(&pending, hash + 1);
            append(&pending, "\n");
        } else { /* a blank line, or a value of its own */
            free(pending);
            pending = NULL;
        }
    }
}

static void
free_example(void)
{
    for (size_t i = 0; i < n_ex; i++) {
        free(ex[i].path);
        free(ex[i].doc);
    }
    n_ex = 0;
}

/* Whether the comments of example key i, or of a key it is under, hold
 * what (NULL: nothing to find). */
static bool
ex_says(size_t i, const char *what)
{
    for (; what && i != SIZE_MAX; i = ex[i].up)
        if (holds(ex[i].doc, what))
            return true;
    return !what;
}

Test(confkeys, the_example_config_has_every_key_with_its_default_and_range)
{
    read_example();
    for (size_t i = 0; i < n_keys; i++) {
        const struct flat_key *f = &keys[i];
        _cleanup_free_ char *def =
            has_default(f->k)
                ? xasprintf("Default: %s", confwalk_default_text(f->k))
                : NULL;
        _cleanup_free_ char *range = range_text(f->k);
        bool named = false, said = false, ranged = false;

        for (size_t j = 0; j < n_ex; j++) {
            if (table_path(ex[j].path) != f->path)
                continue;
            named = true;
            said = said || ex_says(j, def);
            ranged = ranged || ex_says(j, range);
        }
        cr_expect(named, "agent.yaml.example: no %s", f->path);
        if (!named)
            continue;
        cr_expect(said, "agent.yaml.example: %s: no \"%s\"", f->path, def);
        cr_expect(ranged, "agent.yaml.example: %s: no \"%s\"", f->path, range);
    }
    free_example();
}

Test(confkeys, the_example_config_names_no_key_the_table_lacks)
{
    read_example();
    cr_assert(gt(sz, n_ex, 0));
    for (size_t j = 0; j < n_ex; j++)
        cr_expect(table_path(ex[j].path) != NULL,
                  "agent.yaml.example: %s is no key of the table", ex[j].path);
    free_example();
}

/* --- the table's own defaults ------------------------------------------ */

/* YAML giving every key with a default its default (sections nested, maps
 * and aliases left out), into *out. */
static void
defaults_yaml(const struct confwalk_key *table, int indent, char **out)
{
    for (const struct confwalk_key *k = table; k->name; k++) {
        _cleanup_free_ char *sub = NULL, *line = NULL;

        if (k->kind == CONFWALK_SECTION) {
            defaults_yaml(k->sub, indent + 2, &sub);
            line =
                sub ? xasprintf("%*s%s:\n%s", indent, "", k->name, sub) : NULL;
        } else if (k->def && !k->alias_of) {
            line = xasprintf("%*s%s: %s\n", indent, "", k->name, k->def);
        }
        if (line)
            append(out, line);
    }
}

Test(confkeys, the_defaults_are_valid_values_and_what_conf_new_holds)
{
    _cleanup_free_ char *yaml = NULL;
    _cleanup_(conf_freep) struct conf *fresh = conf_new();
    _cleanup_(conf_freep) struct conf *loaded = NULL;
    _cleanup_(strv_clear) struct strv errors = { 0 }, a = { 0 }, b = { 0 };

    defaults_yaml(conf_keys, 0, &yaml);
    cr_assert(
        eq(int,
           conf_load_buf("defaults.yaml", yaml, strlen(yaml), &loaded, &errors),
           0),
        "%s\n%s", errors.n ? errors.v[0] : "", yaml);
    conf_show(fresh, &a);
    conf_show(loaded, &b);
    cr_assert(eq(sz, a.n, b.n));
    for (size_t i = 0; i < a.n; i++)
        cr_expect(eq(str, a.v[i], b.v[i]));
    for (size_t i = 0; i < n_keys; i++) {
        _cleanup_free_ char *want =
            xasprintf("%s: %s", keys[i].path, keys[i].k->def);

        if (keys[i].k->def && !keys[i].k->alias_of &&
            !strstr(keys[i].path, MAP_ENTRY))
            cr_expect(strv_contains(&a, want), "conf_new() has no \"%s\"",
                      want);
    }
}
