/*
 * test-guests.c - domains and their mdevs, read through libvirt's test driver.
 *
 * Suite guests_load talks to libvirt's own in-process test driver: the host
 * is a node XML under test/data/guests/ opened as test:///ABS/PATH (no mock
 * of libvirt).  The rescue case needs a domain whose live and persistent XML
 * differ, which a node file cannot say; it is built on test:///default,
 * whose state every connection of the process shares: a read-write
 * connection defines, starts and redefines the domain, then guests_load()
 * opens its own read-only connection and sees the result.  Every test of
 * that suite also checks that nothing reached stderr.  Suite guests_xml
 * feeds guests_parse_xml() odd and hostile documents directly.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libvirt/libvirt.h>

#include "fixture.h"
#include "guests.h"
#include "responder.h"
#include "testproc.h"
#include "xalloc.h"

#define WEB "4b1d7a0e-6f3c-4e5a-9d2b-8c7e1f0a3b21"
#define WEB_MDEV "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
#define BATCH "0c9e8d7f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
#define BATCH_MDEV1 "2f3e4d5c-6b7a-4890-a1b2-c3d4e5f60718"
#define BATCH_MDEV2 "f0e1d2c3-b4a5-4968-8776-655443322110"
#define PASSTHROUGH "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
#define BARE "d3c2b1a0-9f8e-4d7c-b6a5-948372615f4e"
#define SHARED_MDEV "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
#define RESCUED "6a1f0c3e-2b7d-4c59-9e84-3d2a1b0c9f77"
#define RESCUED_MDEV "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f"

static struct guests *gs;

static void
load(const char *uri)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, guests_load(uri, &gs, &eb), 0), "%s", eb.msg);
}

static void
load_node(const char *name)
{
    _cleanup_free_ char *rel = xasprintf("guests/%s", name);
    _cleanup_free_ char *uri = fixture_node_uri(rel);

    load(uri);
}

static void
free_guests(void)
{
    guests_free(gs);
    gs = NULL;
}

static const struct guest *
find(const char *uuid)
{
    const struct guest *g = guests_find(gs, uuid);

    cr_assert(g != NULL, "no domain %s", uuid);
    return g;
}

/* --- guests_load: the test driver ----------------------------------------- */

TestSuite(guests_load, .init = cr_redirect_stderr, .fini = free_guests);

Test(guests_load, lists_running_and_shut_off_domains_sorted_by_uuid)
{
    load_node("node.xml");
    cr_assert(eq(sz, gs->n, 4));
    cr_assert(eq(str, gs->v[0].uuid, BATCH));
    cr_assert(eq(str, gs->v[1].uuid, WEB));
    cr_assert(eq(str, gs->v[2].uuid, PASSTHROUGH));
    cr_assert(eq(str, gs->v[3].uuid, BARE));
    cr_assert(eq(str, gs->v[0].name, "batch"));
    cr_assert(eq(str, gs->v[1].name, "web"));
    cr_assert(not(gs->v[0].active));
    cr_assert(gs->v[1].active);
    cr_assert(gs->v[2].active);
    cr_assert(not(gs->v[3].active));
    cr_assert(eq(sz, gs->warnings.n, 0), "%s", gs->warnings.v[0]);
    cr_assert_stderr_eq_str("");
}

Test(guests_load, running_domain_has_its_mdev_in_lower_case)
{
    const struct guest *g;

    load_node("node.xml");
    g = find(WEB);
    cr_assert(eq(sz, g->mdevs.n, 1));
    cr_assert(eq(str, g->mdevs.v[0], WEB_MDEV));
}

Test(guests_load, shut_off_domain_has_both_mdevs_sorted)
{
    const struct guest *g;

    load_node("node.xml");
    g = find(BATCH);
    cr_assert(eq(sz, g->mdevs.n, 2));
    cr_assert(eq(str, g->mdevs.v[0], BATCH_MDEV1));
    cr_assert(eq(str, g->mdevs.v[1], BATCH_MDEV2));
}

Test(guests_load, pci_hostdev_and_no_devices_mean_no_mdevs)
{
    load_node("node.xml");
    cr_assert(eq(sz, find(PASSTHROUGH)->mdevs.n, 0));
    cr_assert(eq(sz, find(BARE)->mdevs.n, 0));
}

Test(guests_load, a_pci_hostdev_is_a_pci_device_the_domain_references)
{
    load_node("node.xml");
    cr_assert(eq(sz, find(PASSTHROUGH)->pcidevs.n, 1));
    cr_assert(eq(str, find(PASSTHROUGH)->pcidevs.v[0], "0000:84:00.0"));
    cr_assert(
        eq(str, guests_find_pci(gs, "0000:84:00.0")->name, "passthrough"));
    cr_assert(guests_find_pci(gs, "0000:84:00.1") == NULL);
    cr_assert(eq(sz, find(WEB)->pcidevs.n, 0));
}

Test(guests_load, find_takes_either_case_and_misses_cleanly)
{
    load_node("node.xml");
    cr_assert(guests_find(gs, "4B1D7A0E-6F3C-4E5A-9D2B-8C7E1F0A3B21") ==
              find(WEB));
    cr_assert(guests_find(gs, "00000000-0000-4000-8000-000000000000") == NULL);
    cr_assert(guests_find(gs, "web") == NULL);
    cr_assert(guests_find(NULL, WEB) == NULL);
}

Test(guests_load, find_mdev_names_the_domain_that_references_it)
{
    load_node("node.xml");
    cr_assert(eq(str, guests_find_mdev(gs, WEB_MDEV)->name, "web"));
    cr_assert(eq(str, guests_find_mdev(gs, BATCH_MDEV2)->name, "batch"));
    cr_assert(eq(
        str, guests_find_mdev(gs, "F0E1D2C3-B4A5-4968-8776-655443322110")->name,
        "batch"));
    cr_assert(guests_find_mdev(gs, SHARED_MDEV) == NULL);
    cr_assert(guests_find_mdev(NULL, WEB_MDEV) == NULL);
}

Test(guests_load, mdev_of_two_domains_goes_to_the_running_one_with_a_warning)
{
    load_node("shared.xml");
    cr_assert(eq(sz, gs->n, 2));
    cr_assert(eq(str, gs->v[0].name, "old")); /* sorts first, shut off */
    cr_assert(eq(str, guests_find_mdev(gs, SHARED_MDEV)->name, "new"));
    cr_assert(eq(sz, gs->warnings.n, 1));
    cr_assert(eq(str, gs->warnings.v[0],
                 "mdev " SHARED_MDEV " is referenced by domains old "
                 "(11111111-2222-4333-8444-555555555555) and new "
                 "(eeeeeeee-dddd-4ccc-bbbb-aaaaaaaaaaaa)"));
}

Test(guests_load, host_without_domains_is_empty)
{
    load_node("empty.xml");
    cr_assert(eq(sz, gs->n, 0));
    cr_assert(guests_find(gs, WEB) == NULL);
    cr_assert(guests_find_mdev(gs, WEB_MDEV) == NULL);
}

Test(guests_load,
     missing_node_file_is_an_error_naming_the_uri_and_prints_nothing)
{
    _cleanup_free_ char *dir = fixture_data_path("guests");
    _cleanup_free_ char *uri = xasprintf("test://%s/nope.xml", dir);
    _cleanup_free_ char *want = xasprintf("%s: cannot connect: ", uri);
    struct errbuf eb = { 0 };

    gs = NULL;
    cr_assert(eq(int, guests_load(uri, &gs, &eb), -EIO));
    cr_assert(eq(ptr, gs, NULL));
    cr_assert(eq(int, strncmp(eb.msg, want, strlen(want)), 0), "%s", eb.msg);
    cr_assert(gt(sz, strlen(eb.msg), strlen(want)), "%s", eb.msg);
    cr_assert_stderr_eq_str("");
}

Test(guests_load, unknown_driver_is_an_error_naming_the_uri_and_prints_nothing)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, guests_load("nosuchdriver:///x", &gs, &eb), -EIO));
    cr_assert(
        eq(int, strncmp(eb.msg, "nosuchdriver:///x: cannot connect: ", 35), 0),
        "%s", eb.msg);
    cr_assert_stderr_eq_str("");
}

/* On test:///default (shared by the process's connections), define a domain
 * from xml_first, start it, then redefine it from xml_then: the live XML is
 * the first, the persistent one the second. */
static virConnectPtr
start_then_redefine(const char *xml_first, const char *xml_then)
{
    virConnectPtr c = virConnectOpen("test:///default");
    virDomainPtr d;

    cr_assert(c != NULL);
    d = virDomainDefineXML(c, xml_first);
    cr_assert(d != NULL);
    cr_assert(eq(int, virDomainCreate(d), 0));
    virDomainFree(d);
    d = virDomainDefineXML(c, xml_then);
    cr_assert(d != NULL);
    virDomainFree(d);
    return c; /* keep it open: closing the last one resets the driver */
}

#define RESCUED_XML(devices)                                                   \
    "<domain type='test'><name>rescued</name><uuid>" RESCUED "</uuid>"         \
    "<memory>1048576</memory><os><type>hvm</type></os>"                        \
    "<devices>" devices "</devices></domain>"
#define RESCUED_HOSTDEV                                                        \
    "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"          \
    "<address uuid='" RESCUED_MDEV "'/></source></hostdev>"

Test(guests_load, rescued_guest_keeps_the_mdev_its_live_xml_lacks)
{
    virConnectPtr c =
        start_then_redefine(RESCUED_XML(""), RESCUED_XML(RESCUED_HOSTDEV));
    const struct guest *g;

    load("test:///default");
    g = find(RESCUED);
    cr_assert(g->active);
    cr_assert(eq(sz, g->mdevs.n, 1));
    cr_assert(eq(str, g->mdevs.v[0], RESCUED_MDEV));
    cr_assert(eq(str, guests_find_mdev(gs, RESCUED_MDEV)->name, "rescued"));
    virConnectClose(c);
    cr_assert_stderr_eq_str("");
}

Test(guests_load, hot_plugged_mdev_only_in_the_live_xml_counts)
{
    virConnectPtr c =
        start_then_redefine(RESCUED_XML(RESCUED_HOSTDEV), RESCUED_XML(""));
    const struct guest *g;

    load("test:///default");
    g = find(RESCUED);
    cr_assert(eq(sz, g->mdevs.n, 1));
    cr_assert(eq(str, g->mdevs.v[0], RESCUED_MDEV));
    virConnectClose(c);
}

/* --- guests_parse_xml: one document, possibly hostile --------------------- */

static struct guest guest;
static struct strv warnings;

static void
clear_guest(void)
{
    guests_clear_guest(&guest);
    strv_clear(&warnings);
}

TestSuite(guests_xml, .fini = clear_guest);

#define DOMAIN(uuid, devices)                                                  \
    "<domain type='kvm'><name>vm1</name><uuid>" uuid "</uuid>"                 \
    "<devices>" devices "</devices></domain>"
#define MDEV(uuid)                                                             \
    "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"          \
    "<address uuid='" uuid "'/></source></hostdev>"

static int
parse(const char *xml, struct errbuf *eb)
{
    return guests_parse_xml(xml, strlen(xml), &guest, &warnings, eb);
}

static void
parse_ok(const char *xml)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, parse(xml, &eb), 0), "%s", eb.msg);
}

/* Fails with -EPROTO, a message containing want, and guest untouched. */
static void
parse_fails(const char *xml, size_t len, const char *want)
{
    struct errbuf eb = { 0 };

    cr_assert(
        eq(int, guests_parse_xml(xml, len, &guest, &warnings, &eb), -EPROTO));
    cr_assert(ne(ptr, strstr(eb.msg, want), NULL), "message: %s", eb.msg);
    cr_assert(eq(ptr, guest.name, NULL));
    cr_assert(eq(sz, guest.mdevs.n, 0));
}

Test(guests_xml, upper_case_uuids_are_normalized)
{
    parse_ok(DOMAIN("6A1F0C3E-2B7D-4C59-9E84-3D2A1B0C9F77",
                    MDEV("C2D3E4F5-A6B7-4C8D-9E0F-1A2B3C4D5E6F")));
    cr_assert(eq(str, guest.uuid, RESCUED));
    cr_assert(eq(str, guest.name, "vm1"));
    cr_assert(not(guest.active));
    cr_assert(eq(sz, guest.mdevs.n, 1));
    cr_assert(eq(str, guest.mdevs.v[0], RESCUED_MDEV));
}

Test(guests_xml, malformed_mdev_uuid_is_skipped_with_a_warning)
{
    parse_ok(DOMAIN(RESCUED, MDEV("not-a-uuid") MDEV(RESCUED_MDEV)
                                 MDEV("c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6")));
    cr_assert(eq(sz, guest.mdevs.n, 1));
    cr_assert(eq(str, guest.mdevs.v[0], RESCUED_MDEV));
    cr_assert(eq(sz, warnings.n, 2));
    cr_assert(eq(str, warnings.v[0],
                 "domain vm1 (" RESCUED "): mdev hostdev uuid 'not-a-uuid' "
                 "is not a UUID; skipped"));
}

Test(guests_xml, an_mdev_uuid_that_is_a_path_is_skipped_with_a_warning)
{
    /* 36 bytes, like a UUID: only uuid_parse() tells them apart */
    parse_ok(DOMAIN(RESCUED, MDEV("../../../../../../etc/passwd/x/y/zzz")
                                 MDEV(RESCUED_MDEV)));
    cr_assert(eq(sz, guest.mdevs.n, 1));
    cr_assert(eq(str, guest.mdevs.v[0], RESCUED_MDEV));
    cr_assert(eq(sz, warnings.n, 1));
    cr_assert(ne(ptr, strstr(warnings.v[0], "is not a UUID; skipped"), NULL),
              "%s", warnings.v[0]);
}

Test(guests_xml, mdev_without_address_is_skipped_with_a_warning)
{
    parse_ok(DOMAIN(RESCUED, "<hostdev mode='subsystem' type='mdev'>"
                             "<source/></hostdev>"));
    cr_assert(eq(sz, guest.mdevs.n, 0));
    cr_assert(eq(sz, warnings.n, 1));
    cr_assert(ne(ptr, strstr(warnings.v[0], "without <source><address"), NULL),
              "%s", warnings.v[0]);
}

Test(guests_xml, hostile_value_is_quoted_short_and_printable)
{
    char long_value[300];

    memset(long_value, 'x', sizeof(long_value) - 1);
    long_value[sizeof(long_value) - 1] = '\0';
    _cleanup_free_ char *xml = xasprintf(
        DOMAIN(RESCUED, MDEV("a&#10;b&#9;c\xc3\xa9") MDEV("%s")), long_value);

    parse_ok(xml);
    cr_assert(eq(sz, warnings.n, 2));
    cr_assert(ne(ptr,
                 strstr(warnings.v[0], "'a?b?c?"
                                       "?'"),
                 NULL),
              "%s", warnings.v[0]);
    cr_assert(lt(sz, strlen(warnings.v[1]), 200), "%s", warnings.v[1]);
    cr_assert(ne(ptr, strstr(warnings.v[1], "xxx...'"), NULL), "%s",
              warnings.v[1]);
}

Test(guests_xml, only_subsystem_mdev_hostdevs_count_and_duplicates_collapse)
{
    parse_ok(DOMAIN(RESCUED,
                    "<hostdev mode='capabilities' type='mdev'><source>"
                    "<address uuid='" WEB_MDEV "'/></source></hostdev>"
                    "<hostdev mode='subsystem' type='pci'><source>"
                    "<address uuid='" BATCH_MDEV1 "'/></source></hostdev>"
                    "<disk><source><address uuid='" BATCH_MDEV2 "'/>"
                    "</source></disk>" MDEV(RESCUED_MDEV) MDEV(RESCUED_MDEV)));
    cr_assert(eq(sz, guest.mdevs.n, 1));
    cr_assert(eq(str, guest.mdevs.v[0], RESCUED_MDEV));
    cr_assert(eq(sz, warnings.n, 0));
}

#define PCI(d, b, s, f)                                                        \
    "<hostdev mode='subsystem' type='pci' managed='no'><driver name='vfio'/>"  \
    "<source><address domain='" d "' bus='" b "' slot='" s "' function='" f    \
    "'/></source></hostdev>"

Test(guests_xml, pci_hostdevs_read_as_the_kernel_spells_their_address)
{
    parse_ok(DOMAIN(RESCUED, PCI("0x0000", "0x41", "0x00", "0x5")
                                 PCI("0x0001", "0x4", "0x0", "0x2")
                                     PCI("0", "65", "1", "6")
                                         PCI("0x0000", "0x41", "0x00", "0x5")));
    cr_assert(eq(sz, guest.pcidevs.n, 3));
    cr_assert(eq(str, guest.pcidevs.v[0], "0000:41:00.5"));
    cr_assert(eq(str, guest.pcidevs.v[1], "0000:41:01.6"));
    cr_assert(eq(str, guest.pcidevs.v[2], "0001:04:00.2"));
    cr_assert(eq(sz, guest.mdevs.n, 0));
}

Test(guests_xml, a_pci_hostdev_without_a_valid_address_is_skipped_quietly)
{
    parse_ok(DOMAIN(
        RESCUED,
        PCI("0x0000", "0x41", "0x20", "0x0")
            PCI("0x0000", "0x41", "0x00", "0x8")
                PCI("0x0000", "0x141", "0x00", "0x0") PCI("0x0000", "-1",
                                                          "0x00", "0x0")
                    PCI("x", "0x41", "0x00",
                        "0x0") "<hostdev mode='subsystem' type='pci'><source/>"
                               "</hostdev>"));
    cr_assert(eq(sz, guest.pcidevs.n, 0));
    cr_assert(eq(sz, warnings.n, 0));
}

Test(guests_xml, null_warnings_drop_them)
{
    const char *xml = DOMAIN(RESCUED, MDEV("bad"));
    struct errbuf eb = { 0 };

    cr_assert(
        eq(int, guests_parse_xml(xml, strlen(xml), &guest, NULL, &eb), 0));
    cr_assert(eq(sz, guest.mdevs.n, 0));
}

Test(guests_xml, length_not_nul_decides_where_the_document_ends)
{
    const char *xml = DOMAIN(RESCUED, "") "<garbage";
    struct errbuf eb = { 0 };

    cr_assert(eq(int,
                 guests_parse_xml(xml, strlen(xml) - 8, &guest, &warnings, &eb),
                 0),
              "%s", eb.msg);
    cr_assert(eq(str, guest.uuid, RESCUED));
}

Test(guests_xml, billion_laughs_is_refused_at_the_doctype, .timeout = 10)
{
    const char *xml =
        "<?xml version='1.0'?>\n"
        "<!DOCTYPE domain [\n"
        " <!ENTITY a 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'>\n"
        " <!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>\n"
        " <!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>\n"
        " <!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>\n"
        " <!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>\n"
        " <!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>\n"
        " <!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>\n"
        "]>\n" DOMAIN(RESCUED, "<hostdev mode='subsystem' type='mdev'>"
                               "<source><address uuid='&g;'/></source>"
                               "</hostdev>");

    parse_fails(xml, strlen(xml), "DOCTYPE not allowed");
    cr_assert(eq(sz, warnings.n, 0));
}

/* guests_parse_xml() of xml in a thread of its own, so that a parse
 * blocked in a read can be noticed. */
struct entity_parse {
    const char *xml;
    atomic_bool done;
    int rc;
    struct errbuf eb;
};

static void *
parse_in_thread(void *arg)
{
    struct entity_parse *p = arg;

    p->rc = guests_parse_xml(p->xml, strlen(p->xml), &guest, &warnings, &p->eb);
    atomic_store(&p->done, true);
    return NULL;
}

/* The entities name a FIFO nobody writes to, whose read would block the
 * parse for good, and a listener that would see a connection: the parse
 * must return, refused, with the listener never contacted. */
Test(guests_xml, external_entity_is_refused_and_never_read)
{
    _cleanup_free_ char *dir = fixture_tmpdir();
    _cleanup_free_ char *fifo = xasprintf("%s/secret", dir);
    _cleanup_(responder_stopp) struct responder *web = responder_listen();
    _cleanup_free_ char *xml = NULL;
    struct entity_parse p = { 0 };
    pthread_t t;

    cr_assert(eq(int, mkfifo(fifo, 0600), 0), "%s: %s", fifo, strerror(errno));
    xml = xasprintf("<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://%s'>"
                    "<!ENTITY y SYSTEM '%s/x'>]>"
                    "<domain><name>&x;&y;</name><uuid>" RESCUED "</uuid>"
                    "</domain>",
                    fifo, responder_url(web));
    p.xml = xml;
    cr_assert(eq(int, pthread_create(&t, NULL, parse_in_thread, &p), 0));
    for (int waited = 0; !atomic_load(&p.done) && waited < 10000; waited += 10)
        testproc_sleep_ms(10);
    cr_assert(atomic_load(&p.done), "the parse is blocked reading %s", fifo);
    pthread_join(t, NULL);
    cr_assert(eq(int, p.rc, -EPROTO));
    cr_assert(ne(ptr, strstr(p.eb.msg, "DOCTYPE not allowed"), NULL),
              "message: %s", p.eb.msg);
    cr_assert(eq(ptr, guest.name, NULL));
    cr_assert(eq(sz, guest.mdevs.n, 0));
    cr_assert(not(responder_contacted(web)), "the parser fetched %s/x",
              responder_url(web));
    fixture_rm_rf(dir);
}

Test(guests_xml, external_dtd_is_refused)
{
    const char *xml = "<!DOCTYPE domain SYSTEM 'http://127.0.0.1:9/d.dtd'>"
                      "<domain><name>a</name><uuid>" RESCUED "</uuid></domain>";

    parse_fails(xml, strlen(xml), "DOCTYPE not allowed");
}

Test(guests_xml, truncated_xml_is_an_error_with_a_line_and_prints_nothing,
     .init = cr_redirect_stderr)
{
    const char *xml = DOMAIN(RESCUED, MDEV(RESCUED_MDEV));

    parse_fails(xml, strlen(xml) / 2, "domain XML: line 1: ");
    parse_fails("", 0, "domain XML: ");
    parse_fails("<domain><name>a</name><uuid>" RESCUED "</uuid></domain>"
                "<second/>",
                strlen("<domain><name>a</name><uuid>" RESCUED "</uuid>"
                       "</domain><second/>"),
                "line 1: ");
    cr_assert_stderr_eq_str("");
}

Test(guests_xml, documents_that_are_not_domains_are_errors)
{
    const char *no_uuid = "<domain><name>a</name></domain>";
    const char *bad_uuid = "<domain><name>a</name><uuid>1234</uuid></domain>";
    const char *no_name = "<domain><uuid>" RESCUED "</uuid></domain>";
    const char *other = "<network><name>a</name></network>";
    const char *ns = "<x:domain xmlns:x='urn:x'><name>a</name><uuid>" RESCUED
                     "</uuid></x:domain>";

    parse_fails(no_uuid, strlen(no_uuid), "no <uuid>");
    parse_fails(bad_uuid, strlen(bad_uuid), "<uuid> '1234': not a UUID");
    parse_fails(no_name, strlen(no_name), "no <name>");
    parse_fails(other, strlen(other), "root is not <domain>");
    parse_fails(ns, strlen(ns), "root is not <domain>");
}

Test(guests_xml, oversized_document_is_efbig)
{
    size_t len = GUESTS_XML_MAX + 1;
    _cleanup_free_ char *xml = xmalloc(len);
    struct errbuf eb = { 0 };

    memset(xml, ' ', len);
    cr_assert(
        eq(int, guests_parse_xml(xml, len, &guest, &warnings, &eb), -EFBIG));
    cr_assert(ne(ptr, strstr(eb.msg, "over"), NULL), "%s", eb.msg);
}
