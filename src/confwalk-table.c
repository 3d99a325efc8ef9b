/*
 * confwalk-table.c - a key table read as data rather than walked: the
 * defaults it gives, the default the documentation says, and a struct
 * shown through it, one "PATH: VALUE" line a key.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "cleanup.h"
#include "confwalk.h"
#include "parse.h"
#include "xalloc.h"

void
confwalk_set_defaults(const struct confwalk_key *keys, void *target)
{
    for (const struct confwalk_key *k = keys; k->name; k++) {
        void *field = (char *)target + k->offset;
        unsigned long v;
        bool b;

        if (k->kind == CONFWALK_SECTION)
            confwalk_set_defaults(k->sub, field);
        else if (!k->def || k->alias_of)
            continue;
        else if (k->kind == CONFWALK_STRING)
            *(char **)field = xstrdup(k->def);
        else if (k->kind == CONFWALK_UINT &&
                 parse_uint(k->def, k->max, &v) == 0)
            *(unsigned *)field = (unsigned)v;
        else if (k->kind == CONFWALK_BOOL && parse_bool(k->def, &b) == 0)
            *(bool *)field = b;
    }
}

const char *
confwalk_default_text(const struct confwalk_key *k)
{
    return k->def ? k->def : k->def_text ? k->def_text : "none";
}

/* A list as YAML's flow style: "[a, b]". */
static char *
show_list(const struct strv *sv)
{
    _cleanup_free_ char *s = xstrdup("");

    for (size_t i = 0; i < sv->n; i++) {
        char *t = xasprintf("%s%s%s", s, i ? ", " : "", sv->v[i]);

        free(s);
        s = t;
    }
    return xasprintf("[%s]", s);
}

static void
show_value(const struct confwalk_key *k, const void *field, const char *path,
           struct strv *lines)
{
    const char *str = k->kind == CONFWALK_STRING ? *(char *const *)field : NULL;
    unsigned u = k->kind == CONFWALK_UINT ? *(const unsigned *)field : 0;
    _cleanup_free_ char *list = NULL;

    switch (k->kind) {
    case CONFWALK_STRING:
        strv_pushf(lines, "%s: %s", path,
                   !str        ? CONFWALK_NOT_SET
                   : k->secret ? CONFWALK_MASK
                               : str);
        break;
    case CONFWALK_UINT:
        if (u < k->min)
            strv_pushf(lines, "%s: %s", path, CONFWALK_NOT_SET);
        else
            strv_pushf(lines, "%s: %u", path, u);
        break;
    case CONFWALK_BOOL:
        strv_pushf(lines, "%s: %s", path,
                   *(const bool *)field ? "true" : "false");
        break;
    case CONFWALK_LIST:
        list = show_list(field);
        strv_pushf(lines, "%s: %s", path, list);
        break;
    default:
        break;
    }
}

/* Whether k is an alias stored in the field of the key it stands for
 * (enabled_vgpu_types), which shows that field already. */
static bool
is_pure_alias(const struct confwalk_key *keys, const struct confwalk_key *k)
{
    for (const struct confwalk_key *o = keys; k->alias_of && o->name; o++)
        if (strcmp(o->name, k->alias_of) == 0)
            return o->offset == k->offset;
    return false;
}

void
confwalk_show(const struct confwalk_key *keys, const void *target,
              const char *prefix, struct strv *lines)
{
    for (const struct confwalk_key *k = keys; k->name; k++) {
        const void *field = (const char *)target + k->offset;
        _cleanup_free_ char *path =
            prefix ? xasprintf("%s.%s", prefix, k->name) : xstrdup(k->name);
        const void *entry;
        const char *name;

        if (is_pure_alias(keys, k))
            continue;
        if (k->kind == CONFWALK_SECTION)
            confwalk_show(k->sub, field, path, lines);
        else if (k->kind != CONFWALK_MAP)
            show_value(k, field, path, lines);
        for (size_t i = 0; k->kind == CONFWALK_MAP &&
                           (entry = k->nth(target, i, &name)) != NULL;
             i++) {
            _cleanup_free_ char *sub = xasprintf("%s.%s", path, name);

            confwalk_show(k->sub, entry, sub, lines);
        }
    }
}
