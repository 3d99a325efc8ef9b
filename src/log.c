/*
 * log.c - leveled lines on stderr, text or JSON (see log.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "log.h"
#include "xalloc.h"

static enum log_format log_format = LOG_FORMAT_TEXT;
static enum log_level log_max = LOG_LEVEL_DEFAULT;
static char *log_last; /* the last error message */

static const char *const log_names[] = {
    [LOG_ERROR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
    [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

void
log_setup(enum log_format format, enum log_level max_level)
{
    log_format = format;
    log_max = max_level;
}

const char *
log_last_error(void)
{
    return log_last;
}

void
log_last_error_reset(void)
{
    free(log_last);
    log_last = NULL;
}

int
log_enabled(enum log_level level)
{
    return level <= log_max;
}

/* "2026-12-05T18:40:50.123Z" */
static void
log_timestamp(char *buf, size_t size)
{
    struct timeval tv;
    struct tm tm;
    char sec[32];

    gettimeofday(&tv, NULL);
    if (!gmtime_r(&tv.tv_sec, &tm) ||
        strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(buf, size, "1970-01-01T00:00:00Z");
        return;
    }
    snprintf(buf, size, "%s.%03ldZ", sec, (long)tv.tv_usec / 1000);
}

static void
add_str(cJSON *o, const char *key, const char *value)
{
    if (value && *value)
        cJSON_AddStringToObject(o, key, value);
}

static void
log_json(enum log_level level, const struct log_fields *f, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    _cleanup_free_ char *line = NULL;
    char ts[64];

    log_timestamp(ts, sizeof(ts));
    cJSON_AddStringToObject(o, "ts", ts);
    cJSON_AddStringToObject(o, "level", log_names[level]);
    cJSON_AddStringToObject(o, "msg", msg);
    if (f) {
        add_str(o, "event", f->event);
        add_str(o, "provider", f->provider);
        add_str(o, "gpu", f->gpu);
        add_str(o, "consumer", f->consumer);
        add_str(o, "device", f->device);
        add_str(o, "method", f->method);
        add_str(o, "path", f->path);
        if (f->status)
            cJSON_AddNumberToObject(o, "status", (double)f->status);
        if (f->err)
            cJSON_AddNumberToObject(o, "errno", f->err < 0 ? -f->err : f->err);
    }
    line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (line)
        fprintf(stderr, "%s\n", line);
}

static void __attribute__((format(printf, 3, 0)))
log_vemit(enum log_level level, const struct log_fields *f, const char *fmt,
          va_list ap)
{
    _cleanup_free_ char *msg = NULL;

    if (level > log_max && level != LOG_ERROR)
        return;
    msg = xvasprintf(fmt, ap);
    if (level == LOG_ERROR) {
        free(log_last);
        log_last = xstrdup(msg);
    }
    if (level > log_max)
        return;
    if (log_format == LOG_FORMAT_JSON)
        log_json(level, f, msg);
    else
        fprintf(stderr, "vgpu-agent: %s: %s\n", log_names[level], msg);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vemit(level, NULL, fmt, ap);
    va_end(ap);
}

void
log_event(enum log_level level, const struct log_fields *f, const char *fmt,
          ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vemit(level, f, fmt, ap);
    va_end(ap);
}

void
log_failure(const char *event, int err, const struct errbuf_request *req,
            const char *msg)
{
    bool is_request = req && req->method[0];
    const struct log_fields f = {
        .event = is_request ? LOG_EVENT_REQUEST_FAILED : event,
        .method = is_request ? req->method : NULL,
        .path = is_request ? req->path : NULL,
        .status = is_request ? req->status : 0,
        .err = err,
    };

    log_event(LOG_ERROR, &f, "%s", msg);
}
