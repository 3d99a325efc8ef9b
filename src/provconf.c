/*
 * provconf.c - read Nova's provider config files (schema 1.x).
 *
 * Nova's checks (provider_config.py) plus the inventory ranges Placement
 * has (total >= 1, each field at most 2147483647) or the agent must add
 * because Placement does not check them (min_unit <= max_unit <= total,
 * allocation_ratio > 0).  One difference on purpose:
 * an unknown key is an error in a 1.0 file (a misspelt key would silently
 * do nothing) and a warning in a newer 1.x one, which Nova ignores too.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "confwalk.h"
#include "errbuf.h"
#include "parse.h"
#include "provconf.h"
#include "uuidstr.h"
#include "xalloc.h"
#include "yamldoc.h"

#define PROVCONF_FILES_MAX 1024      /* files in provider_config_dir */
#define PROVCONF_NAME_MAX 200        /* Nova's schema: identification.name */
#define PROVCONF_INT_MAX 2147483647L /* Placement's integer fields */
#define PROVCONF_RATIO_MAX 3.40282e+38
#define COMPUTE_NODE "$COMPUTE_NODE"

struct pc_parser {
    struct confwalk w; /* a 1.x file with x > 0: unknown keys only warn */
    struct provconf *pc;
};

/* The text of scalar n, or NULL (reported). */
static const char *
pc_scalar(struct pc_parser *p, yaml_node_t *n, const char *path, bool plain)
{
    if (!confwalk_expect(&p->w, n, path, YAML_SCALAR_NODE))
        return NULL;
    if (plain && n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        confwalk_error(&p->w, n, path,
                       "expected a number, got a quoted string");
        return NULL;
    }
    return yamldoc_scalar(n);
}

/* A plain number: an integer in [min, PROVCONF_INT_MAX] into *ret_int or,
 * if ret_real, a real > 0 (allocation_ratio).  False (reported) if not. */
static bool
pc_number(struct pc_parser *p, yaml_node_t *n, const char *path, long min,
          long *ret_int, double *ret_real)
{
    const char *s = pc_scalar(p, n, path, true);
    unsigned long v = 0;
    double d = 0;
    bool ok;

    if (!s)
        return false;
    ok = ret_real ? parse_double(s, &d) == 0 && d > 0 && d <= PROVCONF_RATIO_MAX
                  : parse_uint(s, PROVCONF_INT_MAX, &v) == 0 && (long)v >= min;
    if (ok && ret_real)
        *ret_real = d;
    else if (ok)
        *ret_int = (long)v;
    else if (ret_real)
        confwalk_error(&p->w, n, path,
                       "must be a number > 0 and <= %g, not \"%s\"",
                       PROVCONF_RATIO_MAX, s);
    else
        confwalk_error(&p->w, n, path,
                       "must be an integer in [%ld, %ld], not \"%s\"", min,
                       PROVCONF_INT_MAX, s);
    return ok;
}

static void
pc_entry_clear(struct provconf_entry *e)
{
    free(e->ident);
    for (size_t i = 0; i < e->n_invs; i++)
        inventory_clear(&e->invs[i]);
    free(e->invs);
    strv_clear(&e->traits);
    free(e->where);
}

static void
pc_ident(struct pc_parser *p, yaml_node_t *n, const char *path,
         struct provconf_entry *e)
{
    static const char *const keys[] = { "uuid", "name", NULL };
    yaml_node_t *v[2] = { NULL, NULL };
    _cleanup_free_ char *ipath = xasprintf("%s.identification", path);
    _cleanup_free_ char *vpath = NULL;
    const char *s;
    char u[UUIDSTR_LEN];

    if (!confwalk_keys(&p->w, n, ipath, keys, v))
        return;
    if (!v[0] == !v[1]) {
        confwalk_error(&p->w, n, ipath, "needs exactly one of uuid and name");
        return;
    }
    vpath = xasprintf("%s.%s", ipath, v[0] ? "uuid" : "name");
    s = pc_scalar(p, v[0] ? v[0] : v[1], vpath, false);
    if (!s)
        return;
    e->by = v[0] ? PROVCONF_BY_UUID : PROVCONF_BY_NAME;
    if (v[0] && strcmp(s, COMPUTE_NODE) == 0)
        e->by = PROVCONF_COMPUTE_NODE;
    else if (v[0] && uuidstr_lower(s, u) == 0)
        e->ident = xstrdup(u);
    else if (v[0])
        confwalk_error(&p->w, v[0], vpath, "\"%s\" is neither a UUID nor %s", s,
                       COMPUTE_NODE);
    else if (s[0] == '\0' || strlen(s) > PROVCONF_NAME_MAX)
        confwalk_error(&p->w, v[1], vpath, "must be 1 to %d characters long",
                       PROVCONF_NAME_MAX);
    else
        e->ident = xstrdup(s);
}

/* The list under `additional:` of a section (inventories, traits), or
 * NULL (absent, empty or reported). */
static yaml_node_t *
pc_additional(struct pc_parser *p, yaml_node_t *n, const char *path)
{
    static const char *const keys[] = { "additional", NULL };
    yaml_node_t *v[1] = { NULL };
    _cleanup_free_ char *apath = xasprintf("%s.additional", path);

    if (!confwalk_keys(&p->w, n, path, keys, v) || !v[0] ||
        !confwalk_expect(&p->w, v[0], apath, YAML_SEQUENCE_NODE))
        return NULL;
    return v[0];
}

static void
pc_traits(struct pc_parser *p, yaml_node_t *n, const char *path,
          struct provconf_entry *e)
{
    _cleanup_free_ char *tpath = xasprintf("%s.traits", path);
    yaml_node_t *seq = pc_additional(p, n, tpath);
    size_t i = 0;

    for (yaml_node_item_t *it = seq ? seq->data.sequence.items.start : NULL;
         seq && it < seq->data.sequence.items.top; it++, i++) {
        yaml_node_t *item = yamldoc_node(p->w.doc, *it);
        _cleanup_free_ char *ipath = xasprintf("%s.additional[%zu]", tpath, i);
        const char *s = pc_scalar(p, item, ipath, false);

        if (s && !inventory_is_valid_name(s))
            confwalk_error(&p->w, item, ipath,
                           "\"%s\" is not a trait name ([A-Z0-9_]{1,255})", s);
        else if (s && !inventory_is_custom_name(s))
            confwalk_error(&p->w, item, ipath,
                           "\"%s\": only custom traits (CUSTOM_*) are allowed",
                           s);
        else if (s && strv_contains(&e->traits, s))
            confwalk_error(&p->w, item, ipath, "%s is listed twice", s);
        else if (s)
            strv_push(&e->traits, s);
    }
}

/* Inventory fields Placement wants integers for, and their minimum. */
static const struct pc_field {
    const char *name;
    size_t offset; /* a long in struct inventory */
    long min;
} pc_fields[] = {
    { "total", offsetof(struct inventory, total), 1 },
    { "reserved", offsetof(struct inventory, reserved), 0 },
    { "min_unit", offsetof(struct inventory, min_unit), 1 },
    { "max_unit", offsetof(struct inventory, max_unit), 1 },
    { "step_size", offsetof(struct inventory, step_size), 1 },
};
#define PC_N_FIELDS (sizeof(pc_fields) / sizeof(*pc_fields))
static const char *const pc_record_keys[] = {
    "total",     "reserved",         "min_unit", "max_unit",
    "step_size", "allocation_ratio", NULL,
};

/* Parse the fields given in v (as pc_record_keys) into inv, and check them
 * against each other. */
static void
pc_record_fields(struct pc_parser *p, yaml_node_t **v, const char *path,
                 struct inventory *inv)
{
    bool ok = true;

    for (size_t i = 0; i <= PC_N_FIELDS; i++) {
        _cleanup_free_ char *fpath =
            v[i] ? xasprintf("%s.%s", path, pc_record_keys[i]) : NULL;

        if (v[i] && i == PC_N_FIELDS)
            ok = pc_number(p, v[i], fpath, 0, NULL, &inv->allocation_ratio) &&
                 ok;
        else if (v[i])
            ok = pc_number(p, v[i], fpath, pc_fields[i].min,
                           (long *)((char *)inv + pc_fields[i].offset), NULL) &&
                 ok;
    }
    if (!v[3])
        inv->max_unit = inv->total;
    /* Placement takes these, but the inventory would be useless */
    if (ok && inv->reserved > inv->total)
        confwalk_error(&p->w, v[1], path,
                       "reserved (%ld) is greater than total (%ld)",
                       inv->reserved, inv->total);
    if (ok && inv->max_unit > inv->total)
        confwalk_error(&p->w, v[3], path,
                       "max_unit (%ld) is greater than total (%ld)",
                       inv->max_unit, inv->total);
    if (ok && inv->min_unit > inv->max_unit)
        confwalk_error(&p->w, v[2], path,
                       "min_unit (%ld) is greater than max_unit (%ld)",
                       inv->min_unit, inv->max_unit);
}

/* One `RC: {total: ...}` of inventories.additional[]. */
static void
pc_record(struct pc_parser *p, yaml_node_t *key, yaml_node_t *n,
          const char *ipath, struct provconf_entry *e)
{
    yaml_node_t *v[PC_N_FIELDS + 1] = { NULL };
    const char *rc = pc_scalar(p, key, ipath, false);
    _cleanup_free_ char *path = NULL;
    size_t before = p->w.n_errors;
    struct inventory inv;

    if (!rc)
        return;
    path = xasprintf("%s.%s", ipath, rc);
    if (!inventory_is_valid_name(rc))
        confwalk_error(&p->w, key, path,
                       "not a resource class name ([A-Z0-9_]{1,255})");
    else if (!inventory_is_custom_name(rc))
        confwalk_error(&p->w, key, path,
                       "only custom resource classes (CUSTOM_*) are allowed");
    for (size_t i = 0; i < e->n_invs; i++)
        if (strcmp(e->invs[i].rc, rc) == 0)
            confwalk_error(&p->w, key, path, "given twice for this provider");
    if (p->w.n_errors > before ||
        !confwalk_keys(&p->w, n, path, pc_record_keys, v))
        return;
    if (!v[0]) {
        confwalk_error(&p->w, n, path, "total is required");
        return;
    }
    inventory_init(&inv, rc, 0);
    pc_record_fields(p, v, path, &inv);
    if (p->w.n_errors > before) {
        inventory_clear(&inv);
        return;
    }
    e->invs = xrealloc(e->invs, (e->n_invs + 1) * sizeof(*e->invs));
    e->invs[e->n_invs++] = inv;
}

static void
pc_inventories(struct pc_parser *p, yaml_node_t *n, const char *path,
               struct provconf_entry *e)
{
    _cleanup_free_ char *ipath = xasprintf("%s.inventories", path);
    yaml_node_t *seq = pc_additional(p, n, ipath);
    size_t i = 0;

    for (yaml_node_item_t *it = seq ? seq->data.sequence.items.start : NULL;
         seq && it < seq->data.sequence.items.top; it++, i++) {
        yaml_node_t *item = yamldoc_node(p->w.doc, *it);
        _cleanup_free_ char *apath = xasprintf("%s.additional[%zu]", ipath, i);

        if (!confwalk_expect(&p->w, item, apath, YAML_MAPPING_NODE))
            continue;
        for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
             pr < item->data.mapping.pairs.top; pr++)
            pc_record(p, yamldoc_node(p->w.doc, pr->key),
                      yamldoc_node(p->w.doc, pr->value), apath, e);
    }
}

/* Whether e names a provider no earlier entry (of any file) names. */
static bool
pc_unique(struct pc_parser *p, yaml_node_t *n, const char *path,
          const struct provconf_entry *e)
{
    for (size_t i = 0; i < p->pc->n_entries; i++) {
        const struct provconf_entry *f = &p->pc->entries[i];

        if (f->by == e->by && (e->by == PROVCONF_COMPUTE_NODE ||
                               strcmp(f->ident, e->ident) == 0)) {
            confwalk_error(&p->w, n, path,
                           "provider %s has multiple definitions (first at %s)",
                           e->ident ? e->ident : COMPUTE_NODE, f->where);
            return false;
        }
    }
    return true;
}

static void
pc_provider(struct pc_parser *p, yaml_node_t *n, const char *path)
{
    static const char *const keys[] = { "identification", "inventories",
                                        "traits", NULL };
    yaml_node_t *v[3] = { NULL, NULL, NULL };
    _cleanup_(pc_entry_clear) struct provconf_entry e = { 0 };
    _cleanup_free_ char *ipath = NULL;
    char where[CONFWALK_WHERE_MAX];
    size_t before = p->w.n_errors;

    if (!confwalk_keys(&p->w, n, path, keys, v))
        return;
    if (v[0])
        pc_ident(p, v[0], path, &e);
    else
        confwalk_error(&p->w, n, path, "identification is required");
    if (v[1])
        pc_inventories(p, v[1], path, &e);
    if (v[2])
        pc_traits(p, v[2], path, &e);
    if (p->w.n_errors > before)
        return;
    if (e.n_invs == 0 && e.traits.n == 0) {
        confwalk_warn(&p->w, n, path,
                      "no additional inventories or traits; ignored");
        return;
    }
    ipath = xasprintf("%s.identification", path);
    if (!pc_unique(p, v[0], ipath, &e))
        return;
    e.where = xstrdup(yamldoc_where(p->w.doc, n, where, sizeof(where)));
    p->pc->entries = xrealloc(p->pc->entries,
                              (p->pc->n_entries + 1) * sizeof(*p->pc->entries));
    p->pc->entries[p->pc->n_entries++] = e;
    e = (struct provconf_entry){ 0 };
}

/* meta.schema_version: major 1, a newer minor warns.  False to stop. */
static bool
pc_version(struct pc_parser *p, yaml_node_t *root)
{
    static const char *const keys[] = { "schema_version", NULL };
    yaml_node_t *v[1] = { NULL };
    yaml_node_t *meta = yamldoc_get(p->w.doc, root, "meta");
    yaml_node_t *sv = yamldoc_get(p->w.doc, meta, "schema_version");
    unsigned long major = 0, minor = 0;
    const char *s, *dot;
    _cleanup_free_ char *m = NULL;

    if (meta && !confwalk_expect(&p->w, meta, "meta", YAML_MAPPING_NODE))
        return false;
    if (!sv) {
        confwalk_error(&p->w, meta ? meta : root, meta ? "meta" : NULL,
                       "meta.schema_version is required");
        return false;
    }
    s = pc_scalar(p, sv, "meta.schema_version", false);
    dot = s ? strchr(s, '.') : NULL;
    m = dot ? xstrndup(s, (size_t)(dot - s)) : NULL;
    if (s && (!m || parse_uint(m, 1000, &major) < 0 ||
              parse_uint(dot + 1, 1000, &minor) < 0))
        confwalk_error(&p->w, sv, "meta.schema_version",
                       "\"%s\" is not a schema version (MAJOR.MINOR)", s);
    else if (s && major != 1)
        confwalk_error(&p->w, sv, "meta.schema_version",
                       "unsupported schema major version %lu (1 is supported)",
                       major);
    if (!s || p->w.n_errors > 0)
        return false;
    p->w.unknown_warns = minor > 0;
    if (p->w.unknown_warns)
        confwalk_warn(
            &p->w, sv, "meta.schema_version",
            "version 1.%lu is newer than 1.0; unknown keys are ignored", minor);
    return confwalk_keys(&p->w, meta, "meta", keys, v);
}

static void
pc_parser_done(struct pc_parser *p)
{
    confwalk_done(&p->w);
}

static int
pc_parse_doc(struct provconf *pc, struct yamldoc *d, struct strv *errors)
{
    static const char *const keys[] = { "meta", "providers", NULL };
    _cleanup_(pc_parser_done) struct pc_parser p = { .pc = pc };
    yaml_node_t *root = yamldoc_root(d);
    yaml_node_t *v[2] = { NULL, NULL };
    size_t i = 0;

    confwalk_init(&p.w, d, errors);
    p.w.warnings = &pc->warnings;
    if (!root)
        confwalk_error(&p.w, NULL, NULL,
                       "empty file; meta.schema_version is required");
    if (!root || !confwalk_expect(&p.w, root, NULL, YAML_MAPPING_NODE) ||
        !pc_version(&p, root) || !confwalk_keys(&p.w, root, NULL, keys, v))
        return -EINVAL;
    if (v[1] && confwalk_expect(&p.w, v[1], "providers", YAML_SEQUENCE_NODE))
        for (yaml_node_item_t *it = v[1]->data.sequence.items.start;
             it < v[1]->data.sequence.items.top; it++, i++) {
            _cleanup_free_ char *path = xasprintf("providers[%zu]", i);

            pc_provider(&p, yamldoc_node(d, *it), path);
        }
    return p.w.n_errors > 0 ? -EINVAL : 0;
}

/* Load the file path or, if buf is not NULL, the text buf named path. */
static int
pc_load(struct provconf *pc, const char *path, const char *buf, size_t len,
        struct strv *errors)
{
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };
    int r = buf ? yamldoc_load_buf(path, buf, len, &d, &eb)
                : yamldoc_load_file(path, &d, &eb);

    if (r < 0)
        strv_push(errors, eb.msg);
    return r < 0 ? r : pc_parse_doc(pc, d, errors);
}

static void
pc_closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

/* The names of the *.yaml regular files in dir, sorted bytewise (Nova sorts
 * them the same way). */
static int
pc_list_dir(const char *dir, bool must_exist, struct strv *names,
            struct strv *errors)
{
    _cleanup_(pc_closedirp) DIR *d = opendir(dir);
    struct dirent *de;
    struct stat st;
    size_t n_errors = errors->n;

    if (!d) {
        int r = -errno;

        if (r != -ENOENT || must_exist)
            strv_pushf(errors, "%s: %s", dir, strerror(-r));
        return r;
    }
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);

        if (de->d_name[0] == '.' || len <= 5 ||
            strcmp(de->d_name + len - 5, ".yaml") != 0)
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
            strv_pushf(errors, "%s/%s: not a regular file", dir, de->d_name);
        else if (names->n >= PROVCONF_FILES_MAX)
            strv_pushf(errors, "%s: more than %d provider config files", dir,
                       PROVCONF_FILES_MAX);
        else
            strv_push(names, de->d_name);
    }
    strv_sort_uniq(names);
    return errors->n > n_errors ? -EINVAL : 0;
}

struct provconf *
provconf_new(void)
{
    return xcalloc(1, sizeof(struct provconf));
}

int
provconf_load_dir(const char *dir, bool must_exist, struct provconf **ret,
                  struct strv *errors)
{
    _cleanup_(provconf_freep) struct provconf *pc = provconf_new();
    _cleanup_(strv_clear) struct strv names = { 0 };
    size_t n_errors = errors->n;
    int r = pc_list_dir(dir, must_exist, &names, errors);

    if (r == -ENOENT && !must_exist) {
        *ret = TAKE_PTR(pc);
        return 0;
    }
    if (r < 0)
        return r;
    for (size_t i = 0; i < names.n; i++) { /* all: report every error */
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, names.v[i]);

        (void)pc_load(pc, path, NULL, 0, errors); /* counted in errors */
    }
    if (errors->n > n_errors)
        return -EINVAL;
    *ret = TAKE_PTR(pc);
    return 0;
}

int
provconf_load_buf(struct provconf *pc, const char *name, const char *buf,
                  size_t len, struct strv *errors)
{
    return pc_load(pc, name, buf ? buf : "", len, errors);
}

void
provconf_free(struct provconf *pc)
{
    if (!pc)
        return;
    for (size_t i = 0; i < pc->n_entries; i++)
        pc_entry_clear(&pc->entries[i]);
    free(pc->entries);
    strv_clear(&pc->warnings);
    free(pc);
}
