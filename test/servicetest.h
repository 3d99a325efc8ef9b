/*
 * servicetest.h - what the service layer's tests share (test-service.c,
 * test-service-restart.c): the real Placement, a service on the m60
 * sample host (test/agentenv.h), and the ways to read back what
 * Placement, the metrics file and the fake kernel hold.
 */
#pragma once

#include <cjson/cJSON.h>

#include "agentenv.h"
#include "hostload.h"
#include "metrics.h"
#include "placement-server.h"
#include "service.h"

#define CONSUMER "6f1c2a4e-5b7d-4c8e-9f0a-1b2c3d4e5f60"
#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define GPU_3E "0000:3e:00.0"
#define REQUESTS METRICS_PREFIX "placement_requests_total"

extern struct placement_server *srv;
extern struct service *svc;
extern struct agentenv env; /* agent.yaml, the lock, the metrics file; m60 */

/* A suite's .init and .fini: Placement started, the m60 host; all gone. */
void servicetest_setup(void);
void servicetest_teardown(void);

/* agent.yaml: the m60 sample host's settings (nvidia-18 on GPU 3e with
 * traits), a metrics file in env's directory, extra lines, libvirt_uri, a
 * lock, and a placement section (none when endpoint is NULL). */
void write_conf(const char *traits, const char *uri, const char *extra,
                const char *endpoint);
/* write_conf() with no guests in libvirt and the test's Placement. */
void write_m60_conf(const char *traits);
/* The global options a command would get: -c agent.yaml --sysfs-root. */
struct hostload_opts opts(void);
void start_service(void);
/* Stop the service and start another, as a restart of the agent. */
void restart_service(void);
/* What `dump --format json` prints for the current agent.yaml. */
cJSON *dump(void);
void assert_placement_holds_the_host(void);
/* The metrics file run writes, parsed. */
void load_metrics(struct metrics_file *ret);
/* The value of the sample called name (label = value, when label). */
double metric(const char *name, const char *label, const char *value);
/* Placement requests in the metrics file with this status ("200",
 * "error"), or all of them (NULL). */
double requests(const char *status);
/* The Placement UUID of the tree's GPU provider at address. */
char *gpu_uuid(const struct hostload *h, const char *address);
/* The UUID of GPU_3E's provider, as the current agent.yaml makes it. */
char *gpu_3e_uuid(void);
/* The root's UUID of the current agent.yaml; caller frees. */
char *root_uuid_now(void);
/* consumer takes one VGPU of provider rp, as nova's scheduler would. */
void claim_one(const char *consumer, const char *rp);
