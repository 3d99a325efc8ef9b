/*
 * guests.c - libvirt domains and the mdev UUIDs and PCI devices they
 * reference.
 *
 * Two halves: guests_parse_xml() turns one domain XML into a struct guest
 * with libxml2, treating the text as hostile (no DOCTYPE, so no entities of
 * any kind, no network, no output); guests_load() asks libvirt for every
 * domain over a read-only connection and feeds their XML to it.  libvirt
 * and libxml2 both like to print errors themselves; here every error is
 * caught and handed up in an errbuf instead.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "guests.h"
#include "uuidstr.h"
#include "xalloc.h"

#define GUESTS_QUOTE_MAX 64 /* bytes of a hostile value quoted in a warning */

/* --- small helpers -------------------------------------------------------- */

/* A copy of s fit for a one-line message: at most GUESTS_QUOTE_MAX bytes,
 * anything but printable ASCII shown as '?'.  Caller frees. */
static char *
quote(const char *s)
{
    size_t n = strnlen(s, GUESTS_QUOTE_MAX + 1);
    char *q = xmalloc(n + 4);
    size_t i;

    for (i = 0; i < n && i < GUESTS_QUOTE_MAX; i++)
        q[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (n > GUESTS_QUOTE_MAX) {
        memcpy(q + i, "...", 3);
        i += 3;
    }
    q[i] = '\0';
    return q;
}

static void
xml_freep(xmlChar **p)
{
    xmlFree(*p);
}

static void
xml_doc_freep(xmlDoc **p)
{
    xmlFreeDoc(*p);
}

static void
xml_ctxt_freep(xmlParserCtxt **p)
{
    xmlFreeParserCtxt(*p);
}

/* --- one domain XML ------------------------------------------------------- */

static void
xml_quiet(void *data, xmlErrorPtr e)
{
    (void)data;
    (void)e;
}

/* SAX hook at "<!DOCTYPE": stop before the parser reads a single entity
 * declaration, so no expansion trick (billion laughs, external entities)
 * gets as far as the entity table. */
static void
xml_refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                   const xmlChar *system_id)
{
    xmlParserCtxt *ctxt = ctx;

    (void)name;
    (void)external_id;
    (void)system_id;
    ctxt->_private = ctxt; /* marker: the DOCTYPE is why parsing stopped */
    xmlStopParser(ctxt);
}

static int
xml_read(const char *xml, size_t len, xmlDoc **ret, struct errbuf *eb)
{
    _cleanup_(xml_ctxt_freep) xmlParserCtxt *ctxt = NULL;
    const xmlError *e;
    xmlDoc *doc;
    bool doctype;
    size_t n;

    if (len > GUESTS_XML_MAX)
        return errbuf_set(eb, -EFBIG, "domain XML: %zu bytes, over %u", len,
                          GUESTS_XML_MAX);
    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return errbuf_set(eb, -ENOMEM, "domain XML: out of memory");
    ctxt->sax->internalSubset = xml_refuse_doctype;
    ctxt->sax->serror = xml_quiet; /* beats any global handler */
    /* No XML_PARSE_NOENT (entity substitution) or _DTDLOAD; NONET forbids
     * fetching anything; NOERROR/NOWARNING keep stderr clean. */
    doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING);
    doctype = ctxt->_private || (doc && xmlGetIntSubset(doc));
    if (doc && !doctype) {
        *ret = doc;
        return 0;
    }
    xmlFreeDoc(doc);
    if (doctype)
        return errbuf_set(eb, -EPROTO, "domain XML: DOCTYPE not allowed");
    e = xmlCtxtGetLastError(ctxt);
    if (!e || !e->message)
        return errbuf_set(eb, -EPROTO, "domain XML: not well-formed");
    n = strcspn(e->message, "\n");
    return errbuf_set(eb, -EPROTO, "domain XML: line %d: %.*s", e->line, (int)n,
                      e->message);
}

/* The first child element called name in no namespace, or NULL. */
static xmlNode *
child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !c->ns &&
            xmlStrEqual(c->name, (const xmlChar *)name))
            return c;
    return NULL;
}

static bool
attr_is(const xmlNode *n, const char *attr, const char *value)
{
    _cleanup_(xml_freep) xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);

    return v && xmlStrEqual(v, (const xmlChar *)value);
}

static int
read_identity(const xmlNode *root, struct guest *g, struct errbuf *eb)
{
    const xmlNode *uuid = child(root, "uuid");
    const xmlNode *name = child(root, "name");
    _cleanup_(xml_freep) xmlChar *u = uuid ? xmlNodeGetContent(uuid) : NULL;
    _cleanup_(xml_freep) xmlChar *s = name ? xmlNodeGetContent(name) : NULL;

    if (!s || !*s)
        return errbuf_set(eb, -EPROTO, "domain XML: no <name>");
    if (!u)
        return errbuf_set(eb, -EPROTO, "domain XML: no <uuid>");
    if (uuidstr_lower((const char *)u, g->uuid) < 0) {
        _cleanup_free_ char *q = quote((const char *)u);

        return errbuf_set(eb, -EPROTO, "domain XML: <uuid> '%s': not a UUID",
                          q);
    }
    g->name = xstrdup((const char *)s);
    return 0;
}

/* The UUID of one <hostdev mode='subsystem' type='mdev'>, or a warning. */
static void
read_mdev(const xmlNode *hostdev, struct guest *g, struct strv *warnings)
{
    const xmlNode *src = child(hostdev, "source");
    const xmlNode *addr = src ? child(src, "address") : NULL;
    _cleanup_(xml_freep) xmlChar *v =
        addr ? xmlGetNoNsProp(addr, (const xmlChar *)"uuid") : NULL;
    _cleanup_free_ char *q = NULL;
    char u[UUIDSTR_LEN];

    if (v && uuidstr_lower((const char *)v, u) == 0) {
        strv_push(&g->mdevs, u);
        return;
    }
    if (!warnings)
        return;
    if (!v) {
        strv_pushf(warnings,
                   "domain %s (%s): mdev hostdev without "
                   "<source><address uuid=...>; skipped",
                   g->name, g->uuid);
        return;
    }
    q = quote((const char *)v);
    strv_pushf(warnings,
               "domain %s (%s): mdev hostdev uuid '%s' is not a UUID; skipped",
               g->name, g->uuid, q);
}

/* One of a PCI address's attributes: "0x41" (libvirt also takes decimal)
 * up to max; -1 when absent or odd. */
static long
pci_attr(const xmlNode *addr, const char *name, unsigned long max)
{
    _cleanup_(xml_freep) xmlChar *v =
        xmlGetNoNsProp(addr, (const xmlChar *)name);
    char *end = NULL;
    unsigned long n;

    if (!v || !*v || *v == '-' || *v == '+')
        return -1;
    n = strtoul((const char *)v, &end, 0);
    return *end == '\0' && n <= max ? (long)n : -1;
}

/* The address of one <hostdev mode='subsystem' type='pci'>.  One without a
 * valid address is skipped without a word: most PCI devices are not ours
 * to judge (a NIC), and libvirt would not start a guest with one. */
static void
read_pci(const xmlNode *hostdev, struct guest *g)
{
    const xmlNode *src = child(hostdev, "source");
    const xmlNode *addr = src ? child(src, "address") : NULL;
    long d = addr ? pci_attr(addr, "domain", 0xffff) : -1;
    long b = addr ? pci_attr(addr, "bus", 0xff) : -1;
    long s = addr ? pci_attr(addr, "slot", 0x1f) : -1;
    long f = addr ? pci_attr(addr, "function", 7) : -1;

    if (d >= 0 && b >= 0 && s >= 0 && f >= 0)
        strv_pushf(&g->pcidevs, "%04lx:%02lx:%02lx.%lx", d, b, s, f);
}

static bool
is_hostdev(const xmlNode *c, const char *type)
{
    return c->type == XML_ELEMENT_NODE && !c->ns &&
           xmlStrEqual(c->name, (const xmlChar *)"hostdev") &&
           attr_is(c, "mode", "subsystem") && attr_is(c, "type", type);
}

int
guests_parse_xml(const char *xml, size_t len, struct guest *ret,
                 struct strv *warnings, struct errbuf *eb)
{
    _cleanup_(xml_doc_freep) xmlDoc *doc = NULL;
    _cleanup_(guests_clear_guest) struct guest g = { 0 };
    const xmlNode *root, *devices;
    int r;

    r = xml_read(xml, len, &doc, eb);
    if (r < 0)
        return r;
    root = xmlDocGetRootElement(doc);
    if (!root || root->ns ||
        !xmlStrEqual(root->name, (const xmlChar *)"domain"))
        return errbuf_set(eb, -EPROTO, "domain XML: root is not <domain>");
    r = read_identity(root, &g, eb);
    if (r < 0)
        return r;
    devices = child(root, "devices");
    for (const xmlNode *c = devices ? devices->children : NULL; c;
         c = c->next) {
        if (is_hostdev(c, "mdev"))
            read_mdev(c, &g, warnings);
        else if (is_hostdev(c, "pci"))
            read_pci(c, &g);
    }
    strv_sort_uniq(&g.mdevs);
    strv_sort_uniq(&g.pcidevs);
    *ret = g;
    g = (struct guest){ 0 };
    return 0;
}

/* --- libvirt -------------------------------------------------------------- */

/* Installed before every libvirt call: without it libvirt prints each error
 * to stderr itself.  We read the message back with virGetLastErrorMessage(). */
static void
vir_quiet(void *data, virErrorPtr e)
{
    (void)data;
    (void)e;
}

static void
xml_generic_quiet(void *data, const char *fmt, ...)
{
    (void)data;
    (void)fmt;
}

/* One connection and what was read over it.  The test driver parses its
 * node file with libxml2 in this very thread, and some of libxml2's
 * complaints (a missing file's "I/O warning") bypass libvirt's handlers and
 * go to libxml2's generic error function, stderr by default: silence it
 * while the session lasts and put the caller's back afterwards. */
struct vir_session {
    virConnectPtr conn;
    virDomainPtr *doms;
    int n;
    xmlGenericErrorFunc saved_func;
    void *saved_ctx;
};

static void
vir_session_open(struct vir_session *s)
{
    s->saved_func = xmlGenericError;
    s->saved_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, xml_generic_quiet);
    virSetErrorFunc(NULL, vir_quiet);
}

static void
vir_session_close(struct vir_session *s)
{
    for (int i = 0; i < s->n; i++)
        virDomainFree(s->doms[i]);
    free(s->doms);
    if (s->conn)
        virConnectClose(s->conn);
    if (s->saved_func)
        xmlSetGenericErrorFunc(s->saved_ctx, s->saved_func);
}

static int
vir_fail(struct errbuf *eb, const char *uri, const char *what)
{
    return errbuf_set(eb, -EIO, "%s: %s: %s", uri, what,
                      virGetLastErrorMessage());
}

/* One XML of d (flags 0: live if running, else persistent) parsed into
 * *ret.  Returns 1 when the domain vanished since it was listed. */
static int
load_xml(virDomainPtr d, unsigned flags, struct guest *ret,
         struct strv *warnings, struct errbuf *eb)
{
    _cleanup_free_ char *xml = virDomainGetXMLDesc(d, flags);

    if (!xml) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
            return 1;
        return errbuf_set(eb, -EIO, "cannot read XML: %s",
                          virGetLastErrorMessage());
    }
    return guests_parse_xml(xml, strlen(xml), ret, warnings, eb);
}

/* Read domain d into *ret.  Returns 0, 1 if it vanished meanwhile (it holds
 * nothing then), or a negative errno. */
static int
load_domain(virDomainPtr d, struct guest *ret, struct strv *warnings,
            struct errbuf *eb)
{
    _cleanup_(guests_clear_guest) struct guest g = { 0 };
    _cleanup_(guests_clear_guest) struct guest inactive = { 0 };
    int active = virDomainIsActive(d);
    int persistent = virDomainIsPersistent(d);
    int r;

    if ((active < 0 || persistent < 0) &&
        virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
        return 1;
    if (active < 0 || persistent < 0)
        return errbuf_set(eb, -EIO, "%s", virGetLastErrorMessage());
    r = load_xml(d, 0, &g, warnings, eb);
    if (r != 0)
        return r;
    /* A running domain's live XML is not the whole story.  During a rescue
     * (or any live detach) the live XML lacks the mdev the guest gets back
     * afterwards, while the persistent XML still names it; a hot-plugged
     * mdev is in the live XML only.  Taking the union keeps both kinds
     * "referenced", so reconcile never hands such an mdev to someone else
     * or removes it as an orphan. */
    if (active && persistent) {
        r = load_xml(d, VIR_DOMAIN_XML_INACTIVE, &inactive, warnings, eb);
        if (r != 0)
            return r;
        strv_copy(&g.mdevs, &inactive.mdevs);
        strv_sort_uniq(&g.mdevs);
        strv_copy(&g.pcidevs, &inactive.pcidevs);
        strv_sort_uniq(&g.pcidevs);
    }
    g.active = active;
    *ret = g;
    g = (struct guest){ 0 };
    return 0;
}

static int
guest_cmp(const void *a, const void *b)
{
    return strcmp(((const struct guest *)a)->uuid,
                  ((const struct guest *)b)->uuid);
}

static bool
has(const struct strv *sv, const char *s)
{
    /* sorted; a bsearch would do, but guests hold one or two. */
    for (size_t i = 0; i < sv->n; i++)
        if (strcasecmp(sv->v[i], s) == 0)
            return true;
    return false;
}

/* The device list of g that warn_shared() and find() look at. */
static const struct strv *
devs(const struct guest *g, bool pci)
{
    return pci ? &g->pcidevs : &g->mdevs;
}

/* One warning per pair of domains that reference the same device: only one
 * of them can run at a time, and reconcile should hear about it. */
static void
warn_shared(struct guests *gs, bool pci)
{
    for (size_t i = 0; i < gs->n; i++)
        for (size_t k = 0; k < devs(&gs->v[i], pci)->n; k++)
            for (size_t j = i + 1; j < gs->n; j++)
                if (has(devs(&gs->v[j], pci), devs(&gs->v[i], pci)->v[k]))
                    strv_pushf(&gs->warnings,
                               "%s %s is referenced by domains %s (%s) "
                               "and %s (%s)",
                               pci ? "PCI device" : "mdev",
                               devs(&gs->v[i], pci)->v[k], gs->v[i].name,
                               gs->v[i].uuid, gs->v[j].name, gs->v[j].uuid);
}

static int
load_all(const char *uri, struct vir_session *s, struct guests *gs,
         struct errbuf *eb)
{
    for (int i = 0; i < s->n; i++) {
        const char *name = virDomainGetName(s->doms[i]);
        int r = load_domain(s->doms[i], &gs->v[gs->n], &gs->warnings, eb);

        /* A domain we cannot read fails the whole load: reporting it as
         * absent would let reconcile treat its mdevs as orphans. */
        if (r < 0)
            return errbuf_prefix(eb, "%s: domain %s", uri, name ? name : "?");
        if (r == 0)
            gs->n++;
    }
    return 0;
}

int
guests_load(const char *uri, struct guests **ret, struct errbuf *eb)
{
    _cleanup_(vir_session_close) struct vir_session s = { 0 };
    _cleanup_(guests_freep) struct guests *gs = NULL;
    int r;

    vir_session_open(&s);
    s.conn = virConnectOpenReadOnly(uri);
    if (!s.conn)
        return vir_fail(eb, uri, "cannot connect");
    virConnSetErrorFunc(s.conn, NULL, vir_quiet);
    s.n = virConnectListAllDomains(s.conn, &s.doms,
                                   VIR_CONNECT_LIST_DOMAINS_ACTIVE |
                                       VIR_CONNECT_LIST_DOMAINS_INACTIVE);
    if (s.n < 0) {
        s.n = 0;
        return vir_fail(eb, uri, "cannot list domains");
    }
    gs = xcalloc(1, sizeof(*gs));
    gs->v = xcalloc((size_t)s.n + 1, sizeof(*gs->v));
    r = load_all(uri, &s, gs, eb);
    if (r < 0)
        return r;
    qsort(gs->v, gs->n, sizeof(*gs->v), guest_cmp);
    warn_shared(gs, false);
    warn_shared(gs, true);
    strv_sort_uniq(&gs->warnings); /* live and inactive XML repeat them */
    *ret = TAKE_PTR(gs);
    return 0;
}

/* --- lookups and destructors ---------------------------------------------- */

void
guests_clear_guest(struct guest *g)
{
    if (!g)
        return;
    free(g->name);
    strv_clear(&g->mdevs);
    strv_clear(&g->pcidevs);
    *g = (struct guest){ 0 };
}

void
guests_free(struct guests *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        guests_clear_guest(&g->v[i]);
    free(g->v);
    strv_clear(&g->warnings);
    free(g);
}

static int
guest_key_cmp(const void *key, const void *elem)
{
    return strcasecmp(key, ((const struct guest *)elem)->uuid);
}

const struct guest *
guests_find(const struct guests *g, const char *uuid)
{
    if (!g || !uuid || g->n == 0)
        return NULL;
    return bsearch(uuid, g->v, g->n, sizeof(*g->v), guest_key_cmp);
}

/* The domain referencing dev: an active one first, then the lowest UUID. */
static const struct guest *
find(const struct guests *g, const char *dev, bool pci)
{
    const struct guest *found = NULL;

    if (!g || !dev)
        return NULL;
    for (size_t i = 0; i < g->n; i++) {
        if (!has(devs(&g->v[i], pci), dev))
            continue;
        if (g->v[i].active)
            return &g->v[i];
        if (!found)
            found = &g->v[i]; /* lowest UUID: v is sorted */
    }
    return found;
}

const struct guest *
guests_find_mdev(const struct guests *g, const char *mdev_uuid)
{
    return find(g, mdev_uuid, false);
}

const struct guest *
guests_find_pci(const struct guests *g, const char *addr)
{
    return find(g, addr, true);
}
