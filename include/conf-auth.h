/*
 * conf-auth.h - conf.c's helpers for placement.auth and secrets (conf-auth.c).
 *
 * Internal to the configuration loader: conf.c's key table points at
 * conf_auth_keys, and its finishing step calls the checks.
 */
#pragma once

#include "conf.h"
#include "confwalk.h"

/* The keys of placement.auth, into a struct conf_auth. */
extern const struct confwalk_key conf_auth_keys[];

/* placement.interface: internal, public or admin. */
char *conf_check_interface(char **value);

/* Report at key (path) unless file is private (mode & 077 == 0); file NULL
 * (text from memory) or key NULL: nothing to check. */
void conf_check_private(struct confwalk *w, const char *file, yaml_node_t *key,
                        const char *path);

/* After the walk: the config file holding a password or secret must be
 * private; a token with placement.auth or placement.cloud is an error. */
void conf_finish_auth(struct confwalk *w, struct conf *c, const char *file);
