/*
 * confwalk.h - walk a YAML mapping through a table of keys, into a struct.
 *
 * A key is a descriptor (name, kind, field offset, value check, range,
 * default, help); a section or a mapping of sections points at its own
 * table.  The walk never stops at a problem: it reports
 * "FILE:LINE:COLUMN: KEY.PATH: what is wrong" and carries on, so one run
 * shows every mistake in the file.  Which keys exist and the rules across
 * them are the caller's business (conf.c).  A walk without a table
 * (provconf.c, clouds.c) uses its reporting and key checks alone.  The
 * same table, read as data (confwalk-table.c), gives the defaults and
 * shows a struct.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "strv.h"
#include "yamldoc.h"

#define CONFWALK_WHERE_MAX 4200 /* a path, ":line:column" */
#define CONFWALK_URL_MAX 2048
#define CONFWALK_MASK "********" /* a secret, shown */
#define CONFWALK_NOT_SET "(not set)"

/* Check one string value (or list item, or mapping key): NULL if it is
 * fine, perhaps after replacing *value by its canonical form; else what is
 * wrong with it, for the walker to report and free().  A check of a secret
 * must not quote the value. */
typedef char *confwalk_check_fn(char **value);

enum confwalk_kind {
    CONFWALK_STRING,  /* char *, replaced */
    CONFWALK_UINT,    /* unsigned, in [min, max] */
    CONFWALK_BOOL,    /* bool */
    CONFWALK_LIST,    /* struct strv; items checked one by one */
    CONFWALK_SECTION, /* a struct at offset, keys in sub */
    CONFWALK_MAP,     /* NAME: section; add() returns the struct for NAME */
};

enum confwalk_unique {
    CONFWALK_REPEAT_OK,
    CONFWALK_UNIQUE_IN_LIST, /* the same item twice in one list is an error */
    CONFWALK_UNIQUE_IN_FILE, /* ... and in two lists of this key, too */
};

struct confwalk_key {
    const char *name; /* NULL ends a table */
    enum confwalk_kind kind;
    size_t offset;               /* of the field in the target struct */
    confwalk_check_fn *check;    /* string, list item, map key */
    enum confwalk_unique unique; /* list */
    bool comma; /* list: "a, b" is read as [a, b] too (Nova's list form) */
    unsigned min, max;              /* uint */
    size_t set_flag;                /* CONFWALK_FLAG(): bool set when given */
    const char *alias_of;           /* the same setting; both given: error */
    bool secret;                    /* string: wiped before it is freed */
    const struct confwalk_key *sub; /* section, map */
    void *(*add)(void *target, const char *name); /* map */
    /* map: the struct and (*ret_name) name of entry i, NULL past the last */
    const void *(*nth)(const void *target, size_t i, const char **ret_name);
    /* What confwalk_set_defaults() applies and the documentation says: */
    const char *def;      /* as the file spells it: "60", "/sys", "true" */
    const char *def_text; /* no def: the default in words ("the host name");
                           * neither: none */
    const char *help;     /* what the key is for, in a few words */
    const char *env;      /* the OS_* variable that sets it, or NULL */
};

#define CONFWALK_FIELD(type, f) .offset = offsetof(struct type, f)
/* 0 means "no flag", so store the offset plus one. */
#define CONFWALK_FLAG(type, f) .set_flag = offsetof(struct type, f) + 1

/* A name some list or mapping holds: repeats are found through these. */
struct confwalk_claim {
    const char *key; /* the list's key, or "" for a mapping */
    char *path;      /* of the list or mapping; "" for the root */
    char *name;
    yaml_node_t *node;
};

/* One walk over one document.  Callers read n_errors and claims (the names
 * of a mapping at path P are the claims with key "" and path P), and may
 * set warnings and unknown_warns after confwalk_init(); the rest is the
 * walker's. */
struct confwalk {
    struct yamldoc *doc;
    struct strv *errors;   /* messages are appended here */
    struct strv *warnings; /* confwalk_warn()'s; NULL: dropped */
    bool unknown_warns;    /* an unknown key is a warning, not an error */
    size_t n_errors;
    struct confwalk_claim *claims;
    size_t n_claims, cap_claims;
};

/* Start a walk of doc; messages go to errors.  No allocation. */
void confwalk_init(struct confwalk *w, struct yamldoc *doc,
                   struct strv *errors);
/* Free the claims; the document and the messages stay the caller's. */
void confwalk_done(struct confwalk *w);

/* Walk the mapping root through keys, into target.  A non-mapping root is
 * reported; a NULL or null root is an empty mapping. */
void confwalk_run(struct confwalk *w, yaml_node_t *root,
                  const struct confwalk_key *keys, void *target);

/* Report "FILE:LINE:COLUMN: PATH: message" at node n (n NULL: the file's
 * start, "FILE:1:1"), path NULL for none, and count it in n_errors. */
void confwalk_error(struct confwalk *w, const yaml_node_t *n, const char *path,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same into warnings, not counted. */
void confwalk_warn(struct confwalk *w, const yaml_node_t *n, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Whether n is a node of type t; if not, reports "expected a string (a
 * list, a mapping), got ..." at path.  A null (`key:` and nothing) is of
 * no type here: a table walk takes it for an empty list or mapping before
 * asking. */
bool confwalk_expect(struct confwalk *w, yaml_node_t *n, const char *path,
                     yaml_node_type_t t);

/* For a walk without a table: check the keys of the mapping map (at path,
 * NULL for the root) against names (NULL-terminated) and put the value of
 * names[i] in vals[i] (left alone when absent).  Unknown keys are reported
 * (as warnings if unknown_warns), and so is a key given twice.  False,
 * reported, if map is no mapping (a null included). */
bool confwalk_keys(struct confwalk *w, yaml_node_t *map, const char *path,
                   const char *const *names, yaml_node_t **vals);

/* The key node of key in the mapping map, or NULL (also when map is NULL or
 * no mapping).  The first one: the walk reports repeats. */
yaml_node_t *confwalk_key_node(struct confwalk *w, yaml_node_t *map,
                               const char *key);

/* Checks for any table.  An absolute path ('/...').  An http:// or
 * https:// URL: host[:port][/path], no query or fragment, no user:password@
 * (refused without quoting it), printable ASCII, at most CONFWALK_URL_MAX;
 * canonical form: lower-case scheme, no trailing '/'. */
char *confwalk_check_absolute(char **value);
char *confwalk_check_url(char **value);

/* --- the table as data: defaults, documentation, what a walk gave ------ */

/* Store each def of keys (and of their sections) into target, a zeroed
 * struct (nothing there is freed); a map's entries get theirs from add().
 * A def must pass its key's checks (a test proves it), so no error is
 * possible. */
void confwalk_set_defaults(const struct confwalk_key *keys, void *target);

/* The default as the documentation spells it: def, else def_text, else
 * "none". */
const char *confwalk_default_text(const struct confwalk_key *k);

/* Append one "PATH: VALUE" line per key of keys in target (prefix: the
 * path of target, NULL for the root) to lines, in table order: sections
 * and map entries expanded, an alias left out if it shares its setting's
 * field (enabled_vgpu_types, not token_file), secrets as CONFWALK_MASK, an
 * unset string or a number below min as CONFWALK_NOT_SET, a list as
 * "[a, b]". */
void confwalk_show(const struct confwalk_key *keys, const void *target,
                   const char *prefix, struct strv *lines);
