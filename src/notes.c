/*
 * notes.c - lasting problems said once.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>

#include "notes.h"
#include "strv.h"
#include "xalloc.h"

struct notes {
    struct strv noted; /* the problems logged at the last round */
    struct strv now;   /* ... and those seen in this one */
};

struct notes *
notes_new(void)
{
    return xcalloc(1, sizeof(struct notes));
}

void
notes_free(struct notes *n)
{
    if (!n)
        return;
    strv_clear(&n->noted);
    strv_clear(&n->now);
    free(n);
}

void
notes_say(struct notes *n, enum log_level level, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (!n) {
        log_msg(level, "%s", msg);
        return;
    }
    if (strv_contains(&n->now, msg))
        return;
    if (!strv_contains(&n->noted, msg))
        log_msg(level, "%s", msg);
    strv_push(&n->now, msg);
}

void
notes_round_end(struct notes *n)
{
    for (size_t i = 0; i < n->noted.n; i++)
        if (!strv_contains(&n->now, n->noted.v[i]))
            log_warn("cleared: %s", n->noted.v[i]);
    strv_clear(&n->noted);
    n->noted = n->now;
    n->now = (struct strv){ 0 };
}
