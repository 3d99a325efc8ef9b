/*
 * sync-statefile.h - the sync cache kept across restarts, in a small file
 * under the agent's state directory.
 *
 * A restarted agent on an unchanged host then confirms what it knew with
 * one read of the tree's generations instead of reading every provider.
 * The file is JSON: {"format": "vgpu-agent-sync-state", "version": 2,
 * "node": the root provider's name, "placement": the endpoint's URL
 * (statefile.h), "root": {"uuid", "owned"}, "known":
 * [custom names], "providers": [{"uuid", "name",
 * "resource_provider_generation", "inventories": {...}, "traits": [...]}]}.
 * It is only ever a hint (statefile.h, which also writes it): a missing,
 * old-format, other node's or Placement's or corrupt file means a full
 * read, and a loaded cache is unconfirmed (sync-cache.h) until a pass has
 * seen the root in Placement.
 */
#pragma once

#include "errbuf.h"
#include "statefile.h"
#include "sync.h"

#define SYNC_STATEFILE_NAME "sync-state.json"
#define SYNC_STATEFILE_FORMAT "vgpu-agent-sync-state"
#define SYNC_STATEFILE_VERSION 2      /* 2: the header names the Placement */
#define SYNC_STATEFILE_MAX (4u << 20) /* bytes; a host has < 1000 GPUs */

/* "<state_dir>/sync-state.json"; caller frees. */
char *sync_statefile_path(const char *state_dir);

/* c (owner's tree as owner's Placement holds it) as the file's text;
 * caller frees. */
char *sync_statefile_format(const struct sync_cache *c,
                            const struct statefile_owner *owner);

/* Fill c (reset first) from text written for owner.  Returns 0 (c is then
 * unconfirmed), -ESTALE when text is another format or version, or was
 * written for another node or Placement, or -EPROTO when it is not what
 * the format says; eb says which.  On failure c is left empty. */
int sync_statefile_parse(const char *text, const struct statefile_owner *owner,
                         struct sync_cache *c, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* sync_statefile_parse() of the file at path: also -ENOENT when it does
 * not exist, -EFBIG when it is larger than SYNC_STATEFILE_MAX, or the
 * errno of reading it.  Messages name the path. */
int sync_statefile_load(const char *path, const struct statefile_owner *owner,
                        struct sync_cache *c, struct errbuf *eb)
    __attribute__((warn_unused_result));
