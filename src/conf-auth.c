/*
 * conf-auth.c - placement.auth and the rules around secrets in agent.yaml.
 *
 * The interface check, and the cross-key rules: a file holding a secret
 * must be private, and Keystone credentials exclude a token.  What the
 * credentials mean once OS_* and clouds.yaml are merged in is clouds.c's
 * business.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf-auth.h"
#include "conf.h"
#include "confwalk.h"
#include "errbuf.h"
#include "secret.h"
#include "xalloc.h"
#include "yamldoc.h"

char *
conf_check_interface(char **value)
{
    return strcmp(*value, "internal") == 0 || strcmp(*value, "public") == 0 ||
                   strcmp(*value, "admin") == 0
               ? NULL
               : xasprintf("\"%s\" is not internal, public or admin", *value);
}

/* A config file that holds the secret under key (at path) must be
 * private.  file is NULL for text from memory, which has no mode. */
void
conf_check_private(struct confwalk *w, const char *file, yaml_node_t *key,
                   const char *path)
{
    struct errbuf eb = { 0 };

    if (file && key && secret_check_file(file, &eb) < 0)
        confwalk_error(w, key, path, "%s", eb.msg);
}

/* Keystone auth and a token are two answers to one question. */
void
conf_finish_auth(struct confwalk *w, struct conf *c, const char *file)
{
    yaml_node_t *pl = yamldoc_get(w->doc, yamldoc_root(w->doc), "placement");
    yaml_node_t *auth = yamldoc_get(w->doc, pl, "auth");
    yaml_node_t *token = confwalk_key_node(w, pl, "token");

    if (!token)
        token = confwalk_key_node(w, pl, "token_file");
    conf_check_private(w, file, confwalk_key_node(w, auth, "password"),
                       "placement.auth.password");
    conf_check_private(
        w, file, confwalk_key_node(w, auth, "application_credential_secret"),
        "placement.auth.application_credential_secret");
    if (token && c->placement.auth_set)
        confwalk_error(w, token, "placement.token",
                       "placement.auth is given too; use one of them");
    if (token && c->placement.cloud)
        confwalk_error(w, token, "placement.token",
                       "placement.cloud is given too; use one of them");
}

void
conf_auth_clear(struct conf_auth *a)
{
    char **strs[] = { &a->auth_url,
                      &a->username,
                      &a->user_id,
                      &a->password_file,
                      &a->user_domain_name,
                      &a->user_domain_id,
                      &a->project_name,
                      &a->project_id,
                      &a->project_domain_name,
                      &a->project_domain_id,
                      &a->application_credential_id,
                      &a->application_credential_secret_file };

    for (size_t i = 0; i < sizeof(strs) / sizeof(*strs); i++)
        free(*strs[i]);
    secret_free(a->password);
    secret_free(a->application_credential_secret);
    memset(a, 0, sizeof(*a));
}
