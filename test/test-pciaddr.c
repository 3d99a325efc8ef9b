/*
 * test-pciaddr.c - "dddd:bb:ss.f" in, canonical and Nova spellings out.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "fixture.h"
#include "pciaddr.h"

struct parse_case {
    char s[24];
    int r;
    unsigned domain, bus, slot, func; /* when r == 0 */
};

ParameterizedTestParameters(
    pciaddr, parse_takes_exact_widths_and_range_checks_each_field)
{
    static struct parse_case cases[] = {
        { "0000:84:00.0", 0, 0x0000, 0x84, 0x00, 0 },
        { "0000:3b:00.1", 0, 0x0000, 0x3b, 0x00, 1 },
        { "0000:3B:00.1", 0, 0x0000, 0x3b, 0x00, 1 }, /* upper case */
        { "ABCD:EF:1F.7", 0, 0xabcd, 0xef, 0x1f, 7 },
        { "ffff:ff:1f.7", 0, 0xffff, 0xff, 0x1f, 7 }, /* every maximum */
        { "0000:84:00.8", -EINVAL },                  /* function > 7 */
        { "0000:84:00.f", -EINVAL },
        { "0000:84:20.0", -EINVAL }, /* slot > 0x1f */
        { "0000:84:ff.0", -EINVAL },
        { "", -EINVAL },
        { "84:00.0", -EINVAL },        /* no domain */
        { "000:84:00.0", -EINVAL },    /* short domain */
        { "00000:84:00.0", -EINVAL },  /* long domain */
        { "0000:084:00.0", -EINVAL },  /* long bus */
        { "0000:84:0.0", -EINVAL },    /* short slot */
        { "0000:84:00.00", -EINVAL },  /* long function */
        { "0000:84:00.0\n", -EINVAL }, /* trailing junk */
        { "0000:84:00.0 ", -EINVAL },
        { " 0000:84:00.", -EINVAL }, /* right length, wrong places */
        { "0000:84:00:0", -EINVAL },
        { "0000.84:00.0", -EINVAL },
        { "0000_84_00_0", -EINVAL }, /* Nova's spelling is output only */
        { "g000:84:00.0", -EINVAL },
        { "0000:8x:00.0", -EINVAL },
        { "+000:84:00.0", -EINVAL },
        { "0000:-1:00.0", -EINVAL },
        { "0000:84:00.-", -EINVAL },
    };

    return cr_make_param_array(struct parse_case, cases, NELEM(cases));
}

ParameterizedTest(struct parse_case *c, pciaddr,
                  parse_takes_exact_widths_and_range_checks_each_field)
{
    struct pci_addr a = { 1, 2, 3, 4 };

    cr_assert(eq(int, pci_addr_parse(c->s, &a), c->r), "input \"%s\"", c->s);
    if (c->r == 0) {
        cr_assert(eq(u32, a.domain, c->domain), "input \"%s\"", c->s);
        cr_assert(eq(u32, a.bus, c->bus), "input \"%s\"", c->s);
        cr_assert(eq(u32, a.slot, c->slot), "input \"%s\"", c->s);
        cr_assert(eq(u32, a.func, c->func), "input \"%s\"", c->s);
    } else {
        /* *ret is written only on success */
        cr_assert(eq(u32, a.domain, 1));
        cr_assert(eq(u32, a.bus, 2));
        cr_assert(eq(u32, a.slot, 3));
        cr_assert(eq(u32, a.func, 4));
    }
}

Test(pciaddr, parse_of_null_is_einval)
{
    struct pci_addr a;

    cr_assert(eq(int, pci_addr_parse(NULL, &a), -EINVAL));
}

Test(pciaddr, format_is_canonical_lower_case)
{
    struct pci_addr a;
    char buf[PCI_ADDR_STR_MAX];

    cr_assert(eq(int, pci_addr_parse("ABCD:EF:1F.7", &a), 0));
    cr_assert(eq(str, pci_addr_format(&a, buf), "abcd:ef:1f.7"));
    cr_assert(eq(ptr, pci_addr_format(&a, buf), buf));
}

Test(pciaddr, format_pads_every_field)
{
    struct pci_addr a = { 0, 4, 2, 1 };
    char buf[PCI_ADDR_STR_MAX];

    cr_assert(eq(str, pci_addr_format(&a, buf), "0000:04:02.1"));
}

Test(pciaddr, format_rp_is_novas_provider_suffix)
{
    struct pci_addr a;
    char buf[PCI_ADDR_STR_MAX];

    cr_assert(eq(int, pci_addr_parse("0000:84:00.0", &a), 0));
    cr_assert(eq(str, pci_addr_format_rp(&a, buf), "0000_84_00_0"));
    cr_assert(eq(int, pci_addr_parse("FFFF:FF:1F.7", &a), 0));
    cr_assert(eq(str, pci_addr_format_rp(&a, buf), "ffff_ff_1f_7"));
}

Test(pciaddr, parse_then_format_round_trips)
{
    static char addrs[][PCI_ADDR_STR_MAX] = { "0000:00:00.0", "0000:84:00.0",
                                              "0001:3b:1f.7", "ffff:ff:1f.7" };

    for (size_t i = 0; i < NELEM(addrs); i++) {
        struct pci_addr a;
        char buf[PCI_ADDR_STR_MAX];

        cr_assert(eq(int, pci_addr_parse(addrs[i], &a), 0), "%s", addrs[i]);
        cr_assert(eq(str, pci_addr_format(&a, buf), addrs[i]));
    }
}

static int
cmp_str(const char *x, const char *y)
{
    struct pci_addr a, b;

    cr_assert(eq(int, pci_addr_parse(x, &a), 0), "%s", x);
    cr_assert(eq(int, pci_addr_parse(y, &b), 0), "%s", y);
    return pci_addr_cmp(&a, &b);
}

Test(pciaddr, cmp_orders_by_domain_then_bus_then_slot_then_function)
{
    cr_assert(eq(int, cmp_str("0000:84:00.0", "0000:84:00.0"), 0));
    cr_assert(eq(int, cmp_str("0000:84:00.0", "0000:84:00.1"), -1));
    cr_assert(eq(int, cmp_str("0000:84:00.1", "0000:84:00.0"), 1));
    cr_assert(eq(int, cmp_str("0000:84:00.7", "0000:84:01.0"), -1));
    cr_assert(eq(int, cmp_str("0000:84:1f.7", "0000:85:00.0"), -1));
    cr_assert(eq(int, cmp_str("0000:ff:1f.7", "0001:00:00.0"), -1));
    cr_assert(eq(int, cmp_str("0001:00:00.0", "0000:ff:1f.7"), 1));
    /* numeric, not textual: 0x3b < 0x84 */
    cr_assert(eq(int, cmp_str("0000:3b:00.0", "0000:84:00.0"), -1));
}

static int
qsort_cmp(const void *a, const void *b)
{
    return pci_addr_cmp(a, b);
}

Test(pciaddr, cmp_sorts_an_array_into_address_order)
{
    struct pci_addr v[] = {
        { 0, 0x84, 0, 1 },
        { 1, 0, 0, 0 },
        { 0, 0x3b, 0, 0 },
        { 0, 0x84, 0, 0 },
    };
    char buf[PCI_ADDR_STR_MAX];

    qsort(v, NELEM(v), sizeof(*v), qsort_cmp);
    cr_assert(eq(str, pci_addr_format(&v[0], buf), "0000:3b:00.0"));
    cr_assert(eq(str, pci_addr_format(&v[1], buf), "0000:84:00.0"));
    cr_assert(eq(str, pci_addr_format(&v[2], buf), "0000:84:00.1"));
    cr_assert(eq(str, pci_addr_format(&v[3], buf), "0001:00:00.0"));
}
