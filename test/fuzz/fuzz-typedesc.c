/*
 * fuzz-typedesc.c - the parsers of sysfs text that need no directory tree:
 * the vendor type description (typedesc_parse), PCI addresses as the kernel
 * names parents and physfn links (pci_addr_parse), available_instances and
 * other numbers (parse_uint), and the escaping that quotes any of them in a
 * message (sysfs_escape).
 *
 * Each parser's output is checked against what it promises: an address
 * formats back to a string that parses to the same address, a number prints
 * back to itself, an escaped string is printable ASCII.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parse.h"
#include "pciaddr.h"
#include "sysfs.h"
#include "typedesc.h"
#include "xalloc.h"

static void
check_typedesc(const char *s)
{
    struct type_desc d;

    typedesc_parse(s, &d);
    for (size_t i = 0; i < d.pairs.n; i++)
        if (strchr(d.pairs.v[i], '=') == NULL)
            abort(); /* every pair is "key=value" */
    if ((d.max_res_w == 0) != (d.max_res_h == 0))
        abort(); /* a resolution is both or neither */
    typedesc_clear(&d);
}

static void
check_pci_addr(const char *s)
{
    struct pci_addr a, b;
    char buf[PCI_ADDR_STR_MAX], rp[PCI_ADDR_STR_MAX];

    if (pci_addr_parse(s, &a) < 0)
        return;
    if (a.domain > 0xffff || a.bus > 0xff || a.slot > 0x1f || a.func > 7)
        abort();
    if (pci_addr_parse(pci_addr_format(&a, buf), &b) < 0 ||
        pci_addr_cmp(&a, &b) != 0 || strlen(pci_addr_format_rp(&a, rp)) != 12)
        abort(); /* the canonical form round-trips */
}

static void
check_uint(const char *s)
{
    unsigned long v, again;
    char buf[32];

    if (parse_uint(s, UINT_MAX, &v) < 0)
        return;
    snprintf(buf, sizeof(buf), "%lu", v);
    if (v > UINT_MAX || parse_uint(buf, UINT_MAX, &again) < 0 || again != v)
        abort();
}

static void
check_escape(const char *s)
{
    char *q = sysfs_escape(s, 64);

    for (const char *p = q; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            abort(); /* safe to quote in a message */
    free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xstrndup((const char *)data, size);
    double d;
    bool b;

    check_typedesc(s);
    check_pci_addr(s);
    check_uint(s);
    check_escape(s);
    (void)!parse_double(s, &d);
    (void)!parse_bool(s, &b);
    free(s);
    return 0;
}
