/*
 * guests.h - the libvirt domains on this host and the mdevs and PCI devices
 * each references.
 *
 * Read once per pass over a read-only libvirt connection: every domain,
 * running or only defined, with the UUIDs of its
 * <hostdev mode='subsystem' type='mdev'> devices and the addresses of its
 * <hostdev mode='subsystem' type='pci'> devices (a vendor-specific VFIO
 * vGPU is a VF the guest gets as a PCI device).  Reconcile uses this to
 * keep the vGPUs a guest owns (after a reboot, during a rescue) and to never
 * remove one a domain still references.  Nothing here writes to libvirt.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "errbuf.h"
#include "strv.h"
#include "uuidstr.h"

/* A domain XML larger than this is refused (-EFBIG). */
#define GUESTS_XML_MAX (8u << 20)

struct guest {
    char uuid[UUIDSTR_LEN]; /* domain UUID, lower case */
    char *name;
    bool active;         /* has a live instance (running, paused, ...) */
    struct strv mdevs;   /* referenced mdev UUIDs, lower case, sorted, unique */
    struct strv pcidevs; /* referenced PCI devices, "0000:41:00.5" (as the
                          * kernel spells it), sorted, unique */
};

struct guests {
    struct guest *v; /* sorted by uuid */
    size_t n;
    struct strv warnings; /* "domain NAME (UUID): ..."; malformed mdev refs */
};

/* Read every domain of uri, active or inactive, over virConnectOpenReadOnly.
 * For a running persistent domain the mdevs are the union of its live and
 * its persistent XML (see guests.c).  libvirt prints nothing: its errors
 * end up in eb, "URI: cannot connect: <libvirt message>".  This installs a
 * silent virSetErrorFunc() handler for the process (libvirt offers no way to
 * read back the previous one); libxml2's generic handler is silenced only
 * during the call and then restored.  Returns 0 and *ret (free with
 * guests_free()), or a negative errno: -EIO for libvirt failures,
 * -EPROTO/-EFBIG for an XML libvirt handed us that we refuse. */
int guests_load(const char *uri, struct guests **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Parse one domain XML of len bytes (no NUL needed) into *ret: uuid, name
 * mdevs and pcidevs; active is false.  Malformed references are skipped with a
 * line appended to warnings (NULL: dropped).  A document with a DOCTYPE is
 * refused outright (domain XML never has one, and it is how entity tricks
 * arrive); the network is never touched.  Returns 0, -EPROTO for XML that
 * is malformed or not a domain, or -EFBIG over GUESTS_XML_MAX.  On failure
 * *ret is untouched. */
int guests_parse_xml(const char *xml, size_t len, struct guest *ret,
                     struct strv *warnings, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* Free what a guest owns (not g itself); leaves it zeroed.  NULL ok. */
void guests_clear_guest(struct guest *g);

void guests_free(struct guests *g); /* NULL ok */
DEFINE_CLEANUP(struct guests, guests_free)

/* The domain with this UUID (either case), or NULL. */
const struct guest *guests_find(const struct guests *g, const char *uuid);

/* The domain referencing mdev uuid (either case), or NULL.  When several
 * do (only one can run at a time), an active one wins, then the lowest
 * domain UUID. */
const struct guest *guests_find_mdev(const struct guests *g,
                                     const char *mdev_uuid);

/* The same for the PCI device at addr ("0000:41:00.5"). */
const struct guest *guests_find_pci(const struct guests *g, const char *addr);
