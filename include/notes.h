/*
 * notes.h - lasting problems, logged when they first appear and once when
 * they clear, not at every pass.
 *
 * What stays wrong from pass to pass (libvirt unreachable, a misplaced or
 * unaccounted mdev) would otherwise be logged every interval, burying the
 * one line that matters.  A round is a pass: notes_say() during it, then
 * notes_round_end().  A one-shot command passes NULL: notes_say() then
 * just logs.
 *
 * Part of the service layer (see hostload.h): it logs.
 */
#pragma once

#include "cleanup.h"
#include "log.h"

struct notes;

struct notes *notes_new(void);
void notes_free(struct notes *n); /* NULL is a no-op */
DEFINE_CLEANUP(struct notes, notes_free)

/* A problem seen in this round: logged at level unless the last round saw
 * it too (or this one did already).  n NULL: logged. */
void notes_say(struct notes *n, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, with the event's fields (f: event, consumer, device, gpu,
 * provider are kept) and the event logged with them, as a notice, when
 * the problem clears (cleared_event NULL: a warning, as notes_say()), in
 * the words of cleared_msg ("the claim ... is met"; NULL: "cleared: "
 * and the problem). */
void notes_event(struct notes *n, enum log_level level,
                 const struct log_fields *f, const char *cleared_event,
                 const char *cleared_msg, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* End of a round: log "cleared: <problem>" (or its cleared_msg) (whoever saw
 * the problem sees it end) for each of the last round's problems this one
 * did not see. */
void notes_round_end(struct notes *n);
