/*
 * fuzz-provconf.c - a provider config file (provconf_load_buf) on any bytes.
 *
 * The text is loaded twice into one config: the second load must find every
 * provider of the first a duplicate and add nothing, which exercises the
 * duplicate lookup against entries the fuzzer built.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "provconf.h"
#include "strv.h"

static void
walk(const struct provconf *pc)
{
    size_t sum = 0;

    for (size_t i = 0; i < pc->n_entries; i++) {
        const struct provconf_entry *e = &pc->entries[i];

        if ((e->ident == NULL) != (e->by == PROVCONF_COMPUTE_NODE))
            abort(); /* only $COMPUTE_NODE has no identifier */
        sum += strlen(e->where) + (e->ident ? strlen(e->ident) : 0);
        for (size_t j = 0; j < e->n_invs; j++)
            sum += strlen(e->invs[j].rc);
        for (size_t j = 0; j < e->traits.n; j++)
            sum += strlen(e->traits.v[j]);
    }
    (void)sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct provconf *pc = provconf_new();
    struct strv errors = { 0 };
    size_t n;
    int r;

    r = provconf_load_buf(pc, "fuzz.yaml", (const char *)data, size, &errors);
    if ((r < 0) != (errors.n > 0))
        abort(); /* an error is reported exactly when one is returned */
    walk(pc);
    n = pc->n_entries;
    strv_clear(&errors);
    r = provconf_load_buf(pc, "again.yaml", (const char *)data, size, &errors);
    if (pc->n_entries != n || (r == 0 && n > 0))
        abort(); /* everything is a duplicate now */
    provconf_free(pc);
    strv_clear(&errors);
    return 0;
}
