/*
 * secret.c - wipe secrets, and read them only from private files.
 *
 * One check of a secret file's mode, with one message, for the token file,
 * the secret files of placement.auth, agent.yaml itself and clouds.yaml.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "xalloc.h"

void
secret_free(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

int
secret_check_mode(const char *path, mode_t mode, struct errbuf *eb)
{
    if (!(mode & 077))
        return 0;
    return errbuf_set(eb, -EACCES,
                      "%s contains a secret but is mode %04o; chmod 600 it",
                      path, (unsigned)(mode & 07777));
}

int
secret_check_file(const char *path, struct errbuf *eb)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
    return secret_check_mode(path, st.st_mode, eb);
}

/* Fill buf (size bytes, the last one for the NUL) from fd, up to EOF or a
 * full buffer; the byte count, or a negative errno. */
static ssize_t
read_prefix(int fd, char *buf, size_t size)
{
    size_t len = 0;

    while (len < size - 1) {
        ssize_t n = read(fd, buf + len, size - 1 - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return (ssize_t)len;
}

/* The first line of buf (n bytes read, NUL-terminated) into *ret. */
static int
take_line(const char *path, char *buf, size_t n, char **ret, struct errbuf *eb)
{
    const char *nl = memchr(buf, '\n', n);
    size_t line = nl ? (size_t)(nl - buf) : n;

    if (memchr(buf, '\0', line))
        return errbuf_set(eb, -EINVAL, "%s: the first line holds a NUL byte",
                          path);
    *ret = xstrndup(buf, line);
    return 0;
}

int
secret_read_file(const char *path, size_t max, char **ret, struct errbuf *eb)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    char *buf;
    ssize_t n;
    int r;

    if (fd < 0 || fstat(fd, &st) < 0)
        return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return errbuf_set(eb, -EINVAL, "%s is not a regular file", path);
    r = secret_check_mode(path, st.st_mode, eb);
    if (r < 0)
        return r;
    buf = xmalloc(max + 2); /* the line, one byte more, the NUL */
    n = read_prefix(fd, buf, max + 2);
    if (n < 0)
        r = errbuf_set(eb, (int)n, "%s: %s", path, strerror((int)-n));
    else
        r = take_line(path, buf, (size_t)n, ret, eb);
    explicit_bzero(buf, max + 2);
    free(buf);
    return r;
}
