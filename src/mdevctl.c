/*
 * mdevctl.c - persistent mdev definitions, written as mdevctl writes them.
 *
 * Everything below <dir> is reached with openat() on directory fds opened
 * O_NOFOLLOW, so a symlink planted as <dir>/<parent> or <dir>/<parent>/<uuid>
 * is never followed: a write refuses the one and replaces the other.  A
 * definition is replaced whole (atomicfile.h), so mdevctl at boot sees the
 * old file or the new one, never half of one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "cleanup.h"
#include "mdevctl.h"
#include "pathcomp.h"
#include "sysfs.h"
#include "uuidstr.h"
#include "xalloc.h"

#define MDEVCTL_FILE_MAX 65536 /* a definition is ~70 bytes */
#define MDEVCTL_MSG_MAX 200    /* bytes of a name quoted in a message */

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
