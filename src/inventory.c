/*
 * inventory.c - Placement inventory records and resource class names.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "xalloc.h"

void
inventory_init(struct inventory *inv, const char *rc, long total)
{
    inv->rc = xstrdup(rc);
    inv->total = total;
    inv->reserved = 0;
    inv->min_unit = 1;
    inv->max_unit = total;
    inv->step_size = 1;
    inv->allocation_ratio = 1.0;
}

void
inventory_clear(struct inventory *inv)
{
    free(inv->rc);
    inv->rc = NULL;
}

int
inventory_cmp_rc(const void *a, const void *b)
{
    const struct inventory *x = a, *y = b;

    return strcmp(x->rc, y->rc);
}

/* Python's json (and so Placement) writes 1.0, not cJSON's 1. */
static cJSON *
ratio_json(double v)
{
    char buf[64];

    if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, sizeof(buf), "%.1f", v);
    else
        snprintf(buf, sizeof(buf), "%.17g", v);
    return cJSON_CreateRaw(buf);
}

cJSON *
inventory_to_json(const struct inventory *invs, size_t n)
{
    cJSON *map = cJSON_CreateObject();

    for (size_t i = 0; i < n; i++) {
        const struct inventory *v = &invs[i];
        cJSON *o = cJSON_AddObjectToObject(map, v->rc);

        cJSON_AddNumberToObject(o, "total", (double)v->total);
        cJSON_AddNumberToObject(o, "reserved", (double)v->reserved);
        cJSON_AddNumberToObject(o, "min_unit", (double)v->min_unit);
        cJSON_AddNumberToObject(o, "max_unit", (double)v->max_unit);
        cJSON_AddNumberToObject(o, "step_size", (double)v->step_size);
        cJSON_AddItemToObject(o, "allocation_ratio",
                              ratio_json(v->allocation_ratio));
    }
    return map;
}

bool
inventory_is_valid_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 255)
        return false;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == len;
}

bool
inventory_is_custom_name(const char *name)
{
    return strncmp(name, "CUSTOM_", 7) == 0 && name[7] != '\0' &&
           inventory_is_valid_name(name);
}
