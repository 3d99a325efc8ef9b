/*
 * testcoexist.h - what the two sources of test-coexist share: a host the
 * agent runs on (a site), the binary's one Placement (placement-shared.h)
 * and one nova-compute (novacompute.h).
 *
 * Tests never share a provider: every node name and UUID is the test's
 * own, so one Placement serves them all, one test at a time (main()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "agentrun.h"
#include "fixture.h"
#include "novacompute.h"
#include "placement-shared.h"

/* One host the agent runs on: its directory (agent.yaml, lock, its own
 * machine-id and nova-compute's compute_id, mdevctl.d) and its sysfs. */
struct site {
    char *dir;
    char *root;                /* the sysfs root */
    struct fakesys_live *live; /* behind root, for a live site */
    struct agentrun run;       /* the last command's */
};

/* data/hosts/<host>.yaml, materialized or (live) the live fake kernel; a
 * machine-id of its own, no compute_id. */
void site_init(struct site *s, const char *host, bool live);
void site_clear(struct site *s); /* a zeroed site is a no-op */
/* dir/rel; caller frees. */
char *site_path(const struct site *s, const char *rel);
/* Write text to dir/rel. */
void site_put(const struct site *s, const char *rel, const char *text);
/* nova-compute runs here: its compute_id file holds uuid. */
void site_nova_id(const struct site *s, const char *uuid);
/* agent.yaml: settings (top-level lines: node_name, types), then the
 * machine ID, compute_id and lock paths in dir, reconcile into
 * dir/mdevctl.d, guests from test/data/reconcile/no-guests.xml, and the
 * shared Placement. */
void site_conf(const struct site *s, const char *settings);
/* `vgpu-agent -v -c agent.yaml --sysfs-root ROOT args...` into s->run. */
void site_agent(struct site *s, const char *const *args);
/* `sync`; its exit status. */
int site_sync(struct site *s);
/* `dump --format json`, parsed; caller cJSON_Delete()s. */
cJSON *site_dump(const struct site *s);

/* The UUID of the provider called name, or NULL; caller frees. */
char *coexist_uuid_of(const char *name);
/* "name=generation ..." of every provider in root's tree, by name; free(). */
char *coexist_generations(const char *root);
/* Inventories and traits of provider uuid as one sorted text, owner traits
 * included; free(). */
char *coexist_state(const char *uuid);
/* Placement holds what dump shows under root_uuid (its root aside, which
 * is nova-compute's): each GPU provider with its name, inventories and
 * traits plus one owner trait, and no other provider but them and the
 * root. */
void coexist_assert_gpus(const cJSON *dump, const char *root_uuid);
/* Whether provider uuid carries a CUSTOM_VGPU_HOST_ trait. */
bool coexist_has_owner(const char *uuid);

/* One nova-compute cycle that must go through (nova-compute.py). */
void coexist_nova(const char *uuid, const char *name,
                  const struct novacompute_child *children, size_t n,
                  bool refresh);
