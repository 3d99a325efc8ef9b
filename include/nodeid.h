/*
 * nodeid.h - who this host is, to Placement: the node name nova-compute
 * gives it, the owner trait that marks the GPU providers it reports, and
 * nova-compute's compute node UUID when nova-compute runs here.
 *
 * Two hosts given one node name report under one root provider; without a
 * mark of its own each would delete the other's GPU providers as stale.  So
 * every GPU provider the agent writes carries this host's owner trait,
 * CUSTOM_VGPU_HOST_<ID>_<HOSTNAME>: ID is derived from the machine ID
 * (machine-id(5); a hash of it, as systemd's app-specific IDs, since the
 * machine ID itself must not be published), HOSTNAME is the host's name in
 * trait spelling, for the operator.  A GPU provider carrying another ID is
 * another host's: never changed, never deleted.  One with no owner trait
 * (nova-compute's, an older agent's) is taken over.
 */
#pragma once

#include <stdbool.h>

#include "conf.h"
#include "errbuf.h"
#include "strv.h"
#include "uuidstr.h"

#define NODEID_TRAIT_PREFIX "CUSTOM_VGPU_HOST_"
#define NODEID_ID_LEN 32 /* hex digits of the ID in the trait */

/* The name libvirt gives this host (virConnectGetHostname(), and with it
 * nova-compute's libvirt driver its node): gethostname(), unless it is
 * short (no '.') and not "localhost...", then getaddrinfo()'s canonical
 * name for it, unless that fails or is "localhost...".  Caller frees. */
char *nodeid_hostname(void);
/* The rule alone: host as gethostname() gave it, canon as
 * getaddrinfo(AI_CANONNAME) gives it for host (NULL: it failed; NULL
 * when the rule does not ask for it).  Returns host or canon. */
const char *nodeid_pick_hostname(const char *host, const char *canon);
/* Whether nodeid_pick_hostname() needs the canonical name of host. */
bool nodeid_wants_canonical(const char *host);

/* The owner trait for machine ID machine_id (32 hex digits, any case) on
 * host hostname.  Caller frees. */
char *nodeid_owner_trait(const char *machine_id, const char *hostname);
/* Whether trait is an owner trait; if so, its ID (ret_id, 32 upper-case
 * hex digits) and where its host part starts (*ret_host, "" when none). */
bool nodeid_parse_owner(const char *trait, char ret_id[NODEID_ID_LEN + 1],
                        const char **ret_host);

/* The machine ID in the file at path (machine-id(5): 32 hex digits on one
 * line) into ret, lower case.  -ENOENT when there is no such file, -EINVAL
 * when it holds something else ("uninitialized" included); eb names the
 * path. */
int nodeid_read_machine_id(const char *path, char ret[NODEID_ID_LEN + 1],
                           struct errbuf *eb)
    __attribute__((warn_unused_result));
/* nova-compute's compute node UUID in the file at path (Nova 2023.1 and
 * later write it: /var/lib/nova/compute_id) into ret.  -ENOENT when there
 * is no such file, -EINVAL when it holds no UUID; eb names the path. */
int nodeid_read_nova_uuid(const char *path, char ret[UUIDSTR_LEN],
                          struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Everything above for c, resolved once per configuration. */
struct nodeid {
    char *hostname;    /* nodeid_hostname() */
    char *owner_trait; /* NULL when the machine ID could not be read */
    /* nova-compute's compute node UUID, "" when its file does not exist */
    char nova_uuid[UUIDSTR_LEN];
    /* never create the root provider: wait for nova-compute's
     * (root_provider adopt, or auto when nova_uuid is known) */
    bool adopt_root;
};

/* Resolve c's node identity into *ret.  An unreadable machine ID means no
 * owner trait: a warning is appended to warnings when machine_id_file was
 * given in the file, to notes when the default is missing (a container).
 * -EINVAL (eb naming the file) when nova-compute's file exists but holds no
 * UUID. */
int nodeid_resolve(const struct conf *c, struct nodeid *ret,
                   struct strv *warnings, struct strv *notes, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* Apply it to c: node_name defaults to the host name, node_uuid to
 * nova-compute's UUID.  A node_uuid set in the file that is not
 * nova-compute's is kept, with a warning. */
void nodeid_apply(const struct nodeid *id, struct conf *c,
                  struct strv *warnings);
void nodeid_clear(struct nodeid *id); /* leaves it zeroed */
