/*
 * atomicfile.h - replace a file whole: readers see the old or the new one.
 *
 * The new content goes to a hidden temporary file in the same directory,
 * ".<name>.<pid>.tmp" (mdevctl's listing and the node exporter's textfile
 * collector both pass over it), which is written, given its mode (whatever
 * the umask), fsync()ed and renamed over name; then the directory itself
 * is fsync()ed, so that after a crash name is the old file or the new one,
 * never missing and never half written.  A failure removes the temporary
 * file and leaves name as it was.  A temporary file left by a crash of the
 * same pid is replaced; one left by another pid stays (it is hidden).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "errbuf.h"

/* Replace name (one path component) in the directory dirfd with len bytes
 * of data.  The temporary file is never opened through a symlink; name
 * itself is replaced, never written through, even when it is a symlink.
 * dir is how messages name the directory ("<dir>/<name>: <why>"), NULL for
 * none.  Returns 0 or a negative errno. */
int atomicfile_replaceat(int dirfd, const char *dir, const char *name,
                         const char *data, size_t len, mode_t mode,
                         struct errbuf *eb) __attribute__((warn_unused_result));

/* The same for a path ("dir/name", or "name" in the working directory);
 * messages name the path. */
int atomicfile_replace(const char *path, const char *data, size_t len,
                       mode_t mode, struct errbuf *eb)
    __attribute__((warn_unused_result));
