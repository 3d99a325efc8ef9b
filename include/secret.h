/*
 * secret.h - tokens, passwords and application credential secrets.
 *
 * A secret lives in a heap string that secret_free() wipes before it frees
 * it, and is read from a file only when that file is a regular file that
 * neither group nor others may read or write (mode & 077 == 0).  No
 * message here quotes a secret; a caller's must not either.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "cleanup.h"
#include "errbuf.h"

/* free() s after wiping it.  NULL is fine. */
void secret_free(char *s);
DEFINE_CLEANUP(char, secret_free)

/* 0 if a file of this mode may hold a secret; else -EACCES with the one
 * message for every such file: "PATH contains a secret but is mode 0644;
 * chmod 600 it". */
int secret_check_mode(const char *path, mode_t mode, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* secret_check_mode() for the file at path; "PATH: strerror" (negative
 * errno) if it cannot be stat()ed. */
int secret_check_file(const char *path, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* The first line of the file at path (without its '\n') into *ret, the
 * caller's to secret_free().  The file must be a regular file that passes
 * secret_check_mode().  At most max + 1 bytes of the line are returned:
 * one longer than max comes back max + 1 bytes long, for the caller to
 * refuse in its own words.  A NUL byte in the line is -EINVAL.  Messages
 * name the path and never quote the content. */
int secret_read_file(const char *path, size_t max, char **ret,
                     struct errbuf *eb) __attribute__((warn_unused_result));
