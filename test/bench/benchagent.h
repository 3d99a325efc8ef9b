/*
 * benchagent.h - the built agent (src/vgpu-agent) as one child process of
 * a benchmark: its stderr, exit status, wall and CPU time and peak RSS,
 * and the cost of each pass it logged.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define BENCHAGENT_TIMEOUT_MS 180000L /* one process, 256 GPUs included */

/* One agent process. */
struct agent_run {
    int status;      /* exit status; 128 + signal if killed */
    char *err;       /* its stderr */
    long maxrss_kib; /* ru_maxrss */
    double ms;       /* wall time, spawn to exit */
    double cpu_ms;   /* its user + system time */
};

/* One "pass ...: ... ; N requests" line of the agent's log. */
struct pass_cost {
    unsigned long requests;
    unsigned created, updated, deleted;
    bool done;
};

/* CLOCK_MONOTONIC in ms. */
double benchagent_now_ms(void);

/* The "pass done: 0 created, 0 updated, 0 deleted; 1 requests" lines of
 * log: how many, the first max of them into ret (NULL: count only). */
size_t benchagent_passes(const char *log, struct pass_cost *ret, size_t max);

/* Run $VGPU_BUILDDIR/src/vgpu-agent with args until it exits; with
 * stop_after, SIGTERM it once it has logged that many passes.  Killed
 * after BENCHAGENT_TIMEOUT_MS.  ret->err is its stderr (free() it). */
void benchagent_run(const char *const *args, size_t stop_after,
                    struct agent_run *ret);
