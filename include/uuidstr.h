/*
 * uuidstr.h - a UUID as text: the one check and the one buffer size.
 *
 * Every UUID the agent reads (sysfs directory names, mdevctl file names,
 * Placement's JSON, libvirt's XML, the config, the command line) goes
 * through uuidstr_lower(), and every one it keeps is the 36 lower-case
 * characters libuuid's uuid_unparse_lower() writes, in a UUIDSTR_LEN
 * buffer.  Lower case is what the kernel names an mdev's directory and
 * mdevctl its definition files, so the spelling is part of a path.
 * (Not "uuid_*": libuuid owns that prefix.)
 */
#pragma once

#include <stdbool.h>

#define UUIDSTR_LEN 37 /* 36 characters and the NUL */

/* s (either case, exactly 36 characters, hyphens where libuuid wants
 * them) written in lower case to ret.  Returns 0, or -EINVAL for NULL or
 * anything else; ret is written only on success. */
int uuidstr_lower(const char *s, char ret[UUIDSTR_LEN])
    __attribute__((warn_unused_result));

/* Whether s is a UUID already spelled in lower case. */
bool uuidstr_is_lower(const char *s);
