/*
 * pass-metrics.h - the metrics step of a pass (pass.h): gather the figures
 * the pass left behind into struct metrics and write the file.
 *
 * The GPUs come from this pass's tree (kept from the last pass that built
 * one, when a scan failed); their Placement UUID from the sync cache (an
 * adopted provider keeps its own), else the tree's.  used comes from the
 * allocations the reconcile step read, so it is absent while reconcile is
 * disabled or has not read them yet.
 *
 * Part of the service layer (see hostload.h): it logs what it meets.
 */
#pragma once

#include <stdbool.h>

#include "hostload.h"
#include "metrics.h"
#include "pass-reconcile.h"
#include "placement.h"
#include "sync.h"

/* After a pass that ended ok or not and took duration seconds: record it
 * in m with h's GPUs, rc's figures and the request counts, and write h's
 * metrics_file, if set; a write failure is logged. */
void pass_metrics_record(struct metrics *m, const struct hostload *h,
                         const struct sync_cache *cache,
                         const struct pass_reconcile *rc,
                         const struct placement_counts *counts, bool ok,
                         double duration);
