/*
 * fixture.c - sample hosts made real: temp dirs, the loader, the materializer.
 *
 * A description is loaded into a struct fakesys_host (the model) and written
 * as sysfs lays it out: real device directories under devices/, and relative
 * symlinks that climb only to the common ancestor, as the kernel's do.  The
 * live fake kernel (fakesys.c) keeps the same model and rewrites the same
 * files when create/remove are written; fakesys_live_start() runs it.
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

#include "fixture.h"
#include "fstree.h"
#include "parse.h"
#include "pciaddr.h"
#include "xalloc.h"
#include "yamldoc.h"

#define MAX_UNSET UINT_MAX /* fakesys_type.max while loading, if not given */

/* ---- paths and temporary directories ---------------------------------- */

static int
path_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

char *
fixture_data_path(const char *rel)
{
    const char *test_data = getenv("VGPU_TEST_DATA");
    const char *data = getenv("VGPU_DATA");
    char *path;

    path = xasprintf("%s/%s", test_data ? test_data : "test/data", rel);
    if (path_exists(path))
        return path;
    free(path);
    if (data)
        return xasprintf("%s/%s", data, rel);
    if (test_data) /* the source tree's data/ is test/data/../../data */
        return xasprintf("%s/../../data/%s", test_data, rel);
    return xasprintf("data/%s", rel);
}

static const char *
tmp_base(void)
{
    const char *t = getenv("TMPDIR");

    return t && t[0] ? t : "/tmp";
}

char *
fixture_tmpdir(void)
{
    _cleanup_free_ char *tmpl = xasprintf("%s/vgpu-test.XXXXXX", tmp_base());
    char *real;

    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "fixture: mkdtemp %s: %s\n", tmpl, strerror(errno));
        abort();
    }
    real = realpath(tmpl, NULL); /* mountinfo shows resolved paths */
    if (!real)
        abort();
    return real;
}

/* Whether path lies strictly inside base (both resolved). */
static int
path_is_inside(const char *path, const char *base)
{
    _cleanup_free_ char *b = realpath(base, NULL);
    size_t n = b ? strlen(b) : 0;

    return b && strncmp(path, b, n) == 0 && path[n] == '/' && path[n + 1];
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (remove(path) < 0 && errno != ENOENT)
        fprintf(stderr, "fixture: rm %s: %s\n", path, strerror(errno));
    return 0;
}

void
fixture_rm_rf(const char *dir)
{
    _cleanup_free_ char *real = dir ? realpath(dir, NULL) : NULL;

    if (!real || strcmp(real, "/") == 0)
        return;
    if (!path_is_inside(real, tmp_base()) && !path_is_inside(real, "/tmp")) {
        fprintf(stderr, "fixture: refusing to remove %s\n", real);
        return;
    }
    /* FTW_MOUNT: never descend into a mount (a live fake kernel) */
    nftw(real, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

bool
fixture_is_mounted(const char *path)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096], mnt[PATH_MAX];
    bool found = false;

    while (f && !found && fgets(line, sizeof(line), f))
        found = sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
                strcmp(mnt, path) == 0;
    return found;
}

/* ---- the loader --------------------------------------------------------- */

struct loader {
    struct yamldoc *d;
    struct fakesys_host *h;
    struct errbuf *eb;
};

__attribute__((format(printf, 3, 4))) static int
fail(const struct loader *l, const yaml_node_t *n, const char *fmt, ...)
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
static int
check_keys(const struct loader *l, yaml_node_t *map, const char *what,
           const char *const *known)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return fail(l, map, "%s must be a mapping", what);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yamldoc_node(l->d, p->key);

        if (!str_in(yamldoc_scalar(k), known))
            return fail(l, k, "unknown key '%s' in %s",
                        yamldoc_scalar(k) ? yamldoc_scalar(k) : "?", what);
    }
    return 0;
}

/* The scalar under key, copied; NULL when absent (an error if required). */
static int
get_str(const struct loader *l, yaml_node_t *map, const char *key,
        bool required, char **ret)
{
    yaml_node_t *n = yamldoc_get(l->d, map, key);

    *ret = NULL;
    if (!n && required)
        return fail(l, map, "missing '%s'", key);
    if (!n)
        return 0;
    if (!yamldoc_scalar(n))
        return fail(l, n, "'%s' must be a scalar", key);
    *ret = xstrdup(yamldoc_scalar(n));
    return 0;
}

/* The sequence under key; *ret NULL when absent or null. */
static int
get_seq(const struct loader *l, yaml_node_t *map, const char *key,
        yaml_node_t **ret)
{
    yaml_node_t *n = yamldoc_get(l->d, map, key);

    *ret = NULL;
    if (!n || yamldoc_is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(l, n, "'%s' must be a list", key);
    *ret = n;
    return 0;
}

#define SEQ_FOREACH(l, seq, item)                                              \
    for (yaml_node_item_t *it_ = (seq) ? (seq)->data.sequence.items.start      \
                                       : NULL;                                 \
         (seq) && it_ < (seq)->data.sequence.items.top &&                      \
         ((item) = yamldoc_node((l)->d, *it_));                                \
         it_++)

/* A list of scalars from allowed into sv. */
static int
get_words(const struct loader *l, yaml_node_t *map, const char *key,
          const char *const *allowed, struct strv *sv)
{
    yaml_node_t *seq, *item;
    int r = get_seq(l, map, key, &seq);

    SEQ_FOREACH(l, seq, item)
    {
        if (allowed && !str_in(yamldoc_scalar(item), allowed))
            return fail(l, item, "'%s' cannot hold '%s'", key,
                        yamldoc_scalar(item) ? yamldoc_scalar(item) : "?");
        if (!yamldoc_scalar(item))
            return fail(l, item, "'%s' must list strings", key);
        strv_push(sv, yamldoc_scalar(item));
    }
    return r;
}

/* Relative, and never climbing out of the root. */
static int
check_relpath(const struct loader *l, yaml_node_t *n, const char *path)
{
    if (path[0] == '/' || strcmp(path, "..") == 0 ||
        strncmp(path, "../", 3) == 0 || strstr(path, "/../") ||
        (strlen(path) > 2 && strcmp(path + strlen(path) - 3, "/..") == 0))
        return fail(l, n, "path '%s' must stay below the root", path);
    return 0;
}

static int
load_type(const struct loader *l, yaml_node_t *n, struct fakesys_type *t)
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
    int r = check_keys(l, n, "type", keys);

    if (r == 0)
        r = get_str(l, n, "id", true, &t->id);
    if (r == 0)
        r = get_str(l, n, "name", false, &t->name);
    if (r == 0)
        r = get_str(l, n, "description", false, &t->description);
    if (r == 0)
        r = get_str(l, n, "available_instances", false, &t->available);
    if (r == 0)
        r = get_str(l, n, "max_instances", false, &max);
    if (r == 0)
        r = get_words(l, n, "omit", files, &t->omit);
    if (r == 0)
        r = get_str(l, n, "device_api", !strv_contains(&t->omit, "device_api"),
                    &t->device_api);
    if (r < 0)
        return r;
    t->max = MAX_UNSET;
    if (max && parse_uint(max, UINT_MAX - 1, &v) < 0)
        return fail(l, yamldoc_get(l->d, n, "max_instances"),
                    "max_instances '%s' is not a count", max);
    if (max)
        t->max = (unsigned)v;
    return 0;
}

static int
load_types(const struct loader *l, yaml_node_t *n, struct fakesys_parent *p)
{
    yaml_node_t *seq, *item;
    size_t cap = 0;
    int r = get_seq(l, n, "types", &seq);

    SEQ_FOREACH(l, seq, item)
    {
        struct fakesys_type *t;

        xgrow(&p->types, &cap, p->n_types, sizeof(*p->types));
        t = &p->types[p->n_types++];
        memset(t, 0, sizeof(*t));
        r = load_type(l, item, t);
        for (size_t i = 0; r == 0 && i + 1 < p->n_types; i++)
            if (strcmp(p->types[i].id, t->id) == 0)
                r = fail(l, item, "type '%s' listed twice", t->id);
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
load_model(const struct loader *l, yaml_node_t *n, struct fakesys_parent *p)
{
    static const char *const models[] = { "independent", "shared",
                                          "homogeneous", "sriov", NULL };
    _cleanup_free_ char *model = NULL, *err = NULL;
    int r = get_str(l, n, "capacity", false, &model);

    if (r == 0)
        r = get_str(l, n, "full_errno", false, &err);
    if (r < 0)
        return r;
    if (model && !str_in(model, models))
        return fail(l, yamldoc_get(l->d, n, "capacity"),
                    "capacity '%s' is none of independent, shared, "
                    "homogeneous, sriov",
                    model);
    for (size_t i = 0; model && models[i]; i++)
        if (strcmp(model, models[i]) == 0)
            p->capacity = (enum fakesys_capacity)i;
    if (p->capacity == FAKESYS_SRIOV && !p->physfn)
        return fail(l, n, "capacity sriov needs 'physfn'");
    p->full_errno = err ? 0 : ENOSPC;
    for (size_t i = 0; err && i < sizeof(errnos) / sizeof(errnos[0]); i++)
        if (strcmp(err, errnos[i].name) == 0)
            p->full_errno = errnos[i].value;
    if (!p->full_errno)
        return fail(l, yamldoc_get(l->d, n, "full_errno"),
                    "full_errno '%s' is not a known errno name", err);
    return 0;
}

static int
load_parent(const struct loader *l, yaml_node_t *n, struct fakesys_parent *p)
{
    static const char *const keys[] = { "name",       "path",   "bus",
                                        "driver",     "class",  "vendor",
                                        "device",     "physfn", "capacity",
                                        "full_errno", "omit",   "types",
                                        NULL };
    static const char *const parts[] = { "mdev_bus", "mdev_supported_types",
                                         NULL };
    struct pci_addr addr;
    int r = check_keys(l, n, "parent", keys);

    if (r == 0)
        r = get_str(l, n, "name", true, &p->name);
    if (r == 0)
        r = get_str(l, n, "path", true, &p->path);
    if (r == 0)
        r = check_relpath(l, yamldoc_get(l->d, n, "path"), p->path);
    if (r == 0)
        r = get_str(l, n, "bus", false, &p->bus);
    if (r == 0)
        r = get_str(l, n, "driver", false, &p->driver);
    if (r == 0)
        r = get_str(l, n, "class", false, &p->pci_class);
    if (r == 0)
        r = get_str(l, n, "vendor", false, &p->vendor);
    if (r == 0)
        r = get_str(l, n, "device", false, &p->device);
    if (r == 0)
        r = get_str(l, n, "physfn", false, &p->physfn);
    if (r == 0)
        r = get_words(l, n, "omit", parts, &p->omit);
    if (r == 0)
        r = load_model(l, n, p);
    if (r < 0)
        return r;
    if (!p->bus && pci_addr_parse(p->name, &addr) == 0)
        p->bus = xstrdup("pci");
    if (p->driver && !p->bus)
        return fail(l, n, "parent '%s' has a driver but no bus", p->name);
    return load_types(l, n, p);
}

static int
find_parent(const struct fakesys_host *h, const char *name, size_t *ret)
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
load_mdev(const struct loader *l, yaml_node_t *n, struct fakesys_mdev *m)
{
    static const char *const keys[] = { "uuid", "parent", "type", NULL };
    _cleanup_free_ char *uuid = NULL, *parent = NULL, *type = NULL;
    struct fakesys_host *h = l->h;
    int r = check_keys(l, n, "mdev", keys);

    if (r == 0)
        r = get_str(l, n, "uuid", true, &uuid);
    if (r == 0)
        r = get_str(l, n, "parent", true, &parent);
    if (r == 0)
        r = get_str(l, n, "type", true, &type);
    if (r < 0)
        return r;
    if (fakesys_uuid_normalize(uuid, m->uuid) < 0)
        return fail(l, n, "'%s' is not a UUID", uuid);
    for (size_t i = 0; i < h->n_mdevs; i++)
        if (strcmp(h->mdevs[i].uuid, m->uuid) == 0)
            return fail(l, n, "mdev %s listed twice", m->uuid);
    if (find_parent(h, parent, &m->parent) < 0)
        return fail(l, n, "mdev %s: no parent '%s'", m->uuid, parent);
    if (find_type(&h->parents[m->parent], type, &m->type) < 0)
        return fail(l, n, "mdev %s: parent '%s' has no type '%s'", m->uuid,
                    parent, type);
    return 0;
}

/* extra_files / extra_links: lists of {path, <second>} into sv pairs. */
static int
load_pairs(const struct loader *l, const char *key, const char *second,
           struct strv *sv)
{
    const char *keys[] = { "path", second, NULL };
    yaml_node_t *seq, *item;
    int r = get_seq(l, yamldoc_root(l->d), key, &seq);

    SEQ_FOREACH(l, seq, item)
    {
        _cleanup_free_ char *path = NULL, *value = NULL;

        r = check_keys(l, item, key, keys);
        if (r == 0)
            r = get_str(l, item, "path", true, &path);
        if (r == 0)
            r = get_str(l, item, second, true, &value);
        if (r == 0)
            r = check_relpath(l, item, path);
        if (r < 0)
            return r;
        strv_push(sv, path);
        strv_push(sv, value);
    }
    return r;
}

static int
load_parents(const struct loader *l)
{
    struct fakesys_host *h = l->h;
    yaml_node_t *seq, *item;
    size_t cap = 0, dup;
    int r = get_seq(l, yamldoc_root(l->d), "parents", &seq);

    SEQ_FOREACH(l, seq, item)
    {
        struct fakesys_parent *p;

        xgrow(&h->parents, &cap, h->n_parents, sizeof(*h->parents));
        p = &h->parents[h->n_parents];
        memset(p, 0, sizeof(*p));
        r = load_parent(l, item, p);
        h->n_parents++; /* freed with the host even when half-built */
        if (r == 0 && find_parent(h, p->name, &dup) == 0 &&
            dup + 1 < h->n_parents)
            r = fail(l, item, "parent '%s' listed twice", p->name);
        if (r < 0)
            return r;
    }
    return r;
}

static int
load_mdevs(const struct loader *l)
{
    struct fakesys_host *h = l->h;
    yaml_node_t *seq, *item;
    int r = get_seq(l, yamldoc_root(l->d), "mdevs", &seq);

    SEQ_FOREACH(l, seq, item)
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
static unsigned
count_on(const struct fakesys_host *h, size_t p, const char *id)
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
                v += count_on(h, p, t->id);
            t->max = (unsigned)(v < UINT_MAX ? v : 0);
        }
}

int
fakesys_host_load(const char *yaml_path, struct fakesys_host **ret,
                  struct errbuf *eb)
{
    static const char *const keys[] = { "description", "parents",
                                        "mdevs",       "extra_dirs",
                                        "extra_files", "extra_links",
                                        NULL };
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    _cleanup_(fakesys_host_freep) struct fakesys_host *h = NULL;
    struct loader l;
    int r = yamldoc_load_file(yaml_path, &d, eb);

    if (r < 0)
        return r;
    h = xcalloc(1, sizeof(*h));
    l = (struct loader){ .d = d, .h = h, .eb = eb };
    r = check_keys(&l, yamldoc_root(d), "host", keys);
    if (r == 0)
        r = get_str(&l, yamldoc_root(d), "description", false, &h->description);
    if (r == 0)
        r = load_parents(&l);
    if (r == 0)
        r = load_mdevs(&l);
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

/* ---- the capacity models ------------------------------------------------ */

static bool
same_pf(const struct fakesys_parent *a, const struct fakesys_parent *b)
{
    return a == b ||
           (a->physfn && b->physfn && strcmp(a->physfn, b->physfn) == 0);
}

/* SR-IOV: a VF holds one mdev; the PF runs one type, up to its max. */
static unsigned
available_sriov(const struct fakesys_host *h, size_t p, size_t t)
{
    const struct fakesys_parent *pa = &h->parents[p];
    const char *id = pa->types[t].id;
    unsigned used = 0;

    if (count_on(h, p, NULL) > 0)
        return 0;
    for (size_t i = 0; i < h->n_mdevs; i++) {
        const struct fakesys_parent *q = &h->parents[h->mdevs[i].parent];

        if (!same_pf(pa, q))
            continue;
        if (strcmp(q->types[h->mdevs[i].type].id, id) != 0)
            return 0;
        used++;
    }
    return used < pa->types[t].max ? 1 : 0;
}

/* Shared pool: each mdev of type T uses 1/max(T) of the parent. */
static unsigned
available_shared(const struct fakesys_host *h, size_t p, size_t t)
{
    const struct fakesys_parent *pa = &h->parents[p];
    double used = 0, left;

    for (size_t i = 0; i < h->n_mdevs; i++)
        if (h->mdevs[i].parent == p) {
            unsigned max = pa->types[h->mdevs[i].type].max;

            used += max ? 1.0 / max : 1.0;
        }
    left = (1.0 - used) * pa->types[t].max + 1e-9;
    return left > 0 ? (unsigned)left : 0;
}

unsigned
fakesys_host_available(const struct fakesys_host *h, size_t p, size_t t)
{
    const struct fakesys_type *ty = &h->parents[p].types[t];
    unsigned own = count_on(h, p, ty->id);

    switch (h->parents[p].capacity) {
    case FAKESYS_SRIOV:
        return available_sriov(h, p, t);
    case FAKESYS_SHARED:
        return available_shared(h, p, t);
    case FAKESYS_HOMOGENEOUS:
        if (count_on(h, p, NULL) > own)
            return 0;
        break;
    case FAKESYS_INDEPENDENT:
        break;
    }
    return own < ty->max ? ty->max - own : 0;
}

/* ---- the tree ------------------------------------------------------------ */

/* dir/rel holding value plus the newline sysfs ends values with. */
static int
write_attr(const char *dir, const char *rel, const char *value, mode_t mode,
           struct errbuf *eb)
{
    size_t n = strlen(value);
    _cleanup_free_ char *text = n == 0 || value[n - 1] == '\n'
                                    ? xstrdup(value)
                                    : xasprintf("%s\n", value);
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);
    int r = fstree_write(dir, rel, text, eb);

    if (r == 0 && chmod(path, mode) < 0)
        r = errbuf_set(eb, -errno, "chmod %s: %s", path, strerror(errno));
    return r;
}

/* link -> target (both below dir) the way sysfs writes links: up to the
 * common ancestor, then down. */
static int
write_link(const char *dir, const char *link, const char *target,
           struct errbuf *eb)
{
    size_t common = 0, up = 0;
    _cleanup_free_ char *rel = NULL;
    char *p;

    for (size_t i = 0; link[i] && link[i] == target[i]; i++)
        if (link[i] == '/')
            common = i + 1;
    for (const char *c = link + common; *c; c++)
        up += *c == '/';
    p = rel = xmalloc(2 + 3 * up + strlen(target + common));
    *p++ = '!'; /* fstree: store verbatim */
    for (size_t i = 0; i < up; i++, p += 3)
        memcpy(p, "../", 3);
    memcpy(p, target + common, strlen(target + common) + 1);
    return fstree_symlink(dir, link, rel, eb);
}

/* class, vendor, device, the bus and driver links of a device. */
static int
write_device(const char *dir, const struct fakesys_parent *p, const char *name,
             const char *path, struct errbuf *eb)
{
    const char *attr[] = { "class",   p->pci_class, "vendor",
                           p->vendor, "device",     p->device };
    _cleanup_free_ char *bus = p->bus ? xasprintf("bus/%s", p->bus) : NULL;
    _cleanup_free_ char *drv = NULL, *l1 = NULL, *l2 = NULL, *l3 = NULL;
    int r = fstree_mkdir_p(dir, path, eb);

    for (size_t i = 0; r == 0 && i < 6; i += 2) {
        _cleanup_free_ char *rel = xasprintf("%s/%s", path, attr[i]);

        if (attr[i + 1])
            r = write_attr(dir, rel, attr[i + 1], 0444, eb);
    }
    if (r < 0 || !bus)
        return r;
    l1 = xasprintf("%s/devices/%s", bus, name);
    l2 = xasprintf("%s/subsystem", path);
    r = write_link(dir, l1, path, eb);
    if (r == 0)
        r = write_link(dir, l2, bus, eb);
    if (r < 0 || !p->driver)
        return r;
    drv = xasprintf("%s/drivers/%s", bus, p->driver);
    l1 = (free(l1), xasprintf("%s/%s", drv, name));
    l3 = xasprintf("%s/driver", path);
    r = write_link(dir, l1, path, eb);
    return r < 0 ? r : write_link(dir, l3, drv, eb);
}

static int
write_type(const char *dir, const struct fakesys_host *h, size_t p, size_t t,
           struct errbuf *eb)
{
    const struct fakesys_parent *pa = &h->parents[p];
    const struct fakesys_type *ty = &pa->types[t];
    _cleanup_free_ char *avail =
        ty->available ? xstrdup(ty->available)
                      : xasprintf("%u", fakesys_host_available(h, p, t));
    const char *files[] = { "name",
                            ty->name,
                            "description",
                            ty->description,
                            "device_api",
                            ty->device_api,
                            "available_instances",
                            avail,
                            "create",
                            "" };
    _cleanup_free_ char *base =
        xasprintf("%s/mdev_supported_types/%s", pa->path, ty->id);
    _cleanup_free_ char *devs = xasprintf("%s/devices", base);
    int r = fstree_mkdir_p(dir, base, eb);

    for (size_t i = 0; r == 0 && i < 10; i += 2) {
        _cleanup_free_ char *rel = xasprintf("%s/%s", base, files[i]);

        if (files[i + 1] && !strv_contains(&ty->omit, files[i]))
            r = write_attr(dir, rel, files[i + 1], i == 8 ? 0200 : 0444, eb);
    }
    if (r == 0 && !strv_contains(&ty->omit, "devices"))
        r = fstree_mkdir_p(dir, devs, eb);
    return r;
}

static int
write_parent(const char *dir, const struct fakesys_host *h, size_t p,
             struct errbuf *eb)
{
    const struct fakesys_parent *pa = &h->parents[p];
    _cleanup_free_ char *cls = xasprintf("class/mdev_bus/%s", pa->name);
    _cleanup_free_ char *sup = xasprintf("%s/mdev_supported_types", pa->path);
    int r = write_device(dir, pa, pa->name, pa->path, eb);

    if (r == 0 && !strv_contains(&pa->omit, "mdev_bus"))
        r = write_link(dir, cls, pa->path, eb);
    if (strv_contains(&pa->omit, "mdev_supported_types"))
        return r;
    if (r == 0)
        r = fstree_mkdir_p(dir, sup, eb);
    for (size_t t = 0; r == 0 && t < pa->n_types; t++)
        r = write_type(dir, h, p, t, eb);
    return r;
}

/* Where a VF's PF lives: the parent of that name, else beside the VF. */
static char *
pf_path(const struct fakesys_host *h, const struct fakesys_parent *vf)
{
    const char *slash = strrchr(vf->path, '/');
    size_t i;

    if (find_parent(h, vf->physfn, &i) == 0)
        return xstrdup(h->parents[i].path);
    if (!slash)
        return xstrdup(vf->physfn);
    return xasprintf("%.*s/%s", (int)(slash - vf->path), vf->path, vf->physfn);
}

/* physfn on the VF, virtfnN on the PF (N by address among its VFs); the
 * first VF also writes a PF that is no parent, and the sriov_* counts. */
static int
write_vf(const char *dir, const struct fakesys_host *h, size_t p,
         struct errbuf *eb)
{
    const struct fakesys_parent *vf = &h->parents[p];
    _cleanup_free_ char *pf = pf_path(h, vf), *l1 = NULL, *l2 = NULL;
    _cleanup_free_ char *num = NULL, *f1 = NULL, *f2 = NULL;
    size_t rank = 0, total = 0, i;
    int r = 0;

    for (size_t q = 0; q < h->n_parents; q++) {
        total += same_pf(vf, &h->parents[q]);
        rank += same_pf(vf, &h->parents[q]) &&
                strcmp(h->parents[q].name, vf->name) < 0;
    }
    if (rank == 0 && find_parent(h, vf->physfn, &i) < 0)
        r = write_device(dir, vf, vf->physfn, pf, eb);
    num = xasprintf("%zu", total);
    f1 = xasprintf("%s/sriov_numvfs", pf);
    f2 = xasprintf("%s/sriov_totalvfs", pf);
    if (r == 0 && rank == 0)
        r = write_attr(dir, f1, num, 0644, eb);
    if (r == 0 && rank == 0)
        r = write_attr(dir, f2, num, 0444, eb);
    l1 = xasprintf("%s/physfn", vf->path);
    l2 = xasprintf("%s/virtfn%zu", pf, rank);
    if (r == 0)
        r = write_link(dir, l1, pf, eb);
    return r < 0 ? r : write_link(dir, l2, vf->path, eb);
}

int
fakesys_mdev_write(const struct fakesys_host *h, const char *dir, size_t i,
                   struct errbuf *eb)
{
    const struct fakesys_mdev *m = &h->mdevs[i];
    const struct fakesys_parent *pa = &h->parents[m->parent];
    const struct fakesys_type *ty = &pa->types[m->type];
    _cleanup_free_ char *md = xasprintf("%s/%s", pa->path, m->uuid);
    _cleanup_free_ char *type =
        xasprintf("%s/mdev_supported_types/%s", pa->path, ty->id);
    char *links[] = { xasprintf("%s/mdev_type", md),
                      type,
                      xasprintf("%s/subsystem", md),
                      "bus/mdev",
                      xasprintf("bus/mdev/devices/%s", m->uuid),
                      md,
                      xasprintf("%s/devices/%s", type, m->uuid),
                      md };
    _cleanup_free_ char *remove = xasprintf("%s/remove", md);
    int r = fstree_mkdir_p(dir, md, eb);

    if (r == 0)
        r = write_attr(dir, remove, "", 0200, eb);
    for (size_t k = 0; k < 8; k += 2) {
        if (r == 0 && (k < 6 || !strv_contains(&ty->omit, "devices")))
            r = write_link(dir, links[k], links[k + 1], eb);
        free(links[k]);
    }
    return r;
}

int
fakesys_refresh_available(const struct fakesys_host *h, const char *dir,
                          size_t p, struct errbuf *eb)
{
    int r = 0;

    for (size_t q = 0; r == 0 && q < h->n_parents; q++) {
        const struct fakesys_parent *pa = &h->parents[q];

        if (!same_pf(&h->parents[p], pa) ||
            strv_contains(&pa->omit, "mdev_supported_types"))
            continue;
        for (size_t t = 0; r == 0 && t < pa->n_types; t++) {
            _cleanup_free_ char *rel =
                xasprintf("%s/mdev_supported_types/%s/available_instances",
                          pa->path, pa->types[t].id);
            _cleanup_free_ char *v =
                xasprintf("%u", fakesys_host_available(h, q, t));

            if (!strv_contains(&pa->types[t].omit, "available_instances"))
                r = write_attr(dir, rel, v, 0444, eb);
        }
    }
    return r;
}

/* extra_dirs, extra_files and extra_links, replacing what is there. */
static int
write_extras(const char *dir, const struct fakesys_host *h, struct errbuf *eb)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < h->extra_dirs.n; i++)
        r = fstree_mkdir_p(dir, h->extra_dirs.v[i], eb);
    for (size_t i = 0; r == 0 && i + 1 < h->extra_files.n; i += 2) {
        _cleanup_free_ char *path =
            xasprintf("%s/%s", dir, h->extra_files.v[i]);

        unlink(path);
        r = fstree_write(dir, h->extra_files.v[i], h->extra_files.v[i + 1], eb);
    }
    for (size_t i = 0; r == 0 && i + 1 < h->extra_links.n; i += 2) {
        _cleanup_free_ char *path =
            xasprintf("%s/%s", dir, h->extra_links.v[i]);
        _cleanup_free_ char *target = xasprintf("!%s", h->extra_links.v[i + 1]);

        unlink(path);
        r = fstree_symlink(dir, h->extra_links.v[i], target, eb);
    }
    return r;
}

int
fakesys_host_write(const struct fakesys_host *h, const char *dir,
                   struct errbuf *eb)
{
    int r = 0;

    if (h->n_parents > 0) { /* the mdev core is loaded */
        r = fstree_mkdir_p(dir, "class/mdev_bus", eb);
        if (r == 0)
            r = fstree_mkdir_p(dir, "bus/mdev/devices", eb);
    }
    for (size_t p = 0; r == 0 && p < h->n_parents; p++)
        r = write_parent(dir, h, p, eb);
    for (size_t p = 0; r == 0 && p < h->n_parents; p++)
        if (h->parents[p].physfn)
            r = write_vf(dir, h, p, eb);
    for (size_t i = 0; r == 0 && i < h->n_mdevs; i++)
        r = fakesys_mdev_write(h, dir, i, eb);
    return r < 0 ? r : write_extras(dir, h, eb);
}

int
fakesys_materialize(const char *yaml_path, const char *dir, struct errbuf *eb)
{
    _cleanup_(fakesys_host_freep) struct fakesys_host *h = NULL;
    int r = fakesys_host_load(yaml_path, &h, eb);

    return r < 0 ? r : fakesys_host_write(h, dir, eb);
}

char *
fixture_host(const char *host)
{
    _cleanup_free_ char *rel = xasprintf("hosts/%s.yaml", host);
    _cleanup_free_ char *yaml = fixture_data_path(rel);
    char *dir = fixture_tmpdir();
    struct errbuf eb = { 0 };

    if (fakesys_materialize(yaml, dir, &eb) < 0) {
        fprintf(stderr, "fixture_host(%s): %s\n", host, eb.msg);
        fixture_rm_rf(dir);
        abort(); /* no Criterion here: test/fakesys links this too */
    }
    return dir;
}

/* ---- the live fake kernel: a `test/fakesys mount` child ------------------ */

struct fakesys_live {
    pid_t pid;
    char *dir; /* ours: mnt/ and backing/ */
    char *mnt;
};

const char *
fakesys_live_root(const struct fakesys_live *l)
{
    return l->mnt;
}

static char *
fakesys_binary(void)
{
    const char *b = getenv("VGPU_BUILDDIR");

    return xasprintf("%s/test/fakesys", b ? b : ".");
}

/* Wait up to ms for the child to exit; true when reaped. */
static bool
reap(pid_t pid, int ms, int *status)
{
    struct timespec tick = { 0, 10 * 1000 * 1000 };

    for (int waited = 0; waited <= ms; waited += 10) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return true;
        nanosleep(&tick, NULL);
    }
    return false;
}

/* The child's "ready" line, or -EIO with what became of it. */
static int
wait_ready(struct fakesys_live *l, int fd, struct errbuf *eb)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    char buf[16] = "";
    int status = 0;

    if (poll(&pfd, 1, 20000) == 1 && read(fd, buf, sizeof(buf) - 1) > 0 &&
        strncmp(buf, "ready", 5) == 0)
        return 0;
    kill(l->pid, SIGTERM);
    if (!reap(l->pid, 5000, &status)) {
        kill(l->pid, SIGKILL);
        waitpid(l->pid, &status, 0);
    }
    l->pid = 0;
    return errbuf_set(eb, -EIO, "fakesys mount %s: not ready (exit status %d)",
                      l->mnt, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int
fakesys_live_start(const char *yaml_path, struct fakesys_live **ret,
                   struct errbuf *eb)
{
    struct fakesys_live *l = xcalloc(1, sizeof(*l));
    _cleanup_free_ char *bin = fakesys_binary(), *backing = NULL;
    _cleanup_close_ int rfd = -1;
    char fdarg[16];
    int fds[2], r;
    pid_t parent = getpid();

    l->dir = fixture_tmpdir();
    l->mnt = xasprintf("%s/mnt", l->dir);
    backing = xasprintf("%s/backing", l->dir);
    if (mkdir(l->mnt, 0755) < 0 || mkdir(backing, 0755) < 0 ||
        pipe2(fds, O_CLOEXEC) < 0) {
        r = errbuf_set(eb, -errno, "%s: %s", l->dir, strerror(errno));
        fakesys_live_stop(l);
        return r;
    }
    rfd = fds[0];
    snprintf(fdarg, sizeof(fdarg), "%d", fds[1]);
    l->pid = fork();
    if (l->pid == 0) { /* dies with the test; fd stays open across exec */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent || fcntl(fds[1], F_SETFD, 0) < 0)
            _exit(127);
        execl(bin, "fakesys", "mount", "--ready-fd", fdarg, "--backing",
              backing, yaml_path, l->mnt, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    r = l->pid < 0 ? errbuf_set(eb, -errno, "fork: %s", strerror(errno))
                   : wait_ready(l, rfd, eb);
    if (r < 0) {
        fakesys_live_stop(l);
        return r;
    }
    *ret = l;
    return 0;
}

void
fakesys_live_stop(struct fakesys_live *l)
{
    int status;

    if (!l)
        return;
    if (l->pid > 0) {
        kill(l->pid, SIGTERM);
        if (!reap(l->pid, 5000, &status)) {
            kill(l->pid, SIGKILL);
            waitpid(l->pid, &status, 0);
        }
    }
    if (l->mnt && fixture_is_mounted(l->mnt))
        umount2(l->mnt, MNT_DETACH);
    fixture_rm_rf(l->dir);
    free(l->mnt);
    free(l->dir);
    free(l);
}
