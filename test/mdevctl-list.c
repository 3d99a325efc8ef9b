/*
 * mdevctl-list.c - the tests' reading of an mdevctl definition directory.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "mdevctl-list.h"
#include "pathcomp.h"
#include "sysfs.h"
#include "testproc.h"
#include "xalloc.h"

#define LIST_FILE_MAX 65536 /* a definition is ~70 bytes */
#define LIST_QUOTE_MAX 200

struct listing {
    const char *dir;
    struct mdevctl_def *v;
    size_t n, cap;
    struct strv *warnings;
};

/* "<dir>/<parent>[/<file>]: why", names escaped. */
static void
warn(struct listing *l, const char *parent, const char *file, const char *why)
{
    _cleanup_free_ char *d = sysfs_escape(l->dir, LIST_QUOTE_MAX);
    _cleanup_free_ char *p = sysfs_escape(parent, LIST_QUOTE_MAX);
    _cleanup_free_ char *f = file ? sysfs_escape(file, LIST_QUOTE_MAX) : NULL;

    if (l->warnings)
        strv_pushf(l->warnings, "%s/%s%s%s: %s", d, p, f ? "/" : "", f ? f : "",
                   why);
}

/* The entries of path but "." and "..", sorted; -errno if unreadable. */
static int
names_in(const char *path, struct strv *ret)
{
    DIR *d = opendir(path);
    const struct dirent *e;

    if (!d)
        return -errno;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            strv_push(ret, e->d_name);
    closedir(d);
    strv_sort_uniq(ret);
    return 0;
}

/* Why the "attrs" value is not a list of one-string-member objects. */
static const char *
attrs_problem(const cJSON *attrs)
{
    const cJSON *a;

    if (!cJSON_IsArray(attrs))
        return "\"attrs\" is not a list";
    cJSON_ArrayForEach(a, attrs) {
        if (!cJSON_IsObject(a) || cJSON_GetArraySize(a) != 1 ||
            !cJSON_IsString(a->child))
            return "\"attrs\" entry is not {\"name\": \"value\"}";
    }
    return NULL;
}

/* What mdevctl makes of text: d filled, or why it would not list it. */
static const char *
def_problem(const cJSON *j, struct mdevctl_def *d)
{
    const cJSON *type, *start, *attrs;
    const char *why;

    if (!j)
        return "not JSON";
    if (!cJSON_IsObject(j))
        return "not a JSON object";
    type = cJSON_GetObjectItemCaseSensitive(j, "mdev_type");
    start = cJSON_GetObjectItemCaseSensitive(j, "start");
    attrs = cJSON_GetObjectItemCaseSensitive(j, "attrs");
    if (!cJSON_IsString(type) || pathcomp_problem(type->valuestring))
        return "\"mdev_type\" is missing or not a type name";
    if (!cJSON_IsString(start) || (strcmp(start->valuestring, "auto") != 0 &&
                                   strcmp(start->valuestring, "manual") != 0))
        return "\"start\" is not \"auto\" or \"manual\"";
    if (attrs && (why = attrs_problem(attrs)))
        return why;
    d->mdev_type = xstrdup(type->valuestring);
    d->autostart = strcmp(start->valuestring, "auto") == 0;
    d->n_attrs = attrs ? (size_t)cJSON_GetArraySize(attrs) : 0;
    return NULL;
}

/* <dir>/<parent>/<name>: one definition, one warning or nothing. */
static void
list_file(struct listing *l, const char *parent, const char *name)
{
    _cleanup_free_ char *path = xasprintf("%s/%s/%s", l->dir, parent, name);
    _cleanup_free_ char *text = NULL;
    struct mdevctl_def d = { 0 };
    const char *why;
    struct stat st;
    cJSON *j;

    if (!uuidstr_is_lower(name))
        why = "not a lower-case UUID (mdevctl cannot undefine it), skipped";
    else if (lstat(path, &st) < 0)
        why = strerror(errno);
    else if (S_ISLNK(st.st_mode))
        why = "a symlink, not followed";
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_size > LIST_FILE_MAX)
        why = "larger than 64 KiB";
    else
        why = NULL;
    if (why) {
        warn(l, parent, name, why);
        return;
    }
    text = testproc_read_file(path);
    j = cJSON_ParseWithOpts(text, NULL, true); /* no trailing junk */
    why = def_problem(j, &d);
    cJSON_Delete(j);
    if (why) {
        warn(l, parent, name, why);
        return;
    }
    memcpy(d.uuid, name, sizeof(d.uuid));
    d.parent = xstrdup(parent);
    xgrow(&l->v, &l->cap, l->n, sizeof(*l->v));
    l->v[l->n++] = d;
}

/* Every definition below <dir>/<parent>, never through a symlink. */
static void
list_parent(struct listing *l, const char *parent)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", l->dir, parent);
    struct strv names = { 0 };
    const char *why = pathcomp_problem(parent);
    struct stat st = { 0 };
    int r;

    if (!why && lstat(path, &st) < 0)
        why = strerror(errno);
    if (!why && S_ISLNK(st.st_mode))
        why = "is a symlink, refusing to follow it";
    if (!why && !S_ISDIR(st.st_mode))
        why = strerror(ENOTDIR);
    if (why) {
        warn(l, parent, NULL, why);
        return;
    }
    r = names_in(path, &names);
    if (r < 0)
        warn(l, parent, NULL, strerror(-r));
    for (size_t i = 0; i < names.n; i++)
        if (names.v[i][0] != '.')
            list_file(l, parent, names.v[i]);
    strv_clear(&names);
}

static int
def_cmp(const void *a, const void *b)
{
    const struct mdevctl_def *x = a, *y = b;
    int c = strcmp(x->parent, y->parent);

    return c ? c : strcmp(x->uuid, y->uuid);
}

int
mdevctl_list(const char *dir, struct mdevctl_def **ret, size_t *n,
             struct strv *warnings, struct errbuf *eb)
{
    struct listing l = { .dir = dir, .warnings = warnings };
    struct strv parents = { 0 };
    int r = names_in(dir, &parents);

    if (r == -ENOENT) {
        *ret = NULL;
        *n = 0;
        return 0;
    }
    if (r < 0)
        return errbuf_set(eb, r, "%s: %s", dir, strerror(-r));
    for (size_t i = 0; i < parents.n; i++)
        if (parents.v[i][0] != '.' && strcmp(parents.v[i], "scripts.d") != 0)
            list_parent(&l, parents.v[i]);
    strv_clear(&parents);
    if (l.n)
        qsort(l.v, l.n, sizeof(*l.v), def_cmp);
    *ret = l.v;
    *n = l.n;
    return (int)l.n;
}

void
mdevctl_defs_free(struct mdevctl_def *d, size_t n)
{
    if (!d)
        return;
    for (size_t i = 0; i < n; i++) {
        free(d[i].parent);
        free(d[i].mdev_type);
    }
    free(d);
}
