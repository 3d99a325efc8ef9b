/*
 * mdevctl.c - persistent mdev definitions, written as mdevctl writes them.
 *
 * Everything below <dir> is reached with openat() on directory fds opened
 * O_NOFOLLOW, so a symlink planted as <dir>/<parent> or <dir>/<parent>/<uuid>
 * is never followed: writes refuse it, reads warn about it.  A definition is
 * replaced whole (atomicfile.h), so mdevctl at boot sees the old file or the
 * new one, never half of one.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomicfile.h"
#include "cleanup.h"
#include "mdevctl.h"
#include "pathcomp.h"
#include "sysfs.h"
#include "uuidstr.h"
#include "xalloc.h"

#define MDEVCTL_FILE_MAX 65536 /* a definition is ~70 bytes */
#define MDEVCTL_DEFS_MAX 65536 /* more is not a host, it is an attack */
#define MDEVCTL_MSG_MAX 200    /* bytes of a name quoted in a message */
#define MDEVCTL_SCRIPTS "scripts.d"

/* --- names -----------------------------------------------------------------
 */

/* s as a lower-case UUID in ret; -EINVAL (message quoting s) otherwise. */
static int
check_uuid(const char *s, char ret[UUIDSTR_LEN], struct errbuf *eb)
{
    if (uuidstr_lower(s, ret) < 0) {
        _cleanup_free_ char *q = sysfs_escape(s ? s : "", MDEVCTL_MSG_MAX);

        return errbuf_set(eb, -EINVAL, "uuid \"%s\": not a UUID", q);
    }
    return 0;
}

/* --- the file --------------------------------------------------------------
 */

/* s as a JSON string body the way serde_json writes it ('"' and '\\'
 * escaped; names never hold control characters). */
static char *
json_quote(const char *s)
{
    char *out = xmalloc(2 * strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

/* What `mdevctl define --auto` 1.2.0 writes, byte for byte. */
static char *
render(const char *mdev_type)
{
    _cleanup_free_ char *q = json_quote(mdev_type);

    return xasprintf("{\n  \"mdev_type\": \"%s\",\n  \"start\": \"auto\",\n"
                     "  \"attrs\": []\n}",
                     q);
}

/* Read regular file name below dfd (never through a symlink) into *ret.
 * Returns 0, -ELOOP for a symlink, -EBADFD for anything not a regular
 * file, -EFBIG above the cap, or -errno. */
static int
read_def(int dfd, const char *name, char **ret)
{
    _cleanup_close_ int fd = openat(
        dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    _cleanup_free_ char *buf = NULL;
    struct stat st;
    size_t len = 0;
    ssize_t k;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EBADFD;
    if (st.st_size > MDEVCTL_FILE_MAX)
        return -EFBIG;
    buf = xmalloc(MDEVCTL_FILE_MAX + 2);
    while ((k = read(fd, buf + len, MDEVCTL_FILE_MAX + 1 - len)) > 0)
        len += (size_t)k;
    if (k < 0)
        return -errno;
    if (len > MDEVCTL_FILE_MAX)
        return -EFBIG;
    buf[len] = '\0';
    *ret = TAKE_PTR(buf);
    return 0;
}

static const char *
read_problem(int r)
{
    switch (r) {
    case -ELOOP:
        return "a symlink, not followed";
    case -EBADFD:
        return "not a regular file";
    case -EFBIG:
        return "larger than 64 KiB";
    default:
        return strerror(-r);
    }
}

/* --- directories ------------------------------------------------------------
 */

/* <dir>/<rel> for messages, names escaped. */
static char *
where(const char *dir, const char *parent, const char *file)
{
    _cleanup_free_ char *d = sysfs_escape(dir, MDEVCTL_MSG_MAX);
    _cleanup_free_ char *p =
        parent ? sysfs_escape(parent, MDEVCTL_MSG_MAX) : NULL;
    _cleanup_free_ char *f = file ? sysfs_escape(file, MDEVCTL_MSG_MAX) : NULL;

    return xasprintf("%s%s%s%s%s", d, p ? "/" : "", p ? p : "", f ? "/" : "",
                     f ? f : "");
}

static int
fail(struct errbuf *eb, int r, const char *dir, const char *parent,
     const char *file, const char *why)
{
    _cleanup_free_ char *w = where(dir, parent, file);

    return errbuf_set(eb, r, "%s: %s", w, why ? why : strerror(-r));
}

/* Open <dir> itself (an administrator's setting: followed if a link),
 * creating it (0755) when create is set. */
static int
open_top(const char *dir, bool create, int *ret, struct errbuf *eb)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT && create) {
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return fail(eb, -errno, dir, NULL, NULL, NULL);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0)
        return fail(eb, -errno, dir, NULL, NULL, NULL);
    *ret = fd;
    return 0;
}

/* Open <dir>/<parent> below topfd, never through a symlink; with create,
 * make it 0755 (whatever the umask) when missing. */
static int
open_parent(int topfd, const char *dir, const char *parent, bool create,
            int *ret, struct errbuf *eb)
{
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    bool made = false;
    struct stat st;
    int fd, r;

    if (create) {
        made = mkdirat(topfd, parent, 0755) == 0;
        if (!made && errno != EEXIST)
            return fail(eb, -errno, dir, parent, NULL, NULL);
    }
    fd = openat(topfd, parent, flags);
    if (fd >= 0 && made && fchmod(fd, 0755) < 0) { /* whatever the umask */
        r = -errno;
        close(fd);
        return fail(eb, r, dir, parent, NULL, NULL);
    }
    if (fd >= 0) {
        *ret = fd;
        return 0;
    }
    r = -errno;
    if ((r == -ELOOP || r == -ENOTDIR) &&
        fstatat(topfd, parent, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        return fail(eb, -ELOOP, dir, parent, NULL,
                    "is a symlink, refusing to follow it");
    return fail(eb, r, dir, parent, NULL, NULL);
}

int
mdevctl_write(const char *dir, const char *parent, const char *uuid,
              const char *mdev_type, struct errbuf *eb)
{
    _cleanup_close_ int topfd = -1, pfd = -1;
    _cleanup_free_ char *want = NULL, *have = NULL, *w = NULL;
    char id[UUIDSTR_LEN];
    int r;

    if ((r = pathcomp_check("parent", parent, eb)) < 0 ||
        (r = check_uuid(uuid, id, eb)) < 0 ||
        (r = pathcomp_check("mdev_type", mdev_type, eb)) < 0)
        return r;
    r = open_top(dir, true, &topfd, eb);
    if (r < 0)
        return r;
    r = open_parent(topfd, dir, parent, true, &pfd, eb);
    if (r < 0)
        return r;
    want = render(mdev_type);
    if (read_def(pfd, id, &have) == 0 && strcmp(have, want) == 0)
        return 0;
    w = where(dir, parent, NULL);
    r = atomicfile_replaceat(pfd, w, id, want, strlen(want), 0644, eb);
    return r < 0 ? r : 1;
}

int
mdevctl_remove(const char *dir, const char *parent, const char *uuid,
               struct errbuf *eb)
{
    _cleanup_close_ int topfd = -1, pfd = -1;
    char id[UUIDSTR_LEN];
    int r;

    if ((r = pathcomp_check("parent", parent, eb)) < 0 ||
        (r = check_uuid(uuid, id, eb)) < 0)
        return r;
    r = open_top(dir, false, &topfd, eb);
    if (r < 0)
        return r;
    r = open_parent(topfd, dir, parent, false, &pfd, eb);
    if (r < 0)
        return r;
    if (unlinkat(pfd, id, 0) < 0)
        return fail(eb, -errno, dir, parent, id, NULL);
    if (fsync(pfd) < 0)
        return fail(eb, -errno, dir, parent, NULL, NULL);
    return 0;
}

/* --- listing ----------------------------------------------------------------
 */

struct defs {
    struct mdevctl_def *v;
    size_t n, cap;
};

/* Why the attrs value is not mdevctl's list of one-string-member objects. */
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

static void
json_freep(cJSON **j)
{
    cJSON_Delete(*j);
}

/* Parse text into d (parent and uuid already set); the reason otherwise. */
static const char *
parse_def(const char *text, struct mdevctl_def *d)
{
    _cleanup_(json_freep) cJSON *j = NULL;
    const cJSON *type, *start, *attrs;
    const char *why;

    j = cJSON_ParseWithOpts(text, NULL, true);
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

static void
warn(struct strv *w, const char *dir, const char *parent, const char *file,
     const char *why)
{
    _cleanup_free_ char *path = where(dir, parent, file);

    if (w)
        strv_pushf(w, "%s: %s", path, why);
}

/* Directory entries of fd except "." and "..", sorted. */
static int
read_names(int fd, struct strv *ret)
{
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
    const struct dirent *e;

    if (!d) {
        int r = -errno;

        if (dup_fd >= 0)
            close(dup_fd);
        return r;
    }
    while ((errno = 0, e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            strv_push(ret, e->d_name);
    if (errno) {
        int r = -errno;

        closedir(d);
        return r;
    }
    closedir(d);
    strv_sort_uniq(ret);
    return 0;
}

/* One file <dir>/<parent>/<name>: a definition, a warning or nothing. */
static void
list_one(int pfd, const char *dir, const char *parent, const char *name,
         struct defs *out, struct strv *w)
{
    _cleanup_free_ char *text = NULL;
    struct mdevctl_def d = { 0 };
    const char *why;
    int r;

    if (!uuidstr_is_lower(name)) {
        warn(w, dir, parent, name,
             "not a lower-case UUID (mdevctl cannot undefine it), skipped");
        return;
    }
    r = read_def(pfd, name, &text);
    if (r == -ENOENT) /* undefined while we listed */
        return;
    if (r < 0) {
        warn(w, dir, parent, name, read_problem(r));
        return;
    }
    why = parse_def(text, &d);
    if (why) {
        warn(w, dir, parent, name, why);
        return;
    }
    if (out->n >= MDEVCTL_DEFS_MAX) {
        warn(w, dir, parent, name, "more than 65536 definitions, skipped");
        free(d.mdev_type);
        return;
    }
    memcpy(d.uuid, name, sizeof(d.uuid));
    d.parent = xstrdup(parent);
    xgrow(&out->v, &out->cap, out->n, sizeof(*out->v));
    out->v[out->n++] = d;
}

/* Every definition below <dir>/<parent>. */
static void
list_parent(int topfd, const char *dir, const char *parent, struct defs *out,
            struct strv *w)
{
    _cleanup_close_ int pfd = -1;
    struct errbuf eb = { 0 };
    struct strv names = { 0 };
    const char *why = pathcomp_problem(parent);
    int r;

    if (why) {
        warn(w, dir, parent, NULL, why);
        return;
    }
    if (open_parent(topfd, dir, parent, false, &pfd, &eb) < 0) {
        if (w)
            strv_push(w, eb.msg);
        return;
    }
    r = read_names(pfd, &names);
    if (r < 0)
        warn(w, dir, parent, NULL, strerror(-r));
    for (size_t i = 0; i < names.n; i++)
        if (names.v[i][0] != '.')
            list_one(pfd, dir, parent, names.v[i], out, w);
    strv_clear(&names);
}

static int
cmp_def(const void *a, const void *b)
{
    const struct mdevctl_def *x = a, *y = b;
    int c = strcmp(x->parent, y->parent);

    return c ? c : strcmp(x->uuid, y->uuid);
}

int
mdevctl_list(const char *dir, struct mdevctl_def **ret, size_t *n,
             struct strv *warnings, struct errbuf *eb)
{
    _cleanup_close_ int topfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct defs out = { 0 };
    struct strv names = { 0 };
    int r;

    if (topfd < 0 && errno == ENOENT) {
        *ret = NULL;
        *n = 0;
        return 0;
    }
    if (topfd < 0)
        return fail(eb, -errno, dir, NULL, NULL, NULL);
    r = read_names(topfd, &names);
    if (r < 0)
        return fail(eb, r, dir, NULL, NULL, NULL);
    for (size_t i = 0; i < names.n; i++)
        if (names.v[i][0] != '.' && strcmp(names.v[i], MDEVCTL_SCRIPTS) != 0)
            list_parent(topfd, dir, names.v[i], &out, warnings);
    strv_clear(&names);
    if (out.n)
        qsort(out.v, out.n, sizeof(*out.v), cmp_def);
    *ret = out.v;
    *n = out.n;
    return (int)out.n;
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
