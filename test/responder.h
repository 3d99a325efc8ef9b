/*
 * responder.h - a one-shot HTTP server on a loopback port, for the tests
 * of a client: it answers one request with a canned reply, or listens and
 * never answers (a silent server), or is closed so that nothing listens on
 * its port any more (a refused connection).
 */
#pragma once

#include <stdbool.h>

#include "cleanup.h"

struct responder;

/* Listen on a free loopback port.  Connections complete in the kernel's
 * backlog and are never answered until responder_answer().  Aborts the test
 * on failure. */
struct responder *responder_listen(void);

/* "http://127.0.0.1:PORT", no trailing slash. */
const char *responder_url(const struct responder *r);

/* From a thread of its own: accept one connection, read the request (its
 * head, and its body as long as Content-Length says), write reply verbatim
 * and close the connection.  Once per responder. */
void responder_answer(struct responder *r, const char *reply);

/* responder_answer() with "HTTP/1.1 <status>", Content-Type
 * application/json, the extra headers (each ending "\r\n"; "" for none),
 * Content-Length and Connection: close, then body. */
void responder_answer_json(struct responder *r, const char *status,
                           const char *headers, const char *body);

/* Wait until the answer went out; the request as received.  Valid until
 * responder_stop(). */
const char *responder_request(struct responder *r);

/* Whether a client connected that nobody answered yet (it is taken off
 * the backlog and closed).  Use it on a responder that never answers. */
bool responder_contacted(struct responder *r);

/* Stop listening (an accept still waiting fails) and close the socket:
 * connections to the port are refused from now on. */
void responder_close(struct responder *r);

/* responder_close() and free.  NULL is a no-op. */
void responder_stop(struct responder *r);
DEFINE_CLEANUP(struct responder, responder_stop)
