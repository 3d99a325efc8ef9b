/*
 * textfile.c - read a whole small file into memory (see textfile.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "textfile.h"
#include "xalloc.h"

int
textfile_read(const char *path, size_t max, char **ret, size_t *ret_len,
              struct errbuf *eb)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, cap = 0;

    if (fd < 0)
        return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
    for (;;) {
        size_t want;
        ssize_t n;

        xgrow(&buf, &cap, len + 4096, 1); /* cap > len + 4096: room for NUL */
        /* never more than max + 1 in all: one byte over shows the excess */
        want = cap - 1 - len < max + 1 - len ? cap - 1 - len : max + 1 - len;
        n = read(fd, buf + len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max)
            return errbuf_set(eb, -EFBIG, "%s: larger than %zu bytes", path,
                              max);
    }
    buf[len] = '\0';
    *ret = TAKE_PTR(buf);
    *ret_len = len;
    return 0;
}

int
textfile_read_text(const char *path, size_t max, char **ret, struct errbuf *eb)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = textfile_read(path, max, &buf, &len, eb);

    if (r < 0)
        return r;
    if (memchr(buf, '\0', len))
        return errbuf_set(eb, -EINVAL, "%s: a NUL byte: not a text file", path);
    *ret = TAKE_PTR(buf);
    return 0;
}
