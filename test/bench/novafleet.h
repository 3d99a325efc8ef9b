/*
 * novafleet.h - Nova's report client for K hosts in one Python process
 * (test/bench/nova-fleet.py), for `make bench-fleet` to set beside the
 * agents.
 */
#pragma once

#include <stddef.h>

struct novafleet_phase {
    unsigned long requests, passes; /* requests Nova sent; host passes */
    double ms;                      /* wall time */
};

struct novafleet {
    struct novafleet_phase first, steady, restart;
    unsigned long rss_anon_kib; /* the one process, after the steady phase */
};

/* Called at each of the script's marks ("first", "first-done", "steady",
 * "steady-done", "restart", "restart-done") while the script waits. */
typedef void (*novafleet_mark_fn)(const char *name, void *arg);

/* Run K hosts of the tree of dump_path (`vgpu-agent dump --format json`)
 * against the Placement at url: first start, steady_s seconds of passes
 * every interval_s, a restart.  Returns 0, or -1 with the script's output
 * in *ret_err (free() it). */
int novafleet_run(const char *url, const char *dump_path, size_t k,
                  unsigned interval_s, unsigned steady_s, novafleet_mark_fn fn,
                  void *arg, struct novafleet *ret, char **ret_err);
