/*
 * testplacement.h - what the two sources of the test-placement binary
 * share (test-placement.c, test-placement-claims.c): the live connection
 * to the binary's Placement (test/placement-shared.h) and the helpers that
 * make providers on it.  One test runs per process (Criterion forks); the
 * suite's init and fini are in test-placement.c.
 */
#pragma once

#include <string.h>

#include "http.h"
#include "inventory.h"
#include "placement.h"
#include "uuidstr.h"

/* eq(str, ...) wants char *; these are const. */
#define assert_streq(a, b)                                                     \
    cr_assert(strcmp((a), (b)) == 0, "'%s' != '%s'", (a), (b))

extern struct http *http;    /* to the binary's Placement, as TEST_TOKEN */
extern struct placement *pl; /* on http, counting its requests */

/* PUT, POST and DELETE requests the live connection sent. */
unsigned long writes_sent(void);
/* A fresh random UUID. */
void new_uuid(char out[UUIDSTR_LEN]);
/* A provider with a fresh name and UUID; parent NULL for a root.  The name
 * in *ret_name (NULL: not wanted) is the caller's to free. */
void create(const char *parent, char uuid[UUIDSTR_LEN], char **ret_name);

/* VGPU 4, 1 reserved, max_unit 4. */
extern const struct inventory vgpu4;
/* PUT inventories; returns the done half's result. */
int put_invs(const char *uuid, long generation, const struct inventory *invs,
             size_t n, struct placement_invs *ret, struct errbuf *eb);
