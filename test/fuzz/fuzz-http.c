/*
 * fuzz-http.c - a whole Placement HTTP response (status line, headers, body)
 * on any bytes, through the real transport.
 *
 * A loopback server thread answers every connection with the input, raw,
 * and closes it.  The agent's startup path runs against it: placement_open()
 * (GET /, the version document, the microversion choice), then one typed
 * call (GET inventories) if that succeeded.  This reaches what the other
 * targets cannot: http.c's header callback (x-openstack-request-id,
 * Retry-After as seconds or an HTTP date), its body buffer and the error
 * mapping of a transport that breaks mid-response.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "http.h"
#include "placement.h"
#include "xalloc.h"

#define REQUEST_MAX 65536

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *answer; /* what every connection gets now */
static size_t answer_len;
static struct http *client;

static void
die(const char *what)
{
    fprintf(stderr, "fuzz-http: %s: %s\n", what, strerror(errno));
    abort();
}

/* Read the request head (a GET has no body), then send the answer. */
static void
serve(int fd)
{
    char req[REQUEST_MAX + 1];
    size_t n = 0;
    ssize_t r;

    while (n < REQUEST_MAX) {
        r = read(fd, req + n, REQUEST_MAX - n);
        if (r <= 0)
            return;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    pthread_mutex_lock(&lock);
    for (size_t off = 0; off < answer_len; off += (size_t)r) {
        r = send(fd, answer + off, answer_len - off, MSG_NOSIGNAL);
        if (r <= 0)
            break;
    }
    pthread_mutex_unlock(&lock);
}

static void *
server(void *arg)
{
    int lfd = *(int *)arg;

    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die("accept");
        }
        serve(fd);
        shutdown(fd, SHUT_RDWR);
        close(fd);
    }
    return NULL;
}

/* The server on a free loopback port, and a client pointed at it. */
static void
start(void)
{
    static int lfd;
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    pthread_t t;
    char url[64];
    struct errbuf eb = { 0 };

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        listen(lfd, 16) < 0 || getsockname(lfd, (struct sockaddr *)&a, &len))
        die("listen");
    if (pthread_create(&t, NULL, server, &lfd) != 0)
        die("pthread_create");
    pthread_detach(t);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(a.sin_port));
    if (http_new(&(struct http_opts){ .base_url = url, .timeout_s = 5 },
                 &client, &eb) < 0) {
        fprintf(stderr, "fuzz-http: %s\n", eb.msg);
        abort();
    }
}

static void
check(int r, const struct errbuf *eb)
{
    if (r > 0 || (r < 0 && eb->msg[0] == '\0'))
        abort(); /* a failure explains itself */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct placement *p = NULL;
    struct placement_invs invs = { 0 };
    struct errbuf eb = { 0 };
    int r;

    if (!client)
        start();
    pthread_mutex_lock(&lock);
    free(answer);
    answer = xmalloc(size ? size : 1);
    memcpy(answer, data, size);
    answer_len = size;
    pthread_mutex_unlock(&lock);

    r = placement_open(client, &p, &eb);
    check(r, &eb);
    if (r == 0) {
        eb = (struct errbuf){ 0 };
        r = placement_get_inventories(p, "4e8e5957-649f-477b-9e5b-f1f75b21c03c",
                                      &invs, &eb);
        check(r, &eb);
        placement_invs_clear(&invs);
    }
    placement_free(p);
    return 0;
}
