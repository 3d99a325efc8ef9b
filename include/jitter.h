/*
 * jitter.h - random delays that differ from host to host.
 *
 * A thousand agents started by one upgrade, or retrying after one outage,
 * must not wait in step: every generator is seeded from what differs
 * between hosts and processes (the node's UUID, the pid, the time in
 * nanoseconds), never from rand()'s shared, unseeded default.  Tests seed
 * it with a number instead, and get the same sequence every time.
 */
#pragma once

#include <stdint.h>

struct jitter {
    unsigned short x[3]; /* erand48()'s state */
};

/* Seed j from salt (the node's UUID; may be NULL), the pid and the time. */
void jitter_seed(struct jitter *j, const char *salt);
/* Seed j with seed alone: a repeatable sequence. */
void jitter_seed_fixed(struct jitter *j, uint64_t seed);
/* The next number, uniform in [0, 1). */
double jitter_next(struct jitter *j);
