/*
 * sync-batch.c - one round of a sync pass (see sync-batch.h).
 */
#include "config.h"

#include <stdlib.h>

#include "sync-batch.h"
#include "xalloc.h"

struct placement_call *
sync_batch_add(struct sync_batch *b, struct sync_job *j)
{
    xgrow(&b->calls, &b->cap, b->n, sizeof(*b->calls));
    xgrow(&b->jobs, &b->cap_jobs, b->n, sizeof(*b->jobs));
    b->calls[b->n] = (struct placement_call){ 0 };
    b->jobs[b->n] = j;
    return &b->calls[b->n++];
}

void
sync_batch_run(struct sync_batch *b, struct placement *pl, size_t max_parallel)
{
    if (b->n > 0)
        placement_run(pl, b->calls, b->n, max_parallel);
}

void
sync_batch_clear(struct sync_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        placement_call_clear(&b->calls[i]);
    free(b->calls);
    free(b->jobs);
    *b = (struct sync_batch){ 0 };
}
