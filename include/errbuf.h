/*
 * errbuf.h - an error code for the program and a message for the human.
 *
 * Functions return 0 (or a count) on success and a negative errno on failure;
 * where the facts are, they also fill an errbuf with a message that quotes the
 * path, value or request.  Callers add context on the way up with
 * errbuf_prefix().  Every eb argument may be NULL.
 *
 * When the error is an HTTP request's, the errbuf also names the request
 * (errbuf_set_request()), so a log line can carry its method, path and
 * status as fields instead of a reader parsing them out of the text.
 */
#pragma once

#define ERRBUF_MSG_MAX 1024

/* The request an error is about; method "" when it is not a request's. */
struct errbuf_request {
    char method[8];
    char path[256]; /* truncated if longer */
    long status;    /* the HTTP status; 0 when no response came */
};

struct errbuf {
    int code;                 /* negative errno; 0 while no error */
    char msg[ERRBUF_MSG_MAX]; /* "class/mdev_bus/...: No such file" */
    struct errbuf_request req;
};

/* Set code and message (and forget the request of an earlier error);
 * returns code so callers can `return errbuf_set(...)`. */
int errbuf_set(struct errbuf *eb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Name the request the error set last is about. */
void errbuf_set_request(struct errbuf *eb, const char *method, const char *path,
                        long status);

/* Prepend "<context>: " to the message (the request stays); returns eb->code
 * (or -EIO if eb is NULL, so the caller still returns a failure). */
int errbuf_prefix(struct errbuf *eb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget a recorded error (after the caller decided to carry on). */
void errbuf_clear(struct errbuf *eb);
