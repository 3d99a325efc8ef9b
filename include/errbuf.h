/*
 * errbuf.h - an error code for the program and a message for the human.
 *
 * Functions return 0 (or a count) on success and a negative errno on failure;
 * where the facts are, they also fill an errbuf with a message that quotes the
 * path, value or request.  Callers add context on the way up with
 * errbuf_prefix().  Every eb argument may be NULL.
 */
#pragma once

#define ERRBUF_MSG_MAX 1024

struct errbuf {
    int code;                 /* negative errno; 0 while no error */
    char msg[ERRBUF_MSG_MAX]; /* "class/mdev_bus/...: No such file" */
};

/* Set code and message; returns code so callers can `return errbuf_set(...)`.
 */
int errbuf_set(struct errbuf *eb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "<context>: " to the message; returns eb->code (or -EIO if eb is
 * NULL, so the caller still returns a failure). */
int errbuf_prefix(struct errbuf *eb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget a recorded error (after the caller decided to carry on). */
void errbuf_clear(struct errbuf *eb);
