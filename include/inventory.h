/*
 * inventory.h - one Placement inventory record, as Placement spells it.
 *
 * The tree, sync and the Placement client all hold inventories sorted by
 * resource class (inventory_cmp_rc), and `dump` and the PUT body both
 * write them with inventory_to_json(), so what `dump` prints compares
 * field by field with what Placement holds.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct inventory {
    char *rc; /* resource class: "VGPU", "CUSTOM_..." */
    long total;
    long reserved;
    long min_unit;
    long max_unit;
    long step_size;
    double allocation_ratio;
};

/* The record the agent reports for `total` units: {total, reserved 0,
 * min_unit 1, max_unit total, step_size 1, allocation_ratio 1.0}. */
void inventory_init(struct inventory *inv, const char *rc, long total);
void inventory_clear(struct inventory *inv);

/* qsort()/bsearch() order of struct inventory: by resource class. */
int inventory_cmp_rc(const void *a, const void *b);

/* invs[0..n) as Placement's "inventories" object, {RC: {"total",
 * "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio"}},
 * allocation_ratio as Placement (Python's json) writes it: 1.0, not 1.
 * The caller owns the object (cJSON_Delete()). */
cJSON *inventory_to_json(const struct inventory *invs, size_t n);

/* Placement's naming rules: ^[A-Z0-9_]+$, at most 255 characters. */
bool inventory_is_valid_name(const char *name);
/* CUSTOM_[A-Z0-9_]+ */
bool inventory_is_custom_name(const char *name);
