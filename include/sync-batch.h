/*
 * sync-batch.h - one round of a sync pass: the Placement calls it makes,
 * each tied to the job it is for, sent as one concurrent batch.
 *
 * Every request a pass makes goes through a batch (a round of one where a
 * step needs the answer of the one before), so the rule "a round is one
 * concurrent batch" holds by construction:
 *
 *     struct sync_batch b = { 0 };
 *     placement_prep_get_traits(pl, sync_batch_add(&b, j), j->uuid);
 *     sync_batch_run(&b, pl, max_parallel);
 *     for (size_t i = 0; i < b.n; i++)
 *         ... placement_done_get_traits(pl, &b.calls[i], ...) for b.jobs[i]
 *     sync_batch_clear(&b);
 */
#pragma once

#include <stddef.h>

#include "placement.h"

struct sync_job;

struct sync_batch {
    struct placement_call *calls;
    struct sync_job **jobs; /* jobs[i]: what calls[i] is for; may be NULL */
    size_t n, cap, cap_jobs;
};

/* A new zeroed call for job j (NULL: for no job), to fill with a prep
 * half.  The pointer is valid until the next sync_batch_add(). */
struct placement_call *sync_batch_add(struct sync_batch *b, struct sync_job *j);
/* Send every call, at most max_parallel in flight; none: no request.  Each
 * call's result is read with its done half. */
void sync_batch_run(struct sync_batch *b, struct placement *pl,
                    size_t max_parallel);
/* Free the calls (responses included); b is empty and reusable. */
void sync_batch_clear(struct sync_batch *b);
