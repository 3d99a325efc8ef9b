/*
 * inventory.c - Placement inventory records and resource class names.
 */
#include "config.h"

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
