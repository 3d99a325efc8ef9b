/*
 * fault-proxy.h - a fault-injecting proxy in front of the real Placement.
 *
 * test/fault-proxy.py forwards every request to a real Placement
 * (test/placement-server.h) and, in the mode the test sets at run time,
 * breaks it the way a network or a sick server does: connections closed, 500,
 * 503 with Retry-After, truncated or ill-typed JSON, a 50 MB body, no answer
 * at all, or a genuine 409 from a generation it bumps in Placement itself.
 * It never makes up an answer Placement would give: no mock.
 *
 * Like the server, the proxy dies with the test process (PR_SET_PDEATHSIG),
 * runs in a process group of its own and is stopped by the cleanup.
 * Everything here aborts the current test (cr_assert) on failure.
 */
#pragma once

#include "cleanup.h"

struct fault_proxy;

/* Start a proxy to upstream ("http://127.0.0.1:PORT"); returns once it
 * listens, in mode "pass". */
struct fault_proxy *fault_proxy_start(const char *upstream);

/* "http://127.0.0.1:PORT", no trailing slash: the endpoint for the agent. */
const char *fault_proxy_url(const struct fault_proxy *p);

/* Switch to mode (see test/fault-proxy.py: pass, down, status500, 503retry,
 * malformed, wrongshape, huge, slow, bump409, delay).  With match non-NULL only
 * requests whose path contains it are faulted; the others pass. */
void fault_proxy_set(struct fault_proxy *p, const char *mode,
                     const char *match);

struct fault_proxy_stats {
    unsigned long received;  /* requests the agent sent (control excluded) */
    unsigned long forwarded; /* of those, passed on to Placement */
    unsigned long faulted;   /* of those, broken by the mode */
};
void fault_proxy_stats(const struct fault_proxy *p,
                       struct fault_proxy_stats *ret);

/* The proxy's request log, "MODE METHOD PATH [STATUS]" one a line (the last
 * 500); free() it. */
char *fault_proxy_log(const struct fault_proxy *p);

/* SIGTERM to its process group, SIGKILL after 2 s, reap.  NULL is a no-op. */
void fault_proxy_stop(struct fault_proxy *p);
DEFINE_CLEANUP(struct fault_proxy, fault_proxy_stop)
