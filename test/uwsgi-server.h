/*
 * uwsgi-server.h - run uwsgi for a test on a socket the test bound.
 *
 * The test binds 127.0.0.1 (a free port, or the one a killed server had)
 * and hands the listening socket to uwsgi as fd 3 (`--http-socket fd://3`),
 * so the port is known before uwsgi starts and no two tests race for one.
 * uwsgi runs in a process group of its own that is killed with the test
 * (PR_SET_PDEATHSIG), like every helper of test/testproc.h.
 *
 * Everything here aborts the current test (cr_assert) on failure.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Bind 127.0.0.1:port (0: a free one) with a listen backlog of `backlog`
 * and start `uwsgi --http-socket fd://3 ARGS...` on it (--http11-socket,
 * HTTP/1.1 with keep-alive, when http11), stdout and stderr appended to
 * log.  args is NULL-terminated.  Returns the pid (also the process
 * group); the port goes to *ret_port. */
pid_t uwsgi_server_spawn(const char *const *args, bool http11, int port,
                         int backlog, const char *log, int *ret_port);

/* SIGKILL the server's process group and reap it.  pid <= 0 is a no-op. */
void uwsgi_server_kill(pid_t pid);
