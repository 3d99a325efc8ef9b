/*
 * conf-load.c - read agent.yaml into a struct conf, and free it.
 *
 * The walk through the key table (conf.c) reports every problem with its
 * position; then the rules that span keys: the enabled types and their
 * order, and the Placement token, a secret that no message ever quotes and
 * that only a private file holds.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf-auth.h"
#include "conf-keys.h"
#include "conf.h"
#include "confwalk.h"
#include "errbuf.h"
#include "secret.h"
#include "xalloc.h"
#include "yamldoc.h"

#define CONF_REDACT_MIN 4 /* see conf_redact() */

/* --- after the walk ---------------------------------------------------- */

static void
conf_type_clear(struct conf_type *t)
{
    free(t->id);
    strv_clear(&t->parents);
    free(t->addresses);
    free(t->mdev_class);
    strv_clear(&t->traits);
}

/* Order the types as enabled_mdev_types lists them (defaults for those
 * without an mdev_types entry); an entry for a type not enabled is a
 * warning (disabling a type is one edit: take it out of the list). */
static void
conf_order_types(struct confwalk *w, struct conf *c)
{
    const struct strv *en = &c->enabled_mdev_types;

    for (size_t i = 0; i < en->n; i++) {
        size_t j = i;
        struct conf_type t;

        while (j < c->n_types && strcmp(c->types[j].id, en->v[i]) != 0)
            j++;
        if (j == c->n_types)
            conf_add_type(c, en->v[i]);
        t = c->types[i];
        c->types[i] = c->types[j];
        c->types[j] = t;
    }
    for (size_t j = en->n; j < c->n_types; j++)
        conf_type_clear(&c->types[j]);
    c->n_types = en->n;
    for (size_t i = 0; i < w->n_claims; i++) {
        const struct confwalk_claim *cl = &w->claims[i];
        _cleanup_free_ char *path = xasprintf("mdev_types.%s", cl->name);

        if (strcmp(cl->path, "mdev_types") == 0 && !strv_contains(en, cl->name))
            confwalk_warn(w, cl->node, path,
                          "type is not enabled (not in enabled_mdev_types); "
                          "its entry is ignored");
    }
}

/* After the walk: the enabled types in order, their PCI addresses. */
static void
conf_finish(struct confwalk *w, struct conf *c)
{
    if (c->enabled_mdev_types_set)
        conf_order_types(w, c);
    for (size_t i = 0; i < c->n_types; i++) {
        struct conf_type *t = &c->types[i];

        t->addresses = xcalloc(t->parents.n + 1, sizeof(*t->addresses));
        for (size_t j = 0; j < t->parents.n; j++)
            if (pci_addr_parse(t->parents.v[j],
                               &t->addresses[t->n_addresses]) == 0)
                t->n_addresses++;
    }
}

/* Read placement.token_file into *ret (freeing what was there); or what
 * is wrong: a file others may read or write is refused. */
static char *
conf_read_token_file(const char *path, char **ret)
{
    _cleanup_(secret_freep) char *token = NULL;
    struct errbuf eb = { 0 };
    const char *why;

    if (secret_read_file(path, CONF_TOKEN_MAX, &token, &eb) < 0)
        return xstrdup(eb.msg);
    why = conf_token_problem(token, strlen(token));
    if (why)
        return xasprintf("%s: %s", path, why);
    secret_free(*ret);
    *ret = TAKE_PTR(token);
    return NULL;
}

/* The secret rules: a config file that holds the token must be private;
 * token_file is read (and must be private too). */
static void
conf_finish_token(struct confwalk *w, struct conf *c, const char *file)
{
    yaml_node_t *pl = yamldoc_get(w->doc, yamldoc_root(w->doc), "placement");
    yaml_node_t *key = confwalk_key_node(w, pl, "token");
    _cleanup_free_ char *complaint = NULL;

    conf_check_private(w, file, key, "placement.token");
    if (!c->placement.token_file || key) /* key: both given, reported */
        return;
    complaint =
        conf_read_token_file(c->placement.token_file, &c->placement.token);
    if (complaint)
        confwalk_error(w, yamldoc_get(w->doc, pl, "token_file"),
                       "placement.token_file", "%s", complaint);
}

/* Defence in depth: replace the secret in messages from index from on,
 * should the file repeat it elsewhere (a YAML alias, a paste into another
 * key).  Shorter secrets are no secrets, and replacing them would garble
 * every message. */
static void
conf_redact(struct strv *errors, size_t from, const char *secret)
{
    size_t len = secret ? strlen(secret) : 0;

    for (size_t i = from; len >= CONF_REDACT_MIN && i < errors->n; i++) {
        size_t at = 0;
        char *hit;

        while ((hit = strstr(errors->v[i] + at, secret))) {
            char *s = xasprintf("%.*s<token>%s", (int)(hit - errors->v[i]),
                                errors->v[i], hit + len);

            at = (size_t)(hit - errors->v[i]) + strlen("<token>");
            secret_free(errors->v[i]);
            errors->v[i] = s;
        }
    }
}

/* --- load and free ----------------------------------------------------- */

/* Load the file path or, if buf is not NULL, the text buf named path. */
static int
conf_load_doc(const char *path, const char *buf, size_t len, bool explicit,
              struct conf **ret, struct strv *errors)
{
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    _cleanup_(conf_freep) struct conf *c = conf_new();
    struct confwalk w;
    struct errbuf eb = { 0 };
    size_t first = errors->n;
    int r = buf ? yamldoc_load_buf(path, buf, len, &d, &eb)
                : yamldoc_load_file(path, &d, &eb);

    if (r == -ENOENT && !explicit) {
        *ret = TAKE_PTR(c);
        return 0;
    }
    if (r < 0) {
        strv_push(errors, eb.msg);
        return r;
    }
    c->path = xstrdup(path);
    confwalk_init(&w, d, errors);
    w.warnings = &c->warnings;
    confwalk_run(&w, yamldoc_root(d), conf_keys, c);
    conf_finish(&w, c);
    conf_finish_token(&w, c, buf ? NULL : path);
    conf_finish_auth(&w, c, buf ? NULL : path);
    confwalk_done(&w);
    conf_redact(errors, first, c->placement.token);
    conf_redact(errors, first, c->placement.auth.password);
    conf_redact(errors, first, c->placement.auth.application_credential_secret);
    conf_redact(errors, first,
                yamldoc_scalar(yamldoc_get(
                    d, yamldoc_get(d, yamldoc_root(d), "placement"), "token")));
    if (w.n_errors > 0)
        return -EINVAL;
    *ret = TAKE_PTR(c);
    return 0;
}

int
conf_load_buf(const char *name, const char *buf, size_t len, struct conf **ret,
              struct strv *errors)
{
    return conf_load_doc(name, buf ? buf : "", len, true, ret, errors);
}

int
conf_load(const char *path, bool explicit, struct conf **ret,
          struct strv *errors)
{
    return conf_load_doc(path, NULL, 0, explicit, ret, errors);
}

void
conf_apply_env(struct conf *c)
{
    const char *token = getenv(CONF_TOKEN_ENV);

    if (!token || !token[0])
        return;
    secret_free(c->placement.token);
    c->placement.token = xstrdup(token);
    c->placement.token_from_env = true;
}

void
conf_free(struct conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_types; i++)
        conf_type_clear(&c->types[i]);
    free(c->types);
    free(c->path);
    free(c->node_name);
    free(c->node_uuid);
    free(c->machine_id_file);
    free(c->nova_compute_id_file);
    free(c->root_provider);
    free(c->sysfs_root);
    free(c->provider_config_dir);
    strv_clear(&c->enabled_mdev_types);
    strv_clear(&c->warnings);
    conf_auth_clear(&c->placement.auth);
    free(c->placement.region_name);
    free(c->placement.interface);
    free(c->placement.cloud);
    free(c->placement.endpoint);
    secret_free(c->placement.token);
    free(c->placement.token_file);
    free(c->placement.cacert);
    free(c->libvirt_uri);
    free(c->lock_file);
    free(c->metrics_file);
    free(c->state_dir);
    free(c->reconcile.persist);
    free(c->reconcile.mdevctl_dir);
    free(c);
}

const struct conf_type *
conf_find_type(const struct conf *c, const char *id)
{
    for (size_t i = 0; i < c->n_types; i++)
        if (strcmp(c->types[i].id, id) == 0)
            return &c->types[i];
    return NULL;
}
