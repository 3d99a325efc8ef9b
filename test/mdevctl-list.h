/*
 * mdevctl-list.h - the tests' reading of an mdevctl definition directory.
 *
 * The agent only writes and removes definitions (mdevctl.h); the tests
 * read them back to see what it left, and refuse anything mdevctl 1.2.0
 * would choke on or misread.  Every file is looked at with lstat() first,
 * so a planted symlink is reported, never followed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "strv.h"
#include "uuidstr.h"

struct mdevctl_def {
    char uuid[UUIDSTR_LEN]; /* lower case, the file name */
    char *parent;           /* the directory name: "0000:84:00.0" */
    char *mdev_type;        /* "nvidia-35" */
    bool autostart;         /* "start": "auto" (else "manual") */
    size_t n_attrs;         /* entries of "attrs"; the agent writes none */
};

/* Every definition below dir, sorted by parent, then uuid, into *ret (*n
 * entries; free with mdevctl_defs_free()).  A missing dir is no
 * definitions.  Anything odd (a name that is not a lower-case UUID, a
 * symlink, a file that is not mdevctl's JSON, ...) is skipped with one line
 * in warnings naming the path; hidden files (our temporaries) and
 * scripts.d are skipped silently.  Returns the number of definitions or a
 * negative errno when dir cannot be read. */
int mdevctl_list(const char *dir, struct mdevctl_def **ret, size_t *n,
                 struct strv *warnings, struct errbuf *eb);

void mdevctl_defs_free(struct mdevctl_def *d, size_t n); /* NULL ok */
