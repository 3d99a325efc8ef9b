/*
 * responder.c - accept one connection, answer it, from a thread.
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "responder.h"
#include "xalloc.h"

struct responder {
    int fd; /* the listening socket; -1 once closed */
    char *url;
    char *reply;
    pthread_t thread;
    bool running; /* thread started and not yet joined */
    char request[16384];
};

struct responder *
responder_listen(void)
{
    struct responder *r = xcalloc(1, sizeof(*r));
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);

    r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(r->fd >= 0);
    cr_assert(bind(r->fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    cr_assert(listen(r->fd, 8) == 0);
    cr_assert(getsockname(r->fd, (struct sockaddr *)&a, &len) == 0);
    r->url = xasprintf("http://127.0.0.1:%d", ntohs(a.sin_port));
    return r;
}

const char *
responder_url(const struct responder *r)
{
    return r->url;
}

/* Whether buf (len bytes) holds a whole request: the head and as much body
 * as its Content-Length says. */
static bool
request_complete(const char *buf, size_t len)
{
    const char *head_end = strstr(buf, "\r\n\r\n");
    const char *cl = strcasestr(buf, "Content-Length: ");

    if (!head_end)
        return false;
    if (!cl || cl > head_end)
        return true;
    return len >= (size_t)(head_end + 4 - buf) + strtoul(cl + 16, NULL, 10);
}

static void *
respond_once(void *arg)
{
    struct responder *r = arg;
    size_t len = 0;
    int c = accept4(r->fd, NULL, NULL, SOCK_CLOEXEC);

    if (c < 0)
        return NULL;
    while (len < sizeof(r->request) - 1) {
        ssize_t n = read(c, r->request + len, sizeof(r->request) - 1 - len);

        if (n <= 0)
            break;
        len += (size_t)n;
        r->request[len] = '\0';
        if (request_complete(r->request, len))
            break;
    }
    (void)!write(c, r->reply, strlen(r->reply));
    close(c);
    return NULL;
}

void
responder_answer(struct responder *r, const char *reply)
{
    cr_assert(!r->reply, "a responder answers once");
    r->reply = xstrdup(reply);
    cr_assert(pthread_create(&r->thread, NULL, respond_once, r) == 0);
    r->running = true;
}

void
responder_answer_json(struct responder *r, const char *status,
                      const char *headers, const char *body)
{
    _cleanup_free_ char *reply =
        xasprintf("HTTP/1.1 %s\r\nContent-Type: application/json\r\n%s"
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                  status, headers, strlen(body), body);

    responder_answer(r, reply);
}

const char *
responder_request(struct responder *r)
{
    if (r->running)
        pthread_join(r->thread, NULL);
    r->running = false;
    return r->request;
}

bool
responder_contacted(struct responder *r)
{
    struct pollfd p = { r->fd, POLLIN, 0 };
    int c;

    cr_assert(!r->running, "responder_contacted() on a responder that answers");
    if (poll(&p, 1, 0) <= 0) /* nothing in the backlog */
        return false;
    c = accept4(r->fd, NULL, NULL, SOCK_CLOEXEC);
    if (c >= 0)
        close(c);
    return true;
}

void
responder_close(struct responder *r)
{
    /* Wake a thread still in accept() (shutdown makes it fail) and wait for
     * it: an accept() in progress keeps the socket listening after close(),
     * and a client would time out instead of being refused.
     * (pthread_cancel does not mix with ASan's thread teardown.) */
    if (r->fd >= 0)
        shutdown(r->fd, SHUT_RDWR);
    responder_request(r);
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

void
responder_stop(struct responder *r)
{
    if (!r)
        return;
    responder_close(r);
    free(r->url);
    free(r->reply);
    free(r);
}
