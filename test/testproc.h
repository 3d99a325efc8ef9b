/*
 * testproc.h - the pieces every test helper that runs a server needs
 * (test/placement-server.c, keystone-server.c, fault-proxy.c, tls-proxy.c):
 * start it so that it dies with the test, read the port it reports and its
 * log, stop it with a bound.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Fail the running test with the formatted message (cr_assert_fail(),
 * with the noreturn the analyzers need to see). */
void testproc_fail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* CLOCK_MONOTONIC in milliseconds. */
long testproc_now_ms(void);

/* Sleep ms milliseconds. */
void testproc_sleep_ms(long ms);

/* The whole of a file (a helper's log, a golden file, a command's
 * output); "" when it does not exist (yet).  free() it. */
char *testproc_read_file(const char *path);

/* In the child, between fork and exec (async-signal-safe calls only): own
 * process group, killed when parent dies, signals unblocked, stdin/out/err
 * from the three fds, then exec argv.  Exits 126/127 when it cannot. */
void testproc_child_exec(pid_t parent, int out_fd, int log_fd, int null_fd,
                         char **argv) __attribute__((noreturn));

/* The port a child writes as one line on fd, or 0 when none came by
 * deadline_ms (testproc_now_ms() time). */
int testproc_read_port(int fd, long deadline_ms);

/* Reap pid, waiting at most ms; whether it is gone. */
bool testproc_reap(pid_t pid, long ms);

/* A libcurl write callback appending to the FILE * in userdata. */
size_t testproc_collect(char *data, size_t size, size_t nmemb, void *userdata);

/* A thread a test runs beside the agent (another writer, a changing host)
 * until it says stop; the suite's teardown stops it too, so a failed
 * assertion never leaves it running. */
struct testproc_thread {
    pthread_t thread;
    bool running;     /* started and not yet joined */
    atomic_bool stop; /* fn loops while testproc_thread_going() */
};

/* Start fn(arg); t must not be running.  Returns 0 or pthread_create's
 * error. */
int testproc_thread_start(struct testproc_thread *t, void *(*fn)(void *),
                          void *arg);
/* Whether the thread is to go on (fn asks this on every round). */
bool testproc_thread_going(struct testproc_thread *t);
/* Tell it to stop and join it; a thread not running is a no-op. */
void testproc_thread_stop(struct testproc_thread *t);
