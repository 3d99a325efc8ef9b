/*
 * servicetest.c - what the service layer's tests share (servicetest.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fixture.h"
#include "output.h"
#include "servicetest.h"
#include "testsecrets.h"
#include "xalloc.h"

struct placement_server *srv;
struct service *svc;
struct agentenv env;

void
servicetest_setup(void)
{
    srv = placement_server_start();
    agentenv_init(&env);
    agentenv_host(&env, "m60");
}

void
servicetest_teardown(void)
{
    service_free(svc);
    svc = NULL;
    placement_server_stop(srv);
    srv = NULL;
    agentenv_clear(&env);
}

/* agent.yaml: the m60 sample host's settings (nvidia-18 on GPU 3e with
 * traits), a metrics file in env's directory, extra lines, libvirt_uri, a
 * lock, and a placement section (none when endpoint is NULL). */
void
write_conf(const char *traits, const char *uri, const char *extra,
           const char *endpoint)
{
    _cleanup_free_ char *metrics = agentenv_path(&env, "agent.prom");
    _cleanup_free_ char *settings =
        xasprintf("node_name: compute-m60\n"
                  "enabled_mdev_types: [nvidia-18, nvidia-11]\n"
                  "mdev_types:\n"
                  "  nvidia-18:\n"
                  "    device_addresses: [\"" GPU_3E "\"]\n"
                  "    traits: [%s]\n"
                  "  nvidia-11:\n"
                  "    max_instances: 10\n"
                  "interval_s: 60\nmetrics_file: %s\n%s",
                  traits, metrics, extra ? extra : "");

    agentenv_write_conf(&env, &(struct agentconf){
                                  .settings = settings,
                                  .libvirt_uri = uri,
                                  .endpoint = endpoint,
                              });
}

/* write_conf() with no guests in libvirt and the test's Placement. */
void
write_m60_conf(const char *traits)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");

    write_conf(traits, uri, NULL, placement_server_url(srv));
}

/* The global options a command would get: -c agent.yaml --sysfs-root. */
struct hostload_opts
opts(void)
{
    return (struct hostload_opts){ .conf_path = env.conf,
                                   .conf_explicit = true,
                                   .sysfs_root = env.root };
}

void
start_service(void)
{
    struct hostload_opts o = opts();

    cr_assert(eq(int, service_start(&o, 0, &svc), 0));
}

/* What `dump --format json` prints for the current agent.yaml. */
cJSON *
dump(void)
{
    struct hostload_opts o = opts();
    struct hostload h = { 0 };
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    cJSON *j;

    cr_assert(mem != NULL);
    cr_assert(eq(int, hostload_open(&o, &h), 0));
    cr_assert(eq(int, output_write(h.tree, OUTPUT_JSON, mem), 0));
    cr_assert(eq(int, fclose(mem), 0));
    hostload_clear(&h);
    j = cJSON_Parse(text);
    cr_assert(j != NULL, "%s", text);
    return j;
}

void
assert_placement_holds_the_host(void)
{
    cJSON *d = dump();

    placement_server_assert_tree(srv, d);
    cJSON_Delete(d);
}

/* The metrics file run writes, parsed. */
void
load_metrics(struct metrics_file *ret)
{
    _cleanup_free_ char *path = agentenv_path(&env, "agent.prom");
    struct errbuf eb = { 0 };

    cr_assert(eq(int, metrics_load(path, ret, &eb), 0), "%s", eb.msg);
}

/* The value of the sample called name (label = value, when label). */
double
metric(const char *name, const char *label, const char *value)
{
    struct metrics_file f = { 0 };
    double v = -1;

    load_metrics(&f);
    for (size_t i = 0; i < f.n; i++) {
        const char *l = label ? metrics_label(&f.v[i], label) : NULL;

        if (strcmp(f.v[i].name, name) == 0 &&
            (!label || (l && strcmp(l, value) == 0))) {
            v = f.v[i].value;
            break;
        }
    }
    metrics_file_clear(&f);
    return v;
}

/* Placement requests in the metrics file with this status ("200",
 * "error"), or all of them (NULL). */
double
requests(const char *status)
{
    struct metrics_file f = { 0 };
    double sum = 0;

    load_metrics(&f);
    for (size_t i = 0; i < f.n; i++)
        if (strcmp(f.v[i].name, REQUESTS) == 0 &&
            (!status || strcmp(metrics_label(&f.v[i], "status"), status) == 0))
            sum += f.v[i].value;
    metrics_file_clear(&f);
    return sum;
}

/* The Placement UUID of the tree's GPU provider at address. */
char *
gpu_uuid(const struct hostload *h, const char *address)
{
    const struct tree_provider *gpu = NULL;

    for (size_t i = 1; i < h->tree->n_providers; i++) {
        const struct tree_provider *p = &h->tree->providers[i];

        if (p->device && strcmp(p->device->address, address) == 0)
            gpu = p;
    }
    cr_assert(gpu != NULL, "no provider for %s", address);
    return xstrdup(gpu->uuid);
}

/* consumer takes one VGPU of provider rp, as nova's scheduler would. */
void
claim_one(const char *consumer, const char *rp)
{
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);
    _cleanup_free_ char *body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": 1}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        rp, PROJECT, PROJECT);
    long status = 0;
    _cleanup_free_ char *resp =
        placement_server_call(srv, "PUT", path, body, &status);

    cr_assert(eq(long, status, 204), "PUT %s: %s", path, resp);
}

/* The root's UUID of the current agent.yaml; caller frees. */
char *
root_uuid_now(void)
{
    struct hostload_opts o = opts();
    struct hostload h = { 0 };
    char *uuid;

    cr_assert(eq(int, hostload_open(&o, &h), 0));
    uuid = xstrdup(h.tree->providers[0].uuid);
    hostload_clear(&h);
    return uuid;
}

/* Stop the service and start another, as a restart of the agent. */
void
restart_service(void)
{
    service_free(svc);
    svc = NULL;
    start_service();
}

/* The UUID of GPU_3E's provider, as the current agent.yaml makes it. */
char *
gpu_3e_uuid(void)
{
    struct hostload_opts o = opts();
    struct hostload h = { 0 };
    char *rp;

    cr_assert(eq(int, hostload_open(&o, &h), 0));
    rp = gpu_uuid(&h, GPU_3E);
    hostload_clear(&h);
    return rp;
}
