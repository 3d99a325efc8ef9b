/*
 * test-syncdiff.c - what a provider must become: write only what differs,
 * keep what others own.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include "syncdiff.h"

static struct strv current, want, managed, got;

static void
clear(void)
{
    strv_clear(&current);
    strv_clear(&want);
    strv_clear(&managed);
    strv_clear(&got);
}

TestSuite(syncdiff, .fini = clear);

static void
push_all(struct strv *sv, const char *const *names)
{
    for (; *names; names++)
        strv_push(sv, *names);
}

static void
assert_traits(const char *const *expected)
{
    size_t n = 0;

    for (; expected[n]; n++)
        cr_assert(n < got.n && strcmp(got.v[n], expected[n]) == 0,
                  "trait %zu: got %s, want %s", n, n < got.n ? got.v[n] : "-",
                  expected[n]);
    cr_assert(eq(sz, got.n, n));
}

Test(syncdiff, an_operators_trait_survives)
{
    push_all(&current,
             (const char *[]){ "CUSTOM_NVIDIA_35", "CUSTOM_RACK_7", NULL });
    push_all(&want, (const char *[]){ "CUSTOM_NVIDIA_35", NULL });
    push_all(&managed,
             (const char *[]){ "CUSTOM_NVIDIA_35", "CUSTOM_NVIDIA_36", NULL });
    syncdiff_traits(&current, &want, &managed, &got);
    assert_traits(
        (const char *[]){ "CUSTOM_NVIDIA_35", "CUSTOM_RACK_7", NULL });
}

Test(syncdiff, a_type_switch_replaces_the_type_trait_and_derived_traits)
{
    push_all(&current,
             (const char *[]){ "CUSTOM_NVIDIA_35", "HW_GPU_MAX_DISPLAY_HEADS_2",
                               "HW_GPU_RESOLUTION_W2560H1600",
                               "HW_GPU_API_VULKAN", NULL });
    push_all(&want, (const char *[]){ "CUSTOM_NVIDIA_36",
                                      "HW_GPU_MAX_DISPLAY_HEADS_4", NULL });
    push_all(&managed,
             (const char *[]){ "CUSTOM_NVIDIA_35", "CUSTOM_NVIDIA_36", NULL });
    syncdiff_traits(&current, &want, &managed, &got);
    /* HW_GPU_API_VULKAN is no trait the agent derives: it stays. */
    assert_traits((const char *[]){ "CUSTOM_NVIDIA_36", "HW_GPU_API_VULKAN",
                                    "HW_GPU_MAX_DISPLAY_HEADS_4", NULL });
}

Test(syncdiff, wanted_traits_are_added_sorted_without_duplicates)
{
    push_all(&current, (const char *[]){ "CUSTOM_B", NULL });
    push_all(&want,
             (const char *[]){ "CUSTOM_C", "CUSTOM_A", "CUSTOM_B", NULL });
    syncdiff_traits(&current, &want, &managed, &got);
    assert_traits((const char *[]){ "CUSTOM_A", "CUSTOM_B", "CUSTOM_C", NULL });
}

static struct inventory
inv(const char *rc, long total)
{
    struct inventory v;

    inventory_init(&v, rc, total);
    return v;
}

Test(syncdiff, inventories_equal_only_when_every_field_is)
{
    struct inventory a[2] = { inv("CUSTOM_X", 4), inv("VGPU", 16) };
    struct inventory b[2] = { inv("CUSTOM_X", 4), inv("VGPU", 16) };

    cr_assert(syncdiff_invs_equal(a, 2, b, 2));
    cr_assert(not(syncdiff_invs_equal(a, 2, b, 1)));
    b[1].reserved = 16;
    cr_assert(not(syncdiff_invs_equal(a, 2, b, 2)));
    b[1].reserved = 0;
    b[1].allocation_ratio = 1.5;
    cr_assert(not(syncdiff_invs_equal(a, 2, b, 2)));
    b[1].allocation_ratio = 1.0;
    b[1].max_unit = 8;
    cr_assert(not(syncdiff_invs_equal(a, 2, b, 2)));
    for (int i = 0; i < 2; i++) {
        inventory_clear(&a[i]);
        inventory_clear(&b[i]);
    }
}

Test(syncdiff, a_root_merge_adds_and_updates_but_keeps_others_classes)
{
    struct inventory cur[2] = { inv("MEMORY_MB", 1024), inv("VCPU", 8) };
    struct inventory w[2] = { inv("CUSTOM_LICENSE", 4), inv("VCPU", 16) };
    struct inventory *out = NULL;
    size_t n = 0;

    syncdiff_merge_invs(cur, 2, w, 2, &out, &n);
    cr_assert(eq(sz, n, 3));
    cr_assert(eq(str, out[0].rc, "CUSTOM_LICENSE"));
    cr_assert(eq(str, out[1].rc, "MEMORY_MB"));
    cr_assert(eq(i64, out[1].total, 1024));
    cr_assert(eq(str, out[2].rc, "VCPU"));
    cr_assert(eq(i64, out[2].total, 16), "the wanted record wins");
    for (size_t i = 0; i < n; i++)
        inventory_clear(&out[i]);
    free(out);
    for (int i = 0; i < 2; i++) {
        inventory_clear(&cur[i]);
        inventory_clear(&w[i]);
    }
}

Test(syncdiff, only_unknown_custom_names_must_be_created)
{
    push_all(&want, (const char *[]){ "CUSTOM_A", "HW_GPU_API_VULKAN",
                                      "CUSTOM_B", "CUSTOM_A", "VGPU", NULL });
    push_all(&current, (const char *[]){ "CUSTOM_B", NULL });
    syncdiff_missing_custom(&want, &current, &got);
    assert_traits((const char *[]){ "CUSTOM_A", NULL });
}

Test(syncdiff, the_agent_manages_derived_hw_gpu_traits_and_its_list)
{
    push_all(&managed, (const char *[]){ "CUSTOM_NVIDIA_35", NULL });
    cr_assert(
        syncdiff_is_managed_trait("HW_GPU_RESOLUTION_W640H480", &managed));
    cr_assert(
        syncdiff_is_managed_trait("HW_GPU_MAX_DISPLAY_HEADS_8", &managed));
    cr_assert(syncdiff_is_managed_trait("CUSTOM_NVIDIA_35", &managed));
    cr_assert(not(syncdiff_is_managed_trait("CUSTOM_NVIDIA_36", &managed)));
    cr_assert(not(syncdiff_is_managed_trait("HW_GPU_API_VULKAN", &managed)));
    cr_assert(not(syncdiff_is_managed_trait("COMPUTE_NODE", &managed)));
}
