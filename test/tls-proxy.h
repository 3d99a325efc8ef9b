/*
 * tls-proxy.h - a real TLS endpoint in front of a test Placement.
 *
 * tls_proxy_start() makes a throwaway CA with the openssl CLI in a fresh
 * temporary directory, a server certificate it signs for the names the test
 * asks for, and a second, unrelated CA (the "wrong" one); then runs Debian's
 * stunnel4 on a free loopback port, terminating TLS and forwarding plain
 * HTTP to the backend.  stunnel dies with the test process even if that
 * crashes (PR_SET_PDEATHSIG), runs in a process group of its own, and
 * tls_proxy_stop() stops it and removes the directory.
 *
 * Everything here aborts the current test (cr_assert) on failure.
 */
#pragma once

#include "cleanup.h"

struct tls_proxy;

/* Start stunnel on 127.0.0.1 in front of backend ("http://127.0.0.1:PORT");
 * its certificate carries the subjectAltName san ("IP:127.0.0.1",
 * "DNS:elsewhere.invalid").  Returns once it accepts TCP connections. */
struct tls_proxy *tls_proxy_start(const char *backend, const char *san);

/* "https://127.0.0.1:PORT", no trailing slash. */
const char *tls_proxy_url(const struct tls_proxy *p);

/* PEM file of the CA that signed the server's certificate. */
const char *tls_proxy_ca(const struct tls_proxy *p);

/* PEM file of another throwaway CA, which signed nothing here. */
const char *tls_proxy_other_ca(const struct tls_proxy *p);

/* stunnel's log so far; free() it. */
char *tls_proxy_log(const struct tls_proxy *p);

/* SIGTERM to its process group, SIGKILL after 2 s, reap, remove the
 * directory.  NULL is a no-op. */
void tls_proxy_stop(struct tls_proxy *p);
DEFINE_CLEANUP(struct tls_proxy, tls_proxy_stop)
