/*
 * reqlog.h - Placement's request log, counted: one
 * `127.0.0.1 "METHOD /path" status: ...` line per request, each line
 * starting with oslo.log's "YYYY-MM-DD HH:MM:SS.mmm" time stamp.
 */
#pragma once

#include <stddef.h>

struct reqlog_count {
    unsigned long requests, writes; /* writes: neither GET nor HEAD */
    unsigned long busiest;          /* most requests in one clock second */
};

/* Count the request lines of log from byte offset from on. */
struct reqlog_count reqlog_count(const char *log, size_t from);
