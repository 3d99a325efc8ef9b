/*
 * test-inventory.c - the inventory record and Placement's resource class names.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "fixture.h"
#include "inventory.h"

Test(inventory, init_fills_the_record_the_agent_reports)
{
    struct inventory inv;
    char rc[] = "CUSTOM_NVIDIA_11";

    inventory_init(&inv, rc, 4);
    rc[0] = 'X'; /* the record keeps its own copy */
    cr_assert(eq(str, inv.rc, "CUSTOM_NVIDIA_11"));
    cr_assert(eq(long, inv.total, 4));
    cr_assert(eq(long, inv.reserved, 0));
    cr_assert(eq(long, inv.min_unit, 1));
    cr_assert(eq(long, inv.max_unit, 4));
    cr_assert(eq(long, inv.step_size, 1));
    cr_assert(eq(dbl, inv.allocation_ratio, 1.0));
    inventory_clear(&inv);
    cr_assert(eq(ptr, inv.rc, NULL));
    inventory_clear(&inv); /* twice is fine */
}

Test(inventory, records_sort_by_resource_class)
{
    struct inventory v[3] = { { .rc = "VGPU" },
                              { .rc = "CUSTOM_B" },
                              { .rc = "CUSTOM_A" } };

    qsort(v, 3, sizeof(*v), inventory_cmp_rc);
    cr_assert(eq(str, v[0].rc, "CUSTOM_A"));
    cr_assert(eq(str, v[1].rc, "CUSTOM_B"));
    cr_assert(eq(str, v[2].rc, "VGPU"));
}

Test(inventory, json_is_placements_own_with_the_ratio_as_python_writes_it)
{
    struct inventory v[2];
    cJSON *j;
    char *text;

    inventory_init(&v[0], "CUSTOM_A", 2);
    inventory_init(&v[1], "VGPU", 4);
    v[1].reserved = 4;
    v[1].allocation_ratio = 1.5;
    j = inventory_to_json(v, 2);
    text = cJSON_PrintUnformatted(j);
    cr_assert(eq(str, text,
                 "{\"CUSTOM_A\":{\"total\":2,\"reserved\":0,\"min_unit\":1,"
                 "\"max_unit\":2,\"step_size\":1,\"allocation_ratio\":1.0},"
                 "\"VGPU\":{\"total\":4,\"reserved\":4,\"min_unit\":1,"
                 "\"max_unit\":4,\"step_size\":1,\"allocation_ratio\":1.5}}"));
    cJSON_free(text);
    cJSON_Delete(j);
    inventory_clear(&v[0]);
    inventory_clear(&v[1]);
}

struct name_case {
    char name[300];
    bool valid;
    bool custom;
};

static void
fill(char *s, char c, size_t n)
{
    memset(s, c, n);
    s[n] = '\0';
}

ParameterizedTestParameters(
    inventory, names_are_upper_case_digits_and_underscores_up_to_255)
{
    static struct name_case cases[] = {
        { "VGPU", true, false },
        { "VGPU_DISPLAY_HEAD", true, false },
        { "CUSTOM_NVIDIA_11", true, true },
        { "CUSTOM_X", true, true },
        { "CUSTOM__", true, true },
        { "CUSTOM_1", true, true },
        { "CUSTOM_", true, false }, /* nothing after the prefix */
        { "CUSTOM", true, false },
        { "CUSTOMX", true, false },
        { "X_CUSTOM_A", true, false },
        { "_", true, false },
        { "0", true, false },
        { "", false, false },
        { "vgpu", false, false },
        { "Vgpu", false, false },
        { "CUSTOM_nvidia", false, false },
        { "custom_X", false, false },
        { "VGPU-1", false, false },
        { "VGPU 1", false, false },
        { "VGPU\n", false, false },
        { "CUSTOM_A.B", false, false },
        { "\xc3\x84", false, false }, /* non-ASCII */
        { "", true, false },          /* 255 x 'A', filled below */
        { "", false, false },         /* 256 x 'A' */
        { "CUSTOM_", true, true },    /* CUSTOM_ + 248 x 'A' = 255 */
        { "CUSTOM_", false, false },  /* CUSTOM_ + 249 x 'A' = 256 */
    };
    size_t n = NELEM(cases);

    fill(cases[n - 4].name, 'A', 255);
    fill(cases[n - 3].name, 'A', 256);
    fill(cases[n - 2].name + 7, 'A', 248);
    fill(cases[n - 1].name + 7, 'A', 249);
    return cr_make_param_array(struct name_case, cases, n);
}

ParameterizedTest(struct name_case *c, inventory,
                  names_are_upper_case_digits_and_underscores_up_to_255)
{
    cr_assert(eq(int, inventory_is_valid_name(c->name), c->valid),
              "valid \"%s\" (%zu chars)", c->name, strlen(c->name));
    cr_assert(eq(int, inventory_is_custom_name(c->name), c->custom),
              "custom \"%s\" (%zu chars)", c->name, strlen(c->name));
}
