/*
 * fleet.h - N real agent processes for `make bench-fleet`, each its own
 * host: its node name, machine ID, state directory and lock, all of them
 * on one fake kernel tree of 4 time-sliced GPUs (test/bench/benchhost.c).
 * Sharing the tree is sound: the agents only read it (reconcile is on but
 * has no guest and no claim to act on) and every provider name and UUID
 * derives from the node name.
 *
 * Each agent runs `vgpu-agent -v run` with its stderr appended to its own
 * log file, so a restart keeps what the agent said before; fleet_scan()
 * reads the "pass done|incomplete: ...; N requests" lines written since a
 * mark.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FLEET_GPUS 4

struct fleet_agent {
    char *dir; /* conf, machine-id, state, lock, log */
    char *conf, *log, *node;
    pid_t pid;             /* -1: not running */
    long mark;             /* log offset of fleet_mark() */
    double done_ms;        /* when fleet_wait_done() first saw a done pass */
    unsigned long to_done; /* requests of its passes up to that one */
    unsigned long passes_to_done; /* its passes up to that one */
};

struct fleet {
    struct fleet_agent *agents;
    size_t n;
    char *dir, *sys;
    unsigned interval_s;
};

/* Scan of the agents' logs since their marks: every pass, by kind. */
struct fleet_scan {
    unsigned long passes, done, requests; /* over every agent */
    unsigned long one_request;            /* done passes of 1 request */
    unsigned long full, full_requests;    /* scheduled full re-reads */
    unsigned long failed; /* passes that did not finish, or came after an
                           * error (a timed-out write is read again) */
    unsigned long other, other_requests; /* the rest: unchanged passes of
                                          * more than 1 request */
    size_t hosts_done;                   /* agents with a done pass */
};

/* Make n hosts under a new temporary directory, their configuration
 * pointing at url; nothing runs yet. */
void fleet_prepare(struct fleet *f, size_t n, unsigned interval_s,
                   const char *url);

/* Start every agent that is not running, as close together as fork
 * allows. */
void fleet_start(struct fleet *f);

/* SIGTERM every running agent and reap them all. */
void fleet_stop(struct fleet *f);

/* Stop the agents and remove the directory; a zeroed fleet is a no-op. */
void fleet_free(struct fleet *f);

/* Remember every log's end: scans and waits count from here. */
void fleet_mark(struct fleet *f);

/* What the logs say since the mark. */
struct fleet_scan fleet_scan(const struct fleet *f);

/* Wait until every agent has logged a done pass since the mark, or
 * timeout_ms passed; fills each agent's done_ms and to_done.  Returns the
 * time the last one took (ms from start_ms, a testproc_now_ms() value), or
 * -1 on timeout. */
double fleet_wait_done(struct fleet *f, double start_ms, long timeout_ms);

/* Sum of the running agents' RssAnon, KiB. */
unsigned long fleet_anon_kib(const struct fleet *f);

/* Requests of the passes the agents logged since the mark after their
 * first done one (an early agent's next pass, while the last ones are
 * still on their first), summed; with those passes in *ret_passes.  They
 * reuse the connection, so Placement logged exactly these. */
unsigned long fleet_requests_after_done(const struct fleet *f,
                                        unsigned long *ret_passes);

/* Requests the agents counted up to their first done pass since the mark
 * (after fleet_wait_done()), summed; with their passes (failed ones and
 * the done one) in *ret_passes. */
unsigned long fleet_requests_to_done(const struct fleet *f,
                                     unsigned long *ret_passes);
