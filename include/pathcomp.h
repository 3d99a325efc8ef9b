/*
 * pathcomp.h - the one rule for a name that becomes one path component.
 *
 * Kernel device names ("0000:3b:00.0", "mtty"), mdev type ids
 * ("nvidia-35", "i915-GVTg_V5_4") and UUIDs become directory and file
 * names below sysfs and mdevctl's directory, read from the kernel, the
 * config, Placement or libvirt.  Wherever one is read or about to be used
 * as a path, it passes this rule: 1 to PATHCOMP_MAX bytes, not "." or
 * "..", and every byte printable ASCII other than space and '/' ('!' to
 * '~').  So a name can never climb out of its directory, hold a NUL, a
 * newline or an escape sequence, or split into two words in a log line.
 *
 * Non-ASCII is refused, even as valid UTF-8.  The kernel builds these
 * names from PCI addresses and from drivers' own ASCII strings; mdevctl's
 * file names, its callout scripts, the config and the logs carry them
 * byte for byte; and an ASCII name cannot hide behind a look-alike
 * character or a right-to-left mark in a line an operator compares.  A
 * device whose name breaks the rule is reported and skipped: the agent
 * could neither write its mdevctl definition nor name it in the config.
 */
#pragma once

#include "errbuf.h"

#define PATHCOMP_MAX 255 /* NAME_MAX of Linux file systems */

/* Why s cannot be one path component, or NULL when it can.  The reason is
 * a static string: "empty", "longer than 255 bytes", "not a file name"
 * ("." or ".."), "contains '/'" or "not printable ASCII". */
const char *pathcomp_problem(const char *s);

/* 0 when s can be one path component.  Otherwise -EINVAL, with
 * "<what> \"<s>\": <reason>" in eb (s escaped and cut to 200 bytes; a
 * NULL s is "missing"). */
int pathcomp_check(const char *what, const char *s, struct errbuf *eb)
    __attribute__((warn_unused_result));
