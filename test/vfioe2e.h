/*
 * vfioe2e.h - what the vendor-specific VFIO end-to-end tests share: the
 * A10 sample host on the live fake kernel, Debian's Placement, libvirt's
 * test driver for the guests, the fake NVML, and the agent binary run
 * against them with its state directory in the test's temporary
 * directory.
 */
#pragma once

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "agentrun.h"
#include "fixture.h"
#include "placement-server.h"

#define VFIOE2E_NODE "compute-a10_pci_0000_41_00_0"

struct vfioe2e {
    struct placement_server *srv;
    struct fakesys_live *live;
    char *tmp;    /* agent.yaml, state/, lock */
    char *kernel; /* the live fake kernel's root */
    char *uri;    /* libvirt_uri */
    char rp[37];  /* the A10's provider in Placement */
    struct agentrun run;
    cJSON *report; /* the last reconcile's JSON */
};

/* Placement, the live A10, the guests of test/data/vfio/<node> (NULL: a
 * URI that cannot be opened), settings appended to the configuration
 * (NULL: none); then `vgpu-agent sync`, and rp found by name. */
void vfioe2e_start(struct vfioe2e *e, const char *node, const char *extra);
/* Stops and frees everything; runs even after a failed assertion. */
void vfioe2e_stop(struct vfioe2e *e);

/* Run the agent with args (NULL-terminated) into e->run, with the fake
 * NVML serving the live fake kernel. */
void vfioe2e_agent(struct vfioe2e *e, const char *const *args);
/* `reconcile --format json [args]`, parsed into e->report. */
void vfioe2e_reconcile(struct vfioe2e *e, const char *const *args);
/* The entry of report[key] whose uuid is id (and action, if given). */
const cJSON *vfioe2e_entry(const struct vfioe2e *e, const char *key,
                           const char *id, const char *action);
int vfioe2e_count(const struct vfioe2e *e, const char *key);
/* A string field of a report entry; asserts it is there. */
const char *vfioe2e_field(const cJSON *entry, const char *name);

/* consumer takes n VGPU of the A10, as nova's scheduler would. */
void vfioe2e_claim(struct vfioe2e *e, const char *consumer, int n);
/* ... and gives them back. */
void vfioe2e_unclaim(struct vfioe2e *e, const char *consumer);

/* current_vgpu_type of VF vf on the fake kernel. */
unsigned vfioe2e_current(const struct vfioe2e *e, const char *vf);
/* Write value to VF vf's current_vgpu_type by hand; returns 0 or -errno. */
int vfioe2e_poke(const struct vfioe2e *e, const char *vf, const char *value);
/* "hold VF", "release VF", "reboot" to the fake kernel. */
void vfioe2e_control(const struct vfioe2e *e, const char *cmd);
/* The state file's text ("" when there is none). Caller frees. */
char *vfioe2e_state(const struct vfioe2e *e);
