/*
 * yamldoc.h - a loaded YAML document and the few walks our files need.
 *
 * libyaml does the parsing (yaml_parser_load); this only adds lookups and
 * "FILE:LINE:COLUMN: " positions for messages.  Nodes are libyaml's own
 * yaml_node_t, valid while the document lives.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "cleanup.h"
#include "errbuf.h"

#define YAMLDOC_FILE_MAX                                                       \
    (1024 * 1024) /* config files larger than this are refused */

struct yamldoc {
    char *path; /* as given, for messages */
    yaml_document_t doc;
    bool loaded;
};

/* Load one YAML document from path.  An empty file gives a document whose
 * root is NULL; a second document is an error.  Errors read
 * "path:line:column: what is wrong" (a syntax error, -EINVAL), "path: larger
 * than N bytes" (-EFBIG) or "path: strerror" (-ENOENT when missing). */
int yamldoc_load_file(const char *path, struct yamldoc **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
/* The same from memory (fuzzing, tests); name is used in messages. */
int yamldoc_load_buf(const char *name, const char *buf, size_t len,
                     struct yamldoc **ret, struct errbuf *eb)
    __attribute__((warn_unused_result));
void yamldoc_free(struct yamldoc *d);
DEFINE_CLEANUP(struct yamldoc, yamldoc_free)

/* The root node, or NULL for an empty document. */
yaml_node_t *yamldoc_root(struct yamldoc *d);
/* Node by libyaml index (pair->key, item). */
yaml_node_t *yamldoc_node(struct yamldoc *d, int index);
/* For a mapping node: the value under key, or NULL.  libyaml keeps repeated
 * keys and this returns the first; callers that care (conf.c) check. */
yaml_node_t *yamldoc_get(struct yamldoc *d, yaml_node_t *map, const char *key);
/* A scalar's text (NUL-terminated by libyaml), or NULL if n is no scalar. */
const char *yamldoc_scalar(const yaml_node_t *n);
/* Whether a scalar is a YAML null (~, null, empty and plain). */
bool yamldoc_is_null(const yaml_node_t *n);
/* "path:line:column" of a node (1-based), into buf; returns buf. */
const char *yamldoc_where(const struct yamldoc *d, const yaml_node_t *n,
                          char *buf, size_t size);
