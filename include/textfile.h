/*
 * textfile.h - read a whole small file into memory, with a size cap.
 *
 * The one reader of the agent's own and its neighbours' files (YAML
 * configuration, nova.conf, the metrics file, the VF state file): every
 * such file has a cap, so a runaway or hostile file costs at most that.
 */
#pragma once

#include <stddef.h>

#include "errbuf.h"

/* Read all of path into *ret (NUL-terminated; free() it) and its length
 * into *ret_len.  -errno with "PATH: <strerror>" (a directory: -EISDIR),
 * -EFBIG with "PATH: larger than MAX bytes" past max.  Bytes are not
 * checked: a NUL stays in the buffer. */
int textfile_read(const char *path, size_t max, char **ret, size_t *ret_len,
                  struct errbuf *eb);

/* textfile_read() of a file that must be text, for readers that stop at
 * the first NUL: also -EINVAL with "PATH: a NUL byte: not a text file". */
int textfile_read_text(const char *path, size_t max, char **ret,
                       struct errbuf *eb);
