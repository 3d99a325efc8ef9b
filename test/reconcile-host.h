/*
 * reconcile-host.h - the world of a reconcile end-to-end test
 * (test/test-reconcile-e2e.c, test/test-reconcile-orphans.c): a live fake
 * kernel of a sample host (FUSE; creates and removes behave like the
 * kernel's), Debian's Placement, libvirt's test driver for the guests
 * (test:///.../node.xml from test/data/reconcile/), the agent's config,
 * and what its last command printed.
 *
 * One world per test process (Criterion runs each test in a process of its
 * own): rh, set up by rh_setup() and torn down by rh_teardown(), which a
 * test file names in its TestSuite().  rh_ stands for reconcile host.
 */
#pragma once

#include <cjson/cJSON.h>

#include "agentenv.h"
#include "placement-server.h"

#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

/* Consumers; C1 and C2 are the domains of reconcile/reboot.xml, C3 the one
 * of reconcile/rescue*.xml. */
#define C1 "11111111-1111-4111-8111-111111111111"
#define C2 "22222222-2222-4222-8222-222222222222"
#define C3 "33333333-3333-4333-8333-333333333333"
#define C4 "44444444-4444-4444-8444-444444444444"
#define C5 "55555555-5555-4555-8555-555555555555"

/* The mdevs the guests of reboot.xml and one-guest.xml reference. */
#define M_A "a1a1a1a1-0000-4000-8000-000000000001"
#define M_B1 "b2b2b2b2-0000-4000-8000-000000000002"
#define M_B2 "b2b2b2b2-0000-4000-8000-000000000003"
#define M_ORPHAN "0d0d0d0d-0000-4000-8000-0000000000aa"

/* m60 with test/data/dump/m60.conf.yaml: GPU 3d offers nvidia-11, GPU 3e
 * nvidia-18 (4 of them).  The providers' UUIDs are UUIDv5 of their names,
 * so they are fixed (checked against Placement in start_m60()). */
#define GPU_3D "0000:3d:00.0"
#define GPU_3E "0000:3e:00.0"
#define RP_3D "e4137598-d408-5bdf-9b22-f9c6dce755ac"
#define RP_3E "fe6a96b7-1751-5e79-850d-9e41aa8e5bd0"
#define PATH_3D                                                                \
    "devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/0000:3c:08.0/0000:3d:00.0"
#define PATH_3E                                                                \
    "devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/0000:3c:10.0/0000:3e:00.0"

/* a100-sriov: the PF's provider; VF 41:00.4 holds the host's one mdev. */
#define RP_A100 "0f41403b-8409-5207-abe5-16874ff7172c"
#define PATH_VF5 "devices/pci0000:40/0000:40:01.1/0000:41:00.5"
#define A100_MDEV "0b7c5e8a-2f8e-4c8b-9a51-6f0d3c2e1a10"

/* What Python says, computed independently of the agent:
 *   uuid.uuid5(uuid.UUID(C3), RP_3E + "/0") and "/1"
 *   uuid.uuid5(uuid.UUID(C1), RP_A100 + "/0")
 *   uuid.uuid5(uuid.UUID(C2), RP_3D + "/0") */
#define C3_3E_0 "77361569-b730-5b2d-9ae2-87962f278c1a"
#define C3_3E_1 "d00f3a22-f433-5b10-9c34-4b235b8ef1b4"
#define C1_A100_0 "73315e35-4bad-51bb-b17c-3d2f7fd1e6ac"
#define C2_3D_0 "7fef35b7-4fb3-506d-a3dd-385abeaee316"
/*   uuid.uuid5(uuid.UUID(C4), RP_3E + "/0"), the same for C5 */
#define C4_3E_0 "df625808-b9f5-5941-bc19-4ee969f6e295"
#define C5_3E_0 "bcf564e7-c44e-5872-9179-be6158e86234"

/* reconcile/shared-gpu.yaml: one GPU, V5_8 (4) and V5_4 (2) share a pool.
 *   uuid.uuid5(uuid.UUID(C3), RP_SHARED + "/" + i) for i = 0, 1, 2 */
#define GPU_SHARED "0000:00:02.0"
#define RP_SHARED "13f1d3d0-0b75-596c-b1b2-a7e44206878f"
#define PATH_SHARED "devices/pci0000:00/0000:00:02.0"
#define C3_SH_0 "53e53260-2881-5528-89c1-d3b2cef1d03f"
#define C3_SH_1 "2bb903d7-b461-594e-9b4b-a1bc148be0ca"
#define C3_SH_2 "b994539e-4e86-5565-853e-68f390aec8ec"

struct reconcile_host {
    struct placement_server *srv;
    struct agentenv env;   /* the live fake kernel; agent.yaml, mdevctl.d */
    char *kernel;          /* realpath of the live fake kernel's root */
    char *uri;             /* libvirt_uri of the test */
    const char *host_conf; /* "dump/m60.conf.yaml", ... below test/data */
    struct agentrun run;   /* what the last command printed */
    cJSON *report;         /* the last reconcile's JSON */
};

extern struct reconcile_host rh;

void rh_setup(void);
/* Runs even when an assertion failed: every process stops here. */
void rh_teardown(void);

/* The mdevctl directory of the test; caller frees. */
char *rh_mdevctl_dir(void);

/* agent.yaml = test/data/<host_conf>, the libvirt URI, a lock file, the
 * reconcile section (+ extra lines of it), the placement section. */
void rh_write_conf(const char *reconcile_extra);

/* `vgpu-agent -c CONF --sysfs-root ROOT args...` into rh.run; it printed
 * no sanitizer report. */
void rh_agent(const char *const *args);

/* Live fake kernel of host (a description below data/ or test/data/), its
 * config conf (below test/data/), guests from test/data/reconcile/<node>
 * (NULL: a libvirt URI that cannot be opened), `vgpu-agent sync`. */
void rh_start(const char *host, const char *conf, const char *node,
              const char *reconcile_extra);
/* The m60 host: GPU 3d offers nvidia-11, GPU 3e nvidia-18; the providers'
 * UUIDs are checked. */
void rh_start_m60(const char *node, const char *reconcile_extra);

/* Point the agent at the guests of test/data/reconcile/<node> from now on. */
void rh_switch_guests(const char *node, const char *reconcile_extra);

/* Placement knows the provider rp (the fixed UUID above) by name. */
void rh_assert_provider(const char *name, char *rp);

/* The body of a PUT /allocations/{consumer}: n VGPU of provider rp;
 * caller frees. */
char *rh_claim_body(const char *rp, int n);
/* consumer takes n VGPU of provider rp, as nova's scheduler would. */
void rh_claim(const char *consumer, const char *rp, int n);

/* `vgpu-agent reconcile --format json [args]`; its report in rh.report. */
void rh_reconcile(const char *const *args);

/* The entry of report[key] for uuid (and action, for "actions"), or NULL. */
const cJSON *rh_entry(const char *key, const char *uuid, const char *action);
/* String member name of e; it must be there. */
char *rh_field(const cJSON *e, const char *name);
/* Entries of report[key]. */
int rh_count(const char *key);
/* Actions of this kind ("create", ...) in the report. */
int rh_count_actions(const char *action);
/* The report has action on uuid for consumer, on parent, with result. */
void rh_assert_action(const char *action, const char *uuid, char *parent,
                      char *consumer, char *result);

/* The fake kernel has mdev uuid of type on the parent at parent_path:
 * bus/mdev/devices/<uuid> resolves to <parent_path>/<uuid>, whose mdev_type
 * link names the type. */
void rh_assert_mdev(const char *uuid, const char *parent_path, char *type);
void rh_assert_no_mdev(const char *uuid);
/* How many mdevs the fake kernel has. */
int rh_count_mdevs(void);
/* Make an mdev behind the agent's back: write uuid to the type's create. */
void rh_kernel_create(const char *parent, const char *type, const char *uuid);

/* The definition <mdevctl_dir>/<parent>/<uuid>, or NULL when absent;
 * caller frees. */
char *rh_definition(const char *parent, const char *uuid);
/* What `mdevctl define --auto` 1.2.0 writes (no trailing newline); caller
 * frees. */
char *rh_mdevctl_text(const char *type);
void rh_assert_defined(const char *parent, const char *uuid, const char *type);
