/*
 * mdevctl.h - persistent mdev definitions in mdevctl's directory.
 *
 * mdevctl (and its udev rule) recreates at boot every mdev defined as
 * <dir>/<parent>/<uuid> with "start": "auto", so writing such a file is how
 * an mdev survives a reboot before the agent even runs.  The file is byte for
 * byte what `mdevctl define --auto` 1.2.0 writes:
 *
 *     {\n  "mdev_type": "nvidia-35",\n  "start": "auto",\n  "attrs": []\n}
 *
 * (no trailing newline), mode 0644 in a 0755 parent directory.  <dir> is a
 * setting ("/etc/mdevctl.d" on a host, a temporary directory in tests).
 * Every name is checked (pathcomp.h) before it becomes a path component,
 * and nothing below <dir> is reached through a symlink.
 */
#pragma once

#include "errbuf.h"

/* Define mdev uuid of type mdev_type on parent: write <dir>/<parent>/<uuid>
 * atomically (temporary file, fsync, rename, fsync of the directory),
 * creating <dir> and <dir>/<parent> (0755) when missing.  uuid may be upper
 * case; the file is named in lower case.  Returns 1 when the file was
 * written, 0 when it already had exactly this content (nothing touched), or
 * a negative errno: -EINVAL for a name that cannot be a path component (the
 * message quotes it, escaped), -ELOOP when <dir>/<parent> is a symlink. */
int mdevctl_write(const char *dir, const char *parent, const char *uuid,
                  const char *mdev_type, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Undefine: remove <dir>/<parent>/<uuid> (the parent directory stays, as
 * with `mdevctl undefine`).  Returns 0, -ENOENT when there was no such
 * definition (callers may treat that as done), -EINVAL for a bad name,
 * -ELOOP when <dir>/<parent> is a symlink, or another negative errno. */
int mdevctl_remove(const char *dir, const char *parent, const char *uuid,
                   struct errbuf *eb) __attribute__((warn_unused_result));
