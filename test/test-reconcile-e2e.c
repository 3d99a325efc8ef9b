/*
 * test-reconcile-e2e.c - end to end: `vgpu-agent reconcile` with every part
 * real.
 *
 * Each test runs a live fake kernel of a sample host (FUSE; creates and
 * removes behave like the kernel's), Debian's Placement, and libvirt's test
 * driver (test:///.../node.xml from test/data/reconcile/) for the guests.
 * The agent binary syncs first so the providers exist; the test then claims
 * vGPUs as a scheduler would (PUT /allocations at 1.39) and runs
 * `reconcile --format json`, checking its report, the fake kernel and the
 * mdevctl directory.  The planning rules one by one are in test-reconcile.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentrun.h"
#include "cleanup.h"
#include "fixture.h"
#include "placement-server.h"
#include "testsecrets.h"
#include "xalloc.h"

#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

/* Consumers; C1 and C2 are the domains of reconcile/reboot.xml, C3 the one
 * of reconcile/rescue*.xml. */
#define C1 "11111111-1111-4111-8111-111111111111"
#define C2 "22222222-2222-4222-8222-222222222222"
#define C3 "33333333-3333-4333-8333-333333333333"
#define C4 "44444444-4444-4444-8444-444444444444"
#define C5 "55555555-5555-4555-8555-555555555555"

/* The mdevs the guests of reboot.xml and one-guest.xml reference. */
#define M_A "a1a1a1a1-0000-4000-8000-000000000001"
#define M_B1 "b2b2b2b2-0000-4000-8000-000000000002"
#define M_B2 "b2b2b2b2-0000-4000-8000-000000000003"
#define M_ORPHAN "0d0d0d0d-0000-4000-8000-0000000000aa"

/* m60 with test/data/dump/m60.conf.yaml: GPU 3d offers nvidia-11, GPU 3e
 * nvidia-18 (4 of them).  The providers' UUIDs are UUIDv5 of their names,
 * so they are fixed (checked against Placement in start_m60()). */
#define GPU_3D "0000:3d:00.0"
#define GPU_3E "0000:3e:00.0"
#define RP_3D "e4137598-d408-5bdf-9b22-f9c6dce755ac"
#define RP_3E "fe6a96b7-1751-5e79-850d-9e41aa8e5bd0"
#define PATH_3D                                                                \
    "devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/0000:3c:08.0/0000:3d:00.0"
#define PATH_3E                                                                \
    "devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/0000:3c:10.0/0000:3e:00.0"

/* a100-sriov: the PF's provider; VF 41:00.4 holds the host's one mdev. */
#define RP_A100 "0f41403b-8409-5207-abe5-16874ff7172c"
#define PATH_VF5 "devices/pci0000:40/0000:40:01.1/0000:41:00.5"
#define A100_MDEV "0b7c5e8a-2f8e-4c8b-9a51-6f0d3c2e1a10"

/* What Python says, computed independently of the agent:
 *   uuid.uuid5(uuid.UUID(C3), RP_3E + "/0") and "/1"
 *   uuid.uuid5(uuid.UUID(C1), RP_A100 + "/0")
 *   uuid.uuid5(uuid.UUID(C2), RP_3D + "/0") */
#define C3_3E_0 "77361569-b730-5b2d-9ae2-87962f278c1a"
#define C3_3E_1 "d00f3a22-f433-5b10-9c34-4b235b8ef1b4"
#define C1_A100_0 "73315e35-4bad-51bb-b17c-3d2f7fd1e6ac"
#define C2_3D_0 "7fef35b7-4fb3-506d-a3dd-385abeaee316"
/*   uuid.uuid5(uuid.UUID(C4), RP_3E + "/0"), the same for C5 */
#define C4_3E_0 "df625808-b9f5-5941-bc19-4ee969f6e295"
#define C5_3E_0 "bcf564e7-c44e-5872-9179-be6158e86234"

/* reconcile/shared-gpu.yaml: one GPU, V5_8 (4) and V5_4 (2) share a pool.
 *   uuid.uuid5(uuid.UUID(C3), RP_SHARED + "/" + i) for i = 0, 1, 2 */
#define GPU_SHARED "0000:00:02.0"
#define RP_SHARED "13f1d3d0-0b75-596c-b1b2-a7e44206878f"
#define PATH_SHARED "devices/pci0000:00/0000:00:02.0"
#define C3_SH_0 "53e53260-2881-5528-89c1-d3b2cef1d03f"
#define C3_SH_1 "2bb903d7-b461-594e-9b4b-a1bc148be0ca"
#define C3_SH_2 "b994539e-4e86-5565-853e-68f390aec8ec"

static struct placement_server *srv;
static struct fakesys_live *live;
static char *tmp;             /* agent.yaml and mdevctl.d/ */
static char *kernel;          /* realpath of the live fake kernel's root */
static char *uri;             /* libvirt_uri of the test */
static const char *host_conf; /* "dump/m60.conf.yaml", ... below test/data */
static struct agentrun run;
static cJSON *report; /* the last reconcile's JSON */

static void
setup(void)
{
    srv = placement_server_start();
    tmp = fixture_tmpdir();
}

/* Runs even when an assertion failed: every process stops here. */
static void
teardown(void)
{
    cJSON_Delete(report);
    report = NULL;
    agentrun_clear(&run);
    placement_server_stop(srv);
    srv = NULL;
    fakesys_live_stop(live);
    live = NULL;
    if (tmp)
        fixture_rm_rf(tmp);
    free(tmp);
    free(kernel);
    free(uri);
    tmp = kernel = uri = NULL;
}

TestSuite(reconcile_e2e, .init = setup, .fini = teardown);

static char *
mdevctl_dir(void)
{
    return xasprintf("%s/mdevctl.d", tmp);
}

/* agent.yaml = test/data/<host_conf>, uri, a lock file in tmp, the
 * reconcile section (+ extra lines of it), the placement section. */
static void
write_conf(const char *reconcile_extra)
{
    _cleanup_free_ char *path = xasprintf("%s/agent.yaml", tmp);
    _cleanup_free_ char *src = fixture_data_path(host_conf);
    _cleanup_free_ char *dir = mdevctl_dir();
    _cleanup_fclose_ FILE *in = fopen(src, "re");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *out = fdopen(fd, "w");
    char line[1024];

    cr_assert(in != NULL, "%s", src);
    cr_assert(out != NULL, "%s", path);
    while (fgets(line, sizeof(line), in))
        fputs(line, out);
    /* a lock of its own: the default one is the whole machine's */
    fprintf(out,
            "libvirt_uri: %s\nlock_file: %s/lock\n"
            "reconcile:\n  mdevctl_dir: %s\n%s"
            "placement:\n  endpoint: %s\n  token: %s\n",
            uri, tmp, dir, reconcile_extra ? reconcile_extra : "",
            placement_server_url(srv), TEST_TOKEN);
    fclose(out);
}

static void
agent(const char *const *args)
{
    _cleanup_free_ char *conf = xasprintf("%s/agent.yaml", tmp);
    const char *argv[16] = { "-c", conf, "--sysfs-root",
                             fakesys_live_root(live) };
    size_t n = 4;

    for (; *args; args++) {
        cr_assert(n < sizeof(argv) / sizeof(*argv) - 1);
        argv[n++] = *args;
    }
    argv[n] = NULL;
    agentrun_clear(&run);
    agentrun(&run, argv);
    /* a sanitizer build reports on stderr; exit 1 alone could hide it */
    cr_assert(strstr(run.err, "Sanitizer") == NULL &&
                  strstr(run.err, "runtime error:") == NULL,
              "%s", run.err);
}

/* Placement knows the provider rp (the fixed UUID above) by name. */
static void
assert_provider(const char *name, char *rp)
{
    _cleanup_free_ char *path = xasprintf("/resource_providers?name=%s", name);
    cJSON *j = placement_server_get_json(srv, path);
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
reconcile_node_uri(const char *name)
{
    _cleanup_free_ char *rel = xasprintf("reconcile/%s", name);

    return fixture_node_uri(rel);
}

/* Live fake kernel of host (a description below data/ or test/data/), its
 * config conf (below test/data/), guests from test/data/reconcile/<node>
 * (NULL: a libvirt URI that cannot be opened), `vgpu-agent sync`. */
static void
start(const char *host, const char *conf, const char *node,
      const char *reconcile_extra)
{
    _cleanup_free_ char *yaml = fixture_data_path(host);
    struct errbuf eb = { 0 };

    cr_assert(eq(int, fakesys_live_start(yaml, &live, &eb), 0), "%s", eb.msg);
    kernel = realpath(fakesys_live_root(live), NULL);
    cr_assert(kernel != NULL);
    host_conf = conf;
    uri = node ? reconcile_node_uri(node)
               : xstrdup("test:///nonexistent/node.xml");
    write_conf(reconcile_extra);
    agent((const char *const[]){ "sync", NULL });
    cr_assert(eq(int, run.status, 0), "sync: %s", run.err);
}

/* The m60 host: GPU 3d offers nvidia-11, GPU 3e nvidia-18. */
static void
start_m60(const char *node, const char *reconcile_extra)
{
    start("hosts/m60.yaml", "dump/m60.conf.yaml", node, reconcile_extra);
    assert_provider("compute-m60_pci_0000_3d_00_0", RP_3D);
    assert_provider("compute-m60_pci_0000_3e_00_0", RP_3E);
}

/* The body of a PUT /allocations/{consumer}: n VGPU of provider rp. */
static char *
claim_body(const char *rp, int n)
{
    return xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": %d}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        rp, n, PROJECT, PROJECT);
}

/* consumer takes n VGPU of provider rp, as nova's scheduler would. */
static void
claim(const char *consumer, const char *rp, int n)
{
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);
    _cleanup_free_ char *body = claim_body(rp, n);
    long status = 0;
    _cleanup_free_ char *resp =
        placement_server_call(srv, "PUT", path, body, &status);

    cr_assert(eq(long, status, 204), "PUT %s: %s", path, resp);
}

/* One PUT of claim_at_once(), sent from a thread of its own.  Its status
 * and answer are checked after the join, in the test's thread (only a
 * transport failure, no answer at all, makes placement_server_call()
 * assert in the thread itself). */
struct racing_claim {
    const char *consumer, *rp;
    pthread_barrier_t *go;
    long status;
    char *resp;
};

static void *
send_claim(void *arg)
{
    struct racing_claim *c = arg;
    _cleanup_free_ char *path = xasprintf("/allocations/%s", c->consumer);
    _cleanup_free_ char *body = claim_body(c->rp, 1);

    pthread_barrier_wait(c->go);
    c->resp = placement_server_call(srv, "PUT", path, body, &c->status);
    return NULL;
}

/* a and b take 1 VGPU of rp each at the same moment, as two schedulers
 * racing for one GPU would: both PUTs leave together from a barrier. */
static void
claim_at_once(const char *a, const char *b, const char *rp)
{
    pthread_barrier_t go;
    struct racing_claim c[2] = { { .consumer = a, .rp = rp, .go = &go },
                                 { .consumer = b, .rp = rp, .go = &go } };
    pthread_t t[2];

    cr_assert(eq(int, pthread_barrier_init(&go, NULL, 2), 0));
    for (size_t i = 0; i < 2; i++)
        cr_assert(eq(int, pthread_create(&t[i], NULL, send_claim, &c[i]), 0));
    for (size_t i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    for (size_t i = 0; i < 2; i++) {
        _cleanup_free_ char *resp = c[i].resp;

        cr_assert(eq(long, c[i].status, 204), "PUT /allocations/%s: %s",
                  c[i].consumer, resp);
    }
}

/* The VGPU units of provider rp that Placement counts as used (-1: none). */
static int
vgpus_used(const char *rp)
{
    _cleanup_free_ char *path = xasprintf("/resource_providers/%s/usages", rp);
    cJSON *j = placement_server_get_json(srv, path);
    const cJSON *n =
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "usages"), "VGPU");
    int ret = cJSON_IsNumber(n) ? n->valueint : -1;

    cJSON_Delete(j);
    return ret;
}

/* Point the agent at the guests of test/data/reconcile/<node> from now on. */
static void
switch_guests(const char *node, const char *reconcile_extra)
{
    free(uri);
    uri = reconcile_node_uri(node);
    write_conf(reconcile_extra);
}

/* `vgpu-agent reconcile --format json [args]`; its report in `report`. */
static void
reconcile(const char *const *args)
{
    const char *argv[8] = { "reconcile", "--format", "json" };
    size_t n = 3;

    for (; args && *args; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    agent(argv);
    cJSON_Delete(report);
    report = cJSON_Parse(run.out);
    cr_assert(report != NULL, "not JSON: [%s], stderr: %s", run.out, run.err);
}

/* The entry of report[key] for uuid (and action, for "actions"), or NULL. */
static const cJSON *
entry(const char *key, const char *uuid, const char *action)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(report, key)) {
        const cJSON *a = cJSON_GetObjectItem(e, "action");

        if (strcmp(cJSON_GetObjectItem(e, "uuid")->valuestring, uuid) == 0 &&
            (!action || (a && strcmp(a->valuestring, action) == 0)))
            return e;
    }
    return NULL;
}

static char *
field(const cJSON *e, const char *name)
{
    const cJSON *f = cJSON_GetObjectItem(e, name);

    cr_assert(f != NULL && cJSON_IsString(f), "no %s in %s", name,
              cJSON_PrintUnformatted(e));
    return f->valuestring;
}

static int
count(const char *key)
{
    return cJSON_GetArraySize(cJSON_GetObjectItem(report, key));
}

/* Actions of this kind ("create", ...) in the report. */
static int
count_actions(const char *action)
{
    const cJSON *e;
    int n = 0;

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(report, "actions"))
        n += strcmp(field(e, "action"), action) == 0;
    return n;
}

/* The report has action on uuid for consumer, on parent, with result. */
static void
assert_action(const char *action, const char *uuid, char *parent,
              char *consumer, char *result)
{
    const cJSON *e = entry("actions", uuid, action);

    cr_assert(e != NULL, "no %s of %s in: %s", action, uuid, run.out);
    cr_assert(eq(str, field(e, "parent"), parent));
    cr_assert(eq(str, field(e, "result"), result), "%s %s", action, uuid);
    if (consumer)
        cr_assert(eq(str, field(e, "consumer"), consumer));
}

/* The fake kernel has mdev uuid of type on the parent at parent_path:
 * bus/mdev/devices/<uuid> resolves to <parent_path>/<uuid>, whose mdev_type
 * link names the type. */
static void
assert_mdev(const char *uuid, const char *parent_path, char *type)
{
    _cleanup_free_ char *link =
        xasprintf("%s/bus/mdev/devices/%s", kernel, uuid);
    _cleanup_free_ char *want =
        xasprintf("%s/%s/%s", kernel, parent_path, uuid);
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

static void
assert_no_mdev(const char *uuid)
{
    _cleanup_free_ char *link =
        xasprintf("%s/bus/mdev/devices/%s", kernel, uuid);
    struct stat st;

    cr_assert(lstat(link, &st) < 0 && errno == ENOENT, "%s exists", link);
}

/* How many mdevs the fake kernel has. */
static int
count_mdevs(void)
{
    _cleanup_free_ char *dir = xasprintf("%s/bus/mdev/devices", kernel);
    DIR *d = opendir(dir);
    const struct dirent *de;
    int n = 0;

    if (!d)
        return 0;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Make an mdev behind the agent's back: write uuid to the type's create. */
static void
kernel_create(const char *parent, const char *type, const char *uuid)
{
    _cleanup_free_ char *path =
        xasprintf("%s/class/mdev_bus/%s/mdev_supported_types/%s/create", kernel,
                  parent, type);
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    cr_assert(eq(long, (long)write(fd, uuid, strlen(uuid)), (long)strlen(uuid)),
              "%s: %s", path, strerror(errno));
    close(fd);
}

/* The definition <mdevctl_dir>/<parent>/<uuid>, or NULL when absent. */
static char *
definition(const char *parent, const char *uuid)
{
    _cleanup_free_ char *dir = mdevctl_dir();
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

/* What `mdevctl define --auto` 1.2.0 writes (no trailing newline). */
static char *
mdevctl_text(const char *type)
{
    return xasprintf("{\n  \"mdev_type\": \"%s\",\n  \"start\": \"auto\",\n"
                     "  \"attrs\": []\n}",
                     type);
}

static void
assert_defined(const char *parent, const char *uuid, const char *type)
{
    _cleanup_free_ char *got = definition(parent, uuid);
    _cleanup_free_ char *want = mdevctl_text(type);

    cr_assert(got != NULL, "no mdevctl definition %s/%s", parent, uuid);
    cr_assert(eq(str, got, want));
}

Test(reconcile_e2e, a_reboot_recreates_the_guests_mdevs_on_the_claimed_gpus)
{
    start_m60("reboot.xml", NULL);
    claim(C1, RP_3E, 1);
    claim(C2, RP_3D, 2);
    cr_assert(eq(int, count_mdevs(), 0), "a rebooted host has no mdevs");
    reconcile(NULL);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    assert_action("create", M_A, GPU_3E, C1, "ok");
    assert_action("create", M_B1, GPU_3D, C2, "ok");
    assert_action("create", M_B2, GPU_3D, C2, "ok");
    cr_assert(eq(int, count_actions("create"), 3), "%s", run.out);
    cr_assert(
        eq(str, field(entry("actions", M_A, "create"), "provider"), RP_3E));
    assert_mdev(M_A, PATH_3E, "nvidia-18");
    assert_mdev(M_B1, PATH_3D, "nvidia-11");
    assert_mdev(M_B2, PATH_3D, "nvidia-11");
    cr_assert(eq(int, count_mdevs(), 3));
    cr_assert(eq(int,
                 count("misplaced") + count("unaccounted") + count("orphans") +
                     count("errors"),
                 0),
              "%s", run.out);
}

Test(reconcile_e2e, a_fresh_claim_without_a_guest_gets_deterministic_uuids)
{
    start_m60("no-guests.xml", NULL);
    claim(C3, RP_3E, 2);
    reconcile(NULL);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    assert_action("create", C3_3E_0, GPU_3E, C3, "ok");
    assert_action("create", C3_3E_1, GPU_3E, C3, "ok");
    cr_assert(eq(int, count_actions("create"), 2), "%s", run.out);
    assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");
    assert_mdev(C3_3E_1, PATH_3E, "nvidia-18");

    /* `mdevs` names the same ones, so whatever builds the guest uses them */
    agent((const char *const[]){ "mdevs", C3, NULL });
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.out, C3_3E_0), NULL), "%s", run.out);
    cr_assert(ne(ptr, strstr(run.out, C3_3E_1), NULL), "%s", run.out);
}

Test(reconcile_e2e, an_sriov_claim_lands_on_the_first_vf_with_room)
{
    start("hosts/a100-sriov.yaml", "dump/a100-sriov.conf.yaml", "no-guests.xml",
          NULL);
    assert_provider("compute-a100_pci_0000_41_00_0", RP_A100);
    claim(C1, RP_A100, 1);
    reconcile(NULL);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    /* 41:00.4 is full (one mdev per VF): the next VF in address order */
    assert_action("create", C1_A100_0, "0000:41:00.5", C1, "ok");
    assert_mdev(C1_A100_0, PATH_VF5, "nvidia-470");
    assert_defined("0000:41:00.5", C1_A100_0, "nvidia-470");
    /* the host's unclaimed mdev is an orphan, reported and kept */
    cr_assert(entry("orphans", A100_MDEV, NULL) != NULL, "%s", run.out);
    assert_mdev(A100_MDEV, "devices/pci0000:40/0000:40:01.1/0000:41:00.4",
                "nvidia-470");
}

/* vm-c (C3) runs with the mdev its claim owns.  Then it is rescued, its XML
 * without the mdev, and at that moment two new consumers claim the same
 * GPU at once: the old trap of finding a "free" mdev by scanning guests.
 * Each claim owns its own UUIDs, so nobody gets vm-c's mdev, and it is no
 * orphan either, even with removal asked and no grace: C3's claim still
 * expects it. */
Test(reconcile_e2e, two_claims_racing_for_a_gpu_during_a_rescue_share_no_mdev)
{
    const char *const remove[] = { "--remove-orphans", NULL };

    start_m60("rescue-before.xml", "  orphan_grace_s: 0\n");
    claim(C3, RP_3E, 1);
    reconcile(remove);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    assert_action("create", C3_3E_0, GPU_3E, C3, "ok");
    assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");

    /* the rescue: no XML the agent can read names vm-c's mdev now */
    switch_guests("rescue.xml", "  orphan_grace_s: 0\n");
    claim_at_once(C4, C5, RP_3E);
    cr_assert(eq(int, vgpus_used(RP_3E), 3), "C3's claim and both new ones");
    reconcile(remove);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    assert_action("create", C4_3E_0, GPU_3E, C4, "ok");
    assert_action("create", C5_3E_0, GPU_3E, C5, "ok");
    cr_assert(eq(int, count_actions("create"), 2), "%s", run.out);
    cr_assert(eq(int, count_actions("remove"), 0), "%s", run.out);
    cr_assert(entry("orphans", C3_3E_0, NULL) == NULL, "%s", run.out);
    cr_assert(eq(int,
                 count("misplaced") + count("unaccounted") + count("orphans") +
                     count("errors"),
                 0),
              "%s", run.out);
    assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");
    assert_mdev(C4_3E_0, PATH_3E, "nvidia-18");
    assert_mdev(C5_3E_0, PATH_3E, "nvidia-18");
    cr_assert(eq(int, count_mdevs(), 3), "one mdev per claim, none shared");
    assert_defined(GPU_3E, C3_3E_0, "nvidia-18");

    /* whatever builds the new guests is handed their own mdev, not vm-c's */
    agent((const char *const[]){ "mdevs", C4, NULL });
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.out, C4_3E_0), NULL), "%s", run.out);
    cr_assert(eq(ptr, strstr(run.out, C3_3E_0), NULL), "%s", run.out);
    agent((const char *const[]){ "mdevs", C5, NULL });
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.out, C5_3E_0), NULL), "%s", run.out);
    cr_assert(eq(ptr, strstr(run.out, C3_3E_0), NULL), "%s", run.out);

    /* the rescue ends: vm-c's mdev is where its XML says, nothing to do */
    switch_guests("rescue-before.xml", "  orphan_grace_s: 0\n");
    reconcile(remove);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    cr_assert(eq(int,
                 count("actions") + count("misplaced") + count("unaccounted") +
                     count("orphans") + count("errors"),
                 0),
              "%s", run.out);
    cr_assert(eq(int, count_mdevs(), 3));
}

Test(reconcile_e2e, exhausted_capacity_is_an_error_naming_the_consumer)
{
    const cJSON *e;

    start("reconcile/shared-gpu.yaml", "reconcile/shared-gpu.conf.yaml",
          "no-guests.xml", NULL);
    assert_provider("compute-shared_pci_0000_00_02_0", RP_SHARED);
    /* half the pool goes to another type: V5_8 has room for 2 of its 4 */
    kernel_create(GPU_SHARED, "i915-GVTg_V5_4", M_ORPHAN);
    claim(C3, RP_SHARED, 3); /* Placement still counts 4 */
    reconcile(NULL);
    cr_assert(eq(int, run.status, 1), "%s\n%s", run.out, run.err);
    cr_assert(eq(int, count("errors"), 1), "%s", run.out);
    e = entry("errors", C3_SH_2, NULL);
    cr_assert(e != NULL, "%s", run.out);
    cr_assert(eq(str, field(e, "consumer"), C3));
    cr_assert(eq(str, field(e, "provider"), RP_SHARED));
    cr_assert(eq(str, field(e, "parent"), GPU_SHARED));
    cr_assert(ne(ptr, strstr(field(e, "why"), "no capacity"), NULL), "%s",
              field(e, "why"));
    assert_no_mdev(C3_SH_2);
    /* the rest is still done */
    assert_action("create", C3_SH_0, GPU_SHARED, C3, "ok");
    assert_action("create", C3_SH_1, GPU_SHARED, C3, "ok");
    assert_mdev(C3_SH_0, PATH_SHARED, "i915-GVTg_V5_8");
    assert_mdev(C3_SH_1, PATH_SHARED, "i915-GVTg_V5_8");
    /* another type is not ours to call an orphan */
    cr_assert(eq(int, count("orphans"), 0), "%s", run.out);
}

/* A time-sliced GPU running another type has no room for its configured
 * one, so the tree drops its provider; Placement keeps it (sync drains it)
 * with the claim on it.  That claim cannot be met: an error, not silence. */
Test(reconcile_e2e, a_claim_on_a_gpu_with_no_room_left_for_its_type_is_an_error)
{
    const cJSON *e;

    start_m60("no-guests.xml", NULL);
    claim(C3, RP_3E, 2);
    claim(C2, RP_3D, 1);
    kernel_create(GPU_3E, "nvidia-12", M_ORPHAN); /* homogeneous: 3e full */
    reconcile(NULL);
    cr_assert(eq(int, run.status, 1), "%s\n%s", run.out, run.err);
    cr_assert(eq(int, count("errors"), 2), "%s", run.out);
    e = entry("errors", C3_3E_0, NULL);
    cr_assert(e != NULL, "%s", run.out);
    cr_assert(eq(str, field(e, "consumer"), C3));
    cr_assert(eq(str, field(e, "provider"), RP_3E));
    cr_assert(ne(ptr, strstr(field(e, "why"), "no capacity"), NULL), "%s",
              field(e, "why"));
    cr_assert(entry("errors", C3_3E_1, NULL) != NULL, "%s", run.out);
    assert_no_mdev(C3_3E_0);
    assert_action("create", C2_3D_0, GPU_3D, C2, "ok");
    assert_mdev(C2_3D_0, PATH_3D, "nvidia-11");
}

Test(reconcile_e2e, a_guests_mdev_on_the_other_gpu_is_misplaced_and_untouched)
{
    const cJSON *e;

    start_m60("one-guest.xml", NULL);
    kernel_create(GPU_3D, "nvidia-11", M_A);
    claim(C1, RP_3E, 1);
    reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, run.status, 1), "%s\n%s", run.out, run.err);
    e = entry("misplaced", M_A, NULL);
    cr_assert(e != NULL, "%s", run.out);
    cr_assert(eq(str, field(e, "consumer"), C1));
    cr_assert(eq(str, field(e, "parent"), GPU_3D));
    cr_assert(eq(int, count("actions"), 0), "touch nothing: %s", run.out);
    cr_assert(eq(int, count("orphans"), 0), "%s", run.out);
    assert_mdev(M_A, PATH_3D, "nvidia-11");
    cr_assert(eq(int, count_mdevs(), 1));
}

Test(reconcile_e2e, a_guests_mdev_without_a_claim_is_unaccounted)
{
    const cJSON *e;

    start_m60("one-guest.xml", "  orphan_grace_s: 0\n");
    kernel_create(GPU_3E, "nvidia-18", M_A);
    reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, run.status, 0), "Placement's to fix: %s\n%s", run.out,
              run.err);
    e = entry("unaccounted", M_A, NULL);
    cr_assert(e != NULL, "%s", run.out);
    cr_assert(eq(str, field(e, "consumer"), C1));
    cr_assert(eq(str, field(e, "parent"), GPU_3E));
    cr_assert(eq(int, count("orphans"), 0), "a guest's mdev: %s", run.out);
    cr_assert(eq(int, count("actions"), 0), "%s", run.out);
    assert_mdev(M_A, PATH_3E, "nvidia-18");
}

Test(reconcile_e2e, an_orphan_is_kept_until_removal_is_asked_and_grace_is_over)
{
    _cleanup_free_ char *def = NULL;
    _cleanup_free_ char *dir = mdevctl_dir();
    _cleanup_free_ char *pdir = xasprintf("%s/%s", dir, GPU_3E);
    _cleanup_free_ char *path = xasprintf("%s/%s", pdir, M_ORPHAN);
    _cleanup_free_ char *text = mdevctl_text("nvidia-18");
    FILE *f;

    start_m60("one-guest.xml", NULL);
    kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    kernel_create(GPU_3E, "nvidia-18", M_A); /* vm-a's, unclaimed */
    cr_assert(eq(int, mkdir(dir, 0755), 0));
    cr_assert(eq(int, mkdir(pdir, 0755), 0));
    f = fopen(path, "we");
    cr_assert(f != NULL);
    fputs(text, f);
    fclose(f);

    /* reported, kept: not asked */
    reconcile(NULL);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    cr_assert(entry("orphans", M_ORPHAN, NULL) != NULL, "%s", run.out);
    cr_assert(eq(int, count("orphans"), 1), "%s", run.out);
    cr_assert(eq(int, count("actions"), 0), "%s", run.out);
    assert_mdev(M_ORPHAN, PATH_3E, "nvidia-18");

    /* asked, but younger than the default orphan_grace_s (300 s) */
    reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    cr_assert(eq(int, count("actions"), 0), "%s", run.out);
    assert_mdev(M_ORPHAN, PATH_3E, "nvidia-18");

    /* asked, no grace: gone from the kernel and from mdevctl; vm-a's stays */
    write_conf("  orphan_grace_s: 0\n");
    reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    assert_action("remove", M_ORPHAN, GPU_3E, NULL, "ok");
    assert_action("unpersist", M_ORPHAN, GPU_3E, NULL, "ok");
    cr_assert(eq(int, count("actions"), 2), "%s", run.out);
    assert_no_mdev(M_ORPHAN);
    def = definition(GPU_3E, M_ORPHAN);
    cr_assert(eq(ptr, def, NULL), "%s still defined", path);
    assert_mdev(M_A, PATH_3E, "nvidia-18");
    cr_assert(entry("unaccounted", M_A, NULL) != NULL, "%s", run.out);

    /* and with remove_orphans in the config, a guest's mdev still stays */
    write_conf("  orphan_grace_s: 0\n  remove_orphans: true\n");
    reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    cr_assert(eq(int, count("actions") + count("orphans"), 0), "%s", run.out);
    assert_mdev(M_A, PATH_3E, "nvidia-18");
}

/* The host of the reboot test plus an old orphan: what a pass would do. */
Test(reconcile_e2e, a_dry_run_prints_the_plan_and_changes_nothing)
{
    _cleanup_free_ char *dir = mdevctl_dir();
    struct stat st;

    start_m60("reboot.xml", "  orphan_grace_s: 0\n");
    kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    claim(C1, RP_3E, 1);
    claim(C2, RP_3D, 1);
    claim(C3, RP_3E, 1);
    reconcile((const char *const[]){ "--dry-run", "--remove-orphans", NULL });
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    assert_action("create", M_A, GPU_3E, C1, "planned");
    assert_action("create", M_B1, GPU_3D, C2, "planned");
    assert_action("create", C3_3E_0, GPU_3E, C3, "planned");
    assert_action("remove", M_ORPHAN, GPU_3E, NULL, "planned");
    cr_assert(eq(int, count("actions"), 4), "%s", run.out);
    /* vm-b references two mdevs but its claim holds one */
    cr_assert(entry("unaccounted", M_B2, NULL) != NULL, "%s", run.out);
    cr_assert(eq(int, count_mdevs(), 1), "the fake kernel is unchanged");
    assert_mdev(M_ORPHAN, PATH_3E, "nvidia-18");
    cr_assert(lstat(dir, &st) < 0 && errno == ENOENT,
              "%s: no definitions written", dir);
}

Test(reconcile_e2e, a_second_pass_right_after_a_successful_one_plans_nothing)
{
    start_m60("reboot.xml", NULL);
    claim(C1, RP_3E, 1);
    claim(C2, RP_3D, 2);
    claim(C3, RP_3E, 2);
    reconcile(NULL);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    cr_assert(eq(int, count_actions("create"), 5), "%s", run.out);
    cr_assert(eq(int, count_actions("persist"), 5), "%s", run.out);
    reconcile(NULL);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    cr_assert(eq(int, count("actions"), 0), "%s", run.out);
    cr_assert(eq(int,
                 count("misplaced") + count("unaccounted") + count("orphans") +
                     count("errors"),
                 0),
              "%s", run.out);
    cr_assert(eq(int, count_mdevs(), 5));
    /* the text format says so too */
    agent((const char *const[]){ "reconcile", NULL });
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    cr_assert(ne(ptr, strstr(run.out, "nothing to do: 5 mdev(s)"), NULL), "%s",
              run.out);
}

Test(reconcile_e2e, without_libvirt_claims_are_still_met_and_nothing_removed)
{
    start_m60(NULL, "  orphan_grace_s: 0\n");
    kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    claim(C3, RP_3E, 1);
    reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(ne(ptr, strstr(run.err, "test:///nonexistent/node.xml"), NULL),
              "the libvirt error is reported: %s", run.err);
    cr_assert(eq(int, run.status, 1), "a partial pass: %s", run.err);
    assert_action("create", C3_3E_0, GPU_3E, C3, "ok");
    assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");
    cr_assert(eq(int, count_actions("remove"), 0), "%s", run.out);
    assert_mdev(M_ORPHAN, PATH_3E, "nvidia-18");
}

Test(reconcile_e2e, created_mdevs_get_mdevctl_definitions_in_its_exact_format)
{
    _cleanup_free_ char *dir = mdevctl_dir();
    _cleanup_free_ char *file = xasprintf("%s/%s/%s", dir, GPU_3E, M_A);
    _cleanup_free_ char *pdir = xasprintf("%s/%s", dir, GPU_3E);
    struct stat st;

    start_m60("reboot.xml", NULL);
    claim(C1, RP_3E, 1);
    claim(C2, RP_3D, 2);
    reconcile(NULL);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    assert_action("persist", M_A, GPU_3E, C1, "ok");
    assert_action("persist", M_B1, GPU_3D, C2, "ok");
    assert_action("persist", M_B2, GPU_3D, C2, "ok");
    assert_defined(GPU_3E, M_A, "nvidia-18");
    assert_defined(GPU_3D, M_B1, "nvidia-11");
    assert_defined(GPU_3D, M_B2, "nvidia-11");
    cr_assert(eq(int, stat(file, &st), 0));
    cr_assert(eq(int, (int)(st.st_mode & 07777), 0644));
    cr_assert(eq(int, stat(pdir, &st), 0));
    cr_assert(eq(int, (int)(st.st_mode & 07777), 0755));
}

Test(reconcile_e2e, run_reconciles_after_each_sync_reading_only_what_moved)
{
    _cleanup_free_ char *conf = NULL;
    _cleanup_(agentproc_stopp) struct agentproc *p = NULL;

    start_m60("no-guests.xml", NULL);
    /* top level, after the reconcile section write_conf() opens */
    write_conf("interval_s: 1\n");
    conf = xasprintf("%s/agent.yaml", tmp);
    p = agentproc_start((const char *const[]){ "-v", "-c", conf, "--sysfs-root",
                                               fakesys_live_root(live), "run",
                                               NULL });
    cr_assert(agentproc_wait_for(p, "pass done", 2, 15000), "%s",
              agentproc_err(p));
    claim(C2, RP_3D, 1); /* a scheduler claims: the generation moves */
    cr_assert(agentproc_wait_for(p, "reconcile: create " C2_3D_0, 1, 15000),
              "%s", agentproc_err(p));
    assert_mdev(C2_3D_0, PATH_3D, "nvidia-11");
    cr_assert(agentproc_wait_for(p, "pass done", 6, 15000), "%s",
              agentproc_err(p));
    cr_assert(eq(u32, agentproc_count(p, "reconcile: create"), 1),
              "later passes plan nothing: %s", agentproc_err(p));
    cr_assert(ne(ptr, strstr(agentproc_err(p), "0 deleted; 1 requests"), NULL),
              "an unchanged pass still costs one request: %s",
              agentproc_err(p));
    agentproc_signal(p, SIGTERM);
    cr_assert(eq(int, agentproc_wait(p, 2000), 0));
}
