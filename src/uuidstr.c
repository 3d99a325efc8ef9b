/*
 * uuidstr.c - a UUID as text, checked by libuuid.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <uuid/uuid.h>

#include "uuidstr.h"

int
uuidstr_lower(const char *s, char ret[UUIDSTR_LEN])
{
    uuid_t u;

    if (!s || strlen(s) != UUIDSTR_LEN - 1 || uuid_parse(s, u) < 0)
        return -EINVAL;
    uuid_unparse_lower(u, ret);
    return 0;
}

bool
uuidstr_is_lower(const char *s)
{
    char canon[UUIDSTR_LEN];

    return uuidstr_lower(s, canon) == 0 && strcmp(canon, s) == 0;
}
