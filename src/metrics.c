/*
 * metrics.c - the service's counters and gauges, rendered in Prometheus's
 * text exposition format (version 0.0.4) and written atomically.
 *
 * Every family gets its # HELP and # TYPE lines, even with no sample yet,
 * so a scrape shows what exists.  Label values are escaped as the format
 * says (backslash, double quote, newline); HELP text escapes backslash and
 * newline.  Names follow the Prometheus conventions: a vgpu_agent_ prefix,
 * _total on counters only, base units (seconds) in the name.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomicfile.h"
#include "cleanup.h"
#include "errbuf.h"
#include "metrics.h"
#include "xalloc.h"

struct metrics {
    double start_time; /* unix seconds */
    unsigned long passes, failures;
    bool last_ok;
    double last_pass_time;    /* unix seconds when it ended; 0: no pass yet */
    double last_duration;     /* seconds */
    double last_success_time; /* 0: never */
    double failing_since;     /* end of the first failed pass in a row; 0 */
    struct metrics_gpu *gpus; /* from the last pass that built a tree */
    size_t n_gpus;
    struct metrics_reconcile reconcile;
    struct placement_count *requests; /* a copy: by method and status */
    size_t n_requests;
    double interval;        /* seconds between passes; 0: not set */
    char *last_error;       /* of the last failed pass; NULL: none */
    double last_error_time; /* unix seconds */
};

static double
wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct metrics *
metrics_new(void)
{
    struct metrics *m = xcalloc(1, sizeof(*m));

    m->start_time = wall_now();
    return m;
}

static void
gpus_clear(struct metrics *m)
{
    for (size_t i = 0; i < m->n_gpus; i++) {
        free(m->gpus[i].provider);
        free(m->gpus[i].uuid);
        free(m->gpus[i].address);
        free(m->gpus[i].mdev_type);
        free(m->gpus[i].rc);
    }
    free(m->gpus);
    m->gpus = NULL;
    m->n_gpus = 0;
}

void
metrics_free(struct metrics *m)
{
    if (!m)
        return;
    gpus_clear(m);
    free(m->requests);
    free(m->last_error);
    free(m);
}

void
metrics_record_pass(struct metrics *m, bool ok, double end, double duration)
{
    m->passes++;
    m->last_pass_time = end;
    m->last_duration = duration;
    if (ok) {
        m->last_success_time = end;
        m->failing_since = 0;
    } else {
        m->failures++;
        if (m->last_ok || m->passes == 1)
            m->failing_since = end;
    }
    m->last_ok = ok;
}

static char *
dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

void
metrics_set_gpus(struct metrics *m, const struct metrics_gpu *gpus, size_t n)
{
    gpus_clear(m);
    m->gpus = xcalloc(n ? n : 1, sizeof(*m->gpus));
    for (size_t i = 0; i < n; i++) {
        m->gpus[i] = gpus[i];
        m->gpus[i].provider = dup_or_empty(gpus[i].provider);
        m->gpus[i].uuid = dup_or_empty(gpus[i].uuid);
        m->gpus[i].address = dup_or_empty(gpus[i].address);
        m->gpus[i].mdev_type = dup_or_empty(gpus[i].mdev_type);
        m->gpus[i].rc = dup_or_empty(gpus[i].rc);
    }
    m->n_gpus = n;
}

void
metrics_set_requests(struct metrics *m, const struct placement_count *v,
                     size_t n)
{
    free(m->requests);
    m->requests = xcalloc(n ? n : 1, sizeof(*m->requests));
    if (n)
        memcpy(m->requests, v, n * sizeof(*v));
    m->n_requests = n;
}

void
metrics_set_reconcile(struct metrics *m, const struct metrics_reconcile *r)
{
    m->reconcile = *r;
}

void
metrics_set_interval(struct metrics *m, double seconds)
{
    m->interval = seconds;
}

void
metrics_set_last_error(struct metrics *m, const char *msg)
{
    if (!msg)
        return;
    free(m->last_error);
    m->last_error = xstrdup(msg);
    m->last_error_time = wall_now();
}

/* --- rendering --------------------------------------------------------- */

static void
put_escaped(FILE *out, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else if (*s == '"' && quote)
            fputs("\\\"", out);
        else
            fputc(*s, out);
    }
}

static void
family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP " METRICS_PREFIX "%s ", name);
    put_escaped(out, help, false);
    fprintf(out, "\n# TYPE " METRICS_PREFIX "%s %s\n", name, type);
}

static void
label(FILE *out, bool first, const char *name, const char *value)
{
    fprintf(out, "%s%s=\"", first ? "" : ",", name);
    put_escaped(out, value, true);
    fputc('"', out);
}

/* A scalar family: HELP, TYPE and one sample; %.17g keeps every digit of a
 * double and prints integers as integers. */
static void
scalar(FILE *out, const char *name, const char *type, const char *help,
       double value)
{
    family(out, name, type, help);
    fprintf(out, METRICS_PREFIX "%s %.17g\n", name, value);
}

static void
render_passes(const struct metrics *m, FILE *out)
{
    scalar(out, "start_time_seconds", "gauge",
           "When the service started, in unix seconds.", m->start_time);
    scalar(out, "passes_total", "counter",
           "Passes (scan, sync with Placement, reconcile) run.",
           (double)m->passes);
    scalar(out, "pass_failures_total", "counter",
           "Passes that did not leave Placement holding the host's tree.",
           (double)m->failures);
    if (m->interval > 0)
        scalar(out, "interval_seconds", "gauge",
               "Seconds between passes the service runs with (status "
               "judges staleness by it).",
               m->interval);
    if (m->last_error) {
        family(out, "last_error_info", "gauge",
               "The last error a failed pass logged (label message); the "
               "value is when, in unix seconds.");
        fputs(METRICS_PREFIX "last_error_info{", out);
        label(out, true, "message", m->last_error);
        fprintf(out, "} %.17g\n", m->last_error_time);
    }
    if (m->passes == 0)
        return;
    scalar(out, "last_pass_success", "gauge",
           "1 if the last pass succeeded, else 0.", m->last_ok ? 1 : 0);
    scalar(out, "last_pass_timestamp_seconds", "gauge",
           "When the last pass ended, in unix seconds.", m->last_pass_time);
    scalar(out, "last_pass_duration_seconds", "gauge",
           "How long the last pass took.", m->last_duration);
    scalar(out, "last_success_timestamp_seconds", "gauge",
           "When the last successful pass ended, in unix seconds; 0: never.",
           m->last_success_time);
    scalar(out, "failing_since_timestamp_seconds", "gauge",
           "When the first of the failed passes in a row ended, in unix "
           "seconds; 0 while the last pass succeeded.",
           m->failing_since);
}

static void
render_requests(const struct metrics *m, FILE *out)
{
    family(out, "placement_requests_total", "counter",
           "Requests sent to Placement, by method and HTTP status "
           "(status \"error\": no response came back).");
    for (size_t i = 0; i < m->n_requests; i++) {
        const struct placement_count *c = &m->requests[i];
        char status[24];

        if (c->status == 0)
            snprintf(status, sizeof(status), "error");
        else
            snprintf(status, sizeof(status), "%ld", c->status);
        fputs(METRICS_PREFIX "placement_requests_total{", out);
        label(out, true, "method", c->method);
        label(out, false, "status", status);
        fprintf(out, "} %lu\n", c->n);
    }
}

enum gpu_field { GPU_TOTAL, GPU_RESERVED, GPU_USED };

static void
render_gpu_family(const struct metrics *m, FILE *out, enum gpu_field f)
{
    static const char *const names[] = { "gpu_capacity", "gpu_reserved",
                                         "gpu_used" };
    static const char *const helps[] = {
        "Units of the GPU provider's inventory (mdevs it can hold).",
        "Units of the GPU provider's inventory reserved.",
        ("Units allocated to consumers in Placement, as the last reconcile "
         "read them; absent while unknown (reconcile disabled)."),
    };

    family(out, names[f], "gauge", helps[f]);
    for (size_t i = 0; i < m->n_gpus; i++) {
        const struct metrics_gpu *g = &m->gpus[i];
        long v = f == GPU_TOTAL      ? g->total
                 : f == GPU_RESERVED ? g->reserved
                                     : g->used;

        if (v < 0)
            continue;
        fprintf(out, METRICS_PREFIX "%s{", names[f]);
        label(out, true, "provider", g->provider);
        label(out, false, "uuid", g->uuid);
        label(out, false, "address", g->address);
        label(out, false, "mdev_type", g->mdev_type);
        label(out, false, "resource_class", g->rc);
        fprintf(out, "} %ld\n", v);
    }
}

static void
render_reconcile(const struct metrics *m, FILE *out)
{
    scalar(out, "mdevs_created_total", "counter",
           "mdevs the reconcile step created.", (double)m->reconcile.created);
    scalar(out, "mdevs_removed_total", "counter",
           "mdevs the reconcile step removed (orphans).",
           (double)m->reconcile.removed);
    if (!m->reconcile.done)
        return;
    scalar(out, "orphan_mdevs", "gauge",
           "mdevs the agent manages that no claim and no guest holds, as "
           "the last reconcile found them.",
           (double)m->reconcile.orphans);
    scalar(out, "unaccounted_guests", "gauge",
           "Guests using an mdev that no allocation in Placement accounts "
           "for, as the last reconcile found them.",
           (double)m->reconcile.unaccounted_guests);
}

int
metrics_render(const struct metrics *m, FILE *out)
{
    render_passes(m, out);
    render_requests(m, out);
    render_gpu_family(m, out, GPU_TOTAL);
    render_gpu_family(m, out, GPU_RESERVED);
    render_gpu_family(m, out, GPU_USED);
    render_reconcile(m, out);
    return ferror(out) ? -EIO : 0;
}

/* --- writing ----------------------------------------------------------- */

int
metrics_write(const struct metrics *m, const char *path, struct errbuf *eb)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    int r;

    if (!mem)
        return errbuf_set(eb, -ENOMEM, "%s: out of memory", path);
    r = metrics_render(m, mem);
    if (fclose(mem) != 0 && r == 0)
        r = -EIO;
    if (r < 0)
        return errbuf_set(eb, r, "%s: cannot render the metrics", path);
    return atomicfile_replace(path, text, len, 0644, eb);
}
