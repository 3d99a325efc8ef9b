/*
 * fakehost.h - what the fakehost-*.c files share: the description loader's
 * helpers and the tree writer's primitives.  Tests use fixture.h and
 * fakevfio.h, not this.
 */
#pragma once

#include <stdbool.h>
#include <yaml.h>

#include "errbuf.h"
#include "fixture.h"
#include "yamldoc.h"

struct fakehost_loader {
    struct yamldoc *d;
    struct fakesys_host *h;
    struct errbuf *eb;
};

/* -EINVAL with eb "file:line:col: message" at node n. */
int fakehost_fail(const struct fakehost_loader *l, const yaml_node_t *n,
                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A mapping whose keys are all in known (NULL-terminated). */
int fakehost_check_keys(const struct fakehost_loader *l, yaml_node_t *map,
                        const char *what, const char *const *known);
/* The scalar under key, copied into *ret; NULL when absent (an error if
 * required). */
int fakehost_get_str(const struct fakehost_loader *l, yaml_node_t *map,
                     const char *key, bool required, char **ret);
/* The count under key in [0, max]; *ret keeps its value when absent (an
 * error if required). */
int fakehost_get_uint(const struct fakehost_loader *l, yaml_node_t *map,
                      const char *key, bool required, unsigned max,
                      unsigned *ret);
/* The sequence under key; *ret NULL when absent or null. */
int fakehost_get_seq(const struct fakehost_loader *l, yaml_node_t *map,
                     const char *key, yaml_node_t **ret);
/* Relative, and never climbing out of the root. */
int fakehost_check_relpath(const struct fakehost_loader *l, yaml_node_t *n,
                           const char *path);

#define FAKEHOST_SEQ_FOREACH(l, seq, item)                                     \
    for (yaml_node_item_t *it_ = (seq) ? (seq)->data.sequence.items.start      \
                                       : NULL;                                 \
         (seq) && it_ < (seq)->data.sequence.items.top &&                      \
         ((item) = yamldoc_node((l)->d, *it_));                                \
         it_++)

/* dir/rel holding value plus the newline sysfs ends values with (none added
 * to "" or to a value that ends in one), with mode. */
int fakehost_write_attr(const char *dir, const char *rel, const char *value,
                        mode_t mode, struct errbuf *eb);
/* link -> target (both below dir) the way sysfs writes links: up to the
 * common ancestor, then down. */
int fakehost_write_link(const char *dir, const char *link, const char *target,
                        struct errbuf *eb);

/* vfio_gpus: of the description (fakehost-vfio-load.c). */
int fakevfio_load(const struct fakehost_loader *l);
void fakevfio_free(struct fakesys_host *h);
/* The tree of every vfio_gpus entry (fakehost-vfio-tree.c). */
int fakevfio_write(const struct fakesys_host *h, const char *dir,
                   struct errbuf *eb);
/* Give VF vf of g a vGPU of type t, which it lists (fakehost-vfio.c); a
 * MIG-backed one on GPU instance gi, or the first free one that backs t
 * when gi is -1. */
struct fakevfio_gpu;
struct fakevfio_type;
void fakevfio_create(struct fakevfio_gpu *g, size_t vf,
                     const struct fakevfio_type *t, long gi);
