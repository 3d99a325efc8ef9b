/*
 * fstree.h - build small directory trees for tests: dirs, files, links.
 *
 * Paths are relative to a root directory; symlinks are written relative,
 * as the kernel's sysfs links are ("../../../devices/..."), so the tree
 * can be moved or mounted elsewhere and realpath(3) still resolves inside it.
 * Each function returns 0 or a negative errno with eb naming the path.
 */
#pragma once

#include "errbuf.h"

/* mkdir -p root/rel */
int fstree_mkdir_p(const char *root, const char *rel, struct errbuf *eb);
/* Create root/rel (and its parents) holding content exactly. */
int fstree_write(const char *root, const char *rel, const char *content,
                 struct errbuf *eb);
/* Make root/link a relative symlink to root/target (parents of link are
 * created).  target may be "../outside" style when raw is wanted: pass
 * target starting with '!' to store the rest verbatim (bad-input tests). */
int fstree_symlink(const char *root, const char *link, const char *target,
                   struct errbuf *eb);
