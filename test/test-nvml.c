/*
 * test-nvml.c - the optional NVML loader against the fake NVML the suite
 * builds (test/libnvidia-ml.so.1, test/fakenvml.c) and without any, and the
 * fake's own NVML conventions.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "fakevfio.h"
#include "fixture.h"
#include "nvml-load.h"
#include "xalloc.h"

/* The fake's path in the build tree. */
static char *
fake_path(void)
{
    const char *b = getenv("VGPU_BUILDDIR");

    return xasprintf("%s/test/libnvidia-ml.so.1", b ? b : ".");
}

/* The fake serves data/hosts/<host>.yaml. */
static void
serve_host(const char *host)
{
    _cleanup_free_ char *rel = xasprintf("hosts/%s.yaml", host);
    _cleanup_free_ char *yaml = fixture_data_path(rel);

    cr_assert(eq(int, setenv("VGPU_FAKENVML_HOST", yaml, 1), 0));
}

static struct nvml *n;

static void
close_nvml(void)
{
    nvml_close(n);
    n = NULL;
}

static void
open_fake(const char *host)
{
    _cleanup_free_ char *path = fake_path();
    struct errbuf eb = { 0 };

    serve_host(host);
    cr_assert(eq(int, nvml_open(path, &n, &eb), 0), "%s", eb.msg);
}

TestSuite(nvml, .fini = close_nvml);

Test(nvml, missing_library_is_enoent_saying_not_available)
{
    struct errbuf eb = { 0 };

    cr_expect(
        eq(int, nvml_open("/nonexistent/" NVML_LIBRARY, &n, &eb), -ENOENT));
    cr_expect(eq(ptr, n, NULL));
    cr_expect(ne(ptr, strstr(eb.msg, "NVML not available"), NULL), "%s",
              eb.msg);
    cr_expect(ne(ptr, strstr(eb.msg, "/nonexistent/" NVML_LIBRARY), NULL), "%s",
              eb.msg);
    nvml_close(NULL); /* a no-op */
}

Test(nvml, library_without_nvml_functions_is_enosys)
{
    struct errbuf eb = { 0 };

    cr_expect(eq(int, nvml_open("libyaml-0.so.2", &n, &eb), -ENOSYS));
    cr_expect(ne(ptr, strstr(eb.msg, "no nvmlInit_v2"), NULL), "%s", eb.msg);
}

Test(nvml, nvml_without_a_driver_is_eio_with_nvml_message)
{
    _cleanup_free_ char *path = fake_path();
    struct errbuf eb = { 0 };

    unsetenv("VGPU_FAKENVML_HOST");
    cr_expect(eq(int, nvml_open(path, &n, &eb), -EIO));
    cr_expect(ne(ptr, strstr(eb.msg, "nvmlInit_v2: Driver Not Loaded"), NULL),
              "%s", eb.msg);
}

Test(nvml, a10_type_facts_on_the_physical_function)
{
    struct nvml_vgpu_type t, a;
    struct errbuf eb = { 0 };

    open_fake("a10-vfio");
    cr_assert(eq(int, nvml_get_vgpu_type(n, "0000:41:00.0", 594, &t, &eb), 0),
              "%s", eb.msg);
    cr_expect(eq(uint, t.max_instances, 4));
    cr_expect(eq(str, t.name, "NVIDIA A10-6Q"));
    cr_expect(eq(u64, t.framebuffer, 6ULL << 30));
    cr_expect(eq(uint, t.heads, 4));
    cr_expect(eq(uint, t.res_x, 7680));
    cr_expect(eq(uint, t.res_y, 4320));
    cr_assert(eq(int, nvml_get_vgpu_type(n, "0000:41:00.0", 598, &a, &eb), 0),
              "%s", eb.msg);
    cr_expect(eq(uint, a.max_instances, 24));
    cr_expect(eq(uint, a.heads, 1));
    cr_expect(eq(uint, a.res_x, 1280));
}

Test(nvml, each_gpu_of_a_host_answers_for_itself)
{
    struct nvml_vgpu_type t;
    struct errbuf eb = { 0 };

    open_fake("l40s-vfio");
    cr_assert(eq(int, nvml_get_vgpu_type(n, "0000:3e:00.0", 1156, &t, &eb), 0),
              "%s", eb.msg);
    cr_expect(eq(uint, t.max_instances, 1));
    cr_assert(eq(int, nvml_get_vgpu_type(n, "0000:3d:00.0", 1147, &t, &eb), 0),
              "%s", eb.msg);
    cr_expect(eq(uint, t.max_instances, 32));
    cr_expect(eq(uint, t.res_x, 5120));
}

Test(nvml, mig_backed_type_has_its_instance_count)
{
    struct nvml_vgpu_type t;
    struct errbuf eb = { 0 };

    open_fake("rtxpro6000-mig");
    cr_assert(eq(int, nvml_get_vgpu_type(n, "0001:04:00.0", 1561, &t, &eb), 0),
              "%s", eb.msg);
    cr_expect(eq(uint, t.max_instances, 4));
    cr_expect(eq(str, t.name, "NVIDIA RTX Pro 6000 Blackwell DC-1-24Q"));
}

Test(nvml, vf_or_unknown_address_is_enodev)
{
    struct nvml_vgpu_type t;
    struct errbuf eb = { 0 };

    open_fake("a10-vfio");
    cr_expect(
        eq(int, nvml_get_vgpu_type(n, "0000:41:00.4", 594, &t, &eb), -ENODEV));
    cr_expect(
        ne(ptr, strstr(eb.msg, "no GPU at 0000:41:00.4: Not Found"), NULL),
        "%s", eb.msg);
    cr_expect(
        eq(int, nvml_get_vgpu_type(n, "0000:99:00.0", 594, &t, &eb), -ENODEV));
    cr_expect(
        eq(int, nvml_get_vgpu_type(n, "not-a-bus-id", 594, &t, &eb), -ENODEV));
}

Test(nvml, type_of_another_gpu_is_enoent_naming_gpu_and_type)
{
    struct nvml_vgpu_type t;
    struct errbuf eb = { 0 };

    open_fake("a10-vfio");
    cr_expect(
        eq(int, nvml_get_vgpu_type(n, "0000:41:00.0", 1147, &t, &eb), -ENOENT));
    cr_expect(
        ne(ptr, strstr(eb.msg, "gpu 0000:41:00.0: type 1147: Invalid Argument"),
           NULL),
        "%s", eb.msg);
}

/* ---- the fake's NVML conventions, called as NVML's users call them ----- */

typedef int (*init_fn)(void);
typedef int (*by_pci_fn)(const char *, void **);
typedef int (*list_fn)(void *, unsigned *, unsigned *);

static void *lib;

static void
close_lib(void)
{
    if (lib) {
        ((init_fn)dlsym(lib, "nvmlShutdown"))();
        dlclose(lib);
    }
    lib = NULL;
}

TestSuite(fakenvml, .fini = close_lib);

/* dlsym(lib, name) as a function pointer of type T. */
#define SYM(T, name) ((T)dlsym(lib, name))

static void *
open_lib(const char *host, const char *pci)
{
    _cleanup_free_ char *path = fake_path();
    void *dev = NULL;

    serve_host(host);
    lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    cr_assert(ne(ptr, lib, NULL), "%s", dlerror());
    cr_assert(eq(int, SYM(init_fn, "nvmlInit_v2")(), 0));
    cr_assert(eq(
        int, SYM(by_pci_fn, "nvmlDeviceGetHandleByPciBusId_v2")(pci, &dev), 0));
    return dev;
}

Test(fakenvml, supported_list_is_counted_then_filled)
{
    void *dev = open_lib("a10-vfio", "00000000:41:00.0"); /* NVML's spelling */
    list_fn supported = SYM(list_fn, "nvmlDeviceGetSupportedVgpus");
    unsigned ids[32], count = 0;

    cr_expect(eq(int, supported(dev, &count, NULL), 7)); /* INSUFFICIENT_SIZE */
    cr_expect(eq(uint, count, 18));
    count = 4;
    cr_expect(eq(int, supported(dev, &count, ids), 7));
    cr_expect(eq(uint, count, 18));
    count = 32;
    cr_assert(eq(int, supported(dev, &count, ids), 0));
    cr_expect(eq(uint, count, 18));
    cr_expect(eq(uint, ids[0], 588));
    cr_expect(eq(uint, ids[17], 605));
}

Test(fakenvml, creatable_list_follows_the_live_fake_kernel)
{
    _cleanup_free_ char *yaml = fixture_data_path("hosts/a10-vfio.yaml");
    struct fakesys_live *live = NULL;
    struct errbuf eb = { 0 };
    unsigned ids[32], count = 32;
    list_fn creatable;
    void *dev;

    cr_assert(eq(int, fakesys_live_start(yaml, &live, &eb), 0), "%s", eb.msg);
    cr_assert(
        eq(int, setenv("VGPU_FAKENVML_SYSFS", fakesys_live_root(live), 1), 0));
    dev = open_lib("a10-vfio", "0000:41:00.0");
    creatable = SYM(list_fn, "nvmlDeviceGetCreatableVgpus");
    cr_assert(eq(int, creatable(dev, &count, ids), 0));
    cr_expect(eq(uint, count, 2)); /* one A10-6Q: 594 and 602 */
    cr_expect(eq(uint, ids[0], 594));
    cr_expect(eq(uint, ids[1], 602));
    cr_assert(eq(int,
                 fakesys_live_control(fakesys_live_root(live), "reboot", &eb),
                 0),
              "%s", eb.msg);
    count = 32;
    cr_assert(eq(int, creatable(dev, &count, ids), 0));
    cr_expect(eq(uint, count, 18));
    fakesys_live_stop(live);
}
