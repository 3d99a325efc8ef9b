/*
 * test-placement-proto.c - the typed Placement client without a Placement.
 *
 * The done halves get hand-made responses: bad shapes must be -EPROTO,
 * error bodies become one bounded line.  Version negotiation:
 * test-placement-versions.c; against the real Placement: test-placement.c.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fixture.h"
#include "placement.h"
#include "xalloc.h"

/* eq(str, ...) wants char *; these are const. */
#define assert_streq(a, b)                                                     \
    cr_assert(strcmp((a), (b)) == 0, "'%s' != '%s'", (a), (b))

/* ---- no server: hand-made responses ------------------------------------ */

#define U1 "b0a4c4a8-8f5e-4e43-9a0b-0f3c7d6e2a11"
#define U2 "c1b5d5b9-9f6f-4f54-8b1c-1f4d8e7f3b22"
#define RP(uuid, parent)                                                       \
    "{\"uuid\": \"" uuid "\", \"name\": \"n\", "                               \
    "\"generation\": 0, \"parent_provider_uuid\": " parent                     \
    ", \"root_provider_uuid\": \"" U1 "\"}"
#define INV(total, ratio)                                                      \
    "{\"total\": " total ", \"reserved\": 0, "                                 \
    "\"min_unit\": 1, \"max_unit\": 4, \"step_size\": 1, "                     \
    "\"allocation_ratio\": " ratio "}"
#define GEN "\"resource_provider_generation\": "

enum kind { K_LIST, K_CREATE, K_INVS, K_TRAITS, K_ALLOCS, K_DELETE, K_ENSURE };

/* Arrays, not pointers: Criterion copies parameters into the test's own
 * process, where the runner's pointers mean nothing. */
struct canned {
    enum kind kind;
    long status;
    char body[400];
    int rc;
    char msg[160]; /* expected in the message */
};

static int
feed(enum kind kind, long status, const char *body, struct errbuf *eb)
{
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };
    _cleanup_(placement_freep) struct placement *p = NULL;
    struct placement_rp *rps = NULL, rp = { 0 };
    struct placement_invs invs = { 0 };
    struct placement_traits traits = { 0 };
    struct placement_allocs allocs = { 0 };
    size_t n = 0;
    int r = -1;

    cr_assert(eq(int, placement_open_at(NULL, "1.39", &p, eb), 0));
    placement_prep_get_inventories(p, &c, U1); /* any call will do */
    c.req.resp.status = status;
    c.req.resp.body = xstrdup(body);
    c.req.resp.len = strlen(body);
    if (kind == K_LIST)
        r = placement_done_list_providers(p, &c, &rps, &n, eb);
    else if (kind == K_CREATE)
        r = placement_done_create_provider(p, &c, &rp, eb);
    else if (kind == K_INVS)
        r = placement_done_get_inventories(p, &c, &invs, eb);
    else if (kind == K_TRAITS)
        r = placement_done_get_traits(p, &c, &traits, eb);
    else if (kind == K_ALLOCS)
        r = placement_done_get_allocations(p, &c, &allocs, eb);
    else if (kind == K_DELETE)
        r = placement_done_delete_provider(p, &c, eb);
    else
        r = placement_done_ensure(p, &c, eb);
    placement_rps_free(rps, n);
    placement_rp_clear(&rp);
    placement_invs_clear(&invs);
    placement_traits_clear(&traits);
    placement_allocs_clear(&allocs);
    return r;
}

static struct canned canned_cases[] = {
    { K_INVS, 200, "not json", -EPROTO,
      "inventories: response is not a "
      "JSON object" },
    { K_INVS, 200, "[]", -EPROTO, "not a JSON object" },
    { K_INVS, 200, "{" GEN "1, \"inventories\": {\"VGPU\": ", -EPROTO,
      "not a JSON object" },
    { K_INVS, 200, "{" GEN "1, \"inventories\": []}", -EPROTO,
      "bad response: inventories: not an object" },
    { K_INVS, 200, "{" GEN "-1, \"inventories\": {}}", -EPROTO,
      "resource_provider_generation: -1 is out of range" },
    { K_INVS, 200, "{" GEN "1e300, \"inventories\": {}}", -EPROTO,
      "resource_provider_generation: 1000000" },
    { K_INVS, 200, "{" GEN "9007199254740993, \"inventories\": {}}", -EPROTO,
      "out of range" },
    { K_INVS, 200, "{" GEN "\"1\", \"inventories\": {}}", -EPROTO,
      "resource_provider_generation: not a number" },
    { K_INVS, 200, "{\"inventories\": {}}", -EPROTO,
      "resource_provider_generation: missing" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"VGPU\": " INV("4.5", "1.0") "}}", -EPROTO,
      "inventories.VGPU.total: 4.5 is not an integer" },
    { K_INVS, 200, "{" GEN "1, \"inventories\": {\"VGPU\": {\"total\": 4}}}",
      -EPROTO, "inventories.VGPU.reserved: missing" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"vgpu\": " INV("4", "1.0") "}}", -EPROTO,
      "'vgpu' is not a valid name" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"VGPU\": " INV("4", "\"1\"") "}}", -EPROTO,
      "inventories.VGPU.allocation_ratio: missing or not" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"VGPU\": " INV(
          "4", "1") ", \"VGPU\": " INV("2", "1") "}}",
      -EPROTO, "VGPU appears twice" },
    { K_INVS, 200,
      "{" GEN "1, \"inventories\": {\"VGPU\": " INV("1e10", "1") "}}", -EPROTO,
      "inventories.VGPU.total: 10000000000 is out of range" },
    { K_LIST, 200, "{\"resource_providers\": {}}", -EPROTO,
      "resource_providers: not an array" },
    { K_LIST, 200, "{\"resource_providers\": [\"x\"]}", -EPROTO,
      "resource_providers[0]: not an object" },
    { K_LIST, 200,
      "{\"resource_providers\": [" RP(U2, "null") ", " RP("not-a-uuid",
                                                          "null") "]}",
      -EPROTO, "resource_providers[1].uuid: 'not-a-uuid' is not a UUID" },
    { K_LIST, 200,
      "{\"resource_providers\": [" RP("zzzzzzzz-8f5e-4e43-9a0b-0f3c7d6e2a11",
                                      "null") "]}",
      -EPROTO, "is not a UUID" },
    { K_LIST, 200, "{\"resource_providers\": [" RP(U2, "7") "]}", -EPROTO,
      "resource_providers[0].parent_provider_uuid: not a string" },
    { K_LIST, 200,
      "{\"resource_providers\": [{\"uuid\": \"" U1 "\", "
      "\"root_provider_uuid\": \"" U1 "\", \"name\": \"n\", "
      "\"generation\": 0}]}",
      -EPROTO, "resource_providers[0].parent_provider_uuid: missing" },
    { K_CREATE, 200,
      "{\"uuid\": \"" U1 "\", \"name\": 5, "
      "\"generation\": 0, \"parent_provider_uuid\": null, "
      "\"root_provider_uuid\": \"" U1 "\"}",
      -EPROTO, "provider.name: not a name" },
    { K_TRAITS, 200, "{" GEN "1, \"traits\": [1]}", -EPROTO,
      "traits[0]: not a string" },
    { K_TRAITS, 200, "{" GEN "1.5, \"traits\": []}", -EPROTO,
      "resource_provider_generation: 1.5 is not an integer" },
    { K_ALLOCS, 200,
      "{" GEN "1, \"allocations\": {\"x\": {\"resources\": "
      "{\"VGPU\": 1}}}}",
      -EPROTO, "allocations key: 'x' is not a UUID" },
    { K_ALLOCS, 200,
      "{" GEN "1, \"allocations\": {\"" U2 "\": "
      "{\"resources\": {\"VGPU\": 0}}}}",
      -EPROTO, "allocations." U2 ".resources.VGPU: 0 is out of range" },
    { K_ALLOCS, 200,
      "{" GEN "1, \"allocations\": {\"" U2 "\": "
      "{\"resources\": \"VGPU\"}}}",
      -EPROTO, "missing or not an object" },
    { K_DELETE, 200, "", -EPROTO, "unexpected status 200" },
    { K_ENSURE, 200, "", -EPROTO, "unexpected status 200" },
    { K_INVS, 500, "Internal Server Error\n\nboom", -EIO,
      "inventories: 500: boom" },
    { K_INVS, 502, "<html>\n<body>bad\tgateway</body>\n</html>\n", -EIO,
      "inventories: 502: <html> <body>bad gateway</body> </html>" },
    { K_INVS, 409,
      "{\"errors\": [{\"status\": 409, \"code\": "
      "\"placement.inventory.inuse\", \"title\": \"Conflict\", "
      "\"detail\": \"There was a conflict.\\n\\n update conflict: in use  "
      "\"}]}",
      -EBUSY,
      "409 placement.inventory.inuse: update conflict: "
      "in use" },
    { K_INVS, 409,
      "{\"errors\": [{\"status\": 409, \"code\": "
      "\"placement.undefined_code\", \"detail\": 7}]}",
      -EIO, "409 placement.undefined_code: " },
    { K_INVS, 406,
      "{\"errors\": [{\"status\": 406, \"title\": \"Not "
      "Acceptable\", \"detail\": \"x.\\n\\n Invalid microversion\"}]}",
      -EIO, "406 Not Acceptable: Invalid microversion" },
};

ParameterizedTestParameters(placement_proto, bad_bodies_and_statuses)
{
    return cr_make_param_array(struct canned, canned_cases,
                               NELEM(canned_cases));
}

ParameterizedTest(struct canned *k, placement_proto, bad_bodies_and_statuses)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, feed(k->kind, k->status, k->body, &eb), k->rc),
              "body: %s\nmessage: %s", k->body, eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, k->msg), NULL),
              "body: %s\nmessage: %s\nwanted: %s", k->body, eb.msg, k->msg);
    cr_assert(eq(int, strncmp(eb.msg, "GET /resource_providers/" U1, 60), 0),
              "%s", eb.msg);
    cr_assert(eq(ptr, strchr(eb.msg, '\n'), NULL), "%s", eb.msg);
}

Test(placement_proto, a_long_detail_is_cut_to_one_bounded_line)
{
    char detail[4000], body[4200];
    struct errbuf eb = { 0 };

    memset(detail, 'x', sizeof(detail) - 1);
    detail[sizeof(detail) - 1] = '\0';
    memcpy(detail + 100, "\\n\\n ", 5); /* JSON escapes: "\n\n " */
    snprintf(body, sizeof(body),
             "{\"errors\": [{\"status\": 400, \"code\": "
             "\"placement.undefined_code\", \"detail\": \"%s\"}]}",
             detail);
    cr_assert(eq(int, feed(K_INVS, 400, body, &eb), -EIO));
    cr_assert(strlen(eb.msg) < 450, "%zu: %s", strlen(eb.msg), eb.msg);
    cr_assert(eq(ptr, strchr(eb.msg, '\n'), NULL), "%s", eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, "xxx..."), NULL), "%s", eb.msg);
}

Test(placement_proto, good_bodies_decode_sorted)
{
    struct canned k = { K_INVS, 200,
                        "{" GEN "3, \"inventories\": {\"VGPU\": " INV(
                            "4", "1") ", \"CUSTOM_A\": " INV("2.0", "1.5") "}}",
                        0, "" };
    _cleanup_(placement_call_clearp) struct placement_call c = { 0 };
    _cleanup_(placement_freep) struct placement *p = NULL;
    struct placement_invs v = { 0 };
    struct errbuf eb = { 0 };

    cr_assert(eq(int, feed(k.kind, k.status, k.body, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, placement_open_at(NULL, "1.30", &p, &eb), 0));
    placement_prep_get_inventories(p, &c, "a/b?c");
    cr_assert(eq(str, c.path, "/resource_providers/a%2Fb%3Fc/inventories"));
    assert_streq(c.headers[0], "OpenStack-API-Version: placement 1.30");
    c.req.resp.status = 200;
    c.req.resp.body = xstrdup(k.body);
    c.req.resp.len = strlen(k.body);
    cr_assert(eq(int, placement_done_get_inventories(p, &c, &v, &eb), 0));
    cr_assert(eq(long, v.generation, 3));
    cr_assert(eq(sz, v.n, 2));
    cr_assert(eq(str, v.invs[0].rc, "CUSTOM_A"));
    cr_assert(eq(long, v.invs[0].total, 2));
    cr_assert(eq(dbl, v.invs[0].allocation_ratio, 1.5));
    cr_assert(eq(str, v.invs[1].rc, "VGPU"));
    placement_invs_clear(&v);
}

Test(placement_proto, open_at_refuses_versions_outside_the_range)
{
    struct placement *p = NULL;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, placement_open_at(NULL, "1.25", &p, &eb), -ENOTSUP));
    cr_assert(eq(str, eb.msg,
                 "microversion '1.25': the agent needs 1.26 "
                 "to 1.39"));
    cr_assert(eq(int, placement_open_at(NULL, "1.40", &p, &eb), -ENOTSUP));
    cr_assert(eq(int, placement_open_at(NULL, "x", &p, &eb), -ENOTSUP));
    cr_assert(eq(ptr, p, NULL));
}
