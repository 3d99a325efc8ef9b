/*
 * service.h - `run`: a pass (pass.h) every interval_s, for as long as the
 * caller keeps asking.
 *
 * The interval gets +-10% jitter, so a thousand hosts do not hit Placement
 * in step.  A failed pass is retried after a random delay in [0, interval),
 * then with exponential backoff and full jitter (a random delay in
 * [0, interval * 2^(failures - 1))), capped at SERVICE_BACKOFF_CAP = 1.5
 * intervals: a retrying host then tries about once an interval (every 0.75
 * on average), about as often as a working one, so when Placement comes
 * back after an outage a fleet's retries are spread like its steady passes,
 * and every host tries again within 1.5 intervals and is back, its pass
 * done, within 2 (with a cap of 2, a pass that takes a second on a busy
 * Placement ended past that).  The random numbers come
 * from a generator seeded per host (jitter.h).  It never gives up because
 * Placement is down or answers garbage.  A reload re-reads the configuration
 * between passes (an invalid one is logged and the old one kept).  The loop
 * that waits between passes and turns signals into stop and reload is the
 * caller's (cmd-run.c); the rest is here, callable in-process.
 *
 * Part of the service layer (see hostload.h): it logs what it meets.
 */
#pragma once

#include <stdbool.h>

#include "cleanup.h"
#include "hostload.h"

#define SERVICE_INTERVAL_MIN 0.001 /* shorter is a busy loop */
#define SERVICE_INTERVAL_MAX 86400.0
#define SERVICE_BACKOFF_CAP 1.5 /* the longest retry wait, in intervals */

struct service;

/* Read the configuration, check that it says where Placement is, and take
 * the agent's lock (held until service_free()).  interval: seconds between
 * passes instead of interval_s (0: interval_s).  Seeds the jitter from the
 * node's UUID, the pid and the time.  Returns 0, -EINVAL (the configuration, or
 * no Placement in it) or another negative errno (the lock), logged. */
int service_start(const struct hostload_opts *o, double interval,
                  struct service **ret) __attribute__((warn_unused_result));
void service_free(struct service *s); /* NULL is a no-op */
DEFINE_CLEANUP(struct service, service_free)

/* One pass; returns whether it succeeded (counted for the backoff). */
bool service_pass(struct service *s);
/* Passes failed in a row. */
unsigned service_failures(const struct service *s);
/* Seconds until the next pass: service_backoff() with the service's
 * interval, failures and generator. */
double service_next_wait(struct service *s);
/* The wait after failures passes failed in a row, u uniform in [0, 1): the
 * interval with +-10% jitter after a success; interval * u after the first
 * failure; span * u after more, span doubling from the interval and
 * capped at SERVICE_BACKOFF_CAP intervals. */
double service_backoff(double interval, unsigned failures, double u);
/* Re-read the configuration.  A valid one applies from the next pass,
 * with a new connection and token, everything re-read; an invalid one is
 * logged and the old one kept (-EINVAL). */
int service_reload(struct service *s);
