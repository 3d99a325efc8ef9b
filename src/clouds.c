/*
 * clouds.c - placement.auth, OS_* and clouds.yaml merged into one answer.
 *
 * Each place is read into a layer (a struct conf_auth plus region and
 * interface); the layers are merged key by key, highest first; then the
 * secrets are read from their files and the result is checked as a whole.
 * clouds.yaml is somebody else's format: keys the agent does not use are
 * ignored, as the openstack client does.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clouds.h"
#include "conf-keys.h"
#include "confwalk.h"
#include "errbuf.h"
#include "secret.h"
#include "xalloc.h"
#include "yamldoc.h"

/* One place's settings. */
struct layer {
    struct conf_auth cred;
    char *region_name;
    char *interface;
};

static void
layer_clear(struct layer *l)
{
    conf_auth_clear(&l->cred);
    free(l->region_name);
    free(l->interface);
}

/* The credential keys are placement.auth's part of the key table
 * (conf_auth_keys): name, field, secret, and the OS_* variable (.env; the
 * *_file keys have none, and clouds.yaml does not give them either). */

static char **
cred_field(struct conf_auth *a, size_t i)
{
    return (char **)((char *)a + conf_auth_keys[i].offset);
}

static const char *
cred_value(const struct conf_auth *a, size_t i)
{
    return *(char *const *)((const char *)a + conf_auth_keys[i].offset);
}

static void
set_field(char **field, const char *value, bool secret)
{
    if (secret)
        secret_free(*field);
    else
        free(*field);
    *field = value ? xstrdup(value) : NULL;
}

static bool
cred_any(struct conf_auth *a)
{
    for (size_t i = 0; conf_auth_keys[i].name; i++)
        if (*cred_field(a, i))
            return true;
    return false;
}

/* --- OS_* -------------------------------------------------------------- */

static const char *
env(const char *name)
{
    const char *v = getenv(name);

    return v && v[0] ? v : NULL;
}

static void
layer_from_env(struct layer *l)
{
    for (size_t i = 0; conf_auth_keys[i].name; i++)
        if (conf_auth_keys[i].env)
            set_field(cred_field(&l->cred, i), env(conf_auth_keys[i].env),
                      conf_auth_keys[i].secret);
    set_field(&l->region_name, env("OS_REGION_NAME"), false);
    set_field(&l->interface, env("OS_INTERFACE"), false);
}

/* --- clouds.yaml and secure.yaml --------------------------------------- */

static char *
first_existing(const char *name)
{
    const char *home = getenv("HOME");
    char *paths[3] = {
        xasprintf("./%s", name),
        home && home[0] ? xasprintf("%s/.config/openstack/%s", home, name)
                        : NULL,
        xasprintf("/etc/openstack/%s", name),
    };
    char *found = NULL;

    for (size_t i = 0; i < 3; i++) {
        if (!found && paths[i] && access(paths[i], F_OK) == 0)
            found = TAKE_PTR(paths[i]);
        free(paths[i]);
    }
    return found;
}

/* secure.yaml: OS_CLIENT_SECURE_FILE, beside clouds, or the usual places. */
static char *
find_secure(const char *clouds)
{
    _cleanup_free_ char *dir = xstrdup(clouds);
    char *slash = strrchr(dir, '/');
    char *beside;

    if (env("OS_CLIENT_SECURE_FILE"))
        return xstrdup(env("OS_CLIENT_SECURE_FILE"));
    if (slash)
        *slash = '\0';
    beside = xasprintf("%s/secure.yaml", slash ? dir : ".");
    if (access(beside, F_OK) == 0)
        return beside;
    free(beside);
    return first_existing("secure.yaml");
}

/* Copy the scalar under key of map into *field (a string key the agent
 * uses); a non-scalar is reported.  Returns whether a value was taken. */
static bool
take_scalar(struct confwalk *w, yaml_node_t *map, const char *key, char **field,
            bool secret)
{
    yaml_node_t *n = yamldoc_get(w->doc, map, key);

    if (!n || yamldoc_is_null(n))
        return false;
    if (!yamldoc_scalar(n)) {
        confwalk_error(w, n, key, "expected a string");
        return false;
    }
    set_field(field, yamldoc_scalar(n), secret);
    return true;
}

/* Read the mapping c, clouds.<cloud> of a clouds.yaml, into l; whether it
 * holds a secret. */
static bool
layer_from_cloud(struct layer *l, struct confwalk *w, yaml_node_t *c)
{
    yaml_node_t *auth = yamldoc_get(w->doc, c, "auth");
    bool secret = false;

    for (size_t i = 0; auth && conf_auth_keys[i].name; i++)
        if (conf_auth_keys[i].env &&
            take_scalar(w, auth, conf_auth_keys[i].name,
                        cred_field(&l->cred, i), conf_auth_keys[i].secret))
            secret = secret || conf_auth_keys[i].secret;
    take_scalar(w, c, "region_name", &l->region_name, false);
    if (!take_scalar(w, c, "interface", &l->interface, false))
        take_scalar(w, c, "endpoint_type", &l->interface, false);
    return secret;
}

/* Read clouds.<cloud> of path into l (over what l holds).  *found tells
 * whether the file names the cloud; a missing file is -ENOENT. */
static int
layer_from_clouds(struct layer *l, const char *path, const char *cloud,
                  bool *found, struct strv *errors)
{
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    _cleanup_(confwalk_done) struct confwalk w = { 0 };
    _cleanup_free_ char *cpath = xasprintf("clouds.%s", cloud);
    struct errbuf eb = { 0 };
    yaml_node_t *c;
    int r = yamldoc_load_file(path, &d, &eb);

    *found = false;
    if (r < 0) {
        strv_push(errors, eb.msg);
        return r;
    }
    confwalk_init(&w, d, errors);
    c = yamldoc_get(d, yamldoc_get(d, yamldoc_root(d), "clouds"), cloud);
    if (!c)
        return 0;
    *found = true;
    if (c->type != YAML_MAPPING_NODE) {
        confwalk_error(&w, c, cpath, "expected a mapping");
        return -EINVAL;
    }
    if (layer_from_cloud(l, &w, c) && secret_check_file(path, &eb) < 0) {
        strv_push(errors, eb.msg);
        return eb.code;
    }
    return w.n_errors > 0 ? -EINVAL : 0;
}

static int
layer_from_cloud_files(struct layer *l, const char *cloud, char **ret_path,
                       struct strv *errors)
{
    _cleanup_free_ char *path = env("OS_CLIENT_CONFIG_FILE")
                                    ? xstrdup(env("OS_CLIENT_CONFIG_FILE"))
                                    : first_existing("clouds.yaml");
    _cleanup_free_ char *secure = NULL;
    bool found = false, found_secure = false;
    int r;

    if (!path) {
        strv_pushf(errors,
                   "cloud '%s': no clouds.yaml (looked for ./clouds.yaml, "
                   "~/.config/openstack/clouds.yaml, "
                   "/etc/openstack/clouds.yaml; OS_CLIENT_CONFIG_FILE is not "
                   "set)",
                   cloud);
        return -ENOENT;
    }
    r = layer_from_clouds(l, path, cloud, &found, errors);
    if (r < 0)
        return r;
    secure = find_secure(path);
    if (secure && access(secure, F_OK) == 0) {
        r = layer_from_clouds(l, secure, cloud, &found_secure, errors);
        if (r < 0)
            return r;
    }
    if (!found && !found_secure) {
        strv_pushf(errors, "%s: no cloud '%s' under clouds:", path, cloud);
        return -ENOENT;
    }
    *ret_path = TAKE_PTR(path);
    return 0;
}

/* --- merge, secret files, checks --------------------------------------- */

/* Fill the empty fields of dst from src; password and its file (and the
 * secret and its file) count as one setting. */
static void
layer_merge(struct layer *dst, struct layer *src)
{
    struct conf_auth *d = &dst->cred, *s = &src->cred;
    bool has_password = d->password || d->password_file;
    bool has_secret = d->application_credential_secret ||
                      d->application_credential_secret_file;

    for (size_t i = 0; conf_auth_keys[i].name; i++) {
        char **df = cred_field(d, i), **sf = cred_field(s, i);
        bool pw = sf == &s->password || sf == &s->password_file;
        bool sec = sf == &s->application_credential_secret ||
                   sf == &s->application_credential_secret_file;

        if (*df || !*sf || (pw && has_password) || (sec && has_secret))
            continue;
        *df = TAKE_PTR(*sf);
    }
    if (!dst->region_name)
        dst->region_name = TAKE_PTR(src->region_name);
    if (!dst->interface)
        dst->interface = TAKE_PTR(src->interface);
}

/* The first line of a private file, into *field. */
static void
read_secret_file(const char *path, char **field, struct strv *errors)
{
    _cleanup_(secret_freep) char *secret = NULL;
    struct errbuf eb = { 0 };
    size_t len;

    if (secret_read_file(path, CLOUDS_SECRET_MAX, &secret, &eb) < 0) {
        strv_push(errors, eb.msg);
        return;
    }
    len = strcspn(secret, "\r"); /* a CRLF file: the line ends at \r */
    if (len == 0 || len > CLOUDS_SECRET_MAX) {
        strv_pushf(errors, "%s: the secret is empty or longer than %d bytes",
                   path, CLOUDS_SECRET_MAX);
        return;
    }
    secret_free(*field);
    *field = xstrndup(secret, len);
}

/* Where the settings came from, for messages. */
static char *
source_name(const struct clouds_auth *a)
{
    switch (a->source) {
    case CLOUDS_FROM_CONFIG:
        return xstrdup("placement.auth");
    case CLOUDS_FROM_ENV:
        return xstrdup("OS_* environment");
    default:
        return xasprintf("%s: cloud '%s'", a->clouds_path, a->cloud);
    }
}

static void
check_password(const struct clouds_auth *a, const char *src,
               struct strv *errors)
{
    const struct conf_auth *c = &a->cred;

    if (!c->username && !c->user_id)
        strv_pushf(errors, "%s: username or user_id is not set", src);
    if (!c->password)
        strv_pushf(errors, "%s: password is not set", src);
    if (c->username && !c->user_id && !c->user_domain_name &&
        !c->user_domain_id)
        strv_pushf(errors,
                   "%s: username needs user_domain_name or user_domain_id",
                   src);
    if (!c->project_name && !c->project_id)
        strv_pushf(errors,
                   "%s: project_name or project_id is not set (Placement "
                   "needs a project-scoped token)",
                   src);
    if (c->project_name && !c->project_id && !c->project_domain_name &&
        !c->project_domain_id)
        strv_pushf(errors,
                   "%s: project_name needs project_domain_name or "
                   "project_domain_id",
                   src);
}

static void
check_keystone(struct clouds_auth *a, struct strv *errors)
{
    _cleanup_free_ char *src = source_name(a);
    _cleanup_free_ char *complaint = NULL;
    const char *itf = a->interface;

    if (!a->cred.auth_url)
        strv_pushf(errors, "%s: auth_url is not set", src);
    else if ((complaint = confwalk_check_url(&a->cred.auth_url)))
        strv_pushf(errors, "%s: auth_url: %s", src, complaint);
    if (strcmp(itf, "internal") != 0 && strcmp(itf, "public") != 0 &&
        strcmp(itf, "admin") != 0)
        strv_pushf(errors,
                   "%s: interface '%s' is not internal, public or admin", src,
                   itf);
    if (a->method == CLOUDS_AUTH_PASSWORD)
        check_password(a, src, errors);
    else if (!a->cred.application_credential_id)
        strv_pushf(errors, "%s: application_credential_id is not set", src);
    else if (!a->cred.application_credential_secret)
        strv_pushf(errors, "%s: application_credential_secret is not set", src);
}

/* What the merged layer says, into a. */
static void
settle(struct clouds_auth *a, struct layer *l, struct strv *errors)
{
    struct conf_auth *c = &l->cred;
    size_t n;

    if (c->password_file)
        read_secret_file(c->password_file, &c->password, errors);
    if (c->application_credential_secret_file)
        read_secret_file(c->application_credential_secret_file,
                         &c->application_credential_secret, errors);
    a->cred = *c;
    memset(c, 0, sizeof(*c));
    a->region_name = TAKE_PTR(l->region_name);
    a->interface = l->interface ? TAKE_PTR(l->interface) : xstrdup("internal");
    /* keystoneauth takes the v2 names too: "publicURL" is "public" */
    n = strlen(a->interface);
    if (n > 3 && strcmp(a->interface + n - 3, "URL") == 0)
        a->interface[n - 3] = '\0';
    a->method = a->cred.application_credential_id ||
                        a->cred.application_credential_secret
                    ? CLOUDS_AUTH_APPCRED
                    : CLOUDS_AUTH_PASSWORD;
    check_keystone(a, errors);
}

/* The YAML's own settings as a layer (copies). */
static void
layer_from_conf(struct layer *l, const struct conf_placement *pc)
{
    for (size_t i = 0; conf_auth_keys[i].name; i++)
        set_field(cred_field(&l->cred, i), cred_value(&pc->auth, i),
                  conf_auth_keys[i].secret);
    set_field(&l->region_name, pc->region_name, false);
    set_field(&l->interface, pc->interface, false);
}

int
clouds_resolve(const struct conf *c, struct clouds_auth **ret,
               struct strv *errors)
{
    const struct conf_placement *pc = &c->placement;
    _cleanup_(clouds_auth_freep) struct clouds_auth *a = xcalloc(1, sizeof(*a));
    struct layer yaml = { 0 }, os = { 0 }, cloud = { 0 };
    bool use_env = !pc->auth_set && !pc->token;
    const char *name = pc->cloud ? pc->cloud : use_env ? env("OS_CLOUD") : NULL;
    size_t before = errors->n;

    if (pc->token_from_env && (pc->auth_set || pc->cloud)) {
        strv_pushf(errors,
                   "%s is set, and so is placement.%s: a token or Keystone "
                   "credentials, not both",
                   CONF_TOKEN_ENV, pc->auth_set ? "auth" : "cloud");
        return -EINVAL;
    }
    layer_from_conf(&yaml, pc);
    if (use_env)
        layer_from_env(&os);
    if (name && !pc->token) {
        a->cloud = xstrdup(name);
        (void)layer_from_cloud_files(&cloud, name, &a->clouds_path, errors);
    }
    if (pc->token && !pc->auth_set) {
        a->method = CLOUDS_AUTH_TOKEN;
        a->interface = xstrdup(pc->interface ? pc->interface : "internal");
    } else if (errors->n == before) {
        a->source = pc->auth_set         ? CLOUDS_FROM_CONFIG
                    : cred_any(&os.cred) ? CLOUDS_FROM_ENV
                    : a->clouds_path     ? CLOUDS_FROM_CLOUDS
                                         : CLOUDS_FROM_NONE;
        layer_merge(&yaml, &os);
        layer_merge(&yaml, &cloud);
        if (a->source != CLOUDS_FROM_NONE)
            settle(a, &yaml, errors);
        else
            a->interface = xstrdup(pc->interface ? pc->interface : "internal");
    }
    layer_clear(&yaml);
    layer_clear(&os);
    layer_clear(&cloud);
    if (errors->n > before)
        return -EINVAL;
    *ret = TAKE_PTR(a);
    return 0;
}

void
clouds_auth_free(struct clouds_auth *a)
{
    if (!a)
        return;
    free(a->clouds_path);
    free(a->cloud);
    conf_auth_clear(&a->cred);
    free(a->region_name);
    free(a->interface);
    free(a);
}

bool
clouds_uses_keystone(const struct clouds_auth *a)
{
    return a && (a->method == CLOUDS_AUTH_PASSWORD ||
                 a->method == CLOUDS_AUTH_APPCRED);
}

const char *
clouds_method_name(enum clouds_method m)
{
    switch (m) {
    case CLOUDS_AUTH_PASSWORD:
        return "password";
    case CLOUDS_AUTH_APPCRED:
        return "application credential";
    case CLOUDS_AUTH_TOKEN:
        return "token";
    default:
        return "none";
    }
}
