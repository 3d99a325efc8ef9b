/*
 * fstree.c - build small directory trees for tests (see fstree.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fstree.h"
#include "xalloc.h"

int
fstree_mkdir_p(const char *root, const char *rel, struct errbuf *eb)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    size_t skip = strlen(root) + 1;

    for (char *p = path + skip;; p++) {
        char c = *p;

        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return errbuf_set(eb, -errno, "mkdir %s: %s", path,
                              strerror(errno));
        *p = c;
        if (c == '\0')
            return 0;
    }
}

/* mkdir -p the directory part of rel. */
static int
mkdir_parent(const char *root, const char *rel, struct errbuf *eb)
{
    const char *slash = strrchr(rel, '/');
    _cleanup_free_ char *dir = NULL;

    if (!slash)
        return 0;
    dir = xstrndup(rel, (size_t)(slash - rel));
    return fstree_mkdir_p(root, dir, eb);
}

int
fstree_write(const char *root, const char *rel, const char *content,
             struct errbuf *eb)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    _cleanup_close_ int fd = -1;
    size_t len = strlen(content);
    int r = mkdir_parent(root, rel, eb);

    if (r < 0)
        return r;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errbuf_set(eb, -errno, "open %s: %s", path, strerror(errno));
    if (write(fd, content, len) != (ssize_t)len)
        return errbuf_set(eb, -EIO, "write %s: short write", path);
    return 0;
}

/* "../" once per directory level of link, then target: a relative link. */
static char *
relative_target(const char *link, const char *target)
{
    size_t depth = 0, len = strlen(target) + 1;
    char *s, *p;

    for (const char *c = link; *c; c++)
        depth += *c == '/';
    s = p = xmalloc(depth * 3 + len);
    for (size_t i = 0; i < depth; i++, p += 3)
        memcpy(p, "../", 3);
    memcpy(p, target, len);
    return s;
}

int
fstree_symlink(const char *root, const char *link, const char *target,
               struct errbuf *eb)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, link);
    _cleanup_free_ char *dest =
        target[0] == '!' ? xstrdup(target + 1) : relative_target(link, target);
    int r = mkdir_parent(root, link, eb);

    if (r < 0)
        return r;
    if (symlink(dest, path) < 0)
        return errbuf_set(eb, -errno, "symlink %s -> %s: %s", path, dest,
                          strerror(errno));
    return 0;
}
