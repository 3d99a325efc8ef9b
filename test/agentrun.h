/*
 * agentrun.h - run the built vgpu-agent binary as a user would, capturing
 * its exit status, stdout and stderr (end-to-end tests).
 */
#pragma once

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "cleanup.h"

struct agentrun {
    int status; /* exit status; 128 + signal number if it was killed */
    char *out;  /* everything it wrote on stdout */
    char *err;  /* everything it wrote on stderr */
};

/* Run $VGPU_BUILDDIR/src/vgpu-agent with args (NULL-terminated, without
 * argv[0]).  Aborts the test if it cannot be started. */
void agentrun(struct agentrun *ret, const char *const *args);

/* agentrun() with the environment changed for the child: each entry of env
 * (NULL-terminated; NULL for none) is "NAME=value" to set or "NAME" to
 * unset. */
void agentrun_env(struct agentrun *ret, const char *const *args,
                  const char *const *env);
void agentrun_clear(struct agentrun *r);

/* It was not killed by a signal and printed no sanitizer report (a
 * sanitizer that found something also exits 1: exit 1 alone could hide
 * one).  what names the run in the failure message. */
void agentrun_assert_sane(const struct agentrun *r, const char *what);

/* Fails the test unless some line of text (what the agent printed) has
 * needle and, after it, also word. */
void agentrun_assert_line(const char *text, const char *needle,
                          const char *word);

/* `vgpu-agent -c conf --sysfs-root root dump --format json`, parsed; the
 * dump must succeed.  Caller cJSON_Delete()s it. */
cJSON *agentrun_dump(const char *conf, const char *root);
/* The same, and what it wrote on stderr (its warnings) in *ret_err, which
 * the caller frees. */
cJSON *agentrun_dump_err(const char *conf, const char *root, char **ret_err);

/*
 * The agent as a service: started in the background (`run`), watched
 * through its stderr, signalled, waited for with a bound.  The child gets
 * PR_SET_PDEATHSIG, so it dies with the test even if the test crashes;
 * agentproc_stop() kills it (SIGKILL) if it is still running.
 */
struct agentproc;

/* Start $VGPU_BUILDDIR/src/vgpu-agent with args (NULL-terminated, without
 * argv[0]); stdout and stderr are collected.  Aborts the test on failure. */
struct agentproc *agentproc_start(const char *const *args);

/* Everything it wrote on stderr so far (reads what is pending first).  The
 * pointer is valid until the next call on p. */
const char *agentproc_err(struct agentproc *p);

/* Wait until needle occurs at least n times in its stderr; returns whether
 * it did within ms (false also when the agent exited first). */
bool agentproc_wait_for(struct agentproc *p, const char *needle, unsigned n,
                        long ms);

/* agentproc_wait_for() that fails the test when it times out, showing
 * the log. */
void agentproc_expect(struct agentproc *p, const char *needle, unsigned n,
                      long ms);

/* Occurrences of needle in its stderr so far. */
unsigned agentproc_count(struct agentproc *p, const char *needle);

/* The passes of `run` it logged so far, done or incomplete. */
unsigned agentproc_passes(struct agentproc *p);

/* Wait until it logged n passes more than so far; fails the test when ms
 * go by first or it stops. */
void agentproc_expect_passes(struct agentproc *p, unsigned n, long ms);

void agentproc_signal(const struct agentproc *p, int sig);

/* Its process id (for /proc/PID/status); -1 once it was reaped. */
int agentproc_pid(const struct agentproc *p);

/* Wait at most ms for it to exit; returns its exit status (128 + signal if
 * killed), or -1 if it is still running. */
int agentproc_wait(struct agentproc *p, long ms);

/* Fails the test, showing the log, unless it is still running. */
void agentproc_assert_running(struct agentproc *p);

/* Fails the test unless its log so far has no sanitizer report. */
void agentproc_assert_sane(struct agentproc *p);

/* SIGTERM; it must exit with status 0 within 5 s, its log sane. */
void agentproc_assert_stops(struct agentproc *p);

/* SIGKILL if still running, reap, free.  NULL is a no-op. */
void agentproc_stop(struct agentproc *p);
DEFINE_CLEANUP(struct agentproc, agentproc_stop)
