/*
 * testcoexist.c - sites, Placement checks and nova-compute for the
 * test-coexist binary (see testcoexist.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <uuid/uuid.h>

#include "cleanup.h"
#include "nodeid.h"
#include "strv.h"
#include "testcoexist.h"
#include "testsecrets.h"
#include "xalloc.h"

/* --- sites -------------------------------------------------------------- */

void
site_init(struct site *s, const char *host, bool live)
{
    _cleanup_free_ char *yaml = NULL;
    struct errbuf eb = { 0 };
    char id[UUIDSTR_LEN], hex[NODEID_ID_LEN + 1];
    uuid_t u;
    size_t n = 0;

    *s = (struct site){ .dir = fixture_tmpdir() };
    if (live) {
        _cleanup_free_ char *rel = xasprintf("hosts/%s.yaml", host);

        yaml = fixture_data_path(rel);
        cr_assert(eq(int, fakesys_live_start(yaml, &s->live, &eb), 0), "%s",
                  eb.msg);
        s->root = xstrdup(fakesys_live_root(s->live));
    } else {
        s->root = fixture_host(host);
    }
    uuid_generate_random(u);
    uuid_unparse_lower(u, id);
    for (const char *c = id; *c; c++)
        if (*c != '-')
            hex[n++] = *c;
    hex[n] = '\0';
    site_put(s, "machine-id", hex);
}

void
site_clear(struct site *s)
{
    agentrun_clear(&s->run);
    if (s->live)
        fakesys_live_stop(s->live);
    else if (s->root)
        fixture_rm_rf(s->root);
    if (s->dir)
        fixture_rm_rf(s->dir);
    free(s->root);
    free(s->dir);
    *s = (struct site){ 0 };
}

char *
site_path(const struct site *s, const char *rel)
{
    return xasprintf("%s/%s", s->dir, rel);
}

void
site_put(const struct site *s, const char *rel, const char *text)
{
    _cleanup_free_ char *path = site_path(s, rel);
    FILE *f = fopen(path, "we");

    cr_assert(f != NULL, "%s", path);
    fputs(text, f);
    cr_assert(eq(int, fclose(f), 0));
}

void
site_nova_id(const struct site *s, const char *uuid)
{
    _cleanup_free_ char *line = xasprintf("%s\n", uuid);

    site_put(s, "compute_id", line);
}

void
site_conf(const struct site *s, const char *settings)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *text =
        xasprintf("%s"
                  "machine_id_file: %s/machine-id\n"
                  "nova_compute_id_file: %s/compute_id\n"
                  "lock_file: %s/lock\n"
                  "libvirt_uri: %s\n"
                  "reconcile:\n  mdevctl_dir: %s/mdevctl.d\n"
                  "placement:\n  endpoint: %s\n  token: %s\n",
                  settings, s->dir, s->dir, s->dir, uri, s->dir,
                  placement_shared_url(), TEST_TOKEN);
    _cleanup_free_ char *path = site_path(s, "agent.yaml");

    site_put(s, "agent.yaml", text);
    cr_assert(eq(int, chmod(path, 0600), 0));
}

void
site_agent(struct site *s, const char *const *args)
{
    _cleanup_free_ char *conf = site_path(s, "agent.yaml");
    const char *argv[16] = { "-v", "-c", conf, "--sysfs-root", s->root };
    size_t n = 5;

    for (; *args; args++) {
        cr_assert(lt(sz, n, sizeof(argv) / sizeof(*argv) - 1));
        argv[n++] = *args;
    }
    argv[n] = NULL;
    agentrun_clear(&s->run);
    agentrun(&s->run, argv);
    cr_assert(eq(ptr, strstr(s->run.err, "Sanitizer"), NULL), "%s", s->run.err);
}

int
site_sync(struct site *s)
{
    site_agent(s, (const char *const[]){ "sync", NULL });
    return s->run.status;
}

cJSON *
site_dump(const struct site *s)
{
    _cleanup_free_ char *conf = site_path(s, "agent.yaml");

    return agentrun_dump(conf, s->root);
}

/* --- Placement ---------------------------------------------------------- */

char *
coexist_uuid_of(const char *name)
{
    _cleanup_free_ char *path = xasprintf("/resource_providers?name=%s", name);
    cJSON *j = placement_shared_json(path);
    const cJSON *rp =
        cJSON_GetArrayItem(cJSON_GetObjectItem(j, "resource_providers"), 0);
    char *uuid =
        rp ? xstrdup(cJSON_GetObjectItem(rp, "uuid")->valuestring) : NULL;

    cJSON_Delete(j);
    return uuid;
}

static char *
joined(struct strv *sv)
{
    char *s = xstrdup("");

    strv_sort_uniq(sv);
    for (size_t i = 0; i < sv->n; i++) {
        char *next = xasprintf("%s%s%s", s, i ? " " : "", sv->v[i]);

        free(s);
        s = next;
    }
    strv_clear(sv);
    return s;
}

char *
coexist_generations(const char *root)
{
    _cleanup_free_ char *path =
        xasprintf("/resource_providers?in_tree=%s", root);
    cJSON *j = placement_shared_json(path);
    struct strv sv = { 0 };
    const cJSON *rp;

    cJSON_ArrayForEach(rp, cJSON_GetObjectItem(j, "resource_providers"))
        strv_pushf(&sv, "%s=%d", cJSON_GetObjectItem(rp, "name")->valuestring,
                   cJSON_GetObjectItem(rp, "generation")->valueint);
    cJSON_Delete(j);
    return joined(&sv);
}

/* Inventories and traits of uuid, owner traits left out unless owner. */
static char *
state_of(const char *uuid, bool owner)
{
    _cleanup_free_ char *ip =
        xasprintf("/resource_providers/%s/inventories", uuid);
    _cleanup_free_ char *tp = xasprintf("/resource_providers/%s/traits", uuid);
    cJSON *inv = placement_shared_json(ip);
    cJSON *tr = placement_shared_json(tp);
    struct strv sv = { 0 };
    const cJSON *e;

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(inv, "inventories")) {
        _cleanup_free_ char *v = cJSON_PrintUnformatted(e);

        strv_pushf(&sv, "%s=%s", e->string, v);
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(tr, "traits"))
        if (owner || strncmp(e->valuestring, NODEID_TRAIT_PREFIX,
                             strlen(NODEID_TRAIT_PREFIX)) != 0)
            strv_pushf(&sv, "trait:%s", e->valuestring);
    cJSON_Delete(inv);
    cJSON_Delete(tr);
    return joined(&sv);
}

char *
coexist_state(const char *uuid)
{
    return state_of(uuid, true);
}

bool
coexist_has_owner(const char *uuid)
{
    _cleanup_free_ char *state = coexist_state(uuid);

    return strstr(state, "trait:" NODEID_TRAIT_PREFIX) != NULL;
}

/* The state dump provider p should have in Placement, owner aside. */
static char *
dumped_state(const cJSON *p)
{
    struct strv sv = { 0 };
    const cJSON *e;

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(p, "inventories")) {
        _cleanup_free_ char *v = cJSON_PrintUnformatted(e);

        strv_pushf(&sv, "%s=%s", e->string, v);
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(p, "traits"))
        strv_pushf(&sv, "trait:%s", e->valuestring);
    return joined(&sv);
}

void
coexist_assert_gpus(const cJSON *dump, const char *root_uuid)
{
    const cJSON *providers = cJSON_GetObjectItem(dump, "providers");
    _cleanup_free_ char *path =
        xasprintf("/resource_providers?in_tree=%s", root_uuid);
    cJSON *tree = placement_shared_json(path);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(tree, "resource_providers"));
    const cJSON *p;

    cJSON_Delete(tree);
    cr_assert(eq(int, n, cJSON_GetArraySize(providers)),
              "providers in Placement's tree: %d; in the dump: %d", n,
              cJSON_GetArraySize(providers));
    cJSON_ArrayForEach(p, providers) {
        const char *name = cJSON_GetObjectItem(p, "name")->valuestring;
        _cleanup_free_ char *uuid = NULL, *state = NULL, *want = NULL,
                            *mine = NULL;

        if (!cJSON_IsString(cJSON_GetObjectItem(p, "parent_provider_uuid")))
            continue; /* the root */
        uuid = coexist_uuid_of(name);
        cr_assert(ne(ptr, uuid, NULL), "%s is not in Placement", name);
        state = coexist_state(uuid);
        want = dumped_state(p);
        mine = state_of(uuid, false);
        cr_assert(eq(str, mine, want), "%s", name);
        cr_assert(coexist_has_owner(uuid), "%s: no owner trait: %s", name,
                  state);
    }
}

/* --- nova-compute ------------------------------------------------------- */

void
coexist_nova(const char *uuid, const char *name,
             const struct novacompute_child *children, size_t n, bool refresh)
{
    _cleanup_free_ char *err = novacompute_cycle(
        placement_shared_url(), uuid, name, NULL, children, n, refresh);

    cr_assert(eq(ptr, err, NULL), "nova-compute: %s", err);
}
