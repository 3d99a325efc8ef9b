/*
 * conf.c - what the keys of agent.yaml mean: their table, checks, defaults.
 *
 * The walk itself (types, positions, repeats, "report and carry on") is
 * confwalk.c; this file says which keys exist, what a good value is, and
 * the rules that span keys: enabled types, and the Placement token, a
 * secret that no message ever quotes and that only a private file holds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-auth.h"
#include "conf.h"
#include "confwalk.h"
#include "errbuf.h"
#include "inventory.h"
#include "parse.h"
#include "pathcomp.h"
#include "uuidstr.h"
#include "xalloc.h"
#include "yamldoc.h"

#define CONF_NODE_NAME_MAX 200 /* Placement's provider name limit */
#define CONF_TOKEN_MAX 8192    /* Keystone's largest (PKI) tokens fit */
#define CONF_REDACT_MIN 4      /* see conf_redact() */
#define CONF_STR_(x) #x
#define CONF_STR(x) CONF_STR_(x)

#define FIELD(type, f) CONFWALK_FIELD(type, f)
#define FLAG(type, f) CONFWALK_FLAG(type, f)

/* --- value checks ------------------------------------------------------ */

/* A PCI address (canonical: lower case) or another device name. */
static char *
check_parent(char **value)
{
    struct pci_addr a;
    char buf[PCI_ADDR_STR_MAX];

    if (!strchr(*value, ':'))
        return !pathcomp_problem(*value)
                   ? NULL
                   : xasprintf("\"%s\" is not a device name", *value);
    if (pci_addr_parse(*value, &a) < 0)
        return xasprintf("\"%s\" is not a PCI address (dddd:bb:ss.f)", *value);
    free(*value);
    *value = xstrdup(pci_addr_format(&a, buf));
    return NULL;
}

static char *
check_type_id(char **value)
{
    return !pathcomp_problem(*value)
               ? NULL
               : xasprintf("\"%s\" is not an mdev type name", *value);
}

static char *
check_resource_class(char **value)
{
    return strcmp(*value, "VGPU") == 0 || inventory_is_custom_name(*value)
               ? NULL
               : xasprintf("\"%s\" is not a resource class (VGPU or "
                           "CUSTOM_[A-Z0-9_]+)",
                           *value);
}

static char *
check_trait(char **value)
{
    if (!inventory_is_valid_name(*value))
        return xasprintf("\"%s\" is not a trait name ([A-Z0-9_]{1,255})",
                         *value);
    if (!inventory_is_custom_name(*value))
        return xasprintf("\"%s\" is not a CUSTOM_ trait (standard traits "
                         "come from sysfs)",
                         *value);
    return NULL;
}

static char *
check_uuid(char **value)
{
    char u[UUIDSTR_LEN];

    if (uuidstr_lower(*value, u) < 0)
        return xasprintf("\"%s\" is not a UUID", *value);
    memcpy(*value, u, sizeof(u)); /* the same length */
    return NULL;
}

static char *
check_node_name(char **value)
{
    size_t len = strlen(*value);

    return len > 0 && len <= CONF_NODE_NAME_MAX
               ? NULL
               : xasprintf("must be 1 to %d characters long",
                           CONF_NODE_NAME_MAX);
}
/* What is wrong with a token of len bytes, or NULL.  Never the value: the
 * message ends up in logs. */
static const char *
token_problem(const char *s, size_t len)
{
    if (len == 0)
        return "the token is empty";
    if (len > CONF_TOKEN_MAX)
        return "the token is longer than " CONF_STR(CONF_TOKEN_MAX) " bytes";
    for (size_t i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return "the token must be printable ASCII without spaces (value "
                   "not shown)";
    return NULL;
}

/* token_file: users mix it up with token, so the value is not quoted. */
static char *
check_token_file(char **value)
{
    return (*value)[0] == '/' ? NULL
                              : xstrdup("must be an absolute path (value not "
                                        "shown: it may be the token itself)");
}

static char *
check_token(char **value)
{
    const char *why = token_problem(*value, strlen(*value));

    return why ? xstrdup(why) : NULL;
}

/* --- the tables -------------------------------------------------------- */

static void *
conf_add_type(void *target, const char *name)
{
    struct conf *c = target;
    struct conf_type *t;

    c->types = xrealloc(c->types, (c->n_types + 1) * sizeof(*c->types));
    t = &c->types[c->n_types++];
    *t = (struct conf_type){ .id = xstrdup(name),
                             .mdev_class = xstrdup("VGPU") };
    return t;
}

static const struct confwalk_key type_keys[] = {
    { "device_addresses", CONFWALK_LIST, FIELD(conf_type, parents),
      .check = check_parent, .unique = CONFWALK_UNIQUE_IN_FILE },
    { "mdev_class", CONFWALK_STRING, FIELD(conf_type, mdev_class),
      .check = check_resource_class },
    { "max_instances", CONFWALK_UINT, FIELD(conf_type, max_instances), .min = 1,
      .max = UINT_MAX },
    { "traits", CONFWALK_LIST, FIELD(conf_type, traits), .check = check_trait,
      .unique = CONFWALK_UNIQUE_IN_LIST },
    { NULL },
};

static const struct confwalk_key placement_keys[] = {
    { "auth", CONFWALK_SECTION, FIELD(conf_placement, auth),
      .sub = conf_auth_keys, FLAG(conf_placement, auth_set) },
    { "region_name", CONFWALK_STRING, FIELD(conf_placement, region_name) },
    { "interface", CONFWALK_STRING, FIELD(conf_placement, interface),
      .check = conf_check_interface },
    { "cloud", CONFWALK_STRING, FIELD(conf_placement, cloud) },
    { "endpoint", CONFWALK_STRING, FIELD(conf_placement, endpoint),
      .check = confwalk_check_url, FLAG(conf_placement, endpoint_set) },
    { "token", CONFWALK_STRING, FIELD(conf_placement, token),
      .check = check_token, .secret = true },
    /* read after the walk (conf_read_token_file) into token */
    { "token_file", CONFWALK_STRING, FIELD(conf_placement, token_file),
      .check = check_token_file, .alias_of = "token" },
    { "cacert", CONFWALK_STRING, FIELD(conf_placement, cacert),
      .check = confwalk_check_absolute },
    { "insecure", CONFWALK_BOOL, FIELD(conf_placement, insecure) },
    { "timeout_s", CONFWALK_UINT, FIELD(conf_placement, timeout_s), .min = 1,
      .max = 3600 },
    { "max_parallel", CONFWALK_UINT, FIELD(conf_placement, max_parallel),
      .min = 1, .max = 64 },
    { NULL },
};

static char *
check_persist(char **value)
{
    return strcmp(*value, "mdevctl") == 0 || strcmp(*value, "none") == 0
               ? NULL
               : xstrdup("must be mdevctl or none");
}

static const struct confwalk_key reconcile_keys[] = {
    { "enabled", CONFWALK_BOOL, FIELD(conf_reconcile, enabled) },
    { "remove_orphans", CONFWALK_BOOL, FIELD(conf_reconcile, remove_orphans) },
    { "orphan_grace_s", CONFWALK_UINT, FIELD(conf_reconcile, orphan_grace_s),
      .min = 0, .max = 604800 },
    { "persist", CONFWALK_STRING, FIELD(conf_reconcile, persist),
      .check = check_persist },
    { "mdevctl_dir", CONFWALK_STRING, FIELD(conf_reconcile, mdevctl_dir),
      .check = confwalk_check_absolute },
    { NULL },
};

static const struct confwalk_key conf_keys[] = {
    { "node_name", CONFWALK_STRING, FIELD(conf, node_name),
      .check = check_node_name },
    { "node_uuid", CONFWALK_STRING, FIELD(conf, node_uuid),
      .check = check_uuid },
    { "sysfs_root", CONFWALK_STRING, FIELD(conf, sysfs_root),
      .check = confwalk_check_absolute },
    { "enabled_mdev_types", CONFWALK_LIST, FIELD(conf, enabled_mdev_types),
      .check = check_type_id, .unique = CONFWALK_UNIQUE_IN_LIST,
      FLAG(conf, enabled_mdev_types_set) },
    { "enabled_vgpu_types", CONFWALK_LIST, FIELD(conf, enabled_mdev_types),
      .check = check_type_id, .unique = CONFWALK_UNIQUE_IN_LIST,
      FLAG(conf, enabled_mdev_types_set), .alias_of = "enabled_mdev_types" },
    { "mdev_types", CONFWALK_MAP, .check = check_type_id, .sub = type_keys,
      .add = conf_add_type },
    { "provider_config_dir", CONFWALK_STRING, FIELD(conf, provider_config_dir),
      .check = confwalk_check_absolute, FLAG(conf, provider_config_dir_set) },
    { "placement", CONFWALK_SECTION, FIELD(conf, placement),
      .sub = placement_keys },
    { "lock_file", CONFWALK_STRING, FIELD(conf, lock_file),
      .check = confwalk_check_absolute },
    { "metrics_file", CONFWALK_STRING, FIELD(conf, metrics_file),
      .check = confwalk_check_absolute },
    { "state_dir", CONFWALK_STRING, FIELD(conf, state_dir),
      .check = confwalk_check_absolute },
    { "interval_s", CONFWALK_UINT, FIELD(conf, interval_s), .min = 1,
      .max = 86400 },
    { "full_refresh_s", CONFWALK_UINT, FIELD(conf, full_refresh_s), .min = 0,
      .max = 604800 },
    { "libvirt_uri", CONFWALK_STRING, FIELD(conf, libvirt_uri) },
    { "reconcile", CONFWALK_SECTION, FIELD(conf, reconcile),
      .sub = reconcile_keys },
    { NULL },
};

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
 * without an mdev_types entry); an entry for a type not enabled is an
 * error. */
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
            confwalk_error(w, cl->node, path,
                           "type is not enabled (not in enabled_mdev_types)");
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

/* The token: the first line of the file at fd (named path in messages),
 * into *ret; or what is wrong, never quoting the file's content. */
static char *
conf_read_token_fd(int fd, const char *path, char **ret)
{
    char buf[CONF_TOKEN_MAX + 2]; /* the cap, one byte more, NUL */
    size_t len = 0, line;
    ssize_t n = 1;
    const char *nl, *why;

    while (len < sizeof(buf) - 1 && n > 0) {
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR)
            n = 1;
        else if (n > 0)
            len += (size_t)n;
    }
    if (n < 0) {
        explicit_bzero(buf, sizeof(buf));
        return xasprintf("%s: %s", path, strerror(errno));
    }
    nl = memchr(buf, '\n', len);
    line = nl ? (size_t)(nl - buf) : len;
    why = token_problem(buf, line);
    if (!why) {
        buf[line] = '\0';
        *ret = xstrdup(buf);
    }
    explicit_bzero(buf, sizeof(buf));
    return why ? xasprintf("%s: %s", path, why) : NULL;
}

/* Read placement.token_file into *ret (freeing what was there); or what
 * is wrong: a file others may read or write is refused. */
static char *
conf_read_token_file(const char *path, char **ret)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    char *token = NULL;
    char *complaint;

    if (fd < 0 || fstat(fd, &st) < 0)
        return xasprintf("%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return xasprintf("%s is not a regular file", path);
    if (st.st_mode & 077)
        return xasprintf("%s is mode %04o: group or others may read or write "
                         "the token; chmod 600 it",
                         path, (unsigned)(st.st_mode & 07777));
    complaint = conf_read_token_fd(fd, path, &token);
    if (!complaint) {
        confwalk_free_secret(*ret);
        *ret = token;
    }
    return complaint;
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
            confwalk_free_secret(errors->v[i]);
            errors->v[i] = s;
        }
    }
}

/* --- load and free ----------------------------------------------------- */

struct conf *
conf_new(void)
{
    struct conf *c = xcalloc(1, sizeof(*c));
    char host[HOST_NAME_MAX + 2] = ""; /* stays NUL-terminated */

    c->node_name = xstrdup(gethostname(host, sizeof(host) - 1) == 0 && host[0]
                               ? host
                               : "localhost");
    c->sysfs_root = xstrdup(CONF_DEFAULT_SYSFS_ROOT);
    c->provider_config_dir = xstrdup(CONF_DEFAULT_PROVIDER_CONFIG_DIR);
    c->placement.timeout_s = CONF_DEFAULT_TIMEOUT_S;
    c->placement.max_parallel = CONF_DEFAULT_MAX_PARALLEL;
    c->interval_s = CONF_DEFAULT_INTERVAL_S;
    c->lock_file = xstrdup(CONF_DEFAULT_LOCK_FILE);
    c->state_dir = xstrdup(CONF_DEFAULT_STATE_DIR);
    c->full_refresh_s = CONF_DEFAULT_FULL_REFRESH_S;
    c->libvirt_uri = xstrdup(CONF_DEFAULT_LIBVIRT_URI);
    c->reconcile.enabled = true;
    c->reconcile.orphan_grace_s = CONF_DEFAULT_ORPHAN_GRACE_S;
    c->reconcile.persist = xstrdup("mdevctl");
    c->reconcile.mdevctl_dir = xstrdup(CONF_DEFAULT_MDEVCTL_DIR);
    return c;
}

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
    confwalk_free_secret(c->placement.token);
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
    free(c->sysfs_root);
    free(c->provider_config_dir);
    strv_clear(&c->enabled_mdev_types);
    conf_auth_clear(&c->placement.auth);
    free(c->placement.region_name);
    free(c->placement.interface);
    free(c->placement.cloud);
    free(c->placement.endpoint);
    confwalk_free_secret(c->placement.token);
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
