/*
 * vfstate.h - which VF belongs to which claim: the agent's record for
 * NVIDIA's vendor-specific VFIO GPUs, kept in the state directory.
 *
 * An mdev carries its claim in its UUID; a VF is only an address, and a
 * reboot resets every type.  So the agent writes down, for every VF a
 * claim owns, the consumer, the provider and the type, and for every
 * orphan (a typed VF nobody owns) when it was first seen, so that its
 * grace time outlives a restart.  The file is replaced atomically after
 * every reconcile that changed it; the restore unit reads it at boot.
 *
 *   { "version": 1,
 *     "vfs": { "0000:41:00.5": { "type": "nvidia-594",
 *                                "consumer": "<uuid>", "provider": "<uuid>" },
 *              "0000:41:00.6": { "type": "nvidia-594",
 *                                "orphan_since": 1733412345 } } }
 *
 * Keyed by VF, so two claims can never hold one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cleanup.h"
#include "errbuf.h"
#include "pciaddr.h"
#include "uuidstr.h"

#define VFSTATE_FILE "vfio-state.json" /* in the state directory */
#define VFSTATE_MAX (4u << 20)         /* a larger file is refused */

struct vfstate_entry {
    char vf[PCI_ADDR_STR_MAX];  /* "0000:41:00.5", as the kernel spells it */
    char *type_id;              /* "nvidia-594" */
    char consumer[UUIDSTR_LEN]; /* lower-case UUID; "" for an orphan */
    char provider[UUIDSTR_LEN]; /* lower-case UUID; "" for an orphan */
    time_t since;               /* an orphan: first seen; 0 for an owner */
};

struct vfstate {
    struct vfstate_entry *v; /* sorted by vf (address order) */
    size_t n, cap;
};

struct vfstate *vfstate_new(void);
void vfstate_free(struct vfstate *s); /* NULL ok */
DEFINE_CLEANUP(struct vfstate, vfstate_free)

/* Read the file at path.  A missing file is an empty state (0).  Returns 0
 * with *ret, -EPROTO for content that is not such a state (eb naming the
 * path and what is wrong: the whole file is refused, not half of it),
 * -EFBIG past VFSTATE_MAX, or another negative errno. */
int vfstate_load(const char *path, struct vfstate **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* The same from memory; name is used in messages. */
int vfstate_parse(const char *name, const char *json, size_t len,
                  struct vfstate **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Replace the file at path with s (mode 0644; its directory is made, 0755,
 * if missing).  Returns 0 or a negative errno. */
int vfstate_save(const struct vfstate *s, const char *path, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* s as the file holds it. Caller frees. */
char *vfstate_format(const struct vfstate *s);

/* The entry of vf, or NULL. */
const struct vfstate_entry *vfstate_find(const struct vfstate *s,
                                         const char *vf);
/* Record vf (replacing what it held): an owner when consumer is not NULL,
 * else an orphan first seen at since. */
void vfstate_set(struct vfstate *s, const char *vf, const char *type_id,
                 const char *consumer, const char *provider, time_t since);
/* Whether a and b hold the same entries. */
bool vfstate_equal(const struct vfstate *a, const struct vfstate *b);
