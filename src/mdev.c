/*
 * mdev.c - parents, types and existing mdevs, read from sysfs.
 *
 * Policy-free: every parent and type the kernel shows is reported; deciding
 * which are GPUs and which type is enabled is the next stage's job.  Every
 * odd thing in the tree (missing or malformed file, dangling or escaping
 * link, unprintable name) costs only the type, parent or mdev it belongs to
 * and leaves one warning naming the path relative to the root; the tree may
 * change while we read it, so -ENOENT mid-scan is just such a warning.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "mdev.h"
#include "pathcomp.h"
#include "uuidstr.h"
#include "xalloc.h"

#define MDEV_NAME_MAX 255         /* ids, names, device_api, link basenames */
#define MDEV_DESCRIPTION_MAX 4096 /* multi-line descriptions */
#define MDEV_MSG_PATH_MAX 400

/* --- validating what sysfs hands us --------------------------------------- */

/* Length of the valid, non-C1 UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s)
{
    unsigned cp;
    size_t n;

    if (s[0] < 0x80)
        return 1;
    if (s[0] < 0xc2 || s[0] > 0xf4)
        return 0;
    n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    cp = s[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
        return 0;
    return n;
}

/* Why s is not acceptable text, or NULL if it is. */
static const char *
text_problem(const char *s, size_t max, bool multiline)
{
    const unsigned char *p = (const unsigned char *)s;

    if (*p == '\0')
        return "is empty";
    if (strlen(s) > max)
        return max == MDEV_NAME_MAX ? "is longer than 255 bytes"
                                    : "is too long";
    while (*p) {
        size_t n = utf8_len(p);

        if (n == 0)
            return "is not valid UTF-8";
        if (n == 1 && (*p < 0x20 || *p == 0x7f) &&
            !(multiline && (*p == '\n' || *p == '\t')))
            return "contains a non-printable character";
        p += n;
    }
    return NULL;
}

/* Why s cannot be a path component we name things by, or NULL: bad text
 * said as for any attribute, then the one rule of pathcomp.h. */
static const char *
name_problem(const char *s)
{
    const char *why = text_problem(s, MDEV_NAME_MAX, false);

    return why ? why : pathcomp_problem(s);
}

/* errbuf_set() with "<rel, escaped>: <fmt ...>". */
static int __attribute__((format(printf, 4, 5)))
fail(struct errbuf *eb, int code, const char *rel, const char *fmt, ...)
{
    _cleanup_free_ char *erel = sysfs_escape(rel, MDEV_MSG_PATH_MAX);
    _cleanup_free_ char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = xvasprintf(fmt, ap);
    va_end(ap);
    return errbuf_set(eb, code, "%s: %s", erel, what);
}

static const char *
path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* Read rel as text (max bytes, multiline or not).  -ENOENT passes through
 * for optional attributes; bad text is -EINVAL. */
static int
read_text(const struct sysfs *fs, const char *rel, size_t max, bool multiline,
          char **ret, struct errbuf *eb)
{
    _cleanup_free_ char *s = NULL;
    const char *why;
    int r = sysfs_read_str(fs, rel, &s, eb);

    if (r < 0)
        return r;
    why = text_problem(s, max, multiline);
    if (why) {
        _cleanup_free_ char *q = sysfs_escape(s, 64);

        return fail(eb, -EINVAL, rel, "value %s: \"%s\"", why, q);
    }
    *ret = TAKE_PTR(s);
    return 0;
}

/* Basename of what the link rel resolves to, checked as a name. */
static int
read_link_name(const struct sysfs *fs, const char *rel, char **ret,
               struct errbuf *eb)
{
    _cleanup_free_ char *path = NULL;
    const char *base, *why;
    int r = sysfs_resolve(fs, rel, &path, eb);

    if (r < 0)
        return r;
    base = path_basename(path);
    why = name_problem(base);
    if (why)
        return fail(eb, -EINVAL, rel, "link target name %s", why);
    *ret = xstrdup(base);
    return 0;
}

/* --- types ------------------------------------------------------------------
 */

static void
type_clear(struct mdev_type *t)
{
    free(t->id);
    free(t->name);
    free(t->description);
    free(t->device_api);
    typedesc_clear(&t->desc);
    memset(t, 0, sizeof(*t));
}

/* An optional attribute: absent is fine (*ret stays NULL). */
static int
read_optional(const struct sysfs *fs, const char *dir, const char *attr,
              size_t max, bool multiline, char **ret, struct errbuf *eb)
{
    _cleanup_free_ char *rel = xasprintf("%s/%s", dir, attr);
    int r = read_text(fs, rel, max, multiline, ret, eb);

    if (r == -ENOENT && !sysfs_lexists(fs, rel)) {
        errbuf_clear(eb);
        return 0;
    }
    return r;
}

static int
read_type(const struct sysfs *fs, const char *dir, const char *id,
          struct mdev_type *t, struct errbuf *eb)
{
    _cleanup_free_ char *avail = xasprintf("%s/available_instances", dir);
    _cleanup_free_ char *api = xasprintf("%s/device_api", dir);
    const char *why = name_problem(id);
    int r;

    if (why)
        return fail(eb, -EINVAL, dir, "type id %s", why);
    t->id = xstrdup(id);
    r = sysfs_read_uint(fs, avail, &t->available, eb);
    if (r < 0)
        return r;
    r = read_text(fs, api, MDEV_NAME_MAX, false, &t->device_api, eb);
    if (r < 0)
        return r;
    r = read_optional(fs, dir, "name", MDEV_NAME_MAX, false, &t->name, eb);
    if (r < 0)
        return r;
    if (!t->name)
        t->name = xstrdup(id);
    r = read_optional(fs, dir, "description", MDEV_DESCRIPTION_MAX, true,
                      &t->description, eb);
    if (r < 0)
        return r;
    typedesc_parse(t->description, &t->desc);
    return 0;
}

/* Read every type of the parent at rel; bad ones become warnings. */
static int
scan_types(const struct sysfs *fs, const char *rel, struct mdev_parent *p,
           struct strv *warnings, struct errbuf *eb)
{
    _cleanup_free_ char *types = xasprintf("%s/mdev_supported_types", rel);
    struct strv ids = { 0 };
    size_t cap = 0;
    int r = sysfs_list(fs, types, &ids, eb);

    for (size_t i = 0; r == 0 && i < ids.n; i++) {
        _cleanup_free_ char *dir = xasprintf("%s/%s", types, ids.v[i]);
        struct mdev_type t = { 0 };
        struct errbuf teb = { 0 };

        if (read_type(fs, dir, ids.v[i], &t, &teb) < 0) {
            strv_push(warnings, teb.msg);
            type_clear(&t);
            continue;
        }
        xgrow(&p->types, &cap, p->n_types, sizeof(*p->types));
        p->types[p->n_types++] = t;
    }
    strv_clear(&ids);
    return r;
}

/* --- parents ----------------------------------------------------------------
 */

static void
parent_clear(struct mdev_parent *p)
{
    free(p->name);
    free(p->path);
    free(p->driver);
    for (size_t i = 0; i < p->n_types; i++)
        type_clear(&p->types[i]);
    free(p->types);
    memset(p, 0, sizeof(*p));
}

/* The PCI "class" attribute: "0x030000" (24 bits). */
static int
read_pci_class(const struct sysfs *fs, const char *rel, unsigned *ret,
               struct errbuf *eb)
{
    _cleanup_free_ char *path = xasprintf("%s/class", rel);
    _cleanup_free_ char *s = NULL;
    size_t digits;
    int r = sysfs_read_str(fs, path, &s, eb);

    if (r < 0)
        return r;
    digits = strlen(s) < 2 ? 0 : strspn(s + 2, "0123456789abcdefABCDEF");
    if (strncmp(s, "0x", 2) != 0 || digits == 0 || digits > 6 ||
        s[2 + digits] != '\0') {
        _cleanup_free_ char *q = sysfs_escape(s, 64);

        return fail(eb, -EINVAL, path, "not a PCI class: \"%s\"", q);
    }
    *ret = (unsigned)strtoul(s + 2, NULL, 16);
    return 0;
}

static int
read_physfn(const struct sysfs *fs, const char *rel, struct mdev_parent *p,
            struct errbuf *eb)
{
    _cleanup_free_ char *link = xasprintf("%s/physfn", rel);
    _cleanup_free_ char *pf = NULL;
    int r;

    if (!sysfs_lexists(fs, link))
        return 0;
    r = read_link_name(fs, link, &pf, eb);
    if (r < 0)
        return r;
    if (pci_addr_parse(pf, &p->physfn) < 0)
        return fail(eb, -EINVAL, link, "not a PCI address: \"%s\"", pf);
    p->is_vf = true;
    return 0;
}

/* Everything about the device behind rel except its types. */
static int
read_parent_device(const struct sysfs *fs, const char *rel,
                   struct mdev_parent *p, struct errbuf *eb)
{
    _cleanup_free_ char *driver = xasprintf("%s/driver", rel);
    int r = sysfs_resolve(fs, rel, &p->path, eb);

    if (r < 0)
        return r;
    p->is_pci = pci_addr_parse(p->name, &p->addr) == 0 &&
                strncmp(p->path, "devices/pci", 11) == 0;
    if (p->is_pci) {
        r = read_pci_class(fs, rel, &p->pci_class, eb);
        if (r < 0)
            return r;
    }
    if (sysfs_lexists(fs, driver)) {
        r = read_link_name(fs, driver, &p->driver, eb);
        if (r < 0)
            return r;
    }
    return read_physfn(fs, rel, p, eb);
}

static const struct mdev_parent *
find_parent_by_path(const struct mdev_host *h, const char *path)
{
    for (size_t i = 0; i < h->n_parents; i++)
        if (strcmp(h->parents[i].path, path) == 0)
            return &h->parents[i];
    return NULL;
}

struct scan {
    const struct sysfs *fs;
    struct mdev_host *h;
    size_t cap_parents;
    size_t cap_mdevs;
};

static int
read_parent(struct scan *s, const char *rel, const char *name,
            struct mdev_parent *p, struct errbuf *eb)
{
    const char *why = name_problem(name);
    const struct mdev_parent *dup;
    struct strv warnings = { 0 };
    int r;

    if (why)
        return fail(eb, -EINVAL, rel, "parent name %s", why);
    p->name = xstrdup(name);
    r = read_parent_device(s->fs, rel, p, eb);
    if (r < 0)
        return r;
    dup = find_parent_by_path(s->h, p->path);
    if (dup)
        return fail(eb, -EEXIST, rel, "same device as parent %s", dup->name);
    r = scan_types(s->fs, rel, p, &warnings, eb);
    /* Unplugged while its types were read: some of them are missing, and
     * a GPU with part of its types could get another type, inventory and
     * traits.  It is gone: say that once instead. */
    if (r == 0 && !sysfs_exists(s->fs, rel))
        r = fail(eb, -ENODEV, rel, "vanished during the scan");
    if (r == 0)
        strv_copy(&s->h->warnings, &warnings);
    strv_clear(&warnings);
    return r;
}

static void
scan_parent(struct scan *s, const char *dir, const char *name)
{
    _cleanup_free_ char *rel = xasprintf("%s/%s", dir, name);
    struct mdev_parent p = { 0 };
    struct errbuf eb = { 0 };

    if (read_parent(s, rel, name, &p, &eb) < 0) {
        strv_push(&s->h->warnings, eb.msg);
        parent_clear(&p);
        return;
    }
    xgrow(&s->h->parents, &s->cap_parents, s->h->n_parents,
          sizeof(*s->h->parents));
    s->h->parents[s->h->n_parents++] = p;
}

/* Names in dir, or none with a warning if it cannot be listed. */
static void
list_or_warn(struct scan *s, const char *dir, struct strv *ret)
{
    struct errbuf eb = { 0 };

    if (sysfs_list(s->fs, dir, ret, &eb) < 0)
        strv_push(&s->h->warnings, eb.msg);
}

static void
scan_parents(struct scan *s)
{
    struct strv names = { 0 };

    if (sysfs_exists(s->fs, "class/mdev_bus")) {
        list_or_warn(s, "class/mdev_bus", &names);
        for (size_t i = 0; i < names.n; i++)
            scan_parent(s, "class/mdev_bus", names.v[i]);
    } else if (sysfs_exists(s->fs, "bus/pci/devices")) {
        /* The kernel only warns when it cannot make the class link. */
        list_or_warn(s, "bus/pci/devices", &names);
        for (size_t i = 0; i < names.n; i++) {
            _cleanup_free_ char *types = xasprintf(
                "bus/pci/devices/%s/mdev_supported_types", names.v[i]);

            if (sysfs_lexists(s->fs, types))
                scan_parent(s, "bus/pci/devices", names.v[i]);
        }
    }
    strv_clear(&names);
}

/* --- existing mdevs ---------------------------------------------------------
 */

static void
mdev_clear(struct mdev_device *m)
{
    free(m->parent);
    free(m->type_id);
    memset(m, 0, sizeof(*m));
}

static int
read_mdev(const struct sysfs *fs, const struct mdev_host *h, const char *rel,
          const char *name, struct mdev_device *m, struct errbuf *eb)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_free_ char *type = xasprintf("%s/mdev_type", rel);
    const struct mdev_parent *p;
    char *slash;
    int r;

    if (uuidstr_lower(name, m->uuid) < 0)
        return fail(eb, -EINVAL, rel, "not a UUID");
    r = sysfs_resolve(fs, rel, &path, eb);
    if (r < 0)
        return r;
    slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    p = slash ? find_parent_by_path(h, path) : NULL;
    if (!p) {
        _cleanup_free_ char *q = sysfs_escape(slash ? path : ".", 400);

        return fail(eb, -ENODEV, rel, "parent device %s is not an mdev parent",
                    q);
    }
    r = read_link_name(fs, type, &m->type_id, eb);
    if (r < 0)
        return r;
    m->parent = xstrdup(p->name);
    return 0;
}

static void
scan_mdev(struct scan *s, const char *name)
{
    _cleanup_free_ char *rel = xasprintf("bus/mdev/devices/%s", name);
    struct mdev_device m = { 0 };
    struct errbuf eb = { 0 };

    if (read_mdev(s->fs, s->h, rel, name, &m, &eb) < 0) {
        strv_push(&s->h->warnings, eb.msg);
        mdev_clear(&m);
        return;
    }
    xgrow(&s->h->mdevs, &s->cap_mdevs, s->h->n_mdevs, sizeof(*s->h->mdevs));
    s->h->mdevs[s->h->n_mdevs++] = m;
}

static void
scan_mdevs(struct scan *s)
{
    struct strv names = { 0 };

    if (!sysfs_exists(s->fs, "bus/mdev/devices"))
        return;
    list_or_warn(s, "bus/mdev/devices", &names);
    for (size_t i = 0; i < names.n; i++)
        scan_mdev(s, names.v[i]);
    strv_clear(&names);
}

/* --- order and the public entry points -------------------------------------
 */

static int
parent_cmp(const void *a, const void *b)
{
    const struct mdev_parent *x = a, *y = b;

    return pci_device_cmp(x->is_pci, &x->addr, x->name, y->is_pci, &y->addr,
                          y->name);
}

static int
mdev_cmp(const void *a, const void *b)
{
    const struct mdev_device *x = a, *y = b;

    return strcmp(x->uuid, y->uuid);
}

/* Sort the mdevs; the same UUID twice (names differing in case) keeps the
 * first with a warning. */
static void
sort_mdevs(struct mdev_host *h)
{
    size_t out = 0;

    if (h->n_mdevs > 0)
        qsort(h->mdevs, h->n_mdevs, sizeof(*h->mdevs), mdev_cmp);
    for (size_t i = 0; i < h->n_mdevs; i++) {
        if (out > 0 && strcmp(h->mdevs[out - 1].uuid, h->mdevs[i].uuid) == 0) {
            strv_pushf(&h->warnings, "bus/mdev/devices/%s: listed twice",
                       h->mdevs[i].uuid);
            mdev_clear(&h->mdevs[i]);
            continue;
        }
        h->mdevs[out++] = h->mdevs[i];
    }
    h->n_mdevs = out;
}

int
mdev_scan(const struct sysfs *fs, struct mdev_host **ret, struct errbuf *eb)
{
    _cleanup_(mdev_host_freep) struct mdev_host *h = xcalloc(1, sizeof(*h));
    struct scan s = { .fs = fs, .h = h };
    struct strv top = { 0 };
    int r = sysfs_list(fs, ".", &top, eb);

    strv_clear(&top);
    if (r < 0)
        return errbuf_prefix(eb, "sysfs root %s", sysfs_root(fs));
    h->has_mdev_info =
        sysfs_exists(fs, "class/mdev_bus") || sysfs_exists(fs, "bus/mdev");
    scan_parents(&s);
    if (h->n_parents > 0)
        qsort(h->parents, h->n_parents, sizeof(*h->parents), parent_cmp);
    scan_mdevs(&s);
    sort_mdevs(h);
    *ret = TAKE_PTR(h);
    return 0;
}

void
mdev_host_free(struct mdev_host *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_parents; i++)
        parent_clear(&h->parents[i]);
    free(h->parents);
    for (size_t i = 0; i < h->n_mdevs; i++)
        mdev_clear(&h->mdevs[i]);
    free(h->mdevs);
    strv_clear(&h->warnings);
    free(h);
}
