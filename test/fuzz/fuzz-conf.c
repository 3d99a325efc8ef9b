/*
 * fuzz-conf.c - the agent's YAML configuration (conf_load_buf) on any bytes.
 *
 * A loaded config is also walked field by field so that a value the loader
 * accepted but left half-built shows up here and not in `run`.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "strv.h"

static size_t
touch(const char *s)
{
    return s ? strlen(s) : 0;
}

static void
walk(const struct conf *c)
{
    size_t sum = touch(c->node_name) + touch(c->node_uuid) +
                 touch(c->sysfs_root) + touch(c->placement.endpoint) +
                 touch(c->lock_file) + touch(c->reconcile.persist);

    for (size_t i = 0; i < c->n_types; i++) {
        const struct conf_type *t = &c->types[i];

        sum += touch(t->id) + touch(t->mdev_class);
        for (size_t j = 0; j < t->parents.n; j++)
            sum += touch(t->parents.v[j]);
        for (size_t j = 0; j < t->traits.n; j++)
            sum += touch(t->traits.v[j]);
        if (t->n_addresses > t->parents.n)
            abort(); /* the PCI addresses are among the parents */
        if (conf_find_type(c, t->id) == NULL)
            abort(); /* every loaded type can be found by its id */
    }
    for (size_t i = 0; i < c->enabled_mdev_types.n; i++)
        sum += touch(c->enabled_mdev_types.v[i]);
    (void)sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf *c = NULL;
    struct strv errors = { 0 };

    if (conf_load_buf("fuzz.yaml", (const char *)data, size, &c, &errors) ==
        0) {
        if (errors.n != 0)
            abort(); /* success reports no error */
        walk(c);
    } else if (errors.n == 0) {
        abort(); /* failure says why */
    }
    conf_free(c);
    strv_clear(&errors);
    return 0;
}
