/*
 * testrunfaults.h - what the two sources of the test-run-faults binary
 * share (test-run-faults.c, test-run-host.c): the test's Placement, fault
 * proxy and agent, a background thread, and the helpers around them.  One
 * test runs per process (Criterion forks), so the state is one per test;
 * the suite's setup and teardown are in test-run-faults.c.
 */
#pragma once

#include "agentenv.h"
#include "fault-proxy.h"
#include "placement-server.h"
#include "testproc.h"

#define PASS_DONE ": pass done: "
#define PASS_INCOMPLETE ": pass incomplete: "
#define WAIT_MS 30000 /* patience for a pass (sanitizers, loaded CI box) */

/* m60 with test/data/dump/m60.conf.yaml: the providers' UUIDs are UUIDv5
 * of their names (see test-reconcile-e2e.c). */
#define GPU_3E "0000:3e:00.0"
#define RP_3D "e4137598-d408-5bdf-9b22-f9c6dce755ac"
#define RP_3E "fe6a96b7-1751-5e79-850d-9e41aa8e5bd0"
#define M_ORPHAN "0d0d0d0d-0000-4000-8000-0000000000aa"

extern struct placement_server *srv;
extern struct fault_proxy *proxy;   /* NULL unless the test starts one */
extern struct agentenv env;         /* agent.yaml, lock, mdevctl.d, node.xml */
extern struct testproc_thread busy; /* another writer, a changing host */

/* agent.yaml: test/data/dump/m60.conf.yaml (or settings, when not NULL) +
 * extra (top-level lines), the libvirt URI, reconcile_extra lines of the
 * reconcile section, a placement section for endpoint. */
void write_conf_settings(const char *settings, const char *extra,
                         const char *uri, const char *reconcile_extra,
                         const char *endpoint);
void write_conf(const char *extra, const char *uri, const char *reconcile_extra,
                const char *endpoint);

/* Placement holds what dump says, each provider once. */
void assert_placement_holds_dump(void);
