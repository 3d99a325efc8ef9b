/*
 * notes.c - lasting problems said once.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "notes.h"
#include "xalloc.h"

/* A problem and how to say that it cleared. */
struct note {
    char *msg;
    char *cleared_event; /* NULL: a plain "cleared: ..." warning */
    char *cleared_msg;   /* NULL: "cleared: <msg>" */
    char *consumer, *device, *gpu, *provider;
};

struct note_list {
    struct note *v;
    size_t n, cap;
};

struct notes {
    struct note_list noted; /* the problems logged at the last round */
    struct note_list now;   /* ... and those seen in this one */
};

static void
note_list_clear(struct note_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].msg);
        free(l->v[i].cleared_event);
        free(l->v[i].cleared_msg);
        free(l->v[i].consumer);
        free(l->v[i].device);
        free(l->v[i].gpu);
        free(l->v[i].provider);
    }
    free(l->v);
    *l = (struct note_list){ 0 };
}

static bool
note_list_has(const struct note_list *l, const char *msg)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].msg, msg) == 0)
            return true;
    return false;
}

static char *
dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void
note_list_add(struct note_list *l, char *msg, const struct log_fields *f,
              const char *cleared_event, const char *cleared_msg)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = (struct note){
        .msg = msg,
        .cleared_event = dup_or_null(cleared_event),
        .cleared_msg = dup_or_null(cleared_msg),
        .consumer = dup_or_null(f ? f->consumer : NULL),
        .device = dup_or_null(f ? f->device : NULL),
        .gpu = dup_or_null(f ? f->gpu : NULL),
        .provider = dup_or_null(f ? f->provider : NULL),
    };
}

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
    note_list_clear(&n->noted);
    note_list_clear(&n->now);
    free(n);
}

static void __attribute__((format(printf, 6, 0)))
notes_vsay(struct notes *n, enum log_level level, const struct log_fields *f,
           const char *cleared_event, const char *cleared_msg, const char *fmt,
           va_list ap)
{
    char *msg = xvasprintf(fmt, ap);

    if (!n) {
        log_event(level, f, "%s", msg);
        free(msg);
        return;
    }
    if (note_list_has(&n->now, msg)) {
        free(msg);
        return;
    }
    if (!note_list_has(&n->noted, msg))
        log_event(level, f, "%s", msg);
    note_list_add(&n->now, msg, f, cleared_event, cleared_msg);
}

void
notes_say(struct notes *n, enum log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    notes_vsay(n, level, NULL, NULL, NULL, fmt, ap);
    va_end(ap);
}

void
notes_event(struct notes *n, enum log_level level, const struct log_fields *f,
            const char *cleared_event, const char *cleared_msg, const char *fmt,
            ...)
{
    va_list ap;

    va_start(ap, fmt);
    notes_vsay(n, level, f, cleared_event, cleared_msg, fmt, ap);
    va_end(ap);
}

void
notes_round_end(struct notes *n)
{
    for (size_t i = 0; i < n->noted.n; i++) {
        const struct note *o = &n->noted.v[i];

        if (note_list_has(&n->now, o->msg))
            continue;
        if (!o->cleared_event)
            log_warn("cleared: %s", o->msg);
        else
            log_event(LOG_NOTICE,
                      &(struct log_fields){ .event = o->cleared_event,
                                            .consumer = o->consumer,
                                            .device = o->device,
                                            .gpu = o->gpu,
                                            .provider = o->provider },
                      "%s%s", o->cleared_msg ? "" : "cleared: ",
                      o->cleared_msg ? o->cleared_msg : o->msg);
    }
    note_list_clear(&n->noted);
    n->noted = n->now;
    n->now = (struct note_list){ 0 };
}
