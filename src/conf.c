/*
 * conf.c - the keys of agent.yaml: their table and the checks of values.
 *
 * One table says which keys exist, with each key's type, range, default
 * and help; the checks say what a good value is.  The walk itself (types,
 * positions, repeats, "report and carry on") is confwalk.c; loading a
 * file and the rules that span keys are conf-load.c.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf-auth.h"
#include "conf-keys.h"
#include "conf.h"
#include "confwalk.h"
#include "errbuf.h"
#include "inventory.h"
#include "parse.h"
#include "pathcomp.h"
#include "secret.h"
#include "uuidstr.h"
#include "xalloc.h"
#include "yamldoc.h"

#define CONF_NODE_NAME_MAX 200 /* Placement's provider name limit */
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
const char *
conf_token_problem(const char *s, size_t len)
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
    const char *why = conf_token_problem(*value, strlen(*value));

    return why ? xstrdup(why) : NULL;
}

/* --- the table -------------------------------------------------------- */

/* Every key of agent.yaml: its name, type, range, default and help, as in
 * tmux's options-table.c.  The walk (confwalk.c) reads the file through it,
 * conf_new() takes its defaults, check-config shows a conf through it, and
 * test-confkeys holds the manual and the example config to it. */

static const struct confwalk_key type_keys[] = {
    { "device_addresses", CONFWALK_LIST, FIELD(conf_type, parents),
      .check = check_parent, .unique = CONFWALK_UNIQUE_IN_FILE, .comma = true,
      .help = "The mdev parents (GPUs) that offer this type" },
    { "mdev_class", CONFWALK_STRING, FIELD(conf_type, mdev_class),
      .check = check_resource_class, .def = "VGPU",
      .help = "Resource class of the inventory" },
    { "max_instances", CONFWALK_UINT, FIELD(conf_type, max_instances), .min = 1,
      .max = UINT_MAX, .def_text = "no cap",
      .help = "Host-wide cap on the instances of this type" },
    { "max_unit", CONFWALK_UINT, FIELD(conf_type, max_unit), .min = 1,
      .max = UINT_MAX,
      .def_text = "1 for NVIDIA types (nvidia-*), else the GPU's total",
      .help = "The most vGPUs one guest may take from one GPU" },
    { "traits", CONFWALK_LIST, FIELD(conf_type, traits), .check = check_trait,
      .unique = CONFWALK_UNIQUE_IN_LIST, .comma = true,
      .help = "Extra traits for the GPUs offering this type" },
    { NULL },
};

void *
conf_add_type(void *target, const char *name)
{
    struct conf *c = target;
    struct conf_type *t;

    c->types = xrealloc(c->types, (c->n_types + 1) * sizeof(*c->types));
    t = &c->types[c->n_types++];
    *t = (struct conf_type){ .id = xstrdup(name) };
    confwalk_set_defaults(type_keys, t);
    return t;
}

static const void *
conf_nth_type(const void *target, size_t i, const char **ret_name)
{
    const struct conf *c = target;

    if (i >= c->n_types)
        return NULL;
    *ret_name = c->types[i].id;
    return &c->types[i];
}

/* A *_file is the same setting as the secret it holds: not both. */
const struct confwalk_key conf_auth_keys[] = {
    { "auth_url", CONFWALK_STRING, FIELD(conf_auth, auth_url),
      .check = confwalk_check_url, .env = "OS_AUTH_URL",
      .help = "Keystone's URL" },
    { "username", CONFWALK_STRING, FIELD(conf_auth, username),
      .env = "OS_USERNAME", .help = "The user's name" },
    { "user_id", CONFWALK_STRING, FIELD(conf_auth, user_id),
      .env = "OS_USER_ID", .help = "The user's ID" },
    { "password", CONFWALK_STRING, FIELD(conf_auth, password), .secret = true,
      .env = "OS_PASSWORD", .help = "The user's password" },
    { "password_file", CONFWALK_STRING, FIELD(conf_auth, password_file),
      .check = confwalk_check_absolute, .alias_of = "password",
      .help = "A file whose first line is the password" },
    { "user_domain_name", CONFWALK_STRING, FIELD(conf_auth, user_domain_name),
      .env = "OS_USER_DOMAIN_NAME", .help = "The user's domain name" },
    { "user_domain_id", CONFWALK_STRING, FIELD(conf_auth, user_domain_id),
      .env = "OS_USER_DOMAIN_ID", .help = "The user's domain ID" },
    { "project_name", CONFWALK_STRING, FIELD(conf_auth, project_name),
      .env = "OS_PROJECT_NAME", .help = "The project the token is scoped to" },
    { "project_id", CONFWALK_STRING, FIELD(conf_auth, project_id),
      .env = "OS_PROJECT_ID", .help = "The project's ID" },
    { "project_domain_name", CONFWALK_STRING,
      FIELD(conf_auth, project_domain_name), .env = "OS_PROJECT_DOMAIN_NAME",
      .help = "The project's domain name" },
    { "project_domain_id", CONFWALK_STRING, FIELD(conf_auth, project_domain_id),
      .env = "OS_PROJECT_DOMAIN_ID", .help = "The project's domain ID" },
    { "application_credential_id", CONFWALK_STRING,
      FIELD(conf_auth, application_credential_id),
      .env = "OS_APPLICATION_CREDENTIAL_ID",
      .help = "An application credential's ID" },
    { "application_credential_secret", CONFWALK_STRING,
      FIELD(conf_auth, application_credential_secret), .secret = true,
      .env = "OS_APPLICATION_CREDENTIAL_SECRET",
      .help = "The application credential's secret" },
    { "application_credential_secret_file", CONFWALK_STRING,
      FIELD(conf_auth, application_credential_secret_file),
      .check = confwalk_check_absolute,
      .alias_of = "application_credential_secret",
      .help = "A file whose first line is the application credential's "
              "secret" },
    { NULL },
};

static const struct confwalk_key placement_keys[] = {
    { "auth", CONFWALK_SECTION, FIELD(conf_placement, auth),
      .sub = conf_auth_keys, FLAG(conf_placement, auth_set),
      .help = "Keystone v3 credentials, with Nova's option names" },
    { "region_name", CONFWALK_STRING, FIELD(conf_placement, region_name),
      .def_text = "any region",
      .help = "The region of Placement's endpoint in the catalog" },
    { "interface", CONFWALK_STRING, FIELD(conf_placement, interface),
      .check = conf_check_interface, .def_text = "internal",
      .help = "The interface of Placement's endpoint in the catalog" },
    { "cloud", CONFWALK_STRING, FIELD(conf_placement, cloud),
      .help = "A cloud of clouds.yaml to take the credentials from" },
    { "endpoint", CONFWALK_STRING, FIELD(conf_placement, endpoint),
      .check = confwalk_check_url, FLAG(conf_placement, endpoint_set),
      .def_text = "the catalog's",
      .help = "Placement's URL, http:// or https://" },
    { "token", CONFWALK_STRING, FIELD(conf_placement, token),
      .check = check_token, .secret = true,
      .help = "A static token, sent as X-Auth-Token" },
    /* read after the walk (conf_read_token_file) into token */
    { "token_file", CONFWALK_STRING, FIELD(conf_placement, token_file),
      .check = check_token_file, .alias_of = "token",
      .help = "A file whose first line is the token" },
    { "cacert", CONFWALK_STRING, FIELD(conf_placement, cacert),
      .check = confwalk_check_absolute, .def_text = "the system's CA store",
      .help = "The CA bundle that signs Placement's certificate" },
    { "insecure", CONFWALK_BOOL, FIELD(conf_placement, insecure),
      .def = "false", .help = "Do not verify Placement's certificate" },
    { "timeout_s", CONFWALK_UINT, FIELD(conf_placement, timeout_s), .min = 1,
      .max = 3600, .def = CONF_STR(CONF_DEFAULT_TIMEOUT_S),
      .help = "Seconds one request may take" },
    { "max_parallel", CONFWALK_UINT, FIELD(conf_placement, max_parallel),
      .min = 1, .max = 64, .def = CONF_STR(CONF_DEFAULT_MAX_PARALLEL),
      .help = "Requests in flight at once during a pass" },
    { NULL },
};

static char *
check_persist(char **value)
{
    return strcmp(*value, "mdevctl") == 0 || strcmp(*value, "none") == 0
               ? NULL
               : xstrdup("must be mdevctl or none");
}

static char *
check_root_provider(char **value)
{
    return strcmp(*value, "auto") == 0 || strcmp(*value, "create") == 0 ||
                   strcmp(*value, "adopt") == 0
               ? NULL
               : xstrdup("must be auto, create or adopt");
}

static const struct confwalk_key reconcile_keys[] = {
    { "enabled", CONFWALK_BOOL, FIELD(conf_reconcile, enabled), .def = "true",
      .help = "Whether run reconciles after every pass" },
    { "remove_orphans", CONFWALK_BOOL, FIELD(conf_reconcile, remove_orphans),
      .def = "false",
      .help = "Remove orphan mdevs, as reconcile --remove-orphans does" },
    { "orphan_grace_s", CONFWALK_UINT, FIELD(conf_reconcile, orphan_grace_s),
      .min = 0, .max = 604800, .def = CONF_STR(CONF_DEFAULT_ORPHAN_GRACE_S),
      .help = "Seconds an orphan mdev is left alone after it appeared" },
    { "persist", CONFWALK_STRING, FIELD(conf_reconcile, persist),
      .check = check_persist, .def = "mdevctl",
      .help = "How created mdevs come back at boot: mdevctl or none" },
    { "mdevctl_dir", CONFWALK_STRING, FIELD(conf_reconcile, mdevctl_dir),
      .check = confwalk_check_absolute, .def = CONF_DEFAULT_MDEVCTL_DIR,
      .help = "Where the mdevctl definitions are written" },
    { NULL },
};

const struct confwalk_key conf_keys[] = {
    { "node_name", CONFWALK_STRING, FIELD(conf, node_name),
      .check = check_node_name, FLAG(conf, node_name_set),
      .def_text = "the host's fully qualified name",
      .help = "Name of the root resource provider (the compute node)" },
    { "node_uuid", CONFWALK_STRING, FIELD(conf, node_uuid), .check = check_uuid,
      .def_text = "nova-compute's compute node UUID, else UUIDv5 of node_name",
      .help = "UUID of the root provider" },
    { "root_provider", CONFWALK_STRING, FIELD(conf, root_provider),
      .check = check_root_provider, .def = "auto",
      .help = "Whether the agent may create the root provider: create, "
              "adopt (wait for nova-compute's) or auto" },
    { "nova_compute_id_file", CONFWALK_STRING,
      FIELD(conf, nova_compute_id_file), .check = confwalk_check_absolute,
      .def = CONF_DEFAULT_NOVA_COMPUTE_ID_FILE,
      .help = "nova-compute's compute node UUID (Nova 2023.1 and later)" },
    { "machine_id_file", CONFWALK_STRING, FIELD(conf, machine_id_file),
      .check = confwalk_check_absolute, FLAG(conf, machine_id_file_set),
      .def = CONF_DEFAULT_MACHINE_ID_FILE,
      .help = "This host's machine ID, which marks its GPU providers as its "
              "own" },
    { "sysfs_root", CONFWALK_STRING, FIELD(conf, sysfs_root),
      .check = confwalk_check_absolute, .def = CONF_DEFAULT_SYSFS_ROOT,
      .help = "Where sysfs is mounted" },
    { "enabled_mdev_types", CONFWALK_LIST, FIELD(conf, enabled_mdev_types),
      .check = check_type_id, .unique = CONFWALK_UNIQUE_IN_LIST, .comma = true,
      FLAG(conf, enabled_mdev_types_set), .def_text = "the keys of mdev_types",
      .help = "The mdev types the agent may offer" },
    { "enabled_vgpu_types", CONFWALK_LIST, FIELD(conf, enabled_mdev_types),
      .check = check_type_id, .unique = CONFWALK_UNIQUE_IN_LIST, .comma = true,
      FLAG(conf, enabled_mdev_types_set), .alias_of = "enabled_mdev_types",
      .help = "Nova's name for enabled_mdev_types" },
    { "mdev_types", CONFWALK_MAP, .check = check_type_id, .sub = type_keys,
      .add = conf_add_type, .nth = conf_nth_type,
      .help = "Settings of each enabled type" },
    { "provider_config_dir", CONFWALK_STRING, FIELD(conf, provider_config_dir),
      .check = confwalk_check_absolute, FLAG(conf, provider_config_dir_set),
      .def = CONF_DEFAULT_PROVIDER_CONFIG_DIR,
      .help = "Nova-style provider config files" },
    { "placement", CONFWALK_SECTION, FIELD(conf, placement),
      .sub = placement_keys, .help = "How to reach Placement" },
    { "lock_file", CONFWALK_STRING, FIELD(conf, lock_file),
      .check = confwalk_check_absolute, .def = CONF_DEFAULT_LOCK_FILE,
      .help = "The lock that keeps a second agent off the host" },
    { "metrics_file", CONFWALK_STRING, FIELD(conf, metrics_file),
      .check = confwalk_check_absolute,
      .help = "Where run writes Prometheus metrics after every pass" },
    { "state_dir", CONFWALK_STRING, FIELD(conf, state_dir),
      .check = confwalk_check_absolute, .def = CONF_DEFAULT_STATE_DIR,
      .help = "The agent's records: which VF belongs to which claim" },
    { "interval_s", CONFWALK_UINT, FIELD(conf, interval_s), .min = 1,
      .max = 86400, .def = CONF_STR(CONF_DEFAULT_INTERVAL_S),
      .help = "Seconds between two passes of run" },
    { "full_refresh_s", CONFWALK_UINT, FIELD(conf, full_refresh_s), .min = 0,
      .max = 604800, .def = CONF_STR(CONF_DEFAULT_FULL_REFRESH_S),
      .help = "Seconds between two full re-reads of Placement in run" },
    { "libvirt_uri", CONFWALK_STRING, FIELD(conf, libvirt_uri),
      .def = CONF_DEFAULT_LIBVIRT_URI,
      .help = "Where guests are read, read-only" },
    { "reconcile", CONFWALK_SECTION, FIELD(conf, reconcile),
      .sub = reconcile_keys, .help = "How allocations become mdevs" },
    { NULL },
};

/* --- defaults and what they resolved to ------------------------------ */

struct conf *
conf_new(void)
{
    struct conf *c = xcalloc(1, sizeof(*c));
    char host[HOST_NAME_MAX + 2] = ""; /* stays NUL-terminated */

    confwalk_set_defaults(conf_keys, c);
    /* the one default the table cannot spell */
    c->node_name = xstrdup(gethostname(host, sizeof(host) - 1) == 0 && host[0]
                               ? host
                               : "localhost");
    return c;
}

void
conf_show(const struct conf *c, struct strv *lines)
{
    confwalk_show(conf_keys, c, NULL, lines);
}
