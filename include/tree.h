/*
 * tree.h - the resource-provider tree the agent reports to Placement.
 *
 * Root (the compute node, no inventory of its own) -> one child per GPU the
 * policy kept, with its VGPU inventory and traits, then the provider config
 * files merged on top.  Names and UUIDs are deterministic: the same host and
 * configuration always give the same tree.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "conf.h"
#include "errbuf.h"
#include "inventory.h"
#include "policy.h"
#include "provconf.h"
#include "strv.h"
#include "uuidstr.h"

/* Where a child's capacity lives on the host (absent on the root). */
struct tree_device {
    char *address;       /* "0000:84:00.0" */
    enum host_mode mode; /* the interface its vGPUs are made through */
    char *mdev_type;     /* "nvidia-35" */
    char *type_name;     /* "GRID M60-0B" */
    char *rc;            /* the resource class the agent reports: "VGPU" */
    struct strv parents; /* the functions offering the type (host_fn names:
                          * mdev parents, the VFs of an SR-IOV group) */
    struct strv mdevs;   /* ids of the existing vGPUs of the type */
};

struct tree_provider {
    char uuid[UUIDSTR_LEN];
    char *name;
    char parent_uuid[UUIDSTR_LEN]; /* "" on the root */
    struct inventory *invs;        /* sorted by resource class */
    size_t n_invs;
    struct strv traits;         /* sorted */
    struct strv managed;        /* other traits the agent may remove (see
                                 * policy_gpu.managed); empty on the root */
    struct tree_device *device; /* NULL on the root */
};

/* Who reports the tree (nodeid.h): set by the service layer after
 * tree_build(), since it is no part of what the host offers (dump leaves
 * it out); zeroed, the agent takes every GPU provider under the root for
 * its own and creates the root when Placement lacks it. */
struct tree_owner {
    char *trait;     /* the owner trait each GPU provider gets; NULL: none */
    char *host;      /* this host's name, for messages; NULL: unknown */
    bool adopt_root; /* never create the root: wait for nova-compute's */
    /* the root's UUID is nova-compute's compute node UUID, read from this
     * file; NULL: it is not */
    char *nova_file;
};

struct tree {
    struct tree_provider *providers; /* root first, then children by name */
    size_t n_providers;
    struct strv warnings; /* provider config entries that matched nothing */
    struct tree_owner owner;
};

/* Build the tree.  pc may be NULL.  Fails (-EINVAL, eb naming the provider
 * config entry) only when a provider config contradicts the agent: it
 * defines an inventory the agent owns, or names one provider twice. */
int tree_build(const struct conf *c, const struct policy *pol,
               const struct provconf *pc, struct tree **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
void tree_free(struct tree *t);
DEFINE_CLEANUP(struct tree, tree_free)

/* Set t's owner (copies of the strings; any may be NULL). */
void tree_set_owner(struct tree *t, const char *trait, const char *host,
                    bool adopt_root, const char *nova_file);

/* Whether a provider called name is one of ours that left the tree: named
 * like our GPU providers ("<node>_...") but not in t.  Sync deletes or
 * drains such providers; reconcile still reports their claims. */
bool tree_is_stale_name(const struct tree *t, const char *name);

/* The root's UUID: node_uuid, or UUIDv5(DNS namespace, node_name). */
void tree_root_uuid(const struct conf *c, char ret[UUIDSTR_LEN]);
/* A child's name: "<node>_pci_0000_84_00_0", Nova's naming. Caller frees. */
char *tree_child_name(const char *node_name, const struct policy_gpu *gpu);
