/*
 * test-dump-vfio.c - end to end: the vgpu-agent binary dumps the three
 * vendor-specific VFIO sample hosts, with the fake NVML serving their max
 * instances and without any NVML (the framebuffer rule).
 *
 * Goldens: test/data/dump/<host>.json (no NVML), <host>.nvml.json (NVML),
 * <host>.stderr (what is logged, the same either way).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentrun.h"
#include "cleanup.h"
#include "fixture.h"
#include "golden.h"
#include "xalloc.h"

static char *root; /* the materialized host, or NULL */
static struct agentrun run;

static void
cleanup(void)
{
    agentrun_clear(&run);
    if (root)
        fixture_rm_rf(root);
    free(root);
    root = NULL;
}

TestSuite(dump_vfio, .fini = cleanup);

/* dump host with test/data/dump/<conf>.conf.yaml; with the fake NVML
 * serving data/hosts/<host>.yaml when nvml, else with no NVML at all. */
static void
dump_host(const char *host, const char *conf_name, bool nvml,
          const char *format)
{
    _cleanup_free_ char *rel = xasprintf("dump/%s.conf.yaml", conf_name);
    _cleanup_free_ char *conf = fixture_data_path(rel);
    _cleanup_free_ char *hrel = xasprintf("hosts/%s.yaml", host);
    _cleanup_free_ char *yaml = fixture_data_path(hrel);
    const char *b = getenv("VGPU_BUILDDIR");
    _cleanup_free_ char *lib =
        xasprintf("LD_LIBRARY_PATH=%s/test", b ? b : ".");
    _cleanup_free_ char *serve = xasprintf("VGPU_FAKENVML_HOST=%s", yaml);
    const char *with[] = { lib, serve, NULL };
    const char *without[] = { "LD_LIBRARY_PATH", "VGPU_FAKENVML_HOST", NULL };

    root = fixture_host(host);
    agentrun_env(&run,
                 (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                        "dump", "--format", format, NULL },
                 nvml ? with : without);
}

static bool
has(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

struct host_case {
    char name[32];
    bool nvml;
};

ParameterizedTestParameters(dump_vfio, sample_hosts)
{
    static struct host_case hosts[] = {
        { "a10-vfio", false },       { "a10-vfio", true },
        { "l40s-vfio", false },      { "l40s-vfio", true },
        { "rtxpro6000-mig", false }, { "rtxpro6000-mig", true },
    };
    return cr_make_param_array(struct host_case, hosts,
                               sizeof(hosts) / sizeof(*hosts));
}

ParameterizedTest(struct host_case *c, dump_vfio, sample_hosts)
{
    _cleanup_free_ char *json =
        xasprintf("dump/%s%s.json", c->name, c->nvml ? ".nvml" : "");
    _cleanup_free_ char *err = xasprintf("dump/%s.stderr", c->name);

    dump_host(c->name, c->name, c->nvml, "json");
    cr_assert(eq(int, run.status, 0), "stderr: %s", run.err);
    golden_assert(json, run.out);
    golden_assert(err, run.err);
}

Test(dump_vfio, the_a10_is_one_provider_of_its_pf_in_vendor_vfio_mode)
{
    dump_host("a10-vfio", "a10-vfio", true, "json");
    cr_assert(has(run.out, "compute-a10_pci_0000_41_00_0"), "%s", run.out);
    cr_assert(not(has(run.out, "compute-a10_pci_0000_41_00_4")));
    cr_assert(has(run.out, "\"mode\":\t\"vendor-vfio\""), "%s", run.out);
    cr_assert(has(run.out, "\"total\":\t4,"), "%s", run.out);
    cr_assert(has(run.out, "\"mdevs\":\t[\"0000:41:00.5\"]"), "%s", run.out);
    cr_assert(has(run.out, "CUSTOM_NVIDIA_594"), "%s", run.out);
    cr_assert(has(run.out, "HW_GPU_MAX_DISPLAY_HEADS_4"), "%s", run.out);
}

Test(dump_vfio, without_nvml_there_are_no_display_traits)
{
    dump_host("a10-vfio", "a10-vfio", false, "json");
    cr_assert(not(has(run.out, "HW_GPU_")), "%s", run.out);
    cr_assert(has(run.out, "\"total\":\t2,"), "%s", run.out);
}

Test(dump_vfio, the_table_shows_each_gpus_mode)
{
    dump_host("l40s-vfio", "l40s-vfio", true, "table");
    cr_assert(eq(int, run.status, 0), "stderr: %s", run.err);
    golden_assert("dump/l40s-vfio.table", run.out);
}

Test(dump_vfio, a_type_of_another_size_than_the_gpu_holds_gets_no_provider)
{
    dump_host("a10-vfio", "a10-vfio-24q", true, "json");
    cr_assert(eq(int, run.status, 0), "stderr: %s", run.err);
    cr_assert(not(has(run.out, "_pci_")), "%s", run.out);
    cr_assert(has(run.err, "0000:41:00.0: no VF lists nvidia-597 now (the "
                           "GPU holds vGPUs of another size, or no more "
                           "fit), which device_addresses assign to it"),
              "%s", run.err);
}
