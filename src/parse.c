/*
 * parse.c - strict number parsing.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int
parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
    unsigned long v;
    char *end;

    if (!s || !isdigit((unsigned char)s[0]))
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (*end != '\0')
        return -EINVAL;
    if (errno == ERANGE || v > max)
        return -ERANGE;
    *ret = v;
    return 0;
}

int
parse_double(const char *s, double *ret)
{
    double v;
    char *end;

    if (!s || s[0] == '\0' || isspace((unsigned char)s[0]))
        return -EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -EINVAL;
    *ret = v;
    return 0;
}

int
parse_bool(const char *s, bool *ret)
{
    static const char *const yes[] = { "true", "yes", "on", "True", "TRUE" };
    static const char *const no[] = { "false", "no", "off", "False", "FALSE" };

    if (!s) /* like parse_uint(): yamldoc_scalar() of a non-scalar is NULL */
        return -EINVAL;
    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return -EINVAL;
}
