/*
 * fuzz-placement.c - every Placement response the agent parses, on any bytes.
 *
 * One input is handed, as the response body, to each done half in turn (with
 * the success status that half expects), to the GET / version document
 * parser that placement_open() uses, and with error statuses to the error
 * body parser.  No network: the calls are prepared on a client opened with
 * placement_open_at(NULL, ...) and never run.  A done half must return 0
 * with a result that keeps its promises, or an error with a message.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "inventory.h"
#include "placement-internal.h"
#include "placement.h"
#include "strv.h"
#include "xalloc.h"

#define UUID "4e8e5957-649f-477b-9e5b-f1f75b21c03c"

struct input {
    const uint8_t *data;
    size_t size;
};

/* What a batch would have left in c: status and a NUL-terminated copy. */
static void
respond(struct placement_call *c, long status, const struct input *in)
{
    char *body = xmalloc(in->size + 1);

    memcpy(body, in->data, in->size);
    body[in->size] = '\0';
    c->req.resp.status = status;
    c->req.resp.body = body;
    c->req.resp.len = in->size;
}

/* A failed done half explains itself; a successful one leaves eb alone. */
static void
check_result(int r, const struct errbuf *eb)
{
    if (r > 0 || (r < 0 && eb->msg[0] == '\0') || (r == 0 && eb->code != 0))
        abort();
}

static void
check_uuid(const char *u, bool may_be_empty)
{
    size_t n = strlen(u);

    if (!(n == 36 || (may_be_empty && n == 0)) ||
        strspn(u, "0123456789abcdef-") != n)
        abort(); /* lower case, checked by libuuid */
}

static void
check_rp(const struct placement_rp *rp)
{
    check_uuid(rp->uuid, false);
    check_uuid(rp->parent_uuid, true);
    check_uuid(rp->root_uuid, false);
    if (!rp->name || rp->generation < 0)
        abort();
}

static void
check_invs(const struct placement_invs *v)
{
    for (size_t i = 0; i < v->n; i++)
        if (!v->invs[i].rc ||
            (i > 0 && strcmp(v->invs[i - 1].rc, v->invs[i].rc) >= 0))
            abort(); /* sorted by resource class, no duplicates */
}

static void
fuzz_providers(struct placement *p, const struct input *in)
{
    struct placement_call c = { 0 };
    struct placement_rp *rps = NULL, rp = { 0 };
    size_t n = 0;
    struct errbuf eb = { 0 };
    int r;

    placement_prep_list_providers(p, &c, "in_tree", UUID);
    respond(&c, 200, in);
    r = placement_done_list_providers(p, &c, &rps, &n, &eb);
    check_result(r, &eb);
    for (size_t i = 0; r == 0 && i < n; i++)
        check_rp(&rps[i]);
    placement_rps_free(rps, n);
    placement_call_clear(&c);

    eb = (struct errbuf){ 0 };
    placement_prep_create_provider(p, &c, UUID, "fuzz", NULL);
    respond(&c, 200, in);
    r = placement_done_create_provider(p, &c, &rp, &eb);
    check_result(r, &eb);
    if (r == 0)
        check_rp(&rp);
    placement_rp_clear(&rp);
    placement_call_clear(&c);
}

static void
fuzz_inventories(struct placement *p, const struct input *in)
{
    struct placement_call c = { 0 };
    struct placement_invs v = { 0 };
    struct inventory inv;
    struct errbuf eb = { 0 };
    int r;

    placement_prep_get_inventories(p, &c, UUID);
    respond(&c, 200, in);
    r = placement_done_get_inventories(p, &c, &v, &eb);
    check_result(r, &eb);
    check_invs(&v);
    placement_invs_clear(&v);
    placement_call_clear(&c);

    eb = (struct errbuf){ 0 };
    inventory_init(&inv, "VGPU", 4);
    placement_prep_put_inventories(p, &c, UUID, 1, &inv, 1);
    respond(&c, 200, in);
    r = placement_done_put_inventories(p, &c, &v, &eb);
    check_result(r, &eb);
    check_invs(&v);
    placement_invs_clear(&v);
    placement_call_clear(&c);
    inventory_clear(&inv);
}

static void
fuzz_traits(struct placement *p, const struct input *in)
{
    struct placement_call c = { 0 };
    struct placement_traits t = { 0 };
    struct strv want = { 0 };
    struct errbuf eb = { 0 };
    int r;

    placement_prep_get_traits(p, &c, UUID);
    respond(&c, 200, in);
    r = placement_done_get_traits(p, &c, &t, &eb);
    check_result(r, &eb);
    for (size_t i = 1; r == 0 && i < t.traits.n; i++)
        if (strcmp(t.traits.v[i - 1], t.traits.v[i]) > 0)
            abort(); /* sorted */
    placement_traits_clear(&t);
    placement_call_clear(&c);

    eb = (struct errbuf){ 0 };
    strv_push(&want, "CUSTOM_FUZZ");
    placement_prep_put_traits(p, &c, UUID, 1, &want);
    respond(&c, 200, in);
    r = placement_done_put_traits(p, &c, &t, &eb);
    check_result(r, &eb);
    placement_traits_clear(&t);
    placement_call_clear(&c);
    strv_clear(&want);
}

static void
fuzz_allocations(struct placement *p, const struct input *in)
{
    struct placement_call c = { 0 };
    struct placement_allocs a = { 0 };
    struct errbuf eb = { 0 };
    int r;

    placement_prep_get_allocations(p, &c, UUID);
    respond(&c, 200, in);
    r = placement_done_get_allocations(p, &c, &a, &eb);
    check_result(r, &eb);
    for (size_t i = 0; r == 0 && i < a.n; i++) {
        check_uuid(a.allocs[i].consumer, false);
        if (i > 0 &&
            strcmp(a.allocs[i - 1].consumer, a.allocs[i].consumer) >= 0)
            abort(); /* sorted by consumer, no duplicates */
    }
    placement_allocs_clear(&a);
    placement_call_clear(&c);
}

static void
fuzz_root(struct placement *p, const struct input *in)
{
    struct placement_call c = { 0 };
    struct errbuf eb = { 0 };
    int lo = -1, hi = -1, r;

    placement_call_init(p, &c, "GET", xstrdup("/"), NULL);
    respond(&c, 200, in);
    r = placement_done_root(&c, &lo, &hi, &eb);
    check_result(r, &eb);
    if (r == 0 && (lo < 0 || hi < 0))
        abort(); /* "1.39" is 1039: never negative */
    placement_call_clear(&c);
}

/* The error body parser, behind every done half: Placement's JSON errors,
 * webob's 401 body, plain text. */
static void
fuzz_errors(struct placement *p, const struct input *in)
{
    static const long statuses[] = { 204, 401, 404, 409, 500 };

    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        struct placement_call c = { 0 };
        struct errbuf eb = { 0 };
        int r;

        placement_prep_ensure_trait(p, &c, "CUSTOM_FUZZ");
        respond(&c, statuses[i], in);
        r = placement_done_ensure(p, &c, &eb);
        check_result(r, &eb);
        if ((r == 0) != (statuses[i] == 204))
            abort();
        placement_call_clear(&c);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct input in = { data, size };
    struct placement *p = NULL;
    struct errbuf eb = { 0 };

    if (placement_open_at(NULL, PLACEMENT_VERSION_MAX, &p, &eb) < 0)
        abort();
    fuzz_providers(p, &in);
    fuzz_inventories(p, &in);
    fuzz_traits(p, &in);
    fuzz_allocations(p, &in);
    fuzz_root(p, &in);
    fuzz_errors(p, &in);
    placement_free(p);
    return 0;
}
