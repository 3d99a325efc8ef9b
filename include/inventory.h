/*
 * inventory.h - one Placement inventory record, as Placement spells it.
 */
#pragma once

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

/* Placement's naming rules: ^[A-Z0-9_]+$, at most 255 characters. */
#include <stdbool.h>
bool inventory_is_valid_name(const char *name);
/* CUSTOM_[A-Z0-9_]+ */
bool inventory_is_custom_name(const char *name);
