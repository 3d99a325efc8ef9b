/*
 * conf-auth.h - conf.c's helpers for placement.auth and secrets (conf-auth.c).
 *
 * Internal to the configuration loader: the key table (conf.c) checks
 * placement.interface here, and conf-load.c's finishing step calls the
 * rest.
 */
#pragma once

#include "conf.h"
#include "confwalk.h"

/* placement.interface: internal, public or admin. */
char *conf_check_interface(char **value);

/* Report at key (path) unless file is private (mode & 077 == 0); file NULL
 * (text from memory) or key NULL: nothing to check. */
void conf_check_private(struct confwalk *w, const char *file, yaml_node_t *key,
                        const char *path);

/* After the walk: the config file holding a password or secret must be
 * private; a token with placement.auth or placement.cloud is an error. */
void conf_finish_auth(struct confwalk *w, struct conf *c, const char *file);
