/*
 * testconf.h - what the three source files of the test-conf binary share
 * (test-conf.c, test-conf-errors.c, test-conf-token.c): the configuration
 * a test loaded, its messages, and the helpers that load it.
 *
 * One test runs per process (Criterion forks), so the state is one per
 * test; the suite's teardown (test-conf.c) frees it.
 */
#pragma once

#include <sys/types.h>

#include "conf.h"
#include "strv.h"

extern struct conf *conf;  /* what the last load gave; NULL on failure */
extern struct strv errors; /* the messages of the loads so far */

/* conf_load_buf() of text as "agent.yaml", into conf and errors. */
int load(const char *text);
/* Load text that must be valid. */
void load_ok(const char *text);

/* A file name holding text, with exactly this mode (umask aside), in a
 * fresh temporary directory of the test; text NULL makes a directory.  The
 * path is the caller's to free. */
char *tmp_file(const char *name, const char *text, mode_t mode);

/* A config file (mode 0644) whose placement section says token_file:
 * tokpath; the caller frees the path. */
char *conf_with_token_file(const char *tokpath);
