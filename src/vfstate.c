/*
 * vfstate.c - the VF ownership file of the state directory (see vfstate.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomicfile.h"
#include "textfile.h"
#include "uuidstr.h"
#include "vfstate.h"
#include "xalloc.h"

#define VFSTATE_VERSION 1

struct vfstate *
vfstate_new(void)
{
    return xcalloc(1, sizeof(struct vfstate));
}

void
vfstate_free(struct vfstate *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].type_id);
    free(s->v);
    free(s);
}

static int
entry_cmp(const struct vfstate_entry *e, const char *vf)
{
    struct pci_addr a, b;

    if (pci_addr_parse(e->vf, &a) < 0 || pci_addr_parse(vf, &b) < 0)
        return strcmp(e->vf, vf);
    return pci_addr_cmp(&a, &b);
}

/* Index of vf's entry, or s->n. */
static size_t
find(const struct vfstate *s, const char *vf)
{
    size_t i = 0;

    while (i < s->n && strcmp(s->v[i].vf, vf) != 0)
        i++;
    return i;
}

const struct vfstate_entry *
vfstate_find(const struct vfstate *s, const char *vf)
{
    size_t i = s ? find(s, vf) : 0;

    return s && i < s->n ? &s->v[i] : NULL;
}

void
vfstate_set(struct vfstate *s, const char *vf, const char *type_id,
            const char *consumer, const char *provider, time_t since)
{
    size_t at = find(s, vf);
    struct vfstate_entry *e = at < s->n ? &s->v[at] : NULL;

    if (!e) {
        at = 0;
        while (at < s->n && entry_cmp(&s->v[at], vf) < 0)
            at++;
        xgrow(&s->v, &s->cap, s->n, sizeof(*s->v));
        memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*s->v));
        s->n++;
        e = &s->v[at];
        *e = (struct vfstate_entry){ 0 };
        snprintf(e->vf, sizeof(e->vf), "%s", vf);
    }
    free(e->type_id);
    e->type_id = xstrdup(type_id);
    snprintf(e->consumer, sizeof(e->consumer), "%s", consumer ? consumer : "");
    snprintf(e->provider, sizeof(e->provider), "%s", provider ? provider : "");
    e->since = consumer ? 0 : since;
}

bool
vfstate_equal(const struct vfstate *a, const struct vfstate *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct vfstate_entry *x = &a->v[i], *y = &b->v[i];

        if (strcmp(x->vf, y->vf) != 0 || strcmp(x->type_id, y->type_id) != 0 ||
            strcmp(x->consumer, y->consumer) != 0 ||
            strcmp(x->provider, y->provider) != 0 || x->since != y->since)
            return false;
    }
    return true;
}

/* --- reading -------------------------------------------------------------- */

static bool
is_vf_address(const char *s)
{
    struct pci_addr a;
    char buf[PCI_ADDR_STR_MAX];

    return pci_addr_parse(s, &a) == 0 &&
           strcmp(pci_addr_format(&a, buf), s) == 0;
}

static bool
is_type_id(const char *s)
{
    size_t digits =
        strncmp(s, "nvidia-", 7) == 0 ? strspn(s + 7, "0123456789") : 0;

    return digits > 0 && digits < 10 && s[7 + digits] == '\0' && s[7] != '0';
}

static const char *
string_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* One "<vf>": {...} entry into s; a message naming it when it is odd. */
static int
parse_entry(const char *name, const cJSON *e, struct vfstate *s,
            struct errbuf *eb)
{
    const char *type = string_of(e, "type");
    const char *consumer = string_of(e, "consumer");
    const char *provider = string_of(e, "provider");
    const cJSON *since = cJSON_GetObjectItemCaseSensitive(e, "orphan_since");

    if (!e->string || !is_vf_address(e->string) || !cJSON_IsObject(e))
        return errbuf_set(eb, -EPROTO,
                          "%s: vfs: an entry that is not \"<VF address>\": "
                          "{...}",
                          name);
    if (vfstate_find(s, e->string))
        return errbuf_set(eb, -EPROTO, "%s: vfs: %s twice", name, e->string);
    if (!type || !is_type_id(type))
        return errbuf_set(eb, -EPROTO, "%s: vfs: %s: no type nvidia-<id>", name,
                          e->string);
    if (consumer || provider) {
        if (!consumer || !provider || !uuidstr_is_lower(consumer) ||
            !uuidstr_is_lower(provider))
            return errbuf_set(eb, -EPROTO,
                              "%s: vfs: %s: consumer and provider must both "
                              "be lower-case UUIDs",
                              name, e->string);
        vfstate_set(s, e->string, type, consumer, provider, 0);
        return 0;
    }
    if (!cJSON_IsNumber(since) || since->valuedouble < 1 ||
        since->valuedouble > 1e12)
        return errbuf_set(eb, -EPROTO,
                          "%s: vfs: %s: neither an owner (consumer, provider) "
                          "nor an orphan (orphan_since)",
                          name, e->string);
    vfstate_set(s, e->string, type, NULL, NULL, (time_t)since->valuedouble);
    return 0;
}

int
vfstate_parse(const char *name, const char *json, size_t len,
              struct vfstate **ret, struct errbuf *eb)
{
    _cleanup_(vfstate_freep) struct vfstate *s = vfstate_new();
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *vfs = cJSON_GetObjectItemCaseSensitive(root, "vfs");
    const cJSON *e;
    int r = 0;

    if (!cJSON_IsObject(root))
        r = errbuf_set(eb, -EPROTO, "%s: not a JSON object", name);
    else if (!cJSON_IsNumber(version) ||
             version->valuedouble != VFSTATE_VERSION)
        r = errbuf_set(eb, -EPROTO, "%s: not version %d of the state file",
                       name, VFSTATE_VERSION);
    else if (!cJSON_IsObject(vfs))
        r = errbuf_set(eb, -EPROTO, "%s: no \"vfs\" object", name);
    for (e = r == 0 ? vfs->child : NULL; e && r == 0; e = e->next)
        r = parse_entry(name, e, s, eb);
    cJSON_Delete(root);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(s);
    return 0;
}

int
vfstate_load(const char *path, struct vfstate **ret, struct errbuf *eb)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = textfile_read(path, VFSTATE_MAX, &buf, &len, eb);

    if (r == -ENOENT) {
        *ret = vfstate_new();
        return 0;
    }
    if (r < 0)
        return r;
    return vfstate_parse(path, buf, len, ret, eb);
}

/* --- writing -------------------------------------------------------------- */

char *
vfstate_format(const struct vfstate *s)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *vfs;
    _cleanup_free_ char *text = NULL;

    cJSON_AddNumberToObject(root, "version", VFSTATE_VERSION);
    vfs = cJSON_AddObjectToObject(root, "vfs");
    for (size_t i = 0; i < s->n; i++) {
        const struct vfstate_entry *e = &s->v[i];
        cJSON *o = cJSON_AddObjectToObject(vfs, e->vf);

        cJSON_AddStringToObject(o, "type", e->type_id);
        if (e->consumer[0]) {
            cJSON_AddStringToObject(o, "consumer", e->consumer);
            cJSON_AddStringToObject(o, "provider", e->provider);
        } else {
            cJSON_AddNumberToObject(o, "orphan_since", (double)e->since);
        }
    }
    text = cJSON_Print(root);
    cJSON_Delete(root);
    return xstrdup(text ? text : "{}"); /* NULL only without memory */
}

int
vfstate_save(const struct vfstate *s, const char *path, struct errbuf *eb)
{
    _cleanup_free_ char *text = vfstate_format(s);
    _cleanup_free_ char *dir = xstrdup(path);
    _cleanup_free_ char *data = xasprintf("%s\n", text);
    char *slash = strrchr(dir, '/');

    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return errbuf_set(eb, -errno, "%s: %s", dir, strerror(errno));
    }
    return atomicfile_replace(path, data, strlen(data), 0644, eb);
}
