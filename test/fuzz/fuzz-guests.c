/*
 * fuzz-guests.c - a libvirt domain XML (guests_parse_xml) on any bytes.
 *
 * The XML comes from libvirt, which is trusted less than it could be: the
 * parser must refuse DOCTYPEs and never reach for the network, and a
 * domain it accepts has a UUID and its mdev references sorted and unique.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "guests.h"
#include "strv.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct guest g = { 0 };
    struct strv warnings = { 0 };
    struct errbuf eb = { 0 };
    int r;

    r = guests_parse_xml((const char *)data, size, &g, &warnings, &eb);
    if (r > 0 || (r < 0 && eb.msg[0] == '\0'))
        abort();
    if (r == 0 && (strlen(g.uuid) != 36 || !g.name))
        abort();
    for (size_t i = 1; i < g.mdevs.n; i++)
        if (strcmp(g.mdevs.v[i - 1], g.mdevs.v[i]) >= 0)
            abort(); /* sorted, unique */
    guests_clear_guest(&g);
    strv_clear(&warnings);
    return 0;
}
