/*
 * cmd.h - subcommands: a table entry each, dispatched by main.c.
 */
#pragma once

#include <stdbool.h>

#include "conf.h"
#include "errbuf.h"
#include "mdev.h"
#include "tree.h"

/* What the global options decided, shared by every subcommand. */
struct ctx {
    const char *conf_path;  /* -c FILE, or CONF_DEFAULT_PATH */
    int conf_explicit;      /* -c given: a missing file is an error */
    const char *sysfs_root; /* --sysfs-root DIR, or NULL: from the config */
};

/* Exit statuses every command uses. */
enum {
    CMD_EXIT_OK = 0,
    CMD_EXIT_FAILED = 1,
    CMD_EXIT_USAGE = 2,
};

struct cmd {
    const char *name;
    const char *args;    /* "[--format json|yaml|table|dot]" */
    const char *summary; /* one line for --help */
    /* argv[0] is the command name; returns an exit status. */
    int (*exec)(const struct ctx *ctx, int argc, char **argv);
};

extern const struct cmd cmd_dump, cmd_sync, cmd_run, cmd_reconcile, cmd_mdevs,
    cmd_check_config, cmd_status;

/* What every command starts from: the configuration, what sysfs holds and
 * the provider tree built from them. */
struct cmd_host {
    struct conf *conf;
    struct clouds_auth *auth; /* how to authenticate: conf + OS_* + clouds */
    struct provconf *provconf;
    struct mdev_host *mdev;
    struct tree *tree;
};

/* Load the configuration and provider config files (logging every
 * problem), then scan: cmd_host_conf() + cmd_host_scan().  Returns
 * CMD_EXIT_OK, or the exit status to stop with after the error was logged. */
int cmd_host_load(const struct ctx *ctx, struct cmd_host *ret);
/* Only the configuration part; on failure *ret is untouched. */
int cmd_host_conf(const struct ctx *ctx, struct cmd_host *ret);
/* (Re)scan sysfs and rebuild the tree with h's configuration. */
int cmd_host_scan(const struct ctx *ctx, struct cmd_host *h);
void cmd_host_clear(struct cmd_host *h);

struct http;
struct placement;
struct placement_counts;
struct keystone;
struct sync_cache;
struct sync_report;
/* Connect to the configured Placement and negotiate the microversion.
 * With Keystone credentials, *ks (created here when NULL; the caller
 * keeps it across calls so the token is reused) gets a token first when
 * it has none or it is about to expire, and the endpoint comes from the
 * catalog unless placement.endpoint is set.  Returns CMD_EXIT_OK,
 * CMD_EXIT_USAGE (no endpoint and no Keystone) or CMD_EXIT_FAILED, the
 * error logged. */
int cmd_placement_open(const struct cmd_host *h,
                       struct placement_counts *counts, struct keystone **ks,
                       struct http **ret_http, struct placement **ret_pl);
/* Whether h knows where Placement is (an endpoint, or Keystone's catalog). */
bool cmd_placement_configured(const struct cmd_host *h);
/* sync_pass() with the token looked after: renewed first when about to
 * expire, and on a 401 (-EACCES) renewed at once and the pass retried
 * once.  ks NULL: no Keystone, just sync_pass(). */
int cmd_sync_pass(const struct cmd_host *h, struct keystone *ks,
                  struct http *http, struct placement *pl,
                  struct sync_cache *cache, struct sync_report *rep,
                  struct errbuf *eb);

struct reconcile_claim;
/* The host, a Placement connection and the claims on the host's GPUs:
 * what reconcile and mdevs start from. */
struct cmd_claims {
    struct cmd_host host;
    struct keystone *ks;
    struct http *http;
    struct placement *pl;
    struct reconcile_claim *claims;
    size_t n_claims;
};
int cmd_claims_load(const struct ctx *ctx, struct cmd_claims *ret);
void cmd_claims_clear(struct cmd_claims *c);

struct guests;
struct reconcile_plan;
struct reconcile_report;
/* Guests through libvirt; NULL (logged) when it cannot be reached: then
 * nothing counts as an orphan. */
struct guests *cmd_load_guests(const struct conf *c);
/* Act on a reconcile plan under the configured sysfs root; returns
 * CMD_EXIT_FAILED when something could not be fixed. */
int cmd_reconcile_act(const struct ctx *ctx, const struct cmd_host *host,
                      bool dry_run, bool remove_orphans,
                      const struct reconcile_plan *p,
                      struct reconcile_report *rep);

/* Take the agent's lock (flock on conf's lock_file; its directory is made
 * if missing): one agent acts on a host at a time.  Returns the open fd
 * (the lock lasts as long as it is open), or -1 after logging who holds
 * it. */
int cmd_lock(const struct conf *c);

/* Log a pass's warnings, errors and cost (requests since requests_before);
 * r is sync_pass()'s result.  Returns the exit status it means. */
int cmd_sync_report(const struct sync_report *rep, const struct placement *pl,
                    unsigned long requests_before, int r);
