/*
 * metrics.h - what `run` has done, in Prometheus's text exposition format.
 *
 * The service keeps one struct metrics for its whole life and, after every
 * pass, records the pass and the latest figures in it (through the
 * setters: the struct is opaque), then writes it to
 * metrics_file for node_exporter's textfile collector: a temporary file in
 * the same directory, fsync'd, renamed over the old one (mode 0644), so a
 * scrape never reads half a file.  Counters (..._total) only grow while
 * the process lives; vgpu_agent_start_time_seconds tells a restart.
 * `vgpu-agent status` reads the file back with metrics_parse().
 *
 * The metric names, one family each (see metrics.c and vgpu-agent(8)):
 *   vgpu_agent_start_time_seconds, vgpu_agent_passes_total,
 *   vgpu_agent_pass_failures_total, vgpu_agent_last_pass_success,
 *   vgpu_agent_last_pass_timestamp_seconds,
 *   vgpu_agent_last_pass_duration_seconds,
 *   vgpu_agent_last_success_timestamp_seconds,
 *   vgpu_agent_failing_since_timestamp_seconds,
 *   vgpu_agent_placement_requests_total{method,status},
 *   vgpu_agent_gpu_capacity / _reserved / _used{provider,uuid,address,
 *   mdev_type,resource_class}, vgpu_agent_mdevs_created_total,
 *   vgpu_agent_mdevs_removed_total, vgpu_agent_orphan_mdevs,
 *   vgpu_agent_unaccounted_guests, vgpu_agent_interval_seconds,
 *   vgpu_agent_last_error_info{message}.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cleanup.h"
#include "errbuf.h"
#include "placement.h"

#define METRICS_PREFIX "vgpu_agent_"

/* One GPU provider's inventory.  used < 0: unknown (reconcile disabled, or
 * the allocations could not be read yet). */
struct metrics_gpu {
    char *provider; /* "compute-m60_pci_0000_3e_00_0" */
    char *uuid;     /* as Placement knows it */
    char *address;  /* "0000:3e:00.0", or the mdev parent's name */
    char *mdev_type;
    char *rc; /* resource class */
    long total, reserved, used;
};

/* What the reconcile step did so far (metrics_set_reconcile()). */
struct metrics_reconcile {
    bool done; /* it got as far as planning at least once */
    unsigned long created, removed;     /* mdevs, over every step: counters */
    size_t orphans, unaccounted_guests; /* as the last plan found them */
};

struct metrics; /* opaque: the figures below go in through the setters */

/* start_time is now. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m); /* NULL is a no-op */
DEFINE_CLEANUP(struct metrics, metrics_free)

/* Count a pass that ended at end (unix seconds) after duration seconds. */
void metrics_record_pass(struct metrics *m, bool ok, double end,
                         double duration);
/* Replace the GPU list with a copy of gpus[0..n). */
void metrics_set_gpus(struct metrics *m, const struct metrics_gpu *gpus,
                      size_t n);
/* Replace the Placement request counts with a copy of v[0..n) (sorted by
 * method then status, as struct placement_counts keeps them). */
void metrics_set_requests(struct metrics *m, const struct placement_count *v,
                          size_t n);
/* The reconcile step's figures; the gauges appear once r->done. */
void metrics_set_reconcile(struct metrics *m,
                           const struct metrics_reconcile *r);

/* The interval the service runs with (vgpu_agent_interval_seconds). */
void metrics_set_interval(struct metrics *m, double seconds);
/* The last error of a failed pass (vgpu_agent_last_error_info{message},
 * valued with the time it was set); NULL keeps the one there is. */
void metrics_set_last_error(struct metrics *m, const char *msg);

/* Write the exposition text to out.  Returns 0 or -EIO. */
int metrics_render(const struct metrics *m, FILE *out);
/* Render to path atomically (see the top of this file).  Returns 0 or a
 * negative errno, eb naming the path; the old file, if any, is then
 * untouched and no temporary file is left behind. */
int metrics_write(const struct metrics *m, const char *path, struct errbuf *eb)
    __attribute__((warn_unused_result));

/* --- reading it back (metrics-parse.c) ---------------------------------- */

struct metrics_label {
    char *name;
    char *value; /* unescaped */
};

struct metrics_sample {
    char *name;
    struct metrics_label *labels;
    size_t n_labels;
    double value;
};

struct metrics_file {
    struct metrics_sample *v;
    size_t n;
};

#define METRICS_FILE_MAX (4u * 1024 * 1024) /* bytes metrics_parse reads */

/* Parse the exposition text in buf (comments skipped).  Returns 0, or
 * -EINVAL with eb naming "name:line". */
int metrics_parse(const char *name, const char *buf, struct metrics_file *ret,
                  struct errbuf *eb) __attribute__((warn_unused_result));
/* Read and parse path; -ENOENT etc. when it cannot be read, -EFBIG past
 * METRICS_FILE_MAX. */
int metrics_load(const char *path, struct metrics_file *ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
void metrics_file_clear(struct metrics_file *f);
/* The first sample called name (without labels or with), or NULL. */
const struct metrics_sample *metrics_find(const struct metrics_file *f,
                                          const char *name);
/* The first sample called name whose labels equal like's, or NULL. */
const struct metrics_sample *
metrics_find_like(const struct metrics_file *f, const char *name,
                  const struct metrics_sample *like);
/* The value of the label called name, or NULL. */
const char *metrics_label(const struct metrics_sample *s, const char *name);
