/*
 * novasync.h - Nova's report client doing a compute node's first sync, for
 * `make bench` to compare the agent with (test/bench/nova-sync.py, under
 * Debian's /usr/bin/python3 with python3-nova).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct novasync {
    double ms;              /* the report client's calls, Python start-up
                               and imports not included */
    double cpu_ms;          /* its own CPU time over those calls */
    unsigned long requests; /* requests it sent */
};

/* Whether python3-nova is installed. */
bool novasync_available(void);

/* Sync the providers of dump_path (`vgpu-agent dump --format json`) into
 * the Placement at url as nova-compute would on its first start.  Returns
 * 0, or -1 with the script's output in *ret_err (free() it). */
int novasync_run(const char *url, const char *dump_path, struct novasync *ret,
                 char **ret_err);

/* One host size: the agent's first sync and Nova's. */
struct novasync_vs {
    unsigned gpus;
    unsigned long agent_requests;
    double agent_ms, agent_cpu_ms; /* wall; the agent's own CPU */
    double agent_server_ms;        /* Placement's CPU for the agent */
    struct novasync nova;
    double nova_server_ms;     /* Placement's CPU for Nova */
    unsigned long nova_logged; /* what Placement's request log counted */
    bool nova_done;            /* false: python3-nova is missing */
};

/* Print the comparison table of n sizes on stdout. */
void novasync_print(const struct novasync_vs *rows, size_t n);
