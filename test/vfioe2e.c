/*
 * vfioe2e.c - the vendor-specific VFIO end-to-end set-up (see vfioe2e.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fakevfio.h"
#include "testsecrets.h"
#include "vfioe2e.h"
#include "xalloc.h"

#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

static void
write_conf(struct vfioe2e *e, const char *extra)
{
    _cleanup_free_ char *path = xasprintf("%s/agent.yaml", e->tmp);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *out = fdopen(fd, "w");

    cr_assert(out != NULL, "%s", path);
    fprintf(out,
            "node_name: compute-a10\n"
            "enabled_mdev_types: [nvidia-594]\n"
            "libvirt_uri: %s\nlock_file: %s/lock\nstate_dir: %s/state\n"
            "%s"
            "placement:\n  endpoint: %s\n  token: %s\n",
            e->uri, e->tmp, e->tmp, extra ? extra : "",
            placement_server_url(e->srv), TEST_TOKEN);
    fclose(out);
}

static void
find_rp(struct vfioe2e *e)
{
    cJSON *j = placement_server_get_json(
        e->srv, "/resource_providers?name=" VFIOE2E_NODE);
    const cJSON *rps = cJSON_GetObjectItem(j, "resource_providers");

    cr_assert(eq(int, cJSON_GetArraySize(rps), 1), "no %s", VFIOE2E_NODE);
    snprintf(
        e->rp, sizeof(e->rp), "%s",
        cJSON_GetObjectItem(cJSON_GetArrayItem(rps, 0), "uuid")->valuestring);
    cJSON_Delete(j);
}

void
vfioe2e_start(struct vfioe2e *e, const char *node, const char *extra)
{
    _cleanup_free_ char *yaml = fixture_data_path("hosts/a10-vfio.yaml");
    _cleanup_free_ char *rel = node ? xasprintf("vfio/%s", node) : NULL;
    struct errbuf eb = { 0 };

    e->srv = placement_server_start();
    e->tmp = fixture_tmpdir();
    cr_assert(eq(int, fakesys_live_start(yaml, &e->live, &eb), 0), "%s",
              eb.msg);
    e->kernel = realpath(fakesys_live_root(e->live), NULL);
    cr_assert(e->kernel != NULL);
    e->uri =
        node ? fixture_node_uri(rel) : xstrdup("test:///nonexistent/node.xml");
    write_conf(e, extra);
    vfioe2e_agent(e, (const char *const[]){ "sync", NULL });
    cr_assert(eq(int, e->run.status, 0), "sync: %s", e->run.err);
    find_rp(e);
}

void
vfioe2e_stop(struct vfioe2e *e)
{
    cJSON_Delete(e->report);
    agentrun_clear(&e->run);
    placement_server_stop(e->srv);
    fakesys_live_stop(e->live);
    if (e->tmp)
        fixture_rm_rf(e->tmp);
    free(e->tmp);
    free(e->kernel);
    free(e->uri);
    *e = (struct vfioe2e){ 0 };
}

void
vfioe2e_agent(struct vfioe2e *e, const char *const *args)
{
    _cleanup_free_ char *conf = xasprintf("%s/agent.yaml", e->tmp);
    _cleanup_free_ char *yaml = fixture_data_path("hosts/a10-vfio.yaml");
    const char *b = getenv("VGPU_BUILDDIR");
    _cleanup_free_ char *lib =
        xasprintf("LD_LIBRARY_PATH=%s/test", b ? b : ".");
    _cleanup_free_ char *host = xasprintf("VGPU_FAKENVML_HOST=%s", yaml);
    _cleanup_free_ char *sys = xasprintf("VGPU_FAKENVML_SYSFS=%s", e->kernel);
    const char *env[] = { lib, host, sys, NULL };
    const char *argv[16] = { "-c", conf, "--sysfs-root", e->kernel };
    size_t n = 4;

    for (; *args; args++) {
        cr_assert(n < sizeof(argv) / sizeof(*argv) - 1);
        argv[n++] = *args;
    }
    argv[n] = NULL;
    agentrun_clear(&e->run);
    agentrun_env(&e->run, argv, env);
    cr_assert(strstr(e->run.err, "Sanitizer") == NULL &&
                  strstr(e->run.err, "runtime error:") == NULL,
              "%s", e->run.err);
}

void
vfioe2e_reconcile(struct vfioe2e *e, const char *const *args)
{
    const char *argv[8] = { "reconcile", "--format", "json" };
    size_t n = 3;

    for (; args && *args; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    vfioe2e_agent(e, argv);
    cJSON_Delete(e->report);
    e->report = cJSON_Parse(e->run.out);
    cr_assert(e->report != NULL, "not JSON: [%s], stderr: %s", e->run.out,
              e->run.err);
}

const char *
vfioe2e_field(const cJSON *entry, const char *name)
{
    const cJSON *f = cJSON_GetObjectItem(entry, name);

    cr_assert(f != NULL && cJSON_IsString(f), "no %s", name);
    return f->valuestring;
}

const cJSON *
vfioe2e_entry(const struct vfioe2e *e, const char *key, const char *id,
              const char *action)
{
    const cJSON *x;

    cJSON_ArrayForEach(x, cJSON_GetObjectItem(e->report, key)) {
        const cJSON *a = cJSON_GetObjectItem(x, "action");

        if (strcmp(vfioe2e_field(x, "uuid"), id) == 0 &&
            (!action || (a && strcmp(a->valuestring, action) == 0)))
            return x;
    }
    return NULL;
}

int
vfioe2e_count(const struct vfioe2e *e, const char *key)
{
    return cJSON_GetArraySize(cJSON_GetObjectItem(e->report, key));
}

void
vfioe2e_claim(struct vfioe2e *e, const char *consumer, int n)
{
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);
    _cleanup_free_ char *body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": %d}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        e->rp, n, PROJECT, PROJECT);
    long status = 0;
    _cleanup_free_ char *resp =
        placement_server_call(e->srv, "PUT", path, body, &status);

    cr_assert(eq(long, status, 204), "PUT %s: %s", path, resp);
}

void
vfioe2e_unclaim(struct vfioe2e *e, const char *consumer)
{
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);
    long status = 0;
    _cleanup_free_ char *resp =
        placement_server_call(e->srv, "DELETE", path, NULL, &status);

    cr_assert(eq(long, status, 204), "DELETE %s: %s", path, resp);
}

static char *
type_path(const struct vfioe2e *e, const char *vf)
{
    return xasprintf("%s/bus/pci/devices/%s/nvidia/current_vgpu_type",
                     e->kernel, vf);
}

unsigned
vfioe2e_current(const struct vfioe2e *e, const char *vf)
{
    _cleanup_free_ char *path = type_path(e, vf);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    char buf[32] = "";
    ssize_t n;

    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    n = read(fd, buf, sizeof(buf) - 1);
    cr_assert(n > 0, "%s", path);
    return (unsigned)strtoul(buf, NULL, 10);
}

int
vfioe2e_poke(const struct vfioe2e *e, const char *vf, const char *value)
{
    _cleanup_free_ char *path = type_path(e, vf);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    return write(fd, value, strlen(value)) < 0 ? -errno : 0;
}

void
vfioe2e_control(const struct vfioe2e *e, const char *cmd)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fakesys_live_control(e->kernel, cmd, &eb), 0), "%s: %s",
              cmd, eb.msg);
}

char *
vfioe2e_state(const struct vfioe2e *e)
{
    _cleanup_free_ char *path = xasprintf("%s/state/vfio-state.json", e->tmp);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    char buf[16384] = "";
    ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

    buf[n > 0 ? n : 0] = '\0';
    return xstrdup(buf);
}
