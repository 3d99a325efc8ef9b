/*
 * test-capacity-e2e.c - end to end: Placement offers exactly the vGPUs the
 * host can deliver (issue 11 items 1, 2, 3 and 6).
 *
 * Orphans are held back in the GPU provider's reserved and, once removed,
 * leave room that serves claims in the same run; a claim that cannot be
 * met makes the service degraded (status, gauge, one log line each way);
 * a configuration slip is an error for check-config and a warning with its
 * line for sync and run; NVIDIA GPUs take one vGPU per guest (max_unit 1),
 * so a two-vGPU request lands on two GPUs.  Each test runs a live fake
 * kernel of a sample host, Debian's Placement and libvirt's test driver
 * (test/reconcile-host.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "reconcile-host.h"
#include "xalloc.h"

TestSuite(capacity_e2e, .init = rh_setup, .fini = rh_teardown);

/* data/hosts/p100.yaml with test/data/dump/p100.conf.yaml: one GPU, two
 * nvidia-294 mdevs no claim owns; its provider's UUID (from its name). */
#define GPU_P100 "0000:3b:00.0"
#define RP_P100 "973602d8-ad85-5279-b464-35f751c7a4ab"
#define P100_M1 "e55bf865-6983-4d53-967f-51e8a3bb0f57"
#define P100_M2 "3131f5fd-7c04-4a61-92c1-0c37f9547b6b"
/* uuid.uuid5(uuid.UUID(C3), RP_3D + "/0") */
#define C3_3D_0 "d3189f73-3394-5a31-8579-d4e54f926373"

static bool
has(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

/* Field name of rp's VGPU inventory in Placement (-1: no such inventory). */
static long
inventory(const char *rp, const char *name)
{
    _cleanup_free_ char *path =
        xasprintf("/resource_providers/%s/inventories/VGPU", rp);
    long status = 0;
    _cleanup_free_ char *body = placement_server_get(rh.srv, path, &status);
    cJSON *j = status == 200 ? cJSON_Parse(body) : NULL;
    const cJSON *v = cJSON_GetObjectItem(j, name);
    long ret = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;

    cJSON_Delete(j);
    return ret;
}

/* PUT /allocations/consumer of n VGPU of rp; Placement's status. */
static long
try_claim(const char *consumer, const char *rp, int n)
{
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);
    _cleanup_free_ char *body = rh_claim_body(rp, n);
    long status = 0;

    free(placement_server_call(rh.srv, "PUT", path, body, &status));
    return status;
}

/* The whole file at path ("" when it cannot be read); caller frees. */
static char *
slurp(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    FILE *in = fopen(path, "re");
    FILE *out = open_memstream(&text, &len);
    int c;

    cr_assert(out != NULL);
    while (in && (c = fgetc(in)) != EOF)
        fputc(c, out);
    if (in)
        fclose(in);
    fclose(out);
    return text;
}

/* Write "1" to the remove file of mdev uuid, as an operator would. */
static void
kernel_remove(const char *uuid)
{
    _cleanup_free_ char *path =
        xasprintf("%s/bus/mdev/devices/%s/remove", rh.kernel, uuid);
    FILE *f = fopen(path, "we");

    cr_assert(f != NULL, "%s", path);
    fputs("1", f);
    cr_assert(eq(int, fclose(f), 0), "%s", path);
}

/* --- 1. orphans take no capacity Placement offers ---------------------- */

/* The reproduction: p100's two mdevs are nobody's.  Placement used
 * to offer both units (VGPU 0/2 used) while the host could deliver none. */
Test(capacity_e2e, p100s_orphans_are_reserved_until_they_are_removed)
{
    rh_start("hosts/p100.yaml", "dump/p100.conf.yaml", "no-guests.xml",
             "  orphan_grace_s: 0\n");
    cr_assert(eq(long, inventory(RP_P100, "total"), 2));
    cr_assert(eq(long, inventory(RP_P100, "reserved"), 2),
              "the orphans are held back");
    cr_assert(eq(long, try_claim(C3, RP_P100, 1), 409),
              "the scheduler cannot pick capacity the host lacks");

    rh_reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    rh_assert_action("remove", P100_M1, GPU_P100, NULL, "ok");
    rh_assert_action("remove", P100_M2, GPU_P100, NULL, "ok");
    cr_assert(eq(int, rh_count("orphans"), 0), "gone, not listed: %s",
              rh.run.out);

    cr_assert(eq(int, rh_count_mdevs(), 0));
    /* (the sample's types all read 0 available, as recorded: its room
     * after the removal is the m60 tests' to show) */
}

/* A claim made before the orphans filled its GPU: removing them makes the
 * room its mdev takes, in the same run. */
Test(capacity_e2e, remove_orphans_removes_rereads_and_creates_in_one_run)
{
    static const char *const orphans[] = {
        "0d0d0d0d-0000-4000-8000-0000000000a1",
        "0d0d0d0d-0000-4000-8000-0000000000a2",
        "0d0d0d0d-0000-4000-8000-0000000000a3",
        "0d0d0d0d-0000-4000-8000-0000000000a4",
    };
    const cJSON *e;

    rh_start_m60("no-guests.xml", "  orphan_grace_s: 0\n");
    rh_claim(C3, RP_3E, 1);
    for (size_t i = 0; i < 4; i++) /* 3e holds 4 nvidia-18 */
        rh_kernel_create(GPU_3E, "nvidia-18", orphans[i]);

    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 1), "%s\n%s", rh.run.out, rh.run.err);
    e = rh_entry("errors", C3_3E_0, NULL);
    cr_assert(e != NULL, "%s", rh.run.out);
    cr_assert(has(rh_field(e, "why"), "4 orphan(s) hold its room"), "%s",
              rh_field(e, "why"));

    rh_reconcile((const char *const[]){ "--remove-orphans", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(eq(int, rh_count_actions("remove"), 4), "%s", rh.run.out);
    rh_assert_action("create", C3_3E_0, GPU_3E, C3, "ok");
    rh_assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");
    cr_assert(eq(int, rh_count("errors") + rh_count("orphans"), 0), "%s",
              rh.run.out);
    cr_assert(eq(int, rh_count_mdevs(), 1));
}

/* run: an orphan removed in a pass is released in Placement in that pass. */
Test(capacity_e2e, a_pass_that_removes_an_orphan_releases_its_unit_at_once)
{
    rh_start_m60("no-guests.xml", NULL);
    rh_kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    rh_agent((const char *const[]){ "sync", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s", rh.run.err);
    cr_assert(eq(long, inventory(RP_3E, "reserved"), 1));

    rh_write_conf("  orphan_grace_s: 0\n  remove_orphans: true\n");
    rh_agent((const char *const[]){ "run", "--passes", "1", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s", rh.run.err);
    rh_assert_no_mdev(M_ORPHAN);
    cr_assert(eq(long, inventory(RP_3E, "reserved"), 0), "%s", rh.run.err);
}

/* --- 2. a claim that cannot be met is seen ------------------------------ */

Test(capacity_e2e, an_unmet_claim_degrades_the_service_until_it_is_met)
{
    _cleanup_free_ char *metrics = agentenv_path(&rh.env, "metrics.prom");
    _cleanup_free_ char *extra =
        xasprintf("interval_s: 1\nmetrics_file: %s\n", metrics);
    _cleanup_free_ char *line = NULL;
    struct agentproc *p; /* rh.env's, stopped with it */

    rh_start_m60("no-guests.xml", NULL);
    rh_claim(C3, RP_3E, 1);
    rh_kernel_create(GPU_3E, "nvidia-18", M_ORPHAN); /* 4 make 3e full */
    rh_kernel_create(GPU_3E, "nvidia-18", C4_3E_0);
    rh_kernel_create(GPU_3E, "nvidia-18", C5_3E_0);
    rh_kernel_create(GPU_3E, "nvidia-18", M_A);
    rh_write_conf(extra);
    p = agentenv_start(&rh.env, NULL);
    agentproc_expect(p, "error: reconcile: the claim of consumer " C3, 1,
                     15000);
    agentproc_expect_passes(p, 4, 15000);
    cr_assert(eq(u32,
                 agentproc_count(p, "error: reconcile: the claim of "
                                    "consumer " C3),
                 1),
              "said once: %s", agentproc_err(p));

    rh_agent((const char *const[]){ "status", NULL });
    cr_assert(eq(int, rh.run.status, 1), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(has(rh.run.out, "degraded: 1 claim(s) cannot be met"), "%s",
              rh.run.out);
    line = xasprintf("consumer %s on %s (provider %s): no capacity left", C3,
                     GPU_3E, RP_3E);
    cr_assert(has(rh.run.out, line), "%s", rh.run.out);
    {
        _cleanup_free_ char *text = slurp(metrics);

        cr_assert(has(text, "\nvgpu_agent_unsatisfied_claims 1\n"), "%s", text);
    }

    /* the operator frees room: the claim is met, said once */
    kernel_remove(M_A);
    agentproc_expect(p, "reconcile: create " C3_3E_0, 1, 15000);
    agentproc_expect(
        p,
        "notice: reconcile: the claim of consumer " C3 " can be met again: ", 1,
        15000);
    agentproc_expect_passes(p, 2, 15000);
    cr_assert(eq(u32, agentproc_count(p, "can be met again"), 1), "%s",
              agentproc_err(p));
    rh_agent((const char *const[]){ "status", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(not(has(rh.run.out, "degraded")), "%s", rh.run.out);
    {
        _cleanup_free_ char *text = slurp(metrics);

        cr_assert(has(text, "\nvgpu_agent_unsatisfied_claims 0\n"), "%s", text);
    }
}

/* --- 3. a configuration slip never silently removes capacity ----------- */

/* The reproduction: device_addresses with a typo (well formed, not
 * on the host) on the p100 host. */
Test(capacity_e2e, an_address_not_on_the_host_is_an_error_and_a_warned_delete)
{
    rh_start("hosts/p100.yaml", "dump/p100.conf.yaml", "no-guests.xml", NULL);
    rh_assert_provider("rabbit_pci_0000_3b_00_0", RP_P100);
    rh.host_conf = "capacity/p100-typo.conf.yaml";
    rh_write_conf(NULL);

    rh_agent((const char *const[]){ "check-config", NULL });
    cr_assert(eq(int, rh.run.status, 1), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(has(rh.run.err, "agent.yaml:8:24: mdev_types.nvidia-294."
                              "device_addresses: 0000:99:00.0 is not on this "
                              "host"),
              "%s", rh.run.err);

    rh_agent((const char *const[]){ "sync", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s", rh.run.err);
    cr_assert(has(rh.run.err, "warning: ") &&
                  has(rh.run.err, "agent.yaml:8:24: mdev_types.nvidia-294."
                                  "device_addresses: 0000:99:00.0 is not on "
                                  "this host"),
              "said at start: %s", rh.run.err);
    cr_assert(has(rh.run.err, "warning: rabbit_pci_0000_3b_00_0 (GPU "
                              "0000:3b:00.0): GPU provider deleted: "),
              "%s", rh.run.err);
    cr_assert(has(rh.run.err, "agent.yaml:8:24 name 0000:99:00.0, which is "
                              "not on this host"),
              "why, and the line: %s", rh.run.err);
    cr_assert(eq(long, inventory(RP_P100, "total"), -1), "deleted");
}

Test(capacity_e2e, an_enabled_type_no_gpu_offers_is_an_error_with_its_line)
{
    rh_start("hosts/p100.yaml", "capacity/p100-no-gpu-type.conf.yaml",
             "no-guests.xml", NULL);
    rh_agent((const char *const[]){ "check-config", NULL });
    cr_assert(eq(int, rh.run.status, 1), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(has(rh.run.err, "agent.yaml:4:34: enabled type nvidia-18: no "
                              "GPU of this host offers it"),
              "%s", rh.run.err);
}

/* run says the slips at start and at every reload, not at every pass. */
Test(capacity_e2e, run_warns_of_slips_at_start_and_at_each_reload)
{
    struct agentproc *p; /* rh.env's, stopped with it */

    rh_start("hosts/p100.yaml", "capacity/p100-typo.conf.yaml", "no-guests.xml",
             "interval_s: 1\n");
    p = agentenv_start(&rh.env, NULL);
    agentproc_expect(p, "0000:99:00.0 is not on this host", 1, 15000);
    agentproc_expect_passes(p, 3, 15000);
    cr_assert(
        eq(u32, agentproc_count(p, "0000:99:00.0 is not on this host"), 1),
        "%s", agentproc_err(p));
    agentproc_signal(p, SIGHUP);
    agentproc_expect(p, "0000:99:00.0 is not on this host", 2, 15000);
}

/* --- 6. one vGPU per guest per NVIDIA GPU ------------------------------ */

/* Both M60 GPUs offer nvidia-18 with NVIDIA's max_unit 1: VGPU:2 in one
 * group fits nowhere; two groups with group_policy=isolate land on both,
 * and reconcile makes one vGPU on each. */
Test(capacity_e2e, a_two_vgpu_request_is_split_over_two_gpus)
{
    cJSON *j;
    const cJSON *reqs, *allocs;
    char *body;
    long status = 0;

    rh_start("hosts/m60.yaml", "capacity/m60-one-per-gpu.conf.yaml",
             "no-guests.xml", NULL);
    cr_assert(eq(long, inventory(RP_3D, "max_unit"), 1));
    cr_assert(eq(long, inventory(RP_3E, "max_unit"), 1));

    j = placement_server_get_json(rh.srv,
                                  "/allocation_candidates?resources=VGPU:2");
    cr_assert(
        eq(int,
           cJSON_GetArraySize(cJSON_GetObjectItem(j, "allocation_requests")),
           0),
        "two vGPUs of one GPU: none");
    cJSON_Delete(j);

    j = placement_server_get_json(
        rh.srv, "/allocation_candidates?resources1=VGPU:1&resources2=VGPU:1"
                "&group_policy=isolate");
    reqs = cJSON_GetObjectItem(j, "allocation_requests");
    cr_assert(ge(int, cJSON_GetArraySize(reqs), 1));
    allocs = cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "allocations");
    cr_assert(eq(int, cJSON_GetArraySize(allocs), 2), "two GPUs");
    cr_assert(cJSON_GetObjectItem(allocs, RP_3D) != NULL);
    cr_assert(cJSON_GetObjectItem(allocs, RP_3E) != NULL);
    body = cJSON_PrintUnformatted(allocs);
    {
        _cleanup_free_ char *claim = xasprintf(
            "{\"allocations\": %s, \"project_id\": \"%s\", \"user_id\": "
            "\"%s\", \"consumer_generation\": null, \"consumer_type\": "
            "\"INSTANCE\"}",
            body, PROJECT, PROJECT);
        _cleanup_free_ char *resp = placement_server_call(
            rh.srv, "PUT", "/allocations/" C3, claim, &status);

        cr_assert(eq(long, status, 204), "%s", resp);
    }
    free(body);
    cJSON_Delete(j);

    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 0), "%s\n%s", rh.run.out, rh.run.err);
    cr_assert(eq(int, rh_count_actions("create"), 2), "%s", rh.run.out);
    rh_assert_action("create", C3_3E_0, GPU_3E, C3, "ok");
    rh_assert_action("create", C3_3D_0, GPU_3D, C3, "ok");
    rh_assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");
    rh_assert_mdev(C3_3D_0, PATH_3D, "nvidia-18");
}

/* A claim of two units of one GPU made while its max_unit allowed it (the
 * config said 4) cannot work once NVIDIA's 1 applies: reconcile says so. */
Test(capacity_e2e, a_consumer_holding_more_than_max_unit_is_an_unmet_claim)
{
    const cJSON *e;

    rh_start_m60("no-guests.xml", NULL);
    rh_claim(C3, RP_3E, 2);
    rh.host_conf = "capacity/m60-3e-only.conf.yaml";
    rh_write_conf(NULL);
    rh_agent((const char *const[]){ "sync", NULL });
    cr_assert(eq(int, rh.run.status, 0), "%s", rh.run.err);
    cr_assert(eq(long, inventory(RP_3E, "max_unit"), 1));

    rh_reconcile(NULL);
    cr_assert(eq(int, rh.run.status, 1), "%s\n%s", rh.run.out, rh.run.err);
    e = cJSON_GetArrayItem(cJSON_GetObjectItem(rh.report, "unmet"), 0);
    cr_assert(e != NULL, "%s", rh.run.out);
    cr_assert(eq(str, rh_field(e, "consumer"), C3));
    cr_assert(eq(str, rh_field(e, "gpu"), GPU_3E));
    cr_assert(has(rh_field(e, "why"), "more than its max_unit 1"), "%s",
              rh_field(e, "why"));
    /* its vGPUs are still made: they are the claim's */
    rh_assert_mdev(C3_3E_0, PATH_3E, "nvidia-18");
}
