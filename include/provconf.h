/*
 * provconf.h - Nova-style provider config files: provider_config_dir's *.yaml
 *
 * Schema 1.x: meta.schema_version, providers[] each with an identification
 * of exactly one of uuid / name / uuid: $COMPUTE_NODE, and optional
 * inventories.additional[] and traits.additional[] with CUSTOM_ names only.
 * Files are read in sorted order; a provider identified twice (in one file
 * or across files) is an error.  Merging onto the tree is tree.c's job.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "inventory.h"
#include "strv.h"

enum provconf_ident {
    PROVCONF_BY_UUID,
    PROVCONF_BY_NAME,
    PROVCONF_COMPUTE_NODE, /* uuid: $COMPUTE_NODE, the root provider */
};

struct provconf_entry {
    enum provconf_ident by;
    char *ident;            /* uuid (lower case), name; NULL: $COMPUTE_NODE */
    struct inventory *invs; /* inventories.additional */
    size_t n_invs;
    struct strv traits; /* traits.additional */
    char *where;        /* "file:line:column" of the entry, for messages */
};

struct provconf {
    struct provconf_entry *entries;
    size_t n_entries;
    struct strv warnings; /* e.g. unknown minor schema version, empty entry */
};

/* An empty config, for provconf_load_buf(). */
struct provconf *provconf_new(void);
/* Load every *.yaml in dir.  A missing dir is an empty config unless
 * must_exist.  Errors: negative errno, one message per problem in *errors,
 * each "FILE:LINE:COLUMN: what is wrong". */
int provconf_load_dir(const char *dir, bool must_exist, struct provconf **ret,
                      struct strv *errors) __attribute__((warn_unused_result));
/* Parse one file's text into pc (fuzzing, tests); a provider already in pc
 * is a duplicate.  Entries with errors are not added. */
int provconf_load_buf(struct provconf *pc, const char *name, const char *buf,
                      size_t len, struct strv *errors)
    __attribute__((warn_unused_result));
void provconf_free(struct provconf *pc);
DEFINE_CLEANUP(struct provconf, provconf_free)
