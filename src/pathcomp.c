/*
 * pathcomp.c - the one rule for a name that becomes one path component.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "pathcomp.h"
#include "sysfs.h"

#define PATHCOMP_QUOTE_MAX 200 /* bytes of a bad name quoted in a message */

const char *
pathcomp_problem(const char *s)
{
    size_t n = strlen(s);

    if (n == 0)
        return "empty";
    if (n > PATHCOMP_MAX)
        return "longer than 255 bytes";
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return "not a file name";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '/')
            return "contains '/'";
        if (*p <= ' ' || *p > '~')
            return "not printable ASCII";
    }
    return NULL;
}

int
pathcomp_check(const char *what, const char *s, struct errbuf *eb)
{
    const char *why = s ? pathcomp_problem(s) : "missing";
    _cleanup_free_ char *q = NULL;

    if (!why)
        return 0;
    q = sysfs_escape(s ? s : "", PATHCOMP_QUOTE_MAX);
    return errbuf_set(eb, -EINVAL, "%s \"%s\": %s", what, q, why);
}
