/*
 * reqlog.c - count Placement's request log (see reqlog.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "reqlog.h"

#define NEEDLE "127.0.0.1 \""
#define RANGE_S 7200 /* the longest window counted */

/* The line's time stamp in seconds (of the month: enough to tell seconds
 * apart within one bench), or -1. */
static long
line_second(const char *line)
{
    int y, mo, d, h, mi, s;

    if (sscanf(line, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6)
        return -1;
    return ((long)d * 24 + h) * 3600 + mi * 60L + s;
}

struct reqlog_count
reqlog_count(const char *log, size_t from)
{
    struct reqlog_count c = { 0 };
    static unsigned long per[RANGE_S]; /* requests per second from first */
    long first = -1;
    size_t len = strlen(log);

    memset(per, 0, sizeof(per));

    for (const char *p = log + (from < len ? from : len);
         (p = strstr(p, NEEDLE)) != NULL; p++) {
        const char *method = p + strlen(NEEDLE);
        const char *eol = strchr(p, '\n');
        const char *st = strstr(p, "\" status: ");
        const char *bol = p;
        long sec;

        if (!st || (eol && st > eol))
            continue;
        while (bol > log && bol[-1] != '\n')
            bol--;
        c.requests++;
        if (strncmp(method, "GET ", 4) != 0 && strncmp(method, "HEAD ", 5) != 0)
            c.writes++;
        sec = line_second(bol);
        if (first < 0)
            first = sec;
        /* the two workers' lines may interleave across a second */
        if (sec < 0 || sec < first || sec - first >= RANGE_S)
            continue;
        if (++per[sec - first] > c.busiest)
            c.busiest = per[sec - first];
    }
    return c;
}
