/*
 * log.c - leveled lines on stderr, text or JSON.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "log.h"
#include "xalloc.h"

static enum log_format log_format = LOG_FORMAT_TEXT;
static enum log_level log_max = LOG_INFO;

static const char *const log_names[] = {
    [LOG_ERROR] = "error",
    [LOG_WARNING] = "warning",
    [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug",
};

void
log_setup(enum log_format format, enum log_level max_level)
{
    log_format = format;
    log_max = max_level;
}

static void
log_json(enum log_level level, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    _cleanup_free_ char *line = NULL;

    cJSON_AddStringToObject(o, "level", log_names[level]);
    cJSON_AddStringToObject(o, "message", msg);
    line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (line)
        fprintf(stderr, "%s\n", line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    if (level > log_max)
        return;
    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (log_format == LOG_FORMAT_JSON)
        log_json(level, msg);
    else
        fprintf(stderr, "vgpu-agent: %s: %s\n", log_names[level], msg);
}
