/*
 * nodeid.c - who this host is, to Placement (see nodeid.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "cleanup.h"
#include "nodeid.h"
#include "xalloc.h"

#define NODEID_FILE_MAX 128 /* both files hold one short line */
#define NODEID_TRAIT_MAX 255

/* The namespace of the owner IDs: UUIDv5(machine ID) in it is the ID, so
 * the trait never shows the machine ID itself (machine-id(5) asks apps
 * for such a derived ID).  A random UUID, fixed for good. */
#define NODEID_NAMESPACE "8b1e3f52-6c4d-4e0a-9a7b-2d5c1f0e9b63"

static bool
is_localhost(const char *name)
{
    return strncmp(name, "localhost", 9) == 0;
}

bool
nodeid_wants_canonical(const char *host)
{
    return !is_localhost(host) && !strchr(host, '.');
}

const char *
nodeid_pick_hostname(const char *host, const char *canon)
{
    if (!nodeid_wants_canonical(host) || !canon || !*canon ||
        is_localhost(canon))
        return host;
    return canon;
}

char *
nodeid_hostname(void)
{
    char host[HOST_NAME_MAX + 2] = ""; /* stays NUL-terminated */
    struct addrinfo hints = { .ai_flags = AI_CANONNAME,
                              .ai_family = AF_UNSPEC };
    struct addrinfo *info = NULL;
    char *name;

    if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
        return xstrdup("localhost");
    if (nodeid_wants_canonical(host) &&
        getaddrinfo(host, NULL, &hints, &info) == 0)
        name = xstrdup(nodeid_pick_hostname(host, info->ai_canonname));
    else
        name = xstrdup(host);
    if (info)
        freeaddrinfo(info);
    return name;
}

char *
nodeid_owner_trait(const char *machine_id, const char *hostname)
{
    _cleanup_free_ char *id = xstrdup(machine_id);
    char text[UUIDSTR_LEN], hex[NODEID_ID_LEN + 1];
    uuid_t ns, out;
    size_t n = 0, host_at;
    char *trait;

    for (char *c = id; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    uuid_parse(NODEID_NAMESPACE, ns);
    uuid_generate_sha1(out, ns, id, strlen(id));
    uuid_unparse_upper(out, text);
    for (const char *c = text; *c; c++) /* the 32 digits, no dashes */
        if (*c != '-')
            hex[n++] = *c;
    hex[n] = '\0';
    trait = xasprintf("%s%s_%s", NODEID_TRAIT_PREFIX, hex, hostname);
    host_at = strlen(NODEID_TRAIT_PREFIX) + NODEID_ID_LEN + 1;
    if (strlen(trait) > NODEID_TRAIT_MAX)
        trait[NODEID_TRAIT_MAX] = '\0';
    for (char *c = trait + host_at; *c; c++)
        *c =
            isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_';
    return trait;
}

bool
nodeid_parse_owner(const char *trait, char ret_id[NODEID_ID_LEN + 1],
                   const char **ret_host)
{
    size_t pre = strlen(NODEID_TRAIT_PREFIX);
    const char *id = trait + pre;

    if (strncmp(trait, NODEID_TRAIT_PREFIX, pre) != 0 ||
        strlen(id) < NODEID_ID_LEN)
        return false;
    for (size_t i = 0; i < NODEID_ID_LEN; i++)
        if (!isxdigit((unsigned char)id[i]))
            return false;
    if (id[NODEID_ID_LEN] != '\0' && id[NODEID_ID_LEN] != '_')
        return false;
    memcpy(ret_id, id, NODEID_ID_LEN);
    ret_id[NODEID_ID_LEN] = '\0';
    *ret_host = id[NODEID_ID_LEN] ? id + NODEID_ID_LEN + 1 : "";
    return true;
}

/* The first line of the file at path, at most NODEID_FILE_MAX bytes,
 * spaces around it dropped. */
static int
read_line(const char *path, char ret[NODEID_FILE_MAX + 1], struct errbuf *eb)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    ssize_t n;
    char *s, *e;

    if (fd < 0)
        return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
    n = read(fd, ret, NODEID_FILE_MAX);
    if (n < 0)
        return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
    ret[n] = '\0';
    ret[strcspn(ret, "\n")] = '\0';
    for (s = ret; isspace((unsigned char)*s); s++)
        ;
    for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
        ;
    *e = '\0';
    memmove(ret, s, strlen(s) + 1);
    return 0;
}

int
nodeid_read_machine_id(const char *path, char ret[NODEID_ID_LEN + 1],
                       struct errbuf *eb)
{
    char line[NODEID_FILE_MAX + 1];
    int r = read_line(path, line, eb);

    if (r < 0)
        return r;
    if (strlen(line) != NODEID_ID_LEN ||
        strspn(line, "0123456789abcdefABCDEF") != NODEID_ID_LEN)
        return errbuf_set(eb, -EINVAL,
                          "%s: not a machine ID (32 hexadecimal digits)", path);
    for (size_t i = 0; i <= NODEID_ID_LEN; i++)
        ret[i] = (char)tolower((unsigned char)line[i]);
    return 0;
}

int
nodeid_read_nova_uuid(const char *path, char ret[UUIDSTR_LEN],
                      struct errbuf *eb)
{
    char line[NODEID_FILE_MAX + 1];
    int r = read_line(path, line, eb);

    if (r < 0)
        return r;
    if (uuidstr_lower(line, ret) < 0)
        return errbuf_set(eb, -EINVAL, "%s: not a UUID: \"%.40s\"", path, line);
    return 0;
}

int
nodeid_resolve(const struct conf *c, struct nodeid *ret, struct strv *warnings,
               struct strv *notes, struct errbuf *eb)
{
    struct nodeid id = { .hostname = nodeid_hostname() };
    char machine[NODEID_ID_LEN + 1];
    struct errbuf why = { 0 };
    int r = nodeid_read_nova_uuid(c->nova_compute_id_file, id.nova_uuid, eb);

    if (r < 0 && r != -ENOENT) {
        errbuf_prefix(eb, "nova_compute_id_file");
        nodeid_clear(&id);
        return -EINVAL;
    }
    if (r == -ENOENT)
        id.nova_uuid[0] = '\0';
    errbuf_clear(eb);
    if (nodeid_read_machine_id(c->machine_id_file, machine, &why) == 0)
        id.owner_trait = nodeid_owner_trait(machine, id.hostname);
    else
        strv_pushf(c->machine_id_file_set ? warnings : notes,
                   "machine_id_file: %s; the GPU providers carry no owner "
                   "trait, so another host reporting under node name %s "
                   "would not be told apart",
                   why.msg, c->node_name_set ? c->node_name : id.hostname);
    id.adopt_root = strcmp(c->root_provider, "adopt") == 0 ||
                    (strcmp(c->root_provider, "auto") == 0 && id.nova_uuid[0]);
    *ret = id;
    return 0;
}

void
nodeid_apply(const struct nodeid *id, struct conf *c, struct strv *warnings)
{
    if (!c->node_name_set) {
        free(c->node_name);
        c->node_name = xstrdup(id->hostname);
    }
    if (!id->nova_uuid[0])
        return;
    if (!c->node_uuid)
        c->node_uuid = xstrdup(id->nova_uuid);
    else if (strcmp(c->node_uuid, id->nova_uuid) != 0)
        strv_pushf(warnings,
                   "node_uuid %s is not nova-compute's compute node UUID %s "
                   "(%s): the agent reports under a root nova-compute "
                   "does not use",
                   c->node_uuid, id->nova_uuid, c->nova_compute_id_file);
}

void
nodeid_clear(struct nodeid *id)
{
    free(id->hostname);
    free(id->owner_trait);
    *id = (struct nodeid){ 0 };
}
