/*
 * service.h - `run`: a pass (pass.h) every interval_s, for as long as the
 * caller keeps asking.
 *
 * The interval gets +-10% jitter, so a thousand hosts do not hit Placement
 * in step; a failed pass is retried after 1, 2, 4 ... s, capped at the
 * interval.  It never gives up because Placement is down or answers
 * garbage.  A reload re-reads the configuration between passes (an invalid
 * one is logged and the old one kept).  The loop that waits between passes
 * and turns signals into stop and reload is the caller's (cmd-run.c); the
 * rest is here, callable in-process.
 *
 * Part of the service layer (see hostload.h): it logs what it meets.
 */
#pragma once

#include <stdbool.h>

#include "cleanup.h"
#include "hostload.h"

#define SERVICE_INTERVAL_MIN 0.001 /* shorter is a busy loop */
#define SERVICE_INTERVAL_MAX 86400.0

struct service;

/* Read the configuration, check that it says where Placement is, and take
 * the agent's lock (held until service_free()).  interval: seconds between
 * passes instead of interval_s (0: interval_s).  Seeds rand() for the
 * jitter.  Returns 0, -EINVAL (the configuration, or no Placement in it)
 * or another negative errno (the lock), logged. */
int service_start(const struct hostload_opts *o, double interval,
                  struct service **ret) __attribute__((warn_unused_result));
void service_free(struct service *s); /* NULL is a no-op */
DEFINE_CLEANUP(struct service, service_free)

/* One pass; returns whether it succeeded (counted for the backoff). */
bool service_pass(struct service *s);
/* Passes failed in a row. */
unsigned service_failures(const struct service *s);
/* Seconds until the next pass: the interval with +-10% jitter, or the
 * backoff after failures. */
double service_next_wait(const struct service *s);
/* Re-read the configuration.  A valid one applies from the next pass,
 * with a new connection and token, everything re-read; an invalid one is
 * logged and the old one kept (-EINVAL). */
int service_reload(struct service *s);
