/*
 * pciaddr.c - PCI address parsing and formatting.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pciaddr.h"

static int
hexfield(const char *s, size_t len, unsigned max, unsigned *ret)
{
    unsigned v = 0;

    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return -EINVAL;
        v = v * 16 + (unsigned)(isdigit((unsigned char)s[i])
                                    ? s[i] - '0'
                                    : tolower((unsigned char)s[i]) - 'a' + 10);
    }
    if (v > max)
        return -EINVAL;
    *ret = v;
    return 0;
}

int
pci_addr_parse(const char *s, struct pci_addr *ret)
{
    struct pci_addr a;

    /* dddd:bb:ss.f is exactly 12 characters */
    if (!s || strlen(s) != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.')
        return -EINVAL;
    if (hexfield(s, 4, 0xffff, &a.domain) < 0 ||
        hexfield(s + 5, 2, 0xff, &a.bus) < 0 ||
        hexfield(s + 8, 2, 0x1f, &a.slot) < 0 ||
        hexfield(s + 11, 1, 0x7, &a.func) < 0)
        return -EINVAL;
    *ret = a;
    return 0;
}

char *
pci_addr_format(const struct pci_addr *a, char buf[PCI_ADDR_STR_MAX])
{
    snprintf(buf, PCI_ADDR_STR_MAX, "%04x:%02x:%02x.%x", a->domain, a->bus,
             a->slot, a->func);
    return buf;
}

char *
pci_addr_format_rp(const struct pci_addr *a, char buf[PCI_ADDR_STR_MAX])
{
    snprintf(buf, PCI_ADDR_STR_MAX, "%04x_%02x_%02x_%x", a->domain, a->bus,
             a->slot, a->func);
    return buf;
}

int
pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b)
{
    if (a->domain != b->domain)
        return a->domain < b->domain ? -1 : 1;
    if (a->bus != b->bus)
        return a->bus < b->bus ? -1 : 1;
    if (a->slot != b->slot)
        return a->slot < b->slot ? -1 : 1;
    if (a->func != b->func)
        return a->func < b->func ? -1 : 1;
    return 0;
}

int
pci_device_cmp(bool a_pci, const struct pci_addr *a, const char *a_name,
               bool b_pci, const struct pci_addr *b, const char *b_name)
{
    int c;

    if (a_pci != b_pci)
        return a_pci ? -1 : 1;
    if (a_pci && (c = pci_addr_cmp(a, b)) != 0)
        return c;
    return strcmp(a_name, b_name);
}
