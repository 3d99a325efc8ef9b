/*
 * reconcile-host.c - the world of a reconcile end-to-end test: its
 * processes, its files, and reading the agent's report.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "reconcile-host.h"
#include "xalloc.h"

struct reconcile_host rh;

void
rh_setup(void)
{
    rh.srv = placement_server_start();
    agentenv_init(&rh.env);
}

void
rh_teardown(void)
{
    cJSON_Delete(rh.report);
    agentrun_clear(&rh.run);
    placement_server_stop(rh.srv);
    agentenv_clear(&rh.env);
    free(rh.kernel);
    free(rh.uri);
    rh = (struct reconcile_host){ 0 };
}

char *
rh_mdevctl_dir(void)
{
    return agentenv_path(&rh.env, "mdevctl.d");
}

void
rh_write_conf(const char *reconcile_extra)
{
    agentenv_write_conf(&rh.env, &(struct agentconf){
                                     .settings_file = rh.host_conf,
                                     .libvirt_uri = rh.uri,
                                     .reconcile = true,
                                     .reconcile_extra = reconcile_extra,
                                     .endpoint = placement_server_url(rh.srv),
                                 });
}

void
rh_agent(const char *const *args)
{
    agentenv_run(&rh.env, &rh.run, args);
    agentrun_assert_sane(&rh.run, args[0]);
}

void
rh_assert_provider(const char *name, char *rp)
{
    _cleanup_free_ char *path = xasprintf("/resource_providers?name=%s", name);
    cJSON *j = placement_server_get_json(rh.srv, path);
    const cJSON *rps = cJSON_GetObjectItem(j, "resource_providers");

    cr_assert(eq(int, cJSON_GetArraySize(rps), 1), "%s", name);
    cr_assert(
        eq(str,
           cJSON_GetObjectItem(cJSON_GetArrayItem(rps, 0), "uuid")->valuestring,
           rp));
    cJSON_Delete(j);
}

/* test:///ABS/test/data/reconcile/<name> */
static char *
node_uri(const char *name)
{
    _cleanup_free_ char *rel = xasprintf("reconcile/%s", name);

    return fixture_node_uri(rel);
}

void
rh_start(const char *host, const char *conf, const char *node,
         const char *reconcile_extra)
{
    agentenv_live(&rh.env, host);
    rh.kernel = realpath(rh.env.root, NULL);
    cr_assert(rh.kernel != NULL);
    rh.host_conf = conf;
    rh.uri = node ? node_uri(node) : xstrdup("test:///nonexistent/node.xml");
    rh_write_conf(reconcile_extra);
    rh_agent((const char *const[]){ "sync", NULL });
    cr_assert(eq(int, rh.run.status, 0), "sync: %s", rh.run.err);
}

void
rh_start_m60(const char *node, const char *reconcile_extra)
{
    rh_start("hosts/m60.yaml", "dump/m60.conf.yaml", node, reconcile_extra);
    rh_assert_provider("compute-m60_pci_0000_3d_00_0", RP_3D);
    rh_assert_provider("compute-m60_pci_0000_3e_00_0", RP_3E);
}

void
rh_switch_guests(const char *node, const char *reconcile_extra)
{
    free(rh.uri);
    rh.uri = node_uri(node);
    rh_write_conf(reconcile_extra);
}

char *
rh_claim_body(const char *rp, int n)
{
    return xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": %d}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        rp, n, PROJECT, PROJECT);
}

void
rh_claim(const char *consumer, const char *rp, int n)
{
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);
    _cleanup_free_ char *body = rh_claim_body(rp, n);
    long status = 0;
    _cleanup_free_ char *resp =
        placement_server_call(rh.srv, "PUT", path, body, &status);

    cr_assert(eq(long, status, 204), "PUT %s: %s", path, resp);
}

void
rh_reconcile(const char *const *args)
{
    const char *argv[8] = { "reconcile", "--format", "json" };
    size_t n = 3;

    for (; args && *args; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    rh_agent(argv);
    cJSON_Delete(rh.report);
    rh.report = cJSON_Parse(rh.run.out);
    cr_assert(rh.report != NULL, "not JSON: [%s], stderr: %s", rh.run.out,
              rh.run.err);
}

const cJSON *
rh_entry(const char *key, const char *uuid, const char *action)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(rh.report, key)) {
        const cJSON *a = cJSON_GetObjectItem(e, "action");

        if (strcmp(cJSON_GetObjectItem(e, "uuid")->valuestring, uuid) == 0 &&
            (!action || (a && strcmp(a->valuestring, action) == 0)))
            return e;
    }
    return NULL;
}

char *
rh_field(const cJSON *e, const char *name)
{
    const cJSON *f = cJSON_GetObjectItem(e, name);

    cr_assert(f != NULL && cJSON_IsString(f), "no %s in %s", name,
              cJSON_PrintUnformatted(e));
    return f->valuestring;
}

int
rh_count(const char *key)
{
    return cJSON_GetArraySize(cJSON_GetObjectItem(rh.report, key));
}

int
rh_count_actions(const char *action)
{
    const cJSON *e;
    int n = 0;

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(rh.report, "actions"))
        n += strcmp(rh_field(e, "action"), action) == 0;
    return n;
}

void
rh_assert_action(const char *action, const char *uuid, char *parent,
                 char *consumer, char *result)
{
    const cJSON *e = rh_entry("actions", uuid, action);

    cr_assert(e != NULL, "no %s of %s in: %s", action, uuid, rh.run.out);
    cr_assert(eq(str, rh_field(e, "parent"), parent));
    cr_assert(eq(str, rh_field(e, "result"), result), "%s %s", action, uuid);
    if (consumer)
        cr_assert(eq(str, rh_field(e, "consumer"), consumer));
}

void
rh_assert_mdev(const char *uuid, const char *parent_path, char *type)
{
    _cleanup_free_ char *link =
        xasprintf("%s/bus/mdev/devices/%s", rh.kernel, uuid);
    _cleanup_free_ char *want =
        xasprintf("%s/%s/%s", rh.kernel, parent_path, uuid);
    _cleanup_free_ char *dev = realpath(link, NULL);
    _cleanup_free_ char *type_link = xasprintf("%s/mdev_type", want);
    char target[PATH_MAX];
    ssize_t len;

    cr_assert(dev != NULL, "%s: %s", link, strerror(errno));
    cr_assert(eq(str, dev, want));
    len = readlink(type_link, target, sizeof(target) - 1);
    cr_assert(len > 0, "%s: %s", type_link, strerror(errno));
    target[len] = '\0';
    cr_assert(eq(str, basename(target), type), "%s -> %s", type_link, target);
}

void
rh_assert_no_mdev(const char *uuid)
{
    _cleanup_free_ char *link =
        xasprintf("%s/bus/mdev/devices/%s", rh.kernel, uuid);
    struct stat st;

    cr_assert(lstat(link, &st) < 0 && errno == ENOENT, "%s exists", link);
}

int
rh_count_mdevs(void)
{
    return (int)agentenv_count_mdevs(&rh.env);
}

void
rh_kernel_create(const char *parent, const char *type, const char *uuid)
{
    agentenv_create_mdev(&rh.env, parent, type, uuid);
}

char *
rh_definition(const char *parent, const char *uuid)
{
    _cleanup_free_ char *dir = rh_mdevctl_dir();
    _cleanup_free_ char *path = xasprintf("%s/%s/%s", dir, parent, uuid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char buf[4096];
    size_t n;

    if (!f)
        return NULL;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    return xstrdup(buf);
}

char *
rh_mdevctl_text(const char *type)
{
    return xasprintf("{\n  \"mdev_type\": \"%s\",\n  \"start\": \"auto\",\n"
                     "  \"attrs\": []\n}",
                     type);
}

void
rh_assert_defined(const char *parent, const char *uuid, const char *type)
{
    _cleanup_free_ char *got = rh_definition(parent, uuid);
    _cleanup_free_ char *want = rh_mdevctl_text(type);

    cr_assert(got != NULL, "no mdevctl definition %s/%s", parent, uuid);
    cr_assert(eq(str, got, want));
}
