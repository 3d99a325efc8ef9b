/*
 * output.h - render the provider tree for `dump`: JSON, YAML, table, dot.
 *
 * JSON and YAML use Placement's own representation of inventories and
 * traits, so a dump compares field by field with what Placement holds.
 */
#pragma once

#include <stdio.h>

#include <cjson/cJSON.h>

#include "tree.h"

enum output_format {
    OUTPUT_JSON,
    OUTPUT_YAML,
    OUTPUT_TABLE,
    OUTPUT_DOT,
};

/* "json" -> OUTPUT_JSON ...; -EINVAL for anything else. */
int output_parse_format(const char *s, enum output_format *ret)
    __attribute__((warn_unused_result));

/* {"providers": [...]} exactly as `dump --format json` prints it. */
cJSON *output_tree_json(const struct tree *t);

/* Write t to out in format f.  Returns 0 or -EIO when out fails. */
int output_write(const struct tree *t, enum output_format f, FILE *out)
    __attribute__((warn_unused_result));
