/*
 * sync-job.c - the providers a sync pass touches (see sync-job.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync-job.h"
#include "xalloc.h"

void
sync_job_fail(struct sync_job *j, const char *msg,
              const struct errbuf_request *req)
{
    if (j->failed)
        return;
    j->failed = true;
    j->why = xstrdup(msg);
    if (req)
        j->why_req = *req;
}

struct sync_job *
sync_jobs_add(struct sync_jobs *js, const char *uuid, const char *name)
{
    struct sync_job *j;

    xgrow(&js->v, &js->cap, js->n, sizeof(*js->v));
    j = &js->v[js->n++];
    *j = (struct sync_job){ .name = name };
    snprintf(j->uuid, sizeof(j->uuid), "%s", uuid);
    return j;
}

struct sync_job *
sync_jobs_find(const struct sync_jobs *js, const char *uuid)
{
    for (size_t i = 0; i < js->n; i++)
        if (strcmp(js->v[i].uuid, uuid) == 0)
            return &js->v[i];
    return NULL;
}

static void
job_clear(struct sync_job *j)
{
    free(j->why);
    free(j->clash);
    placement_invs_clear(&j->invs);
    strv_clear(&j->traits);
    for (size_t i = 0; i < j->n_new_invs; i++)
        inventory_clear(&j->new_invs[i]);
    free(j->new_invs);
    strv_clear(&j->new_traits);
    placement_allocs_clear(&j->allocs);
}

void
sync_jobs_clear(struct sync_jobs *js)
{
    for (size_t i = 0; i < js->n; i++)
        job_clear(&js->v[i]);
    free(js->v);
    *js = (struct sync_jobs){ 0 };
}
