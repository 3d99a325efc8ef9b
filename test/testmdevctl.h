/*
 * testmdevctl.h - what the two sources of the test-mdevctl binary share
 * (test-mdevctl.c, test-mdevctl-real.c): the test's directories and the
 * helpers that fill and read them.  One test runs per process (Criterion
 * forks), so the state is one per test.
 */
#pragma once

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "strv.h"

#define GPU_A "0000:3d:00.0"
#define GPU_B "0000:3e:00.0"
#define UUID1 "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c1"
#define UUID2 "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c2"
#define UUID3 "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c3"
/* `mdevctl define --auto --parent 0000:3d:00.0 --type nvidia-35` 1.2.0 */
#define MDEVCTL_FILE                                                           \
    "{\n  \"mdev_type\": \"nvidia-35\",\n  \"start\": \"auto\",\n"             \
    "  \"attrs\": []\n}"

extern char *dir; /* the definition directory (mdevctl's /etc/mdevctl.d) */
extern char *sys; /* a materialized sample host, for the mdevctl_real suite */
extern char *io;  /* the mdevctl_real suite's scratch: dir, mdevctl's output */

/* For _cleanup_(json_deletep) cJSON *. */
void json_deletep(cJSON **j);

/* A fresh dir (the unit suite's init). */
void make_dir(void);
/* Remove dir, sys and io (every suite's fini). */
void rm_dirs(void);

/* base/rel's whole text; "" when unreadable. */
char *slurp_at(const char *base, const char *rel);
/* dir/rel's whole text; "" when unreadable. */
char *slurp(const char *rel);
/* dir/rel holding text. */
void put(const char *rel, const char *text);
/* mkdir dir/rel. */
void mkdir_in(const char *rel);
/* Whether dir/rel exists (a dangling link too). */
bool exists(const char *rel);
/* mdevctl_write() into dir must return want. */
void write_ok(const char *parent, const char *uuid, const char *type, int want);
/* The strings, each followed by a newline unless it ends in one. */
char *joined(const struct strv *sv);
/* "parent uuid type start n_attrs" per definition in dir, one a line. */
char *list_text(struct strv *warnings);
