/*
 * conf.c - load and validate agent.yaml, driven by a table of keys.
 *
 * Each key is a descriptor (name, kind, field offset, value check); a
 * section or a mapping of sections points at its own table.  The walk never
 * stops at a problem: it reports "FILE:LINE:COLUMN: KEY.PATH: what is wrong"
 * and carries on, so one run shows every mistake in the file.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "conf.h"
#include "errbuf.h"
#include "inventory.h"
#include "parse.h"
#include "xalloc.h"
#include "yamldoc.h"

#define CONF_WHERE_MAX 4200    /* a path, ":line:column" */
#define CONF_NODE_NAME_MAX 200 /* Placement's provider name limit */

/* A name some list or mapping holds: repeats are found through these. */
struct conf_claim {
    const char *key; /* the list's key, or "" for a mapping */
    char *path;      /* of the list or mapping; "" for the root */
    char *name;
    yaml_node_t *node;
};

struct conf_parser {
    struct yamldoc *doc;
    struct strv *errors;
    size_t n_errors;
    struct conf_claim *claims;
    size_t n_claims, cap_claims;
};

/* Check one string value (or list item, or mapping key): NULL if it is
 * fine, perhaps after replacing *value by its canonical form; else what is
 * wrong with it, for the caller to report and free(). */
typedef char *conf_check_fn(char **value);

enum conf_kind {
    CONF_STRING,  /* char *, replaced */
    CONF_UINT,    /* unsigned, in [min, max] */
    CONF_BOOL,    /* bool */
    CONF_LIST,    /* struct strv; items checked one by one */
    CONF_SECTION, /* a struct at offset, keys in sub */
    CONF_MAP,     /* NAME: section; add() returns the struct for NAME */
};

enum conf_unique {
    CONF_REPEAT_OK,
    CONF_UNIQUE_IN_LIST, /* the same item twice in one list is an error */
    CONF_UNIQUE_IN_FILE, /* ... and in two lists of this key, too */
};

struct conf_key {
    const char *name;
    enum conf_kind kind;
    size_t offset;              /* of the field in the target struct */
    conf_check_fn *check;       /* string, list item, map key */
    enum conf_unique unique;    /* list */
    unsigned min, max;          /* uint */
    size_t set_flag;            /* CONF_FLAG(): bool set when given */
    const char *alias_of;       /* the same setting; both given: error */
    const struct conf_key *sub; /* section, map */
    void *(*add)(void *target, const char *name); /* map */
};

#define FIELD(type, f) .offset = offsetof(struct type, f)
/* 0 means "no flag", so store the offset plus one. */
#define CONF_FLAG(type, f) .set_flag = offsetof(struct type, f) + 1

static void __attribute__((format(printf, 4, 5)))
conf_error(struct conf_parser *p, const yaml_node_t *n, const char *path,
           const char *fmt, ...)
{
    char where[CONF_WHERE_MAX];
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    yamldoc_where(p->doc, n, where, sizeof(where));
    strv_pushf(p->errors, "%s: %s%s%s", where, path ? path : "",
               path ? ": " : "", msg);
    p->n_errors++;
}

static const char *
node_kind(const yaml_node_t *n)
{
    return yamldoc_is_null(n)              ? "nothing"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
           : n->type == YAML_MAPPING_NODE  ? "a mapping"
                                           : "a scalar";
}

/* --- value checks ------------------------------------------------------ */

static bool
is_sysfs_name(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > NAME_MAX || strcmp(s, ".") == 0 ||
        strcmp(s, "..") == 0)
        return false;
    for (const char *c = s; *c; c++)
        if (*c <= ' ' || *c > '~' || *c == '/')
            return false;
    return true;
}

/* A PCI address (canonical: lower case) or another device name. */
static char *
check_parent(char **value)
{
    struct pci_addr a;
    char buf[PCI_ADDR_STR_MAX];

    if (!strchr(*value, ':'))
        return is_sysfs_name(*value)
                   ? NULL
                   : xasprintf("\"%s\" is not a device name", *value);
    if (pci_addr_parse(*value, &a) < 0)
        return xasprintf("\"%s\" is not a PCI address (dddd:bb:ss.f)", *value);
    free(*value);
    *value = xstrdup(pci_addr_format(&a, buf));
    return NULL;
}

static char *
check_type_id(char **value)
{
    return is_sysfs_name(*value)
               ? NULL
               : xasprintf("\"%s\" is not an mdev type name", *value);
}

static char *
check_resource_class(char **value)
{
    return strcmp(*value, "VGPU") == 0 || inventory_is_custom_name(*value)
               ? NULL
               : xasprintf("\"%s\" is not a resource class (VGPU or "
                           "CUSTOM_[A-Z0-9_]+)",
                           *value);
}

static char *
check_trait(char **value)
{
    if (!inventory_is_valid_name(*value))
        return xasprintf("\"%s\" is not a trait name ([A-Z0-9_]{1,255})",
                         *value);
    if (!inventory_is_custom_name(*value))
        return xasprintf("\"%s\" is not a CUSTOM_ trait (standard traits "
                         "come from sysfs)",
                         *value);
    return NULL;
}

static char *
check_uuid(char **value)
{
    uuid_t u;

    if (uuid_parse(*value, u) < 0)
        return xasprintf("\"%s\" is not a UUID", *value);
    *value = xrealloc(*value, UUID_STR_LEN);
    uuid_unparse_lower(u, *value);
    return NULL;
}

static char *
check_absolute(char **value)
{
    return (*value)[0] == '/'
               ? NULL
               : xasprintf("\"%s\" is not an absolute path", *value);
}

static char *
check_node_name(char **value)
{
    size_t len = strlen(*value);

    return len > 0 && len <= CONF_NODE_NAME_MAX
               ? NULL
               : xasprintf("must be 1 to %d characters long",
                           CONF_NODE_NAME_MAX);
}

/* --- the tables -------------------------------------------------------- */

static void *
conf_add_type(void *target, const char *name)
{
    struct conf *c = target;
    struct conf_type *t;

    c->types = xrealloc(c->types, (c->n_types + 1) * sizeof(*c->types));
    t = &c->types[c->n_types++];
    *t = (struct conf_type){ .id = xstrdup(name),
                             .mdev_class = xstrdup("VGPU") };
    return t;
}

static const struct conf_key type_keys[] = {
    { "device_addresses", CONF_LIST, FIELD(conf_type, parents),
      .check = check_parent, .unique = CONF_UNIQUE_IN_FILE },
    { "mdev_class", CONF_STRING, FIELD(conf_type, mdev_class),
      .check = check_resource_class },
    { "max_instances", CONF_UINT, FIELD(conf_type, max_instances), .min = 1,
      .max = UINT_MAX },
    { "traits", CONF_LIST, FIELD(conf_type, traits), .check = check_trait,
      .unique = CONF_UNIQUE_IN_LIST },
    { NULL },
};

static const struct conf_key conf_keys[] = {
    { "node_name", CONF_STRING, FIELD(conf, node_name),
      .check = check_node_name },
    { "node_uuid", CONF_STRING, FIELD(conf, node_uuid), .check = check_uuid },
    { "sysfs_root", CONF_STRING, FIELD(conf, sysfs_root),
      .check = check_absolute },
    { "enabled_mdev_types", CONF_LIST, FIELD(conf, enabled_mdev_types),
      .check = check_type_id, .unique = CONF_UNIQUE_IN_LIST,
      CONF_FLAG(conf, enabled_mdev_types_set) },
    { "enabled_vgpu_types", CONF_LIST, FIELD(conf, enabled_mdev_types),
      .check = check_type_id, .unique = CONF_UNIQUE_IN_LIST,
      CONF_FLAG(conf, enabled_mdev_types_set),
      .alias_of = "enabled_mdev_types" },
    { "mdev_types", CONF_MAP, .check = check_type_id, .sub = type_keys,
      .add = conf_add_type },
    { "provider_config_dir", CONF_STRING, FIELD(conf, provider_config_dir),
      .check = check_absolute, CONF_FLAG(conf, provider_config_dir_set) },
    { NULL },
};

static const struct conf_key conf_root = { .kind = CONF_SECTION,
                                           .sub = conf_keys };

/* --- the walk ---------------------------------------------------------- */

static void conf_walk_value(struct conf_parser *p, yaml_node_t *n,
                            const struct conf_key *k, void *target,
                            const char *path);

/* A scalar's text (a copy) that passes check, or NULL after reporting
 * what is wrong.  A plain scalar is not quoted: a number, true/false. */
static char *
conf_scalar(struct conf_parser *p, yaml_node_t *n, const char *path,
            const char *want, bool plain, conf_check_fn *check)
{
    _cleanup_free_ char *s = NULL;
    _cleanup_free_ char *complaint = NULL;

    if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n) ||
        (plain && n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)) {
        conf_error(p, n, path, "expected %s, got %s", want,
                   plain && n->type == YAML_SCALAR_NODE && !yamldoc_is_null(n)
                       ? "a quoted string"
                       : node_kind(n));
        return NULL;
    }
    s = xstrdup(yamldoc_scalar(n));
    complaint = check ? check(&s) : NULL;
    if (complaint)
        conf_error(p, n, path, "%s", complaint);
    return complaint ? NULL : TAKE_PTR(s);
}

/* Record that the mapping or list at path holds name (at node n); false,
 * after reporting it at errpath, if it did already or, if across, if any
 * list of key did.  Mapping keys have key "". */
static bool
conf_claim(struct conf_parser *p, const char *key, bool across, yaml_node_t *n,
           const char *path, const char *name, const char *errpath)
{
    char where[CONF_WHERE_MAX];

    for (size_t i = 0; i < p->n_claims; i++) {
        const struct conf_claim *c = &p->claims[i];

        if (strcmp(c->name, name) != 0 ||
            (strcmp(c->path, path) != 0 &&
             !(across && strcmp(c->key, key) == 0)))
            continue;
        yamldoc_where(p->doc, c->node, where, sizeof(where));
        if (strcmp(c->path, path) != 0)
            conf_error(p, n, errpath, "%s is also listed in %s at %s", name,
                       c->path, where);
        else if (key[0] != '\0')
            conf_error(p, n, errpath, "%s is listed twice (first at %s)", name,
                       where);
        else if (strcmp(yamldoc_scalar(c->node), yamldoc_scalar(n)) == 0)
            conf_error(p, n, errpath, "duplicate key (first at %s)", where);
        else /* an alias */
            conf_error(p, n, errpath, "the same setting as %s, given at %s",
                       yamldoc_scalar(c->node), where);
        return false;
    }
    xgrow(&p->claims, &p->cap_claims, p->n_claims, sizeof(*p->claims));
    p->claims[p->n_claims++] =
        (struct conf_claim){ key, xstrdup(path), xstrdup(name), n };
    return true;
}

static void
conf_walk_list(struct conf_parser *p, yaml_node_t *seq,
               const struct conf_key *k, struct strv *sv, const char *path)
{
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top; it++) {
        yaml_node_t *item = yamldoc_node(p->doc, *it);
        _cleanup_free_ char *s =
            conf_scalar(p, item, path, "a string", false, k->check);

        if (s && (!k->unique ||
                  conf_claim(p, k->name, k->unique == CONF_UNIQUE_IN_FILE, item,
                             path, s, path)))
            strv_take(sv, TAKE_PTR(s));
    }
}

static void
conf_walk_map(struct conf_parser *p, yaml_node_t *map, const struct conf_key *k,
              void *target, const char *path)
{
    const struct conf_key section = { .kind = CONF_SECTION, .sub = k->sub };

    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *key = yamldoc_node(p->doc, pr->key);
        _cleanup_free_ char *name =
            conf_scalar(p, key, path, "a name", false, k->check);
        _cleanup_free_ char *sub = NULL;

        if (!name)
            continue;
        sub = xasprintf("%s.%s", path, name);
        if (conf_claim(p, "", false, key, path, name, sub))
            conf_walk_value(p, yamldoc_node(p->doc, pr->value), &section,
                            k->add(target, name), sub);
    }
}

/* Walk a mapping's keys through the table keys, into target. */
static void
conf_walk(struct conf_parser *p, yaml_node_t *map, const struct conf_key *keys,
          void *target, const char *prefix)
{
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *key = yamldoc_node(p->doc, pr->key);
        const char *name = yamldoc_scalar(key) ? yamldoc_scalar(key) : "?";
        const struct conf_key *k = keys;
        _cleanup_free_ char *path =
            prefix ? xasprintf("%s.%s", prefix, name) : xstrdup(name);

        while (k->name && strcmp(k->name, name) != 0)
            k++;
        if (!k->name) {
            conf_error(p, key, path, "unknown key");
            continue;
        }
        /* an alias claims the name of its setting */
        if (!conf_claim(p, "", false, key, prefix ? prefix : "",
                        k->alias_of ? k->alias_of : k->name, path))
            continue;
        if (k->set_flag)
            *(bool *)((char *)target + k->set_flag - 1) = true;
        conf_walk_value(p, yamldoc_node(p->doc, pr->value), k, target, path);
    }
}

static void
conf_walk_uint(struct conf_parser *p, yaml_node_t *n, const struct conf_key *k,
               unsigned *field, const char *path)
{
    _cleanup_free_ char *s = conf_scalar(p, n, path, "an integer", true, NULL);
    unsigned long v;

    if (s && parse_uint(s, k->max, &v) == 0 && v >= k->min)
        *field = (unsigned)v;
    else if (s)
        conf_error(p, n, path, "must be an integer in [%u, %u], not \"%s\"",
                   k->min, k->max, s);
}

/* Store node n as key k says; path NULL for the root mapping. */
static void
conf_walk_value(struct conf_parser *p, yaml_node_t *n, const struct conf_key *k,
                void *target, const char *path)
{
    void *field = (char *)target + k->offset;
    char *s;

    if (k->kind >= CONF_LIST && yamldoc_is_null(n))
        return; /* `key:` with no value: an empty list or mapping */
    if ((k->kind == CONF_LIST && n->type != YAML_SEQUENCE_NODE) ||
        (k->kind >= CONF_SECTION && n->type != YAML_MAPPING_NODE)) {
        conf_error(p, n, path, "expected %s, got %s",
                   k->kind == CONF_LIST ? "a list" : "a mapping", node_kind(n));
        return;
    }
    switch (k->kind) {
    case CONF_STRING:
        s = conf_scalar(p, n, path, "a string", false, k->check);
        if (s) {
            free(*(char **)field);
            *(char **)field = s;
        }
        break;
    case CONF_UINT:
        conf_walk_uint(p, n, k, field, path);
        break;
    case CONF_BOOL:
        s = conf_scalar(p, n, path, "true or false", true, NULL);
        if (s && parse_bool(s, field) < 0)
            conf_error(p, n, path, "expected true or false, not \"%s\"", s);
        free(s);
        break;
    case CONF_LIST:
        conf_walk_list(p, n, k, field, path);
        break;
    case CONF_SECTION:
        conf_walk(p, n, k->sub, field, path);
        break;
    case CONF_MAP:
        conf_walk_map(p, n, k, target, path);
        break;
    }
}

static void
conf_type_clear(struct conf_type *t)
{
    free(t->id);
    strv_clear(&t->parents);
    free(t->addresses);
    free(t->mdev_class);
    strv_clear(&t->traits);
}

/* Order the types as enabled_mdev_types lists them (defaults for those
 * without an mdev_types entry); an entry for a type not enabled is an
 * error. */
static void
conf_order_types(struct conf_parser *p, struct conf *c)
{
    const struct strv *en = &c->enabled_mdev_types;

    for (size_t i = 0; i < en->n; i++) {
        size_t j = i;
        struct conf_type t;

        while (j < c->n_types && strcmp(c->types[j].id, en->v[i]) != 0)
            j++;
        if (j == c->n_types)
            conf_add_type(c, en->v[i]);
        t = c->types[i];
        c->types[i] = c->types[j];
        c->types[j] = t;
    }
    for (size_t j = en->n; j < c->n_types; j++)
        conf_type_clear(&c->types[j]);
    c->n_types = en->n;
    for (size_t i = 0; i < p->n_claims; i++) {
        const struct conf_claim *cl = &p->claims[i];
        _cleanup_free_ char *path = xasprintf("mdev_types.%s", cl->name);

        if (strcmp(cl->path, "mdev_types") == 0 && !strv_contains(en, cl->name))
            conf_error(p, cl->node, path,
                       "type is not enabled (not in enabled_mdev_types)");
    }
}

/* After the walk: the enabled types in order, their PCI addresses. */
static void
conf_finish(struct conf_parser *p, struct conf *c)
{
    if (c->enabled_mdev_types_set)
        conf_order_types(p, c);
    for (size_t i = 0; i < c->n_types; i++) {
        struct conf_type *t = &c->types[i];

        t->addresses = xcalloc(t->parents.n + 1, sizeof(*t->addresses));
        for (size_t j = 0; j < t->parents.n; j++)
            if (pci_addr_parse(t->parents.v[j],
                               &t->addresses[t->n_addresses]) == 0)
                t->n_addresses++;
    }
    for (size_t i = 0; i < p->n_claims; i++) {
        free(p->claims[i].path);
        free(p->claims[i].name);
    }
    free(p->claims);
}

struct conf *
conf_new(void)
{
    struct conf *c = xcalloc(1, sizeof(*c));
    char host[HOST_NAME_MAX + 2] = ""; /* stays NUL-terminated */

    c->node_name = xstrdup(gethostname(host, sizeof(host) - 1) == 0 && host[0]
                               ? host
                               : "localhost");
    c->sysfs_root = xstrdup(CONF_DEFAULT_SYSFS_ROOT);
    c->provider_config_dir = xstrdup(CONF_DEFAULT_PROVIDER_CONFIG_DIR);
    return c;
}

/* Load the file path or, if buf is not NULL, the text buf named path. */
static int
conf_load_doc(const char *path, const char *buf, size_t len, bool explicit,
              struct conf **ret, struct strv *errors)
{
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    _cleanup_(conf_freep) struct conf *c = conf_new();
    struct conf_parser p = { .errors = errors };
    struct errbuf eb = { 0 };
    yaml_node_t *root;
    int r = buf ? yamldoc_load_buf(path, buf, len, &d, &eb)
                : yamldoc_load_file(path, &d, &eb);

    if (r == -ENOENT && !explicit) {
        *ret = TAKE_PTR(c);
        return 0;
    }
    if (r < 0) {
        strv_push(errors, eb.msg);
        return r;
    }
    p.doc = d;
    root = yamldoc_root(d);
    c->path = xstrdup(path);
    if (root && !yamldoc_is_null(root))
        conf_walk_value(&p, root, &conf_root, c, NULL);
    conf_finish(&p, c);
    if (p.n_errors > 0)
        return -EINVAL;
    *ret = TAKE_PTR(c);
    return 0;
}

int
conf_load_buf(const char *name, const char *buf, size_t len, struct conf **ret,
              struct strv *errors)
{
    return conf_load_doc(name, buf ? buf : "", len, true, ret, errors);
}

int
conf_load(const char *path, bool explicit, struct conf **ret,
          struct strv *errors)
{
    return conf_load_doc(path, NULL, 0, explicit, ret, errors);
}

void
conf_free(struct conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_types; i++)
        conf_type_clear(&c->types[i]);
    free(c->types);
    free(c->path);
    free(c->node_name);
    free(c->node_uuid);
    free(c->sysfs_root);
    free(c->provider_config_dir);
    strv_clear(&c->enabled_mdev_types);
    free(c);
}

const struct conf_type *
conf_find_type(const struct conf *c, const char *id)
{
    for (size_t i = 0; i < c->n_types; i++)
        if (strcmp(c->types[i].id, id) == 0)
            return &c->types[i];
    return NULL;
}
