/*
 * novaconf.h - Nova's vGPU settings (nova.conf) read, for `vgpu-agent
 * import-nova-conf`: [devices] enabled_mdev_types (or the older
 * enabled_vgpu_types) and each enabled type's [mdev_<type>] (or the older
 * [vgpu_<type>]) device_addresses, mdev_class and max_instances.
 *
 * The file is read as oslo.config reads it: "key = value" or "key: value",
 * comment lines starting with '#' or ';', a value continued on indented
 * lines, the last of a key given twice winning, a list as one string of
 * comma-separated items.  Nova's rules follow: groups of types that are not
 * enabled are ignored; of the types listing no device_addresses only the
 * first is kept (the type of every GPU no type lists), as Nova keeps it.
 */
#pragma once

#include <stddef.h>

#include "cleanup.h"
#include "errbuf.h"
#include "strv.h"

#define NOVACONF_FILE_MAX (1 << 20)

struct novaconf_type {
    char *id;                    /* "nvidia-35" */
    struct strv addresses;       /* device_addresses, as written */
    char *mdev_class;            /* NULL: not given (VGPU) */
    unsigned long max_instances; /* 0: not given */
};

struct novaconf {
    struct novaconf_type *types; /* enabled, in Nova's order */
    size_t n_types;
    struct strv warnings; /* "FILE:LINE: ..." */
};

/* Read nova.conf text buf (name for messages).  Returns 0, or -EINVAL with
 * eb saying "NAME:LINE: what is wrong" (a line oslo.config refuses, a
 * max_instances that is not an integer >= 1). */
int novaconf_parse(const char *name, const char *buf, struct novaconf **ret,
                   struct errbuf *eb) __attribute__((warn_unused_result));
/* novaconf_parse() of the file at path (at most NOVACONF_FILE_MAX bytes);
 * a file that cannot be read is its negative errno, eb naming it. */
int novaconf_load(const char *path, struct novaconf **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
void novaconf_free(struct novaconf *n);
DEFINE_CLEANUP(struct novaconf, novaconf_free)

/* The agent's YAML for n: enabled_mdev_types and the mdev_types entries
 * that set something, values quoted.  Caller frees. */
char *novaconf_yaml(const struct novaconf *n);
