/*
 * log.h - one line per event on stderr, with a level and, for events an
 * operator acts on, named fields.
 *
 * Only the top (a cmd-*.c, the service layer) logs; modules return errors
 * and collect warnings instead.  Text lines read "vgpu-agent: notice: ...";
 * LOG_FORMAT_JSON prints one JSON object per line for machines:
 * {"ts":"<RFC 3339>","level":"notice","msg":"...","event":"mdev_created",
 * "gpu":"0000:3d:00.0",...}, so `journalctl -o cat | jq
 * 'select(.event=="mdev_created")'` finds every mdev the agent made.  The
 * fields are passed as they are, never parsed back out of the text.
 *
 * Levels: errors and warnings always; notices (what the agent did: it
 * started, wrote a provider, made an mdev) by default; info with -v (every
 * decision, every pass); debug with -vv.
 */
#pragma once

#include "errbuf.h"

enum log_level { LOG_ERROR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

#define LOG_LEVEL_DEFAULT LOG_NOTICE

/* The facts of one event; NULL (or 0) leaves a field out.  event names
 * what happened, in snake_case, from a fixed set an operator can grep for
 * (LOG_EVENT_*). */
struct log_fields {
    const char *event;
    const char *provider; /* a resource provider's name */
    const char *gpu;      /* a GPU's PCI address */
    const char *consumer; /* a Placement consumer (an instance) */
    const char *device;   /* an mdev's UUID or a VF's address */
    const char *method;   /* an HTTP request's */
    const char *path;
    long status; /* HTTP status */
    int err;     /* errno, positive or negative (printed as positive) */
};

/* The event names; the man page (LOGGING) lists them. */
#define LOG_EVENT_STARTED "started"
#define LOG_EVENT_STOPPING "stopping"
#define LOG_EVENT_RELOADED "config_reloaded"
#define LOG_EVENT_RELOAD_FAILED "config_reload_failed"
#define LOG_EVENT_PLACEMENT_DOWN "placement_unreachable"
#define LOG_EVENT_PLACEMENT_UP "placement_reachable"
#define LOG_EVENT_PROVIDER_CREATED "provider_created"
#define LOG_EVENT_PROVIDER_DELETED "provider_deleted"
#define LOG_EVENT_PROVIDER_DRAINED "provider_drained"
#define LOG_EVENT_INVENTORY_CHANGED "inventory_changed"
#define LOG_EVENT_TRAITS_CHANGED "traits_changed"
#define LOG_EVENT_NAME_CREATED "name_created"
#define LOG_EVENT_MDEV_CREATED "mdev_created"
#define LOG_EVENT_MDEV_REMOVED "mdev_removed"
#define LOG_EVENT_MDEV_FAILED "mdev_failed"
#define LOG_EVENT_CLAIM_UNSATISFIED "claim_unsatisfied"
#define LOG_EVENT_CLAIM_SATISFIED "claim_satisfied"
#define LOG_EVENT_SYNC_DONE "sync_done"
#define LOG_EVENT_SYNC_FAILED "sync_failed"
#define LOG_EVENT_SYNC_ERROR "sync_error"
#define LOG_EVENT_REQUEST_FAILED "request_failed"

void log_setup(enum log_format format, enum log_level max_level);
/* The last error-level message logged since log_last_error_reset()
 * (printed or not); NULL if none.  Valid until the next log call.  The
 * service shows it in its metrics, for `status`. */
const char *log_last_error(void);
void log_last_error_reset(void);
/* Whether a line at level would be printed. */
int log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A line with fields (f NULL: none, as log_msg()). */
void log_event(enum log_level level, const struct log_fields *f,
               const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* An error line for a failure: event, or LOG_EVENT_REQUEST_FAILED with the
 * method, path and status as fields when req names the request that
 * failed (req may be NULL); err a negative errno or 0. */
void log_failure(const char *event, int err, const struct errbuf_request *req,
                 const char *msg);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
