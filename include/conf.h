/*
 * conf.h - the agent's YAML configuration (/etc/vgpu-agent/agent.yaml).
 *
 * conf_load() reads and validates the whole file and reports every problem
 * it finds, each as "FILE:LINE:COLUMN: what is wrong".  Keys are described by
 * one table in conf.c; adding a key is one line there plus a field here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "pciaddr.h"
#include "strv.h"

#define CONF_DEFAULT_PATH "/etc/vgpu-agent/agent.yaml"
#define CONF_DEFAULT_SYSFS_ROOT "/sys"
#define CONF_DEFAULT_PROVIDER_CONFIG_DIR "/etc/vgpu-agent/provider_config"

struct conf_type {
    char *id;                   /* "nvidia-35" */
    struct pci_addr *addresses; /* device_addresses, parsed */
    size_t n_addresses;
    char *mdev_class;           /* "VGPU" (default) or "CUSTOM_..." */
    unsigned max_instances;     /* 0: no host-wide cap */
    struct strv traits;         /* extra traits for GPUs of this type */
};

struct conf {
    char *path;                /* file read, or NULL for built-in defaults */
    char *node_name;           /* default: the host name */
    char *node_uuid;           /* lower-case, or NULL: derive from node_name */
    char *sysfs_root;          /* default "/sys" */
    struct conf_type *types;   /* the enabled types, in enabled_mdev_types order */
    size_t n_types;
    char *provider_config_dir; /* default CONF_DEFAULT_PROVIDER_CONFIG_DIR */
    bool provider_config_dir_set; /* given in the file: then it must exist */
};

/* Load path.  When explicit is false and path does not exist, the built-in
 * defaults are returned.  On any error returns a negative errno and appends
 * one message per problem to *errors (all of them, not the first only). */
int conf_load(const char *path, bool explicit, struct conf **ret,
              struct strv *errors) __attribute__((warn_unused_result));
/* The same from memory; name is used in messages (fuzzing, tests). */
int conf_load_buf(const char *name, const char *buf, size_t len,
                  struct conf **ret, struct strv *errors)
    __attribute__((warn_unused_result));
void conf_free(struct conf *c);
DEFINE_CLEANUP(struct conf, conf_free)

/* The enabled type with this id, or NULL. */
const struct conf_type *conf_find_type(const struct conf *c, const char *id);
