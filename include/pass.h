/*
 * pass.h - one pass of the service: rescan sysfs, make Placement hold the
 * tree (sync), make the mdevs match the claims (reconcile), and record it
 * all in the metrics.
 *
 * What passes carry from one to the next lives in struct pass: the sync
 * cache (so an unchanged host costs one request), the claims the reconcile
 * step read, the metrics, and when the cache was last dropped (it is every
 * full_refresh_s), and the state file that keeps the cache across
 * restarts (sync-statefile.h).
 *
 * Part of the service layer (see hostload.h): it logs what it meets.
 */
#pragma once

#include <stdbool.h>

#include "cleanup.h"
#include "hostload.h"
#include "log.h"
#include "session.h"
#include "statefile.h"
#include "sync.h"

struct pass;

struct pass *pass_new(void);    /* the metrics' start time is now */
void pass_free(struct pass *p); /* NULL is a no-op */
DEFINE_CLEANUP(struct pass, pass_free)

/* The interval the service runs with, published in the metrics (status
 * judges staleness by it). */
void pass_set_interval(struct pass *p, double seconds);

/* Drop the cache at the next pass: re-read everything, and say the
 * configuration's slips (hostload_check()) again (a new config). */
void pass_refresh_next(struct pass *p);

/* The caller has just scanned the host (hostload_scan() succeeded): the
 * next pass uses that scan instead of scanning again. */
void pass_scanned(struct pass *p);

/* One pass: rescan h (unless pass_scanned()), open s if it is closed, sync (the
 * cache dropped first when due), reconcile when reconcile.enabled and the sync
 * went through, then record the pass in the metrics and write metrics_file.
 * After a failure short of the report, s is closed (Placement may have been
 * replaced) and the cache is kept but unconfirmed (sync-cache.h): the next
 * pass confirms it with one read, and reads everything afresh only when
 * the root it knew is gone.  Returns whether
 * Placement now holds the tree: reconcile's problems are logged, they are
 * no reason to back off from Placement. */
bool pass_run(struct pass *p, struct hostload *h, struct session *s);

/* What h's state files describe: its tree (the root's name) in the
 * Placement pl talks to. */
struct statefile_owner pass_state_owner(const struct hostload *h,
                                        const struct placement *pl);

/* Save the text (taken) of the state file what ("sync state") to path
 * unless it is *saved (statefile_update()).  A failed write costs the next
 * restart a full read of reread ("Placement"), no more: a warning the
 * first time (*warned), then debug. */
void pass_state_save(const char *what, const char *reread, const char *path,
                     char *text, char **saved, bool *warned);

/* Log a sync report's warnings and errors (an error naming the request
 * that failed as a request_failed event with its method, path and
 * status). */
void pass_log_problems(const struct sync_report *rep);

/* The sync step: session_sync() of h's tree, then what it wrote (a notice
 * per change, with its event name), its warnings, errors and cost logged
 * (the "pass done: ...; N requests" line at summary_level, or as an error
 * when the pass did not finish; N counted from requests_before: 0 for
 * every request of the connection).  s must be
 * open.  Returns 0 when Placement holds the tree, 1 when the pass ran but
 * did not finish (providers failed, or the root vanished: the report's
 * lines, logged, say which), or a negative errno when it could not start
 * (logged). */
int pass_sync(struct session *s, const struct hostload *h,
              struct sync_cache *cache, unsigned long requests_before,
              enum log_level summary_level);
