/*
 * fakehost-load.c - read a sample host description (data/hosts/<host>.yaml)
 * into the model, struct fakesys_host, checking every key.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fakehost.h"
#include "fixture.h"
#include "fstree.h"
#include "parse.h"
#include "pciaddr.h"
#include "xalloc.h"
#include "yamldoc.h"

#define MAX_UNSET UINT_MAX /* fakesys_type.max while loading, if not given */

/* ---- the loader --------------------------------------------------------- */

int
fakehost_fail(const struct fakehost_loader *l, const yaml_node_t *n,
              const char *fmt, ...)
{
    char pos[PATH_MAX + 64], msg[ERRBUF_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return errbuf_set(l->eb, -EINVAL, "%s: %s",
                      yamldoc_where(l->d, n, pos, sizeof(pos)), msg);
}

static bool
str_in(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

/* A mapping whose keys are all in known. */
int
fakehost_check_keys(const struct fakehost_loader *l, yaml_node_t *map,
                    const char *what, const char *const *known)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return fakehost_fail(l, map, "%s must be a mapping", what);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yamldoc_node(l->d, p->key);

        if (!str_in(yamldoc_scalar(k), known))
            return fakehost_fail(l, k, "unknown key '%s' in %s",
                                 yamldoc_scalar(k) ? yamldoc_scalar(k) : "?",
                                 what);
    }
    return 0;
}

/* The scalar under key, copied; NULL when absent (an error if required). */
int
fakehost_get_str(const struct fakehost_loader *l, yaml_node_t *map,
                 const char *key, bool required, char **ret)
{
    yaml_node_t *n = yamldoc_get(l->d, map, key);

    *ret = NULL;
    if (!n && required)
        return fakehost_fail(l, map, "missing '%s'", key);
    if (!n)
        return 0;
    if (!yamldoc_scalar(n))
        return fakehost_fail(l, n, "'%s' must be a scalar", key);
    *ret = xstrdup(yamldoc_scalar(n));
    return 0;
}

int
fakehost_get_uint(const struct fakehost_loader *l, yaml_node_t *map,
                  const char *key, bool required, unsigned max, unsigned *ret)
{
    _cleanup_free_ char *s = NULL;
    unsigned long v;
    int r = fakehost_get_str(l, map, key, required, &s);

    if (r < 0 || !s)
        return r;
    if (parse_uint(s, max, &v) < 0)
        return fakehost_fail(l, yamldoc_get(l->d, map, key),
                             "'%s' must be a count up to %u, not '%s'", key,
                             max, s);
    *ret = (unsigned)v;
    return 0;
}

/* The sequence under key; *ret NULL when absent or null. */
int
fakehost_get_seq(const struct fakehost_loader *l, yaml_node_t *map,
                 const char *key, yaml_node_t **ret)
{
    yaml_node_t *n = yamldoc_get(l->d, map, key);

    *ret = NULL;
    if (!n || yamldoc_is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return fakehost_fail(l, n, "'%s' must be a list", key);
    *ret = n;
    return 0;
}

/* A list of scalars from allowed into sv. */
static int
get_words(const struct fakehost_loader *l, yaml_node_t *map, const char *key,
          const char *const *allowed, struct strv *sv)
{
    yaml_node_t *seq, *item;
    int r = fakehost_get_seq(l, map, key, &seq);

    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        if (allowed && !str_in(yamldoc_scalar(item), allowed))
            return fakehost_fail(l, item, "'%s' cannot hold '%s'", key,
                                 yamldoc_scalar(item) ? yamldoc_scalar(item)
                                                      : "?");
        if (!yamldoc_scalar(item))
            return fakehost_fail(l, item, "'%s' must list strings", key);
        strv_push(sv, yamldoc_scalar(item));
    }
    return r;
}

/* Relative, and never climbing out of the root. */
int
fakehost_check_relpath(const struct fakehost_loader *l, yaml_node_t *n,
                       const char *path)
{
    if (path[0] == '/' || strcmp(path, "..") == 0 ||
        strncmp(path, "../", 3) == 0 || strstr(path, "/../") ||
        (strlen(path) > 2 && strcmp(path + strlen(path) - 3, "/..") == 0))
        return fakehost_fail(l, n, "path '%s' must stay below the root", path);
    return 0;
}

static int
load_type(const struct fakehost_loader *l, yaml_node_t *n,
          struct fakesys_type *t)
{
    static const char *const keys[] = { "id",
                                        "name",
                                        "description",
                                        "device_api",
                                        "available_instances",
                                        "max_instances",
                                        "omit",
                                        NULL };
    static const char *const files[] = { "name",       "description",
                                         "device_api", "available_instances",
                                         "create",     "devices",
                                         NULL };
    _cleanup_free_ char *max = NULL;
    unsigned long v;
    int r = fakehost_check_keys(l, n, "type", keys);

    if (r == 0)
        r = fakehost_get_str(l, n, "id", true, &t->id);
    if (r == 0)
        r = fakehost_get_str(l, n, "name", false, &t->name);
    if (r == 0)
        r = fakehost_get_str(l, n, "description", false, &t->description);
    if (r == 0)
        r = fakehost_get_str(l, n, "available_instances", false, &t->available);
    if (r == 0)
        r = fakehost_get_str(l, n, "max_instances", false, &max);
    if (r == 0)
        r = get_words(l, n, "omit", files, &t->omit);
    if (r == 0)
        r = fakehost_get_str(l, n, "device_api",
                             !strv_contains(&t->omit, "device_api"),
                             &t->device_api);
    if (r < 0)
        return r;
    t->max = MAX_UNSET;
    if (max && parse_uint(max, UINT_MAX - 1, &v) < 0)
        return fakehost_fail(l, yamldoc_get(l->d, n, "max_instances"),
                             "max_instances '%s' is not a count", max);
    if (max)
        t->max = (unsigned)v;
    return 0;
}

static int
load_types(const struct fakehost_loader *l, yaml_node_t *n,
           struct fakesys_parent *p)
{
    yaml_node_t *seq, *item;
    size_t cap = 0;
    int r = fakehost_get_seq(l, n, "types", &seq);

    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        struct fakesys_type *t;

        xgrow(&p->types, &cap, p->n_types, sizeof(*p->types));
        t = &p->types[p->n_types++];
        memset(t, 0, sizeof(*t));
        r = load_type(l, item, t);
        for (size_t i = 0; r == 0 && i + 1 < p->n_types; i++)
            if (strcmp(p->types[i].id, t->id) == 0)
                r = fakehost_fail(l, item, "type '%s' listed twice", t->id);
        if (r < 0)
            return r;
    }
    return r;
}

static const struct {
    const char *name;
    int value;
} errnos[] = {
    { "ENOSPC", ENOSPC }, { "EUSERS", EUSERS }, { "EPERM", EPERM },
    { "EINVAL", EINVAL }, { "ENOMEM", ENOMEM }, { "ENODEV", ENODEV }
};

/* capacity, full_errno, and what they need. */
static int
load_model(const struct fakehost_loader *l, yaml_node_t *n,
           struct fakesys_parent *p)
{
    static const char *const models[] = { "independent", "shared",
                                          "homogeneous", "sriov", NULL };
    _cleanup_free_ char *model = NULL, *err = NULL;
    int r = fakehost_get_str(l, n, "capacity", false, &model);

    if (r == 0)
        r = fakehost_get_str(l, n, "full_errno", false, &err);
    if (r < 0)
        return r;
    if (model && !str_in(model, models))
        return fakehost_fail(l, yamldoc_get(l->d, n, "capacity"),
                             "capacity '%s' is none of independent, shared, "
                             "homogeneous, sriov",
                             model);
    for (size_t i = 0; model && models[i]; i++)
        if (strcmp(model, models[i]) == 0)
            p->capacity = (enum fakesys_capacity)i;
    if (p->capacity == FAKESYS_SRIOV && !p->physfn)
        return fakehost_fail(l, n, "capacity sriov needs 'physfn'");
    p->full_errno = err ? 0 : ENOSPC;
    for (size_t i = 0; err && i < sizeof(errnos) / sizeof(errnos[0]); i++)
        if (strcmp(err, errnos[i].name) == 0)
            p->full_errno = errnos[i].value;
    if (!p->full_errno)
        return fakehost_fail(l, yamldoc_get(l->d, n, "full_errno"),
                             "full_errno '%s' is not a known errno name", err);
    return 0;
}

static int
load_parent(const struct fakehost_loader *l, yaml_node_t *n,
            struct fakesys_parent *p)
{
    static const char *const keys[] = { "name",       "path",   "bus",
                                        "driver",     "class",  "vendor",
                                        "device",     "physfn", "capacity",
                                        "full_errno", "omit",   "types",
                                        NULL };
    static const char *const parts[] = { "mdev_bus", "mdev_supported_types",
                                         NULL };
    struct pci_addr addr;
    int r = fakehost_check_keys(l, n, "parent", keys);

    if (r == 0)
        r = fakehost_get_str(l, n, "name", true, &p->name);
    if (r == 0)
        r = fakehost_get_str(l, n, "path", true, &p->path);
    if (r == 0)
        r = fakehost_check_relpath(l, yamldoc_get(l->d, n, "path"), p->path);
    if (r == 0)
        r = fakehost_get_str(l, n, "bus", false, &p->bus);
    if (r == 0)
        r = fakehost_get_str(l, n, "driver", false, &p->driver);
    if (r == 0)
        r = fakehost_get_str(l, n, "class", false, &p->pci_class);
    if (r == 0)
        r = fakehost_get_str(l, n, "vendor", false, &p->vendor);
    if (r == 0)
        r = fakehost_get_str(l, n, "device", false, &p->device);
    if (r == 0)
        r = fakehost_get_str(l, n, "physfn", false, &p->physfn);
    if (r == 0)
        r = get_words(l, n, "omit", parts, &p->omit);
    if (r == 0)
        r = load_model(l, n, p);
    if (r < 0)
        return r;
    if (!p->bus && pci_addr_parse(p->name, &addr) == 0)
        p->bus = xstrdup("pci");
    if (p->driver && !p->bus)
        return fakehost_fail(l, n, "parent '%s' has a driver but no bus",
                             p->name);
    return load_types(l, n, p);
}

int
fakesys_host_find_parent(const struct fakesys_host *h, const char *name,
                         size_t *ret)
{
    for (size_t i = 0; i < h->n_parents; i++)
        if (strcmp(h->parents[i].name, name) == 0) {
            *ret = i;
            return 0;
        }
    return -ENOENT;
}

static int
find_type(const struct fakesys_parent *p, const char *id, size_t *ret)
{
    for (size_t i = 0; i < p->n_types; i++)
        if (strcmp(p->types[i].id, id) == 0) {
            *ret = i;
            return 0;
        }
    return -ENOENT;
}

static int
load_mdev(const struct fakehost_loader *l, yaml_node_t *n,
          struct fakesys_mdev *m)
{
    static const char *const keys[] = { "uuid", "parent", "type", "busy",
                                        NULL };
    _cleanup_free_ char *uuid = NULL, *parent = NULL, *type = NULL;
    _cleanup_free_ char *busy = NULL;
    struct fakesys_host *h = l->h;
    int r = fakehost_check_keys(l, n, "mdev", keys);

    if (r == 0)
        r = fakehost_get_str(l, n, "uuid", true, &uuid);
    if (r == 0)
        r = fakehost_get_str(l, n, "parent", true, &parent);
    if (r == 0)
        r = fakehost_get_str(l, n, "type", true, &type);
    if (r == 0)
        r = fakehost_get_str(l, n, "busy", false, &busy);
    if (r < 0)
        return r;
    if (busy && strcmp(busy, "true") != 0 && strcmp(busy, "false") != 0)
        return fakehost_fail(l, n, "busy: true or false, not '%s'", busy);
    m->busy = busy && strcmp(busy, "true") == 0;
    if (fakesys_uuid_normalize(uuid, m->uuid) < 0)
        return fakehost_fail(l, n, "'%s' is not a UUID", uuid);
    for (size_t i = 0; i < h->n_mdevs; i++)
        if (strcmp(h->mdevs[i].uuid, m->uuid) == 0)
            return fakehost_fail(l, n, "mdev %s listed twice", m->uuid);
    if (fakesys_host_find_parent(h, parent, &m->parent) < 0)
        return fakehost_fail(l, n, "mdev %s: no parent '%s'", m->uuid, parent);
    if (find_type(&h->parents[m->parent], type, &m->type) < 0)
        return fakehost_fail(l, n, "mdev %s: parent '%s' has no type '%s'",
                             m->uuid, parent, type);
    return 0;
}

/* extra_files / extra_links: lists of {path, <second>} into sv pairs. */
static int
load_pairs(const struct fakehost_loader *l, const char *key, const char *second,
           struct strv *sv)
{
    const char *keys[] = { "path", second, NULL };
    yaml_node_t *seq, *item;
    int r = fakehost_get_seq(l, yamldoc_root(l->d), key, &seq);

    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        _cleanup_free_ char *path = NULL, *value = NULL;

        r = fakehost_check_keys(l, item, key, keys);
        if (r == 0)
            r = fakehost_get_str(l, item, "path", true, &path);
        if (r == 0)
            r = fakehost_get_str(l, item, second, true, &value);
        if (r == 0)
            r = fakehost_check_relpath(l, item, path);
        if (r < 0)
            return r;
        strv_push(sv, path);
        strv_push(sv, value);
    }
    return r;
}

static int
load_parents(const struct fakehost_loader *l)
{
    struct fakesys_host *h = l->h;
    yaml_node_t *seq, *item;
    size_t cap = 0, dup;
    int r = fakehost_get_seq(l, yamldoc_root(l->d), "parents", &seq);

    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        struct fakesys_parent *p;

        xgrow(&h->parents, &cap, h->n_parents, sizeof(*h->parents));
        p = &h->parents[h->n_parents];
        memset(p, 0, sizeof(*p));
        r = load_parent(l, item, p);
        h->n_parents++; /* freed with the host even when half-built */
        if (r == 0 && fakesys_host_find_parent(h, p->name, &dup) == 0 &&
            dup + 1 < h->n_parents)
            r = fakehost_fail(l, item, "parent '%s' listed twice", p->name);
        if (r < 0)
            return r;
    }
    return r;
}

static int
load_mdevs(const struct fakehost_loader *l)
{
    struct fakesys_host *h = l->h;
    yaml_node_t *seq, *item;
    int r = fakehost_get_seq(l, yamldoc_root(l->d), "mdevs", &seq);

    FAKEHOST_SEQ_FOREACH(l, seq, item)
    {
        xgrow(&h->mdevs, &h->cap_mdevs, h->n_mdevs, sizeof(*h->mdevs));
        r = load_mdev(l, item, &h->mdevs[h->n_mdevs]);
        if (r < 0)
            return r;
        h->n_mdevs++;
    }
    return r;
}

/* Mdevs of type id on parent p (any type when id is NULL). */
unsigned
fakesys_host_count(const struct fakesys_host *h, size_t p, const char *id)
{
    unsigned n = 0;

    for (size_t i = 0; i < h->n_mdevs; i++) {
        const struct fakesys_mdev *m = &h->mdevs[i];

        n += m->parent == p &&
             (!id || strcmp(h->parents[p].types[m->type].id, id) == 0);
    }
    return n;
}

/* max not given: NVIDIA's "max_instance=N", else what sysfs shows plus the
 * mdevs that already use it. */
static void
fill_max(struct fakesys_host *h)
{
    for (size_t p = 0; p < h->n_parents; p++)
        for (size_t i = 0; i < h->parents[p].n_types; i++) {
            struct fakesys_type *t = &h->parents[p].types[i];
            const char *s =
                t->description ? strstr(t->description, "max_instance=") : NULL;
            unsigned long v = 0;

            if (t->max != MAX_UNSET)
                continue;
            if (s)
                v = strtoul(s + strlen("max_instance="), NULL, 10);
            else if (t->available &&
                     parse_uint(t->available, UINT_MAX / 2, &v) == 0)
                v += fakesys_host_count(h, p, t->id);
            t->max = (unsigned)(v < UINT_MAX ? v : 0);
        }
}

int
fakesys_host_load(const char *yaml_path, struct fakesys_host **ret,
                  struct errbuf *eb)
{
    static const char *const keys[] = { "description", "parents",
                                        "mdevs",       "vfio_gpus",
                                        "extra_dirs",  "extra_files",
                                        "extra_links", NULL };
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    _cleanup_(fakesys_host_freep) struct fakesys_host *h = NULL;
    struct fakehost_loader l;
    int r = yamldoc_load_file(yaml_path, &d, eb);

    if (r < 0)
        return r;
    h = xcalloc(1, sizeof(*h));
    l = (struct fakehost_loader){ .d = d, .h = h, .eb = eb };
    r = fakehost_check_keys(&l, yamldoc_root(d), "host", keys);
    if (r == 0)
        r = fakehost_get_str(&l, yamldoc_root(d), "description", false,
                             &h->description);
    if (r == 0)
        r = load_parents(&l);
    if (r == 0)
        r = load_mdevs(&l);
    if (r == 0)
        r = fakevfio_load(&l);
    if (r == 0)
        r = get_words(&l, yamldoc_root(d), "extra_dirs", NULL, &h->extra_dirs);
    if (r == 0)
        r = load_pairs(&l, "extra_files", "content", &h->extra_files);
    if (r == 0)
        r = load_pairs(&l, "extra_links", "target", &h->extra_links);
    if (r < 0)
        return r;
    fill_max(h);
    *ret = TAKE_PTR(h);
    return 0;
}

void
fakesys_host_free(struct fakesys_host *h)
{
    if (!h)
        return;
    for (size_t p = 0; p < h->n_parents; p++) {
        struct fakesys_parent *pa = &h->parents[p];

        for (size_t i = 0; i < pa->n_types; i++) {
            struct fakesys_type *t = &pa->types[i];

            free(t->id), free(t->name), free(t->description);
            free(t->device_api), free(t->available);
            strv_clear(&t->omit);
        }
        free(pa->types), free(pa->name), free(pa->path), free(pa->bus);
        free(pa->driver), free(pa->pci_class), free(pa->vendor);
        free(pa->device), free(pa->physfn);
        strv_clear(&pa->omit);
    }
    fakevfio_free(h);
    free(h->parents), free(h->mdevs), free(h->description);
    strv_clear(&h->extra_dirs), strv_clear(&h->extra_files);
    strv_clear(&h->extra_links);
    free(h);
}

int
fakesys_uuid_normalize(const char *s, char ret[37])
{
    char u[37];

    if (strlen(s) != 36)
        return -EINVAL;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return -EINVAL;
        u[i] = (char)tolower((unsigned char)s[i]);
    }
    u[36] = '\0';
    memcpy(ret, u, sizeof(u));
    return 0;
}
