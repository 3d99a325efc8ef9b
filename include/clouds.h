/*
 * clouds.h - how the agent authenticates: placement.auth, OS_* and
 * clouds.yaml resolved into one answer.
 *
 * Three places may hold Keystone credentials, merged key by key in this
 * order of precedence: the agent's YAML (placement.auth, region_name,
 * interface) > the OS_* environment (read only when the YAML has neither
 * placement.auth nor a token) > a cloud of clouds.yaml (named by
 * placement.cloud, else OS_CLOUD), with secure.yaml merged over it.
 * clouds.yaml is OS_CLIENT_CONFIG_FILE when set, else the first of
 * ./clouds.yaml, ~/.config/openstack/clouds.yaml,
 * /etc/openstack/clouds.yaml; secure.yaml is OS_CLIENT_SECURE_FILE when
 * set, else secure.yaml beside the clouds.yaml read, else the first of the
 * same three places.
 *
 * Secrets (password, application credential secret) are read from their
 * *_file when given; a file that holds one (the secret file, clouds.yaml,
 * secure.yaml) must not be readable or writable by group or others.  No
 * message quotes a secret.
 */
#pragma once

#include "cleanup.h"
#include "conf.h"
#include "strv.h"

#define CLOUDS_SECRET_MAX 4096 /* bytes of a password or secret */

enum clouds_method {
    CLOUDS_AUTH_NONE,     /* no token, no Keystone: Placement's noauth */
    CLOUDS_AUTH_TOKEN,    /* placement.token, token_file, VGPU_AGENT_TOKEN */
    CLOUDS_AUTH_PASSWORD, /* Keystone, password method */
    CLOUDS_AUTH_APPCRED,  /* Keystone, application credential */
};

enum clouds_source {
    CLOUDS_FROM_NONE,   /* none or token */
    CLOUDS_FROM_CONFIG, /* placement.auth */
    CLOUDS_FROM_ENV,    /* OS_* */
    CLOUDS_FROM_CLOUDS, /* clouds.yaml (+ secure.yaml) */
};

struct clouds_auth {
    enum clouds_method method;
    enum clouds_source source; /* the highest that gave a credential */
    char *clouds_path;         /* clouds.yaml read, or NULL */
    char *cloud;               /* its cloud, or NULL */
    /* Merged credentials; password and application_credential_secret
     * hold the secret itself (read from the *_file when given). */
    struct conf_auth cred;
    char *region_name; /* NULL: any region */
    char *interface;   /* internal (default), public or admin */
};

/* Resolve c's authentication (c after conf_apply_env()).  Returns 0 with
 * *ret set, or -EINVAL after appending one message per problem to
 * *errors ("FILE:LINE:COLUMN: what" for clouds.yaml, "placement.auth: what"
 * or "OS_* environment: what"). */
int clouds_resolve(const struct conf *c, struct clouds_auth **ret,
                   struct strv *errors) __attribute__((warn_unused_result));
void clouds_auth_free(struct clouds_auth *a); /* secrets wiped */
DEFINE_CLEANUP(struct clouds_auth, clouds_auth_free)

/* Whether a authenticates with Keystone (password or app credential). */
bool clouds_uses_keystone(const struct clouds_auth *a);
/* "password", "application credential", "token", "none". */
const char *clouds_method_name(enum clouds_method m);
