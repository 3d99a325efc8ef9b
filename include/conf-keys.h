/*
 * conf-keys.h - the table of agent.yaml's keys (conf.c), for the loader,
 * clouds.c and the tests.
 *
 * One entry per key: name, type, range, default and help (struct
 * confwalk_key).  Nothing else spells a key's default: conf_new() applies
 * the table's, check-config shows a conf through it, and test-confkeys
 * holds the manual and the example config to it.
 */
#pragma once

#include <stddef.h>

#include "confwalk.h"

#define CONF_TOKEN_MAX 8192 /* Keystone's largest (PKI) tokens fit */

/* The root of the table (into a struct conf), and placement.auth's keys
 * (into a struct conf_auth, which clouds.c fills from OS_* and clouds.yaml
 * as well; .env names each key's OS_* variable). */
extern const struct confwalk_key conf_keys[];
extern const struct confwalk_key conf_auth_keys[];

/* mdev_types' add(): a new type named name in the struct conf target, with
 * the table's defaults. */
void *conf_add_type(void *target, const char *name);

/* What is wrong with a token of len bytes, or NULL.  Never the value: the
 * message ends up in logs. */
const char *conf_token_problem(const char *s, size_t len);
