/*
 * hostload.h - what every command starts from: the configuration, what
 * sysfs holds, and the provider tree built from them.
 *
 * hostload is the first module of the service layer (hostload, session,
 * agentlock, notes, hostplan, pass, service): the library's top, which the
 * commands (src/cmd-*.c) call and which `run`'s loop calls once a pass.
 * Unlike the modules below it, the service layer logs what it meets, once
 * (warnings, decisions, the error that stopped it); it returns a negative
 * errno that a command turns into its exit status: -EINVAL when the
 * configuration is at fault (2), anything else a failure (1).
 */
#pragma once

#include <stdbool.h>

#include "clouds.h"
#include "conf.h"
#include "host.h"
#include "nodeid.h"
#include "provconf.h"
#include "tree.h"

/* Where the configuration and sysfs are: the global options. */
struct hostload_opts {
    const char *conf_path;  /* -c FILE, or CONF_DEFAULT_PATH */
    bool conf_explicit;     /* -c given: a missing file is an error */
    const char *sysfs_root; /* --sysfs-root DIR, or NULL: from the config */
};

struct hostload {
    struct hostload_opts opts;
    struct conf *conf;
    struct clouds_auth *auth; /* how to authenticate: conf + OS_* + clouds */
    struct provconf *provconf;
    struct nodeid id;  /* who this host is (node name, owner, nova-compute) */
    struct host *hw;   /* what the kernel offers; NULL until a scan succeeded */
    struct tree *tree; /* NULL until a scan succeeded */
};

/* Load the configuration (the environment and clouds.yaml applied), the
 * host's identity (nodeid.h: node_name and node_uuid defaults applied) and
 * the provider config files, logging every problem.  Returns 0, or -EINVAL
 * with *ret untouched. */
int hostload_conf(const struct hostload_opts *o, struct hostload *ret)
    __attribute__((warn_unused_result));
/* (Re)scan sysfs, decide which type each GPU offers and rebuild the tree
 * with h's configuration, logging the warnings.  Returns 0, -EIO when
 * sysfs cannot be read, or -EINVAL when the configuration cannot make a
 * tree (logged); h->hw and h->tree are NULL then. */
int hostload_scan(struct hostload *h) __attribute__((warn_unused_result));
/* hostload_conf() then hostload_scan(); on failure *ret is untouched. */
int hostload_open(const struct hostload_opts *o, struct hostload *ret)
    __attribute__((warn_unused_result));
void hostload_clear(struct hostload *h); /* leaves it zeroed */

/* The sysfs root in use: --sysfs-root, else the configuration's. */
const char *hostload_sysfs_root(const struct hostload *h);
/* The configuration file's name for messages ("built-in defaults"). */
const char *hostload_conf_name(const struct hostload *h);
