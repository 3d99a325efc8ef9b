/*
 * errbuf.c - error code + message, filled where the facts are.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"

int
errbuf_set(struct errbuf *eb, int code, const char *fmt, ...)
{
    va_list ap;

    if (!eb)
        return code;
    eb->code = code;
    eb->req = (struct errbuf_request){ 0 };
    va_start(ap, fmt);
    vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
    va_end(ap);
    return code;
}

void
errbuf_set_request(struct errbuf *eb, const char *method, const char *path,
                   long status)
{
    if (!eb)
        return;
    snprintf(eb->req.method, sizeof(eb->req.method), "%s", method);
    snprintf(eb->req.path, sizeof(eb->req.path), "%s", path);
    eb->req.status = status;
}

int
errbuf_prefix(struct errbuf *eb, const char *fmt, ...)
{
    char prefix[ERRBUF_MSG_MAX];
    char old[ERRBUF_MSG_MAX];
    va_list ap;

    if (!eb)
        return -EIO;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, eb->msg, sizeof(old));
    /* Truncation keeps the start of the message, which names the object. */
    if (snprintf(eb->msg, sizeof(eb->msg), "%s: %s", prefix, old) < 0)
        eb->msg[0] = '\0';
    if (eb->code == 0) /* context on no error: still a failure, and says so */
        eb->code = -EIO;
    return eb->code;
}

void
errbuf_clear(struct errbuf *eb)
{
    if (!eb)
        return;
    eb->code = 0;
    eb->msg[0] = '\0';
    eb->req = (struct errbuf_request){ 0 };
}
