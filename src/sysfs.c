/*
 * sysfs.c - every host path, relative to one root (see sysfs.h).
 *
 * Paths are resolved here, component by component, the way realpath(3)
 * would, but against the root fd: ".." never climbs above the root and a
 * symlink that is absolute or would climb above it is -EXDEV.  The result
 * is a canonical relative path without symlinks, which is then opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) where the kernel has it
 * (or openat(O_NOFOLLOW)), so a tree that changes under us cannot smuggle a
 * link in between the two steps.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__linux__) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif

#include "cleanup.h"
#include "parse.h"
#include "sysfs.h"
#include "xalloc.h"

#define SYSFS_MSG_PATH_MAX 400 /* bytes of a path quoted in a message */
#define SYSFS_MSG_VALUE_MAX 64 /* bytes of a value quoted in a message */

struct sysfs {
    int rootfd;
    char *root;
};

char *
sysfs_escape(const char *s, size_t max)
{
    size_t len = strlen(s), n = len < max ? len : max;
    char *out = xmalloc(n * 4 + 4), *p = out;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c >= 0x20 && c < 0x7f) {
            *p++ = (char)c;
        } else {
            p += snprintf(p, 5, "\\x%02x", c);
        }
    }
    if (n < len) {
        memcpy(p, "...", 3);
        p += 3;
    }
    *p = '\0';
    return out;
}

/* errbuf_set() with the message "<rel, escaped>: <fmt ...>". */
static int __attribute__((format(printf, 4, 5)))
fail(struct errbuf *eb, int code, const char *rel, const char *fmt, ...)
{
    _cleanup_free_ char *erel = NULL;
    char what[ERRBUF_MSG_MAX];
    va_list ap;

    if (!eb)
        return code;
    erel = sysfs_escape(rel, SYSFS_MSG_PATH_MAX);
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return errbuf_set(eb, code, "%s: %s", erel, what);
}

int
sysfs_open(const char *root, struct sysfs **ret, struct errbuf *eb)
{
    struct sysfs *fs;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return errbuf_set(eb, -errno, "sysfs root %s: %s", root,
                          strerror(errno));
    fs = xcalloc(1, sizeof(*fs));
    fs->rootfd = fd;
    fs->root = xstrdup(root);
    *ret = fs;
    return 0;
}

void
sysfs_close(struct sysfs *fs)
{
    if (!fs)
        return;
    if (fs->rootfd >= 0)
        close(fs->rootfd);
    free(fs->root);
    free(fs);
}

const char *
sysfs_root(const struct sysfs *fs)
{
    return fs->root;
}

/* --- resolution ------------------------------------------------------ */

struct walk {
    const struct sysfs *fs;
    const char *rel;    /* as the caller spelled it, for messages */
    bool follow_last;   /* follow a symlink in the final position */
    char out[PATH_MAX]; /* resolved so far; "" is the root */
    size_t len;
    char *todo; /* owned: the path still to walk */
    size_t pos;
    unsigned links;
    char *link; /* owned: the last link followed, escaped, for messages */
    size_t target_end; /* todo[0, target_end) is that link's target */
    bool in_target;    /* the current component comes from it */
};

/* Copy the next component of w->todo into comp.  Returns 1 with *last set
 * when one was found, 0 at the end. */
static int
walk_next(struct walk *w, char comp[NAME_MAX + 1], bool *last,
          struct errbuf *eb)
{
    const char *s = w->todo + w->pos, *end;
    size_t n;

    while (*s == '/')
        s++;
    if (*s == '\0')
        return 0;
    w->in_target = (size_t)(s - w->todo) < w->target_end;
    end = strchrnul(s, '/');
    n = (size_t)(end - s);
    if (n > NAME_MAX)
        return fail(eb, -ENAMETOOLONG, w->rel, "%s", strerror(ENAMETOOLONG));
    memcpy(comp, s, n);
    comp[n] = '\0';
    while (*end == '/')
        end++;
    w->pos = (size_t)(end - w->todo);
    *last = *end == '\0';
    return 1;
}

static void
walk_pop(struct walk *w)
{
    char *slash = memrchr(w->out, '/', w->len);

    w->len = slash ? (size_t)(slash - w->out) : 0;
    w->out[w->len] = '\0';
}

static int
walk_push(struct walk *w, const char *comp, struct errbuf *eb)
{
    size_t n = strlen(comp), need = w->len + (w->len > 0) + n;

    if (need >= sizeof(w->out))
        return fail(eb, -ENAMETOOLONG, w->rel, "%s", strerror(ENAMETOOLONG));
    if (w->len > 0)
        w->out[w->len++] = '/';
    memcpy(w->out + w->len, comp, n + 1);
    w->len += n;
    return 0;
}

/* w->out names a symlink: replace it by its target in front of the rest. */
/* "link" when the failing link is rel itself, else "link <path>". */
static const char *
link_name(const struct walk *w, const char *link, char *buf, size_t size)
{
    if (strcmp(link, w->rel) == 0)
        return "link";
    snprintf(buf, size, "link %s", link);
    return buf;
}

static int
walk_follow(struct walk *w, struct errbuf *eb)
{
    _cleanup_free_ char *elink = sysfs_escape(w->out, SYSFS_MSG_PATH_MAX);
    _cleanup_free_ char *etarget = NULL;
    char target[PATH_MAX], lbuf[SYSFS_MSG_PATH_MAX + 8];
    ssize_t n;
    char *todo;

    if (++w->links > SYSFS_LINK_MAX)
        return fail(eb, -ELOOP, w->rel, "%s", strerror(ELOOP));
    n = readlinkat(w->fs->rootfd, w->out, target, sizeof(target));
    if (n < 0)
        return fail(eb, -errno, w->rel, "%s: %s", elink, strerror(errno));
    if ((size_t)n >= sizeof(target) || n == 0)
        return fail(eb, -ENAMETOOLONG, w->rel, "link %s: bad target length",
                    elink);
    target[n] = '\0';
    if (target[0] == '/') {
        etarget = sysfs_escape(target, SYSFS_MSG_PATH_MAX);
        return fail(eb, -EXDEV, w->rel,
                    "%s leaves the sysfs root: absolute target \"%s\"",
                    link_name(w, elink, lbuf, sizeof(lbuf)), etarget);
    }
    free(w->link);
    w->link = TAKE_PTR(elink);
    todo = xasprintf("%s/%s", target, w->todo + w->pos);
    free(w->todo);
    w->todo = todo;
    w->pos = 0;
    w->target_end = (size_t)n;
    walk_pop(w);
    return 0;
}

static int
walk_enter(struct walk *w, const char *comp, bool last, struct errbuf *eb)
{
    char lbuf[SYSFS_MSG_PATH_MAX + 8];
    struct stat st;
    int r = walk_push(w, comp, eb);

    if (r < 0)
        return r;
    if (fstatat(w->fs->rootfd, w->out, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (w->in_target && errno == ENOENT)
            return fail(eb, -ENOENT, w->rel, "dangling %s: %s",
                        link_name(w, w->link, lbuf, sizeof(lbuf)),
                        strerror(errno));
        return fail(eb, -errno, w->rel, "%s", strerror(errno));
    }
    if (S_ISLNK(st.st_mode) && (!last || w->follow_last))
        return walk_follow(w, eb);
    if (!last && !S_ISDIR(st.st_mode))
        return fail(eb, -ENOTDIR, w->rel, "%s", strerror(ENOTDIR));
    return 0;
}

static int
walk_run(struct walk *w, struct errbuf *eb)
{
    char comp[NAME_MAX + 1], lbuf[SYSFS_MSG_PATH_MAX + 8];
    bool last = false;
    int r;

    while ((r = walk_next(w, comp, &last, eb)) > 0) {
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            if (w->len == 0 && w->link)
                return fail(eb, -EXDEV, w->rel, "%s leaves the sysfs root",
                            link_name(w, w->link, lbuf, sizeof(lbuf)));
            if (w->len == 0)
                return fail(eb, -EXDEV, w->rel, "climbs above the sysfs root");
            walk_pop(w);
            continue;
        }
        r = walk_enter(w, comp, last, eb);
        if (r < 0)
            return r;
    }
    return r;
}

static int
resolve(const struct sysfs *fs, const char *rel, bool follow_last, char **ret,
        struct errbuf *eb)
{
    struct walk w = { .fs = fs, .rel = rel, .follow_last = follow_last };
    int r;

    w.todo = xstrdup(rel);
    r = walk_run(&w, eb);
    free(w.todo);
    free(w.link);
    if (r < 0)
        return r;
    *ret = xstrdup(w.len > 0 ? w.out : ".");
    return 0;
}

int
sysfs_resolve(const struct sysfs *fs, const char *rel, char **ret,
              struct errbuf *eb)
{
    return resolve(fs, rel, true, ret, eb);
}

bool
sysfs_exists(const struct sysfs *fs, const char *rel)
{
    _cleanup_free_ char *path = NULL;

    return resolve(fs, rel, true, &path, NULL) == 0;
}

bool
sysfs_lexists(const struct sysfs *fs, const char *rel)
{
    _cleanup_free_ char *path = NULL;

    return resolve(fs, rel, false, &path, NULL) == 0;
}

int
sysfs_ctime(const struct sysfs *fs, const char *rel, time_t *ret,
            struct errbuf *eb)
{
    _cleanup_free_ char *path = NULL;
    struct stat st;
    int r = resolve(fs, rel, true, &path, eb);

    if (r < 0)
        return r;
    if (fstatat(fs->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(eb, -errno, rel, "%s", strerror(errno));
    *ret = st.st_ctime;
    return 0;
}

/* --- opening --------------------------------------------------------- */

/* Open a resolved (symlink-free) path; errno-style result. */
static int
open_beneath(const struct sysfs *fs, const char *path, int flags)
{
#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW),
        .resolve =
            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, fs->rootfd, path, &how, sizeof(how));

    if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
        return (int)fd;
#endif
    return openat(fs->rootfd, path, flags | O_CLOEXEC | O_NOFOLLOW);
}

/* Whether a resolved path names one of the only files the agent ever
 * writes: a type's "create", an mdev's "remove", or a VF's
 * "nvidia/current_vgpu_type" (NVIDIA's vendor-specific VFIO). */
static bool
is_kernel_control(const char *path)
{
    static const char vgpu_type[] = "nvidia/current_vgpu_type";
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t len = strlen(path), n = sizeof(vgpu_type) - 1;

    if (strcmp(base, "create") == 0 || strcmp(base, "remove") == 0)
        return true;
    return len >= n && strcmp(path + len - n, vgpu_type) == 0 &&
           (len == n || path[len - n - 1] == '/');
}

static int
not_kernel_control(const char *rel, const char *path, const char *verb,
                   struct errbuf *eb)
{
    _cleanup_free_ char *epath = sysfs_escape(path, SYSFS_MSG_PATH_MAX);

    return fail(eb, -EPERM, rel,
                "%snot a create, remove or nvidia/current_vgpu_type file "
                "(it is %s)",
                verb, epath);
}

/* Whether rel has a "." or ".." component: the paths the agent writes are
 * built from checked names and never need one. */
static bool
has_dot_component(const char *rel)
{
    for (const char *c = rel; *c;) {
        size_t n = strcspn(c, "/");

        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return true;
        c += n;
        c += strspn(c, "/");
    }
    return false;
}

/* Resolve rel and open the regular file it names.  verb ("", "write
 * \"x\": ") goes into messages about the open itself. */
static int
open_attr(const struct sysfs *fs, const char *rel, int flags, const char *verb,
          int *ret, struct errbuf *eb)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;
    struct stat st;
    int r = sysfs_resolve(fs, rel, &path, eb);

    if (r < 0)
        return r;
    if ((flags & O_ACCMODE) != O_RDONLY && !is_kernel_control(path))
        return not_kernel_control(rel, path, verb, eb);
    fd = open_beneath(fs, path, flags | O_NONBLOCK);
    if (fd < 0)
        return fail(eb, -errno, rel, "%s%s", verb, strerror(errno));
    if (fstat(fd, &st) < 0)
        return fail(eb, -errno, rel, "%s%s", verb, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return fail(eb, -EISDIR, rel, "%s%s", verb, strerror(EISDIR));
    if (!S_ISREG(st.st_mode))
        return fail(eb, -EINVAL, rel, "%snot a regular file", verb);
    *ret = TAKE_FD(fd);
    return 0;
}

/* Read all of fd (at most SYSFS_ATTR_MAX bytes) into a NUL-terminated
 * buffer. */
static int
read_all(int fd, const char *rel, char **ret, size_t *ret_len,
         struct errbuf *eb)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, cap = 0;

    for (;;) {
        ssize_t n;

        if (cap - len < 4097)
            xgrow(&buf, &cap, len + 4097, 1);
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(eb, -errno, rel, "%s", strerror(errno));
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > SYSFS_ATTR_MAX)
            return fail(eb, -EFBIG, rel, "larger than %d bytes",
                        SYSFS_ATTR_MAX);
    }
    if (!buf)
        buf = xcalloc(1, 1);
    buf[len] = '\0';
    *ret_len = len;
    *ret = TAKE_PTR(buf);
    return 0;
}

int
sysfs_read_str(const struct sysfs *fs, const char *rel, char **ret,
               struct errbuf *eb)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = open_attr(fs, rel, O_RDONLY, "", &fd, eb);

    if (r < 0)
        return r;
    r = read_all(fd, rel, &buf, &len, eb);
    if (r < 0)
        return r;
    if (memchr(buf, '\0', len))
        return fail(eb, -EILSEQ, rel, "contains a NUL byte");
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    /* read_all's buffer is 8 KiB and callers keep these strings (every
     * type's name and description, per GPU): keep only the text. */
    *ret = xrealloc(TAKE_PTR(buf), len + 1);
    return 0;
}

int
sysfs_read_uint(const struct sysfs *fs, const char *rel, unsigned *ret,
                struct errbuf *eb)
{
    _cleanup_free_ char *s = NULL;
    _cleanup_free_ char *q = NULL;
    unsigned long v;
    int r = sysfs_read_str(fs, rel, &s, eb);

    if (r < 0)
        return r;
    r = parse_uint(s, UINT_MAX, &v);
    if (r < 0) {
        q = sysfs_escape(s, SYSFS_MSG_VALUE_MAX);
        return fail(
            eb, -EINVAL, rel, "%s: \"%s\"",
            r == -ERANGE ? "number out of range" : "not an unsigned number", q);
    }
    *ret = (unsigned)v;
    return 0;
}

static int
list_dir(DIR *d, const char *rel, struct strv *names, struct errbuf *eb)
{
    struct dirent *de;

    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de)
            break;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (names->n >= SYSFS_LIST_MAX)
            return fail(eb, -EFBIG, rel, "more than %d entries",
                        SYSFS_LIST_MAX);
        strv_push(names, de->d_name);
    }
    if (errno != 0)
        return fail(eb, -errno, rel, "%s", strerror(errno));
    return 0;
}

int
sysfs_list(const struct sysfs *fs, const char *rel, struct strv *ret,
           struct errbuf *eb)
{
    _cleanup_free_ char *path = NULL;
    struct strv names = { 0 };
    DIR *d;
    int fd, r = sysfs_resolve(fs, rel, &path, eb);

    if (r < 0)
        return r;
    fd = open_beneath(fs, path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return fail(eb, -errno, rel, "%s", strerror(errno));
    d = fdopendir(fd);
    if (!d) {
        r = fail(eb, -errno, rel, "%s", strerror(errno));
        close(fd);
        return r;
    }
    r = list_dir(d, rel, &names, eb);
    closedir(d);
    if (r == 0) {
        strv_sort_uniq(&names);
        strv_copy(ret, &names);
    }
    strv_clear(&names);
    return r;
}

int
sysfs_write(const struct sysfs *fs, const char *rel, const char *value,
            struct errbuf *eb)
{
    _cleanup_free_ char *q = sysfs_escape(value, SYSFS_MSG_VALUE_MAX);
    _cleanup_free_ char *verb = xasprintf("write \"%s\": ", q);
    _cleanup_close_ int fd = -1;
    size_t len = strlen(value);
    ssize_t n;
    int r;

    if (has_dot_component(rel))
        return fail(eb, -EINVAL, rel, "%s'.' or '..' in a path to write", verb);
    r = open_attr(fs, rel, O_WRONLY, verb, &fd, eb);
    if (r < 0)
        return r;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return fail(eb, -errno, rel, "%s%s", verb, strerror(errno));
    if ((size_t)n != len)
        return fail(eb, -EIO, rel, "%sshort write (%zd of %zu bytes)", verb, n,
                    len);
    return 0;
}
