/*
 * test-mdev-bad.c - discovery on bad input: one warning naming the path
 * (never an absolute one), the rest of the host reported.  Part of the
 * test-mdev binary (test/testmdev.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "cleanup.h"
#include "fixture.h"
#include "mdev.h"
#include "testmdev.h"
#include "xalloc.h"

/* --- bad input: one warning naming the path, the rest reported ---------- */

/* A negative available_instances: the type is skipped with a warning that
 * names the file and quotes the value. */
Test(mdev, a_negative_count_is_warned_about_naming_file_and_value)
{
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-35", "available_instances", "-1");
    scan();
    assert_warning("class/mdev_bus/0000:84:00.0/mdev_supported_types/"
                   "nvidia-35/available_instances: not an unsigned number: "
                   "\"-1\"");
}

struct bad_avail {
    char value[32];
    char warning[64];
};

ParameterizedTestParameters(mdev, bad_available_instances_skips_the_type)
{
    static struct bad_avail cases[] = {
        { "-1\n", "not an unsigned number: \"-1\"" },
        { "abc\n", "not an unsigned number: \"abc\"" },
        { "12abc\n", "not an unsigned number: \"12abc\"" },
        { "\n", "not an unsigned number: \"\"" },
        { "99999999999\n", "number out of range: \"99999999999\"" },
    };

    return cr_make_param_array(struct bad_avail, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct bad_avail *c, mdev,
                  bad_available_instances_skips_the_type)
{
    _cleanup_free_ char *want =
        xasprintf(TYPES_A "/nvidia-35/available_instances: %s", c->warning);

    two_gpus_and_mtty();
    mk(GPU_A "/mdev_supported_types/nvidia-35/available_instances", c->value);
    scan();
    assert_warning(want);
    cr_assert(eq(sz, h->n_parents, 3));
    cr_assert(eq(sz, h->parents[1].n_types, 1));
    cr_assert(eq(str, h->parents[1].types[0].id, "nvidia-11"));
}

enum op { MK, RM, LN, MKD, TYPE, PARENT, MDEV };

struct step {
    enum op op;
    char a[128], b[96], c[16];
};

/* Criterion re-executes the binary per test: parameters hold no pointers.
 * A warning ending in "..." is a prefix. */
struct bad_case {
    struct step steps[3];
    char warning[160];
    struct {
        size_t parents, types_a, mdevs; /* types_a: of 0000:84:00.0 */
    } want;
};

#define T_A GPU_A "/mdev_supported_types/"
#define U1 GPU_A "/" UUID1

static struct bad_case bad_cases[] = {
    { { { RM, T_A "nvidia-35/available_instances" } },
      TYPES_A "/nvidia-35/available_instances: No such file or directory",
      { 3, 1, 0 } },
    { { { RM, T_A "nvidia-11/device_api" } },
      TYPES_A "/nvidia-11/device_api: No such file or directory",
      { 3, 1 } },
    { { { RM, T_A "nvidia-11/device_api" },
        { MKD, T_A "nvidia-11/device_api" } },
      TYPES_A "/nvidia-11/device_api: Is a directory",
      { 3, 1 } },
    { { { MK, T_A "nvidia-11/device_api", "\n" } },
      TYPES_A "/nvidia-11/device_api: value is empty: \"\"",
      { 3, 1 } },
    { { { MK, T_A "nvidia-11/name", "GRID \xff\xfe\n" } },
      TYPES_A "/nvidia-11/name: value is not valid UTF-8: "
              "\"GRID \\xff\\xfe\"",
      { 3, 1 } },
    { { { MK, T_A "nvidia-11/name", "GRID\x1b[31m\n" } },
      TYPES_A "/nvidia-11/name: value contains a non-printable "
              "character: \"GRID\\x1b[31m\"",
      { 3, 1 } },
    { { { MK, T_A "nvidia-11/description", "num_heads=\x80\n" } },
      TYPES_A "/nvidia-11/description: value is not valid UTF-8...",
      { 3, 1 } },
    { { { TYPE, GPU_A, "nvidia-\xff" } },
      TYPES_A "/nvidia-\\xff: type id is not valid UTF-8",
      { 3, 2 } },
    { { { TYPE, GPU_A, "nvidia-\n1" } },
      TYPES_A "/nvidia-\\x0a1: type id contains a non-printable character",
      { 3, 2 } },
    { { { MK, T_A "README", "hi\n" } },
      TYPES_A "/README/available_instances: Not a directory",
      { 3, 2 } },
    /* parents */
    { { { LN, "class/mdev_bus/0000:99:00.0", "devices/pci0000:98/x" } },
      "class/mdev_bus/0000:99:00.0: dangling link...",
      { 3, 2 } },
    { { { LN, "class/mdev_bus/0000:99:00.0", "!../../../outside" } },
      "class/mdev_bus/0000:99:00.0: link leaves the sysfs root",
      { 3, 2 } },
    { { { LN, "class/mdev_bus/abs", "!/" MTTY } },
      "class/mdev_bus/abs: link leaves the sysfs root: "
      "absolute target \"/" MTTY "\"",
      { 3, 2 } },
    { { { LN, "class/mdev_bus/loop", "class/mdev_bus/loop" } },
      "class/mdev_bus/loop: Too many levels of symbolic links",
      { 3, 2 } },
    { { { PARENT, "gpu\xff", "devices/virtual/x/gpu" } },
      "class/mdev_bus/gpu\\xff: parent name is not valid UTF-8",
      { 3, 2 } },
    { { { MKD, "devices/virtual/bare/bare" },
        { LN, "class/mdev_bus/bare", "devices/virtual/bare/bare" } },
      "class/mdev_bus/bare/mdev_supported_types: No such file or "
      "directory",
      { 3, 2 } },
    { { { PARENT, "bad", "devices/virtual/bad/bad" },
        { RM, "devices/virtual/bad/bad/mdev_supported_types" },
        { LN, "devices/virtual/bad/bad/mdev_supported_types",
          "!../../../../../outside/mdev_supported_types" } },
      "class/mdev_bus/bad/mdev_supported_types: link ...",
      { 3, 2 } },
    { { { RM, GPU_A "/class" } },
      "class/mdev_bus/0000:84:00.0/class: No such file or directory",
      { 2 } },
    { { { MK, GPU_A "/class", "VGA\n" } },
      "class/mdev_bus/0000:84:00.0/class: not a PCI class: \"VGA\"",
      { 2 } },
    { { { MK, GPU_A "/class", "0x1000000\n" } },
      "class/mdev_bus/0000:84:00.0/class: not a PCI class: "
      "\"0x1000000\"",
      { 2 } },
    { { { LN, GPU_A "/physfn", "!../../../../../outside" } },
      "class/mdev_bus/0000:84:00.0/physfn: link ...",
      { 2 } },
    { { { LN, GPU_A "/physfn", MTTY } },
      "class/mdev_bus/0000:84:00.0/physfn: not a PCI address: \"mtty\"",
      { 2 } },
    { { { LN, "class/mdev_bus/zzz", MTTY } },
      "class/mdev_bus/zzz: same device as parent mtty",
      { 3, 2 } },
    /* existing mdevs */
    { { { MDEV, GPU_A, UUID1, "nvidia-35" },
        { MDEV, GPU_A, UUID2, "nvidia-35" },
        { RM, U1 "/mdev_type" } },
      "bus/mdev/devices/" UUID1 "/mdev_type: No such file or directory",
      { 3, 2, 1 } },
    { { { MDEV, GPU_A, UUID1, "nvidia-35" },
        { RM, U1 "/mdev_type" },
        { LN, U1 "/mdev_type", T_A "nvidia-99" } },
      "bus/mdev/devices/" UUID1 "/mdev_type: dangling link...",
      { 3, 2 } },
    { { { MDEV, GPU_A, UUID1, "nvidia-35" },
        { RM, U1 "/mdev_type" },
        { LN, U1 "/mdev_type", "!/outside/mdev_supported_types" } },
      "bus/mdev/devices/" UUID1 "/mdev_type: link ...",
      { 3, 2 } },
    { { { MKD, "devices/virtual/o/o/mdev_supported_types/x-1" },
        { MDEV, "devices/virtual/o/o", UUID1, "x-1" },
        { MDEV, GPU_A, UUID2, "nvidia-35" } },
      "bus/mdev/devices/" UUID1 ": parent device devices/virtual/o/o "
      "is not an mdev parent",
      { 3, 2, 1 } },
    { { { LN, "bus/mdev/devices/" UUID1, U1 } },
      "bus/mdev/devices/" UUID1 ": dangling link...",
      { 3, 2 } },
    { { { LN, "bus/mdev/devices/" UUID1, "!../../../../outside" } },
      "bus/mdev/devices/" UUID1 ": link ...",
      { 3, 2 } },
    { { { MKD, UUID1 }, { LN, "bus/mdev/devices/" UUID1, UUID1 } },
      "bus/mdev/devices/" UUID1 ": parent device . is not an mdev parent",
      { 3, 2 } },
};

ParameterizedTestParameters(mdev, bad_input)
{
    return cr_make_param_array(struct bad_case, bad_cases,
                               sizeof(bad_cases) / sizeof(*bad_cases));
}

static void
apply(const struct step *s)
{
    switch (s->op) {
    case MK:
        if (s->a[0])
            mk(s->a, s->b);
        break;
    case RM:
        rm(s->a);
        break;
    case LN:
        ln(s->a, s->b);
        break;
    case MKD:
        mkd(s->a);
        break;
    case TYPE:
        add_type(s->a, s->b, "1", "vfio-pci", NULL, NULL);
        break;
    case PARENT:
        add_parent(s->a, s->b, NULL, NULL);
        break;
    case MDEV:
        add_mdev(s->a, s->b, s->c);
        break;
    }
}

ParameterizedTest(struct bad_case *c, mdev, bad_input)
{
    size_t n = strlen(c->warning);
    const struct mdev_parent *a;

    two_gpus_and_mtty();
    for (size_t i = 0; i < sizeof(c->steps) / sizeof(*c->steps); i++)
        apply(&c->steps[i]);
    scan();
    if (n > 3 && strcmp(c->warning + n - 3, "...") == 0) {
        c->warning[n - 3] = '\0';
        assert_warning_starts(c->warning);
    } else {
        assert_warning(c->warning);
    }
    cr_assert(eq(sz, h->n_parents, c->want.parents));
    a = mdev_host_find_parent(h, "0000:84:00.0");
    if (a)
        cr_assert(eq(sz, a->n_types, c->want.types_a));
    cr_assert(eq(sz, h->n_mdevs, c->want.mdevs));
}

Test(mdev, overlong_utf8_and_surrogates_are_not_utf8)
{
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-11", "name", "\xc0\xaf");
    attr(GPU_A "/mdev_supported_types/nvidia-35", "name", "\xed\xa0\x80");
    scan();
    cr_assert(eq(sz, h->warnings.n, 2));
    cr_assert(eq(sz, h->parents[1].n_types, 0));
}

Test(mdev, valid_utf8_name_is_kept)
{
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-11", "name",
         "GRID M60-0B \xc3\xa9");
    scan();
    assert_no_warnings();
    cr_assert(eq(str, h->parents[1].types[0].name, "GRID M60-0B \xc3\xa9"));
}

Test(mdev, overlong_name_skips_the_type)
{
    char name[257];

    memset(name, 'n', 256);
    name[256] = '\0';
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-11", "name", name);
    scan();
    assert_warning_starts(TYPES_A "/nvidia-11/name: value is longer than 255 "
                                  "bytes: \"nnn");
    cr_assert(eq(sz, h->parents[1].n_types, 1));
}

Test(mdev, name_of_255_bytes_is_fine)
{
    char name[256];

    memset(name, 'n', 255);
    name[255] = '\0';
    two_gpus_and_mtty();
    attr(GPU_A "/mdev_supported_types/nvidia-11", "name", name);
    scan();
    assert_no_warnings();
}

Test(mdev, dangling_driver_link_skips_the_parent)
{
    two_gpus_and_mtty();
    rm("bus/pci/drivers/nvidia");
    scan();
    cr_assert(eq(sz, h->warnings.n, 2)); /* both GPUs use it */
    cr_assert(
        eq(int,
           strncmp(h->warnings.v[0],
                   "class/mdev_bus/0000:3e:00.0/driver: dangling link", 49),
           0),
        "%s", h->warnings.v[0]);
    cr_assert(
        eq(int,
           strncmp(h->warnings.v[1],
                   "class/mdev_bus/0000:84:00.0/driver: dangling link", 49),
           0),
        "%s", h->warnings.v[1]);
    cr_assert(eq(sz, h->n_parents, 1));
}

Test(mdev, mdev_of_a_skipped_parent_is_skipped_too)
{
    two_gpus_and_mtty();
    add_mdev(GPU_A, UUID1, "nvidia-35");
    rm(GPU_A "/class");
    scan();
    cr_assert(eq(sz, h->warnings.n, 2));
    cr_assert(eq(sz, h->n_mdevs, 0));
}

Test(mdev, mdev_name_that_is_not_a_uuid_is_skipped)
{
    two_gpus_and_mtty();
    add_mdev(GPU_A, "not-a-uuid", "nvidia-35");
    add_mdev(GPU_A, "3131f5fd7c044a6192c10c37f9547b6b", "nvidia-35");
    add_mdev(GPU_A, UUID1, "nvidia-35");
    scan();
    cr_assert(eq(sz, h->warnings.n, 2));
    cr_assert(eq(str, h->warnings.v[0],
                 "bus/mdev/devices/3131f5fd7c044a6192c10c37f9547b6b: "
                 "not a UUID"));
    cr_assert(
        eq(str, h->warnings.v[1], "bus/mdev/devices/not-a-uuid: not a UUID"));
    cr_assert(eq(sz, h->n_mdevs, 1));
}
