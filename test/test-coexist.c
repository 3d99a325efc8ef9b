/*
 * test-coexist.c - end to end: the agent beside nova-compute, against the
 * real Placement.
 *
 * nova-compute's side is Nova's own report client (Debian's python3-nova,
 * test/novacompute.h) driven as the resource tracker drives it every
 * period: the root provider with VCPU, MEMORY_MB, DISK_GB and COMPUTE_NODE,
 * then update_from_provider_tree.  The agent is the built binary.  Neither
 * may undo the other: the root's inventory and traits stay Nova's, the GPU
 * providers the agent's, and a side's pass moves no generation of the
 * other's providers.  One Placement and one nova-compute serve the binary
 * (main()); the tests of two hosts sharing a node name and of Nova's
 * configuration are in test-coexist-hosts.c.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cleanup.h"
#include "strv.h"
#include "testcoexist.h"
#include "testproc.h"
#include "xalloc.h"

int
main(int argc, char *argv[])
{
    struct criterion_test_set *tests = criterion_initialize();
    struct placement_server *srv = NULL;
    struct novacompute *nova = NULL;
    int result = 0;

    if (criterion_handle_args(argc, argv, true)) {
        srv = placement_shared_start();
        nova = novacompute_start();
        /* One test at a time: sqlite behind Placement, one nova-compute. */
        criterion_options.jobs = 1;
        result = !criterion_run_all_tests(tests);
        novacompute_stop(nova);
        placement_server_stop(srv);
    }
    criterion_finalize(tests);
    return result;
}

static struct site site;

static void
teardown(void)
{
    site_clear(&site);
}

TestSuite(coexist, .fini = teardown);

/* The m60 host's types: GPU 3e offers nvidia-18 (4), 3d nvidia-11. */
#define M60_TYPES                                                              \
    "enabled_mdev_types: [nvidia-18, nvidia-11]\n"                             \
    "mdev_types:\n"                                                            \
    "  nvidia-18:\n"                                                           \
    "    device_addresses: [\"0000:3e:00.0\"]\n"

/* nova-compute's tree as Placement holds it, and who wrote what: the
 * root's state (Nova's), the GPU providers as the agent dumps them. */
static void
assert_side_by_side(const char *root, const char *nova_state)
{
    _cleanup_free_ char *state = coexist_state(root);
    cJSON *d = site_dump(&site);

    cr_assert(strcmp(state, nova_state) == 0,
              "the root is nova-compute's, and only its: %s, was %s", state,
              nova_state);
    coexist_assert_gpus(d, root);
    cJSON_Delete(d);
}

Test(coexist, nova_first_then_the_agent_then_both_in_turn_undo_nothing)
{
    const char *node = "cx-nova-first.example.com";
    const char *cn = "0c000001-0000-4000-8000-000000000001";
    _cleanup_free_ char *settings =
        xasprintf("node_name: %s\n" M60_TYPES, node);
    _cleanup_free_ char *nova_state = NULL, *gens = NULL;

    site_init(&site, "m60", false);
    site_nova_id(&site, cn);
    site_conf(&site, settings);
    coexist_nova(cn, node, NULL, 0, false);
    nova_state = coexist_state(cn);
    cr_assert(eq(int, site_sync(&site), 0), "%s", site.run.err);
    assert_side_by_side(cn, nova_state);
    for (int round = 0; round < 3; round++) {
        _cleanup_free_ char *after_nova = NULL, *after_agent = NULL;

        gens = coexist_generations(cn);
        coexist_nova(cn, node, NULL, 0, round == 1); /* a restart once */
        after_nova = coexist_generations(cn);
        cr_assert(eq(str, after_nova, gens),
                  "nova-compute's cycle moved nothing (round %d)", round);
        cr_assert(eq(int, site_sync(&site), 0), "%s", site.run.err);
        cr_assert(ne(ptr,
                     strstr(site.run.err, "0 created, 0 updated, "
                                          "0 deleted"),
                     NULL),
                  "%s", site.run.err);
        after_agent = coexist_generations(cn);
        cr_assert(eq(str, after_agent, gens),
                  "the agent's pass moved nothing (round %d)", round);
        assert_side_by_side(cn, nova_state);
        free(gens);
        gens = NULL;
    }
}

Test(coexist, the_agent_first_waits_for_novas_root_and_nova_then_starts)
{
    const char *node = "cx-agent-first.example.com";
    const char *cn = "0c000002-0000-4000-8000-000000000002";
    _cleanup_free_ char *settings =
        xasprintf("node_name: %s\n" M60_TYPES, node);
    _cleanup_free_ char *path = xasprintf("/resource_providers?name=%s", node);
    _cleanup_free_ char *nova_state = NULL;
    char *err;
    cJSON *none;

    site_init(&site, "m60", false);
    site_nova_id(&site, cn);
    site_conf(&site, settings);
    cr_assert(eq(int, site_sync(&site), 1), "%s", site.run.err);
    cr_assert(ne(ptr, strstr(site.run.err, "waiting for nova-compute"), NULL),
              "%s", site.run.err);
    none = placement_shared_json(path);
    cr_assert(
        eq(int,
           cJSON_GetArraySize(cJSON_GetObjectItem(none, "resource_providers")),
           0),
        "the agent created no root nova-compute could not adopt");
    cJSON_Delete(none);
    err = novacompute_cycle(placement_shared_url(), cn, node, NULL, NULL, 0,
                            false);
    cr_assert(eq(ptr, err, NULL), "nova-compute: %s", err);
    nova_state = coexist_state(cn);
    cr_assert(eq(int, site_sync(&site), 0), "%s", site.run.err);
    assert_side_by_side(cn, nova_state);
    coexist_nova(cn, node, NULL, 0, true);
    cr_assert(eq(int, site_sync(&site), 0), "%s", site.run.err);
    assert_side_by_side(cn, nova_state);
}

Test(coexist, run_warns_once_while_it_waits_for_novas_root)
{
    const char *node = "cx-run-waits.example.com";
    const char *cn = "0c000003-0000-4000-8000-000000000003";
    _cleanup_free_ char *settings =
        xasprintf("node_name: %s\n" M60_TYPES, node);
    const char *err;
    size_t warnings = 0;

    site_init(&site, "m60", false);
    site_nova_id(&site, cn);
    site_conf(&site, settings);
    site_agent(&site, (const char *const[]){ "run", "--interval", "0.05",
                                             "--passes", "3", NULL });
    cr_assert(eq(int, site.run.status, 1), "%s", site.run.err);
    for (err = site.run.err; (err = strstr(err, "warning: root provider"));
         err++)
        warnings++;
    cr_assert(eq(sz, warnings, 1), "%s", site.run.err);
    cr_assert(ne(ptr, strstr(site.run.err, "info: root provider"), NULL),
              "the later passes note it at -v: %s", site.run.err);
}

Test(coexist, without_nova_compute_the_agent_creates_the_root)
{
    const char *node = "cx-no-nova.example.com";
    _cleanup_free_ char *settings =
        xasprintf("node_name: %s\n" M60_TYPES, node);
    _cleanup_free_ char *adopt = xasprintf(
        "node_name: %s-adopt\nroot_provider: adopt\n" M60_TYPES, node);
    _cleanup_free_ char *root = NULL;
    cJSON *d;

    site_init(&site, "m60", false);
    site_conf(&site, adopt);
    cr_assert(eq(int, site_sync(&site), 1), "%s", site.run.err);
    cr_assert(ne(ptr, strstr(site.run.err, "waiting for nova-compute"), NULL),
              "%s", site.run.err);
    site_conf(&site, settings);
    cr_assert(eq(int, site_sync(&site), 0), "%s", site.run.err);
    root = coexist_uuid_of(node);
    cr_assert(ne(ptr, root, NULL));
    d = site_dump(&site);
    cr_assert(eq(
        str, root,
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(d, "providers"), 0), "uuid")
            ->valuestring));
    coexist_assert_gpus(d, root);
    cJSON_Delete(d);
}

/* GET path at microversion version (the scheduler's), as JSON. */
static cJSON *
get_at(const char *version, const char *path)
{
    _cleanup_free_ char *url = xasprintf("%s%s", placement_shared_url(), path);
    _cleanup_free_ char *mv =
        xasprintf("OpenStack-API-Version: placement %s", version);
    struct curl_slist *h = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    CURL *c = curl_easy_init();
    long status = 0;
    cJSON *j;

    cr_assert(c != NULL && mem != NULL);
    h = curl_slist_append(h, "X-Auth-Token: admin");
    h = curl_slist_append(h, mv);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, testproc_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)mem);
    cr_assert(eq(int, curl_easy_perform(c), CURLE_OK));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    fclose(mem);
    j = cJSON_Parse(buf);
    cr_assert(status == 200 && j != NULL, "GET %s: %ld %s", path, status, buf);
    free(buf);
    return j;
}

#define CLAIMER "c1a1e000-0000-4000-8000-000000000001"

Test(coexist, a_scheduler_claim_survives_both_sides_and_gets_its_mdev)
{
    const char *node = "cx-claim.example.com";
    const char *cn = "0c000004-0000-4000-8000-000000000004";
    _cleanup_free_ char *settings =
        xasprintf("node_name: %s\n" M60_TYPES, node);
    _cleanup_free_ char *gpu3e = NULL, *claim = NULL, *before = NULL,
                        *after = NULL, *path = NULL, *dev = NULL, *held = NULL;
    cJSON *ac, *req, *allocs, *rep;
    const cJSON *created;

    site_init(&site, "m60", true);
    site_nova_id(&site, cn);
    site_conf(&site, settings);
    coexist_nova(cn, node, NULL, 0, false);
    cr_assert(eq(int, site_sync(&site), 0), "%s", site.run.err);
    gpu3e = coexist_uuid_of("cx-claim.example.com_pci_0000_3e_00_0");
    cr_assert(ne(ptr, gpu3e, NULL));
    path = xasprintf("/allocation_candidates?resources=VCPU:2,MEMORY_MB:2048,"
                     "VGPU:1&required=CUSTOM_NVIDIA_18&in_tree=%s",
                     cn);
    ac = get_at("1.36", path);
    req = cJSON_GetArrayItem(cJSON_GetObjectItem(ac, "allocation_requests"), 0);
    allocs = cJSON_GetObjectItem(req, "allocations");
    cr_assert(
        eq(int,
           cJSON_GetArraySize(cJSON_GetObjectItem(ac, "allocation_requests")),
           1),
        "one candidate: the root and GPU 3e");
    cr_assert(ne(ptr, cJSON_GetObjectItem(allocs, cn), NULL));
    cr_assert(ne(ptr, cJSON_GetObjectItem(allocs, gpu3e), NULL));
    held = cJSON_PrintUnformatted(allocs);
    claim = xasprintf("{\"allocations\": %s, \"project_id\": \"p\", "
                      "\"user_id\": \"u\", \"consumer_generation\": null, "
                      "\"consumer_type\": \"INSTANCE\"}",
                      held);
    cJSON_Delete(ac);
    placement_shared_must("PUT", "/allocations/" CLAIMER, claim, 204);
    before = placement_shared_call("GET", "/allocations/" CLAIMER, NULL,
                                   &(long){ 0 });
    coexist_nova(cn, node, NULL, 0, false);
    cr_assert(eq(int, site_sync(&site), 0), "%s", site.run.err);
    coexist_nova(cn, node, NULL, 0, true);
    after = placement_shared_call("GET", "/allocations/" CLAIMER, NULL,
                                  &(long){ 0 });
    cr_assert(eq(str, after, before), "the claim stands");
    site_agent(&site,
               (const char *const[]){ "reconcile", "--format", "json", NULL });
    cr_assert(eq(int, site.run.status, 0), "%s", site.run.err);
    rep = cJSON_Parse(site.run.out);
    cr_assert(rep != NULL, "%s", site.run.out);
    created = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "actions"), 0);
    cr_assert(created != NULL, "%s", site.run.out);
    cr_assert(
        eq(str, cJSON_GetObjectItem(created, "action")->valuestring, "create"),
        "%s", site.run.out);
    cr_assert(eq(str, cJSON_GetObjectItem(created, "consumer")->valuestring,
                 CLAIMER));
    cr_assert(eq(str, cJSON_GetObjectItem(created, "parent")->valuestring,
                 "0000:3e:00.0"),
              "%s", site.run.out);
    dev = xasprintf("%s/bus/mdev/devices/%s", site.root,
                    cJSON_GetObjectItem(created, "uuid")->valuestring);
    cr_assert(eq(int, access(dev, F_OK), 0), "%s", dev);
    cJSON_Delete(rep);
}

/* --- nova-compute's per-VF providers ------------------------------------ */

#define VF_GUEST_1 "cf000001-0000-4000-8000-000000000001"
#define VF_GUEST_2 "cf000002-0000-4000-8000-000000000002"

/* A guest scheduled by Nova before the agent: VCPU and memory on the
 * root, one VGPU on the VF provider vf. */
static void
claim_on_vf(const char *consumer, const char *root, const char *vf)
{
    _cleanup_free_ char *body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VCPU\": 1, "
        "\"MEMORY_MB\": 512}}, \"%s\": {\"resources\": {\"VGPU\": 1}}}, "
        "\"project_id\": \"p\", \"user_id\": \"u\", "
        "\"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        root, vf);
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);

    placement_shared_must("PUT", path, body, 204);
}

/* What consumer holds, "provider=RC:n ..." sorted (Placement's order of
 * providers is not stable). */
static char *
holdings(const char *consumer)
{
    _cleanup_free_ char *path = xasprintf("/allocations/%s", consumer);
    cJSON *j = placement_shared_json(path);
    const cJSON *rp, *rc;
    struct strv items = { 0 };
    char *s = xstrdup("");

    cJSON_ArrayForEach(rp, cJSON_GetObjectItem(j, "allocations"))
        cJSON_ArrayForEach(rc, cJSON_GetObjectItem(rp, "resources"))
            strv_pushf(&items, "%s=%s:%d ", rp->string, rc->string,
                       rc->valueint);
    strv_sort_uniq(&items);
    for (size_t i = 0; i < items.n; i++) {
        char *next = xasprintf("%s%s", s, items.v[i]);

        free(s);
        s = next;
    }
    strv_clear(&items);
    cJSON_Delete(j);
    return s;
}

/* The VFs Nova's [mdev_nvidia-470] device_addresses listed (4 of 16 keep
 * the test quick; the agent takes every one it finds). */
static const char *const a100_vfs[] = {
    "0000_41_00_4",
    "0000_41_00_5",
    "0000_41_01_2",
    "0000_41_02_3",
};
#define N_VFS (sizeof(a100_vfs) / sizeof(*a100_vfs))

Test(coexist, novas_per_vf_providers_are_reshaped_onto_the_gpus_provider)
{
    const char *node = "cx-a100.example.com";
    const char *cn = "0c000005-0000-4000-8000-000000000005";
    _cleanup_free_ char *settings =
        xasprintf("node_name: %s\nenabled_mdev_types: [nvidia-470]\n", node);
    struct novacompute_child vfs[N_VFS];
    char names[N_VFS][96];
    _cleanup_free_ char *vf4 = NULL, *vf5 = NULL, *gpu = NULL, *h1 = NULL,
                        *h2 = NULL, *want1 = NULL, *want2 = NULL,
                        *usages = NULL, *gens = NULL, *again = NULL;
    cJSON *u, *d;

    for (size_t i = 0; i < N_VFS; i++) {
        snprintf(names[i], sizeof(names[i]), "%s_pci_%s", node, a100_vfs[i]);
        vfs[i] = (struct novacompute_child){ names[i], "VGPU", 1 };
    }
    site_init(&site, "a100-sriov", false);
    site_nova_id(&site, cn);
    site_conf(&site, settings);
    coexist_nova(cn, node, vfs, N_VFS, false); /* Nova's libvirt driver */
    vf4 = coexist_uuid_of(names[0]);
    vf5 = coexist_uuid_of(names[1]);
    claim_on_vf(VF_GUEST_1, cn, vf4);
    claim_on_vf(VF_GUEST_2, cn, vf5);
    coexist_nova(cn, node, NULL, 0, true); /* restarted without vGPUs */
    cr_assert(eq(int, site_sync(&site), 0), "%s", site.run.err);
    cr_assert(ne(ptr, strstr(site.run.err, "POST /reshaper"), NULL), "%s",
              site.run.err);
    for (size_t i = 0; i < N_VFS; i++) {
        _cleanup_free_ char *gone = coexist_uuid_of(names[i]);

        cr_assert(eq(ptr, gone, NULL), "%s is still there", names[i]);
    }
    gpu = coexist_uuid_of("cx-a100.example.com_pci_0000_41_00_0");
    cr_assert(ne(ptr, gpu, NULL));
    h1 = holdings(VF_GUEST_1);
    h2 = holdings(VF_GUEST_2);
    want1 = xasprintf("%s=MEMORY_MB:512 %s=VCPU:1 %s=VGPU:1 ", cn, cn, gpu);
    want2 = xasprintf("%s=MEMORY_MB:512 %s=VCPU:1 %s=VGPU:1 ", cn, cn, gpu);
    cr_assert(eq(str, h1, want1), "no guest lost its claim");
    cr_assert(eq(str, h2, want2));
    usages = xasprintf("/resource_providers/%s/usages", gpu);
    u = placement_shared_json(usages);
    cr_assert(eq(int,
                 cJSON_GetObjectItem(cJSON_GetObjectItem(u, "usages"), "VGPU")
                     ->valueint,
                 2),
              "counted once, on the GPU");
    cJSON_Delete(u);
    d = site_dump(&site);
    coexist_assert_gpus(d, cn); /* the VGPU inventory: the GPU's alone */
    cJSON_Delete(d);
    gens = coexist_generations(cn);
    coexist_nova(cn, node, NULL, 0, true);
    cr_assert(eq(int, site_sync(&site), 0), "%s", site.run.err);
    again = coexist_generations(cn);
    cr_assert(eq(str, again, gens), "both sides are settled");
}
