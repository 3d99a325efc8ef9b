/*
 * pciaddr.h - PCI addresses: "0000:84:00.0" <-> struct, and Nova's names.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct pci_addr {
    unsigned domain; /* 16 bits */
    unsigned bus;    /* 8 bits */
    unsigned slot;   /* 5 bits */
    unsigned func;   /* 3 bits */
};

/* "dddd:bb:ss.f" with exactly those widths, hex in either case.
 * Returns 0 or -EINVAL. */
int pci_addr_parse(const char *s, struct pci_addr *ret)
    __attribute__((warn_unused_result));

#define PCI_ADDR_STR_MAX 13 /* "0000:84:00.0" + NUL */
/* Canonical lower-case "0000:84:00.0"; returns buf. */
char *pci_addr_format(const struct pci_addr *a, char buf[PCI_ADDR_STR_MAX]);
/* Nova's provider-name suffix: "0000_84_00_0"; returns buf. */
char *pci_addr_format_rp(const struct pci_addr *a, char buf[PCI_ADDR_STR_MAX]);
/* Orders by domain, bus, slot, function (address order). */
int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b);
/* The order of devices everywhere: PCI functions first, in address order;
 * other devices (addr ignored) after, by name. */
int pci_device_cmp(bool a_pci, const struct pci_addr *a, const char *a_name,
                   bool b_pci, const struct pci_addr *b, const char *b_name);
