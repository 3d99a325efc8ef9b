/*
 * agentenv.h - what an end-to-end test hands the agent: a directory of its
 * own, an agent.yaml in it, and a sysfs root (a materialized sample host
 * or the live fake kernel).
 *
 * Every test that runs the binary on a host keeps one struct agentenv: the
 * config always has a lock file in the directory (the default lock is the
 * whole machine's), and the calls below run the agent with that config and
 * root, so a test says only what differs.
 */
#pragma once

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "agentrun.h"
#include "fixture.h"
#include "placement-server.h"

struct agentenv {
    char *dir;                 /* agent.yaml, lock, mdevctl.d, ... */
    char *conf;                /* dir/agent.yaml */
    char *root;                /* the sysfs root; NULL until a host is set */
    struct fakesys_live *live; /* behind root, after agentenv_live() */
    struct agentproc *agent;   /* the service, after agentenv_start() */
    long patience_ms; /* agentenv_expect()'s; 0: AGENTENV_PATIENCE_MS */
};

/* How long a pass may take by default (sanitizers, a loaded CI box). */
#define AGENTENV_PATIENCE_MS 15000L

/* A fresh temporary directory; no host yet. */
void agentenv_init(struct agentenv *e);
/* Stop the service, remove the host and the directory, free; a zeroed env
 * is a no-op. */
void agentenv_clear(struct agentenv *e);

/* data/hosts/<host>.yaml materialized as the root. */
void agentenv_host(struct agentenv *e, const char *host);
/* The live fake kernel of yaml_rel (below data/ or test/data/:
 * "hosts/m60.yaml") as the root. */
void agentenv_live(struct agentenv *e, const char *yaml_rel);
/* The same, with device dev (as in fakesys_live_start_unplug())
 * hot-unplugged after that many reads of its files. */
void agentenv_live_unplug(struct agentenv *e, const char *yaml_rel,
                          const char *dev, unsigned long after);
/* Stop or remove the host; root is NULL again. */
void agentenv_drop_host(struct agentenv *e);

/* Make an mdev behind the agent's back: write uuid to the create file of
 * type on parent (as in class/mdev_bus); the kernel must accept it. */
void agentenv_create_mdev(const struct agentenv *e, const char *parent,
                          const char *type, const char *uuid);
/* Whether bus/mdev/devices/<uuid> exists. */
bool agentenv_has_mdev(const struct agentenv *e, const char *uuid);
/* Entries of bus/mdev/devices: the mdevs that exist. */
unsigned agentenv_count_mdevs(const struct agentenv *e);

/* dir/rel; caller frees. */
char *agentenv_path(const struct agentenv *e, const char *rel);
/* Write text to dir/rel, mode 0600 (fixture_write()); returns the path,
 * caller frees. */
char *agentenv_write(const struct agentenv *e, const char *rel,
                     const char *text);

/* agent.yaml, section by section in this order; NULL leaves a part out. */
struct agentconf {
    const char *settings_file; /* below test/data: "dump/m60.conf.yaml" */
    const char *settings;      /* more top-level lines: "interval_s: 1\n" */
    const char *libvirt_uri;   /* libvirt_uri: ... */
    /* (always: lock_file: DIR/lock) */
    bool reconcile;              /* reconcile: mdevctl_dir: DIR/mdevctl.d */
    const char *reconcile_extra; /* more lines of it (implies the section) */
    const char *endpoint;        /* placement: endpoint: ... token: ... */
    const char *token;           /* its token; NULL: TEST_TOKEN */
    const char *placement_extra; /* more lines of it: "  timeout_s: 1\n" */
    const char *placement;       /* instead: a whole placement section */
};

/* Write e->conf from c, mode 0600 (it holds a token), atomically: a SIGHUP
 * never reads half of it. */
void agentenv_write_conf(const struct agentenv *e, const struct agentconf *c);

/* `vgpu-agent -c CONF --sysfs-root ROOT args...` into r (cleared first). */
void agentenv_run(const struct agentenv *e, struct agentrun *r,
                  const char *const *args);
/* `dump --format json` with e's config and root, parsed; it must succeed.
 * Caller cJSON_Delete()s it. */
cJSON *agentenv_dump(const struct agentenv *e);
/* `vgpu-agent -v -c CONF --sysfs-root ROOT run args...` in the background
 * (args NULL: none), as e->agent; agentenv_clear() stops it. */
struct agentproc *agentenv_start(struct agentenv *e, const char *const *args);
/* Wait until the service logged n lines containing needle; fails the test,
 * showing the log, when e->patience_ms go by first. */
void agentenv_expect(const struct agentenv *e, const char *needle, unsigned n);
/* The same for n more such lines than it logged so far. */
void agentenv_expect_more(const struct agentenv *e, const char *needle,
                          unsigned n);

/* Placement (srv, read directly) holds what agentenv_dump() prints, each
 * provider once: by name too, not only in the root's tree (a duplicate
 * would be a second root), and no provider besides. */
void agentenv_assert_placement_holds(const struct agentenv *e,
                                     const struct placement_server *srv);
