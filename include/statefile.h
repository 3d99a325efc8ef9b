/*
 * statefile.h - the agent's own small JSON files under state_dir, what
 * they have in common: a header naming the format, its version, and the
 * node and Placement the file was written for, a size cap, and atomic
 * replacement.
 *
 * A state file is only ever a hint that saves requests: a missing,
 * old-format, other node's, other Placement's or corrupt one means reading
 * Placement again, never an error that stops the agent.
 */
#pragma once

#include <stddef.h>

#include <cjson/cJSON.h>

#include "errbuf.h"

/* What a state file describes: one node (the root provider's name) as one
 * Placement holds it (the endpoint's URL).  The URL binds the file to that
 * Placement: another one, even with the same root UUID and generations (a
 * copy, a restored backup elsewhere), is read in full. */
struct statefile_owner {
    const char *node;
    const char *placement;
};

/* A new document {"format": format, "version": version, "node": node,
 * "placement": URL}. */
cJSON *statefile_new(const char *format, int version,
                     const struct statefile_owner *owner);

/* doc is an object with that header: 0, -ESTALE (another format or
 * version, node or Placement) or -EPROTO (not an object, no node or
 * Placement). */
int statefile_check(const cJSON *doc, const char *format, int version,
                    const struct statefile_owner *owner, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* The file at path parsed (cJSON_Delete() it): -ENOENT when missing,
 * -EFBIG past max bytes, -EINVAL with a NUL byte, -EPROTO when not JSON;
 * messages name the path. */
int statefile_read(const char *path, size_t max, cJSON **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* text written to path atomically (atomicfile.h), mode 0600, making its
 * directory (one level) when missing. */
int statefile_save(const char *path, const char *text, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* doc as a state file's text; free() it. */
char *statefile_format(const cJSON *doc);

/* Save text (taken: kept or freed) to path unless it is *saved_io, the
 * text last saved there (NULL: none yet); *saved_io then becomes text.
 * Returns 1 when written, 0 when unchanged, or statefile_save()'s error
 * (*saved_io unchanged: the next call tries again). */
int statefile_update(const char *path, char *text, char **saved_io,
                     struct errbuf *eb) __attribute__((warn_unused_result));
