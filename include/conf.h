/*
 * conf.h - the agent's YAML configuration (/etc/vgpu-agent/agent.yaml).
 *
 * conf_load() reads and validates the whole file and reports every problem
 * it finds, each as "FILE:LINE:COLUMN: KEY.PATH: what is wrong".  Keys are
 * described by one table in conf.c (name, type, range, default, help),
 * walked by confwalk.c; adding a key is one entry there plus a field here
 * (a nested section: one entry, a sub-table and a struct), and its entries
 * in the manual and the example config, which test-confkeys checks.
 *
 * Decisions:
 *  - device_addresses name mdev parents.  A name containing ':' must be a
 *    PCI address (dddd:bb:ss.f, any case; stored lower-case); any other
 *    name ("mtty", the s390 "0.0.0010") is kept verbatim if it is a valid
 *    sysfs name: printable ASCII without spaces or '/', not "." or "..",
 *    at most 255 bytes.  Type ids follow the same rule.
 *  - Configured traits must be CUSTOM_ traits: the standard ones (display
 *    heads, resolutions) are derived by the agent from sysfs.
 *  - A key given with no value (`node_uuid:`) is an error for strings and
 *    numbers; for a list or a mapping it means empty.
 *  - Numbers must be plain YAML integers: `max_instances: "8"` is a string.
 *  - The Placement token is a secret: no message quotes it (nor a URL with
 *    user:password@, which is refused), conf_free() wipes it, and a file
 *    holding it (agent.yaml with placement.token, or token_file) must not
 *    be readable or writable by group or others (mode & 077 == 0).  A
 *    token is printable ASCII without spaces, at most 8192 bytes; from
 *    token_file, its first line.  token and token_file are one setting:
 *    giving both is an error.  An empty VGPU_AGENT_TOKEN is ignored.
 *  - placement.endpoint is http:// or https://, host[:port][/path], no
 *    query or fragment; stored with a lower-case scheme and no trailing '/'.
 *    Whether it is required is the command's business (sync, run).
 *  - placement.auth (Keystone) and a token are two ways to authenticate:
 *    giving both is an error, and so is placement.cloud with a token.  A
 *    config file holding placement.auth.password or
 *    application_credential_secret must be private, as for the token.
 *    What auth means once OS_* and clouds.yaml are merged in is clouds.h's.
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
#define CONF_DEFAULT_TIMEOUT_S 10
/* Two: more from one host at once finish no sooner on a Placement whose
 * uwsgi workers are threaded (they contend in one interpreter) and cost it
 * more CPU; a fleet's first start at 8 cost more requests, timed-out ones
 * repaired by later passes (README, Scale). */
#define CONF_DEFAULT_MAX_PARALLEL 2
#define CONF_DEFAULT_INTERVAL_S 60
#define CONF_DEFAULT_FULL_REFRESH_S 300
#define CONF_TOKEN_ENV "VGPU_AGENT_TOKEN" /* overrides the token */

struct conf_type {
    char *id;                   /* "nvidia-35" */
    struct strv parents;        /* device_addresses, canonical, in file order:
                                 * "0000:84:00.0" (lower case) or "mtty" */
    struct pci_addr *addresses; /* the PCI ones among parents, parsed */
    size_t n_addresses;
    char *mdev_class;       /* "VGPU" or "CUSTOM_..." */
    unsigned max_instances; /* 0: no host-wide cap */
    unsigned max_unit;      /* units one allocation may take from one GPU;
                             * 0: the default (1 for NVIDIA types, else
                             * the GPU's total) */
    struct strv traits;     /* extra traits for GPUs of this type */
    /* Where the file says it ("agent.yaml:12:7"), for messages that blame
     * a line; NULL when the file does not (a default, the built-in
     * configuration). */
    char *where;               /* the type's entry in enabled_mdev_types,
                                * else its mdev_types key */
    struct strv parents_where; /* parents[i]'s item in device_addresses */
    char *max_instances_where;
    char *max_unit_where;
};

/* placement.auth: Keystone v3 credentials, Nova's option names.  password
 * and application_credential_secret are secrets (wiped by conf_free());
 * the *_file forms are paths, read by clouds.c when auth is resolved. */
struct conf_auth {
    char *auth_url; /* "https://keystone:5000/v3" */
    char *username, *user_id;
    char *password;
    char *password_file;
    char *user_domain_name, *user_domain_id;
    char *project_name, *project_id;
    char *project_domain_name, *project_domain_id;
    char *application_credential_id;
    char *application_credential_secret;
    char *application_credential_secret_file;
};

struct conf_placement {
    struct conf_auth auth; /* placement.auth */
    bool auth_set;         /* placement.auth given in the file */
    char *region_name;     /* catalog region, or NULL: any */
    char *interface;       /* internal | public | admin, or NULL: not given */
    char *cloud;           /* a clouds.yaml cloud, or NULL */
    char *endpoint;        /* "http://127.0.0.1:8778", or NULL: not given */
    bool endpoint_set;     /* given in the file */
    /* X-Auth-Token: from token, token_file or CONF_TOKEN_ENV; NULL: none.
     * A secret: never print it; conf_free() wipes it. */
    char *token;
    char *token_file;      /* the file the token was read from, or NULL */
    bool token_from_env;   /* conf_apply_env() replaced it */
    char *cacert;          /* CA bundle (absolute path), or NULL: system's */
    bool insecure;         /* no TLS verification */
    unsigned timeout_s;    /* seconds per request */
    unsigned max_parallel; /* concurrent requests */
};

/* reconcile: how allocations become mdevs. */
struct conf_reconcile {
    bool enabled;            /* run reconciles after each sync */
    bool remove_orphans;     /* false: orphans are only reported */
    unsigned orphan_grace_s; /* an orphan younger than this stays */
    char *persist;           /* "mdevctl" or "none" */
    char *mdevctl_dir;       /* where mdevctl definitions go */
};

#define CONF_DEFAULT_LIBVIRT_URI "qemu:///system"
#define CONF_DEFAULT_MACHINE_ID_FILE "/etc/machine-id"
#define CONF_DEFAULT_NOVA_COMPUTE_ID_FILE "/var/lib/nova/compute_id"
#define CONF_DEFAULT_LOCK_FILE "/run/vgpu-agent/lock"
#define CONF_DEFAULT_STATE_DIR "/var/lib/vgpu-agent"
#define CONF_DEFAULT_MDEVCTL_DIR "/etc/mdevctl.d"
#define CONF_DEFAULT_ORPHAN_GRACE_S 300

struct conf {
    char *path;         /* file read, or NULL for built-in defaults */
    char *node_name;    /* the root provider's name */
    bool node_name_set; /* given in the file (else the host's name) */
    char *node_uuid;    /* lower-case, or NULL: derive from node_name */
    /* who this host is (nodeid.h): its machine ID, nova-compute's compute
     * node UUID, and whether the agent may create the root provider:
     * "auto" (not when nova-compute's file exists), "create", "adopt" */
    char *machine_id_file;
    bool machine_id_file_set; /* given in the file */
    char *nova_compute_id_file;
    char *root_provider;
    char *sysfs_root;        /* where sysfs is mounted */
    struct conf_type *types; /* enabled types, enabled_mdev_types order */
    size_t n_types;
    char *provider_config_dir;    /* Nova-style provider.yaml files */
    bool provider_config_dir_set; /* given in the file: then it must exist */
    /* enabled_mdev_types (or its alias enabled_vgpu_types) as written; what
     * callers want is types.  Absent: the keys of mdev_types are enabled. */
    struct strv enabled_mdev_types;
    bool enabled_mdev_types_set;
    struct conf_placement placement;
    unsigned interval_s; /* run: seconds between passes */
    char *lock_file;     /* run and reconcile hold it */
    /* run writes Prometheus metrics there after every pass, status reads
     * them; absolute; NULL (the default): no metrics. */
    char *metrics_file;
    /* the agent's own records: which VF belongs to which claim
     * (vfstate.h); absolute */
    char *state_dir;
    unsigned full_refresh_s; /* run: full re-read period; 0: every pass */
    char *libvirt_uri;       /* guests are read through it (read-only) */
    struct conf_reconcile reconcile;
    struct strv warnings; /* "FILE:LINE:COL: ..." of what loading ignored */
};

/* The built-in defaults, the key table's (conf.c); node_name from
 * gethostname() (hostload makes it the fully qualified name nova-compute
 * uses, see nodeid.h), no types. */
struct conf *conf_new(void);

/* Load path.  When explicit is false and path does not exist, the built-in
 * defaults are returned (with path NULL); an empty file gives them too.  On
 * any error returns a negative errno (-ENOENT for a missing explicit file,
 * -EINVAL for a bad one) and appends one message per problem to *errors
 * (all of them, not the first only); *ret is then untouched. */
int conf_load(const char *path, bool explicit, struct conf **ret,
              struct strv *errors) __attribute__((warn_unused_result));
/* The same from memory; name is used in messages (fuzzing, tests). */
int conf_load_buf(const char *name, const char *buf, size_t len,
                  struct conf **ret, struct strv *errors)
    __attribute__((warn_unused_result));
/* Let the environment override the file: CONF_TOKEN_ENV, if set and not
 * empty, replaces placement.token (and sets token_from_env).  Separate from
 * conf_load() so that loading stays hermetic; callers call it after. */
void conf_apply_env(struct conf *c);
/* NULL and half-built confs are fine; the token, password and application
 * credential secret are wiped before they are freed. */
void conf_free(struct conf *c);
DEFINE_CLEANUP(struct conf, conf_free)
/* Free a conf_auth's strings (secrets wiped) and zero it. */
void conf_auth_clear(struct conf_auth *a);

/* Append one "KEY: VALUE" line per key of the table to lines, with what c
 * holds: map entries expanded ("mdev_types.nvidia-35.traits: [...]"),
 * enabled_vgpu_types left out (it is enabled_mdev_types), secrets as
 * ********, unset values as "(not set)". */
void conf_show(const struct conf *c, struct strv *lines);

/* Where t's device_addresses entry i is in the file, or NULL when that is
 * not known (a conf built in memory). */
const char *conf_parent_where(const struct conf_type *t, size_t i);

/* The enabled type with this id, or NULL. */
const struct conf_type *conf_find_type(const struct conf *c, const char *id);
