/*
 * test-nodeid.c - who this host is to Placement: the node name, the owner
 * trait, nova-compute's compute node UUID.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "cleanup.h"
#include "conf.h"
#include "fixture.h"
#include "nodeid.h"
#include "xalloc.h"

#define MACHINE "3d1219c7c4c5404aaa1f6d2a48adfda4"
#define NOVA_UUID "5c0f8a43-2a4b-4f1e-9c3e-0a7d1c2b3e4f"

static char *dir;

static void
teardown(void)
{
    if (dir)
        fixture_rm_rf(dir);
    free(dir);
    dir = NULL;
}

TestSuite(nodeid, .fini = teardown);

/* dir/name holding text; the path, caller frees. */
static char *
put(const char *name, const char *text)
{
    char *path;
    FILE *f;

    if (!dir)
        dir = fixture_tmpdir();
    path = xasprintf("%s/%s", dir, name);
    f = fopen(path, "we");
    cr_assert(f != NULL);
    fputs(text, f);
    fclose(f);
    return path;
}

/* --- the node name ------------------------------------------------------ */

struct pick {
    char host[32], canon[32]; /* canon "": getaddrinfo failed */
    char want[32];
};

ParameterizedTestParameters(nodeid, the_node_name_follows_libvirt)
{
    static struct pick cases[] = {
        { "compute-1.example.com", "other.example.com",
          "compute-1.example.com" }, /* a dot: as it is */
        { "compute-1", "compute-1.example.com", "compute-1.example.com" },
        { "compute-1", "", "compute-1" },          /* no answer */
        { "compute-1", "localhost", "compute-1" }, /* no better */
        { "compute-1", "localhost.localdomain", "compute-1" },
        { "localhost", "elsewhere.example.com", "localhost" },
    };

    return cr_make_param_array(struct pick, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct pick *c, nodeid, the_node_name_follows_libvirt)
{
    const char *got =
        nodeid_pick_hostname(c->host, c->canon[0] ? c->canon : NULL);

    cr_assert(strcmp(got, c->want) == 0, "%s / %s: %s", c->host, c->canon, got);
}

/* What nova-compute's libvirt driver names its node is libvirt's
 * virConnectGetHostname(): the test driver answers it as qemu's does. */
Test(nodeid, the_host_name_is_the_one_libvirt_gives_nova_compute)
{
    virConnectPtr conn = virConnectOpenReadOnly("test:///default");
    _cleanup_free_ char *ours = nodeid_hostname();
    char *theirs;

    cr_assert(conn != NULL);
    theirs = virConnectGetHostname(conn);
    cr_assert(theirs != NULL);
    cr_expect(eq(str, ours, theirs));
    free(theirs);
    virConnectClose(conn);
}

/* --- the owner trait ---------------------------------------------------- */

Test(nodeid, the_owner_trait_hides_the_machine_id_and_names_the_host)
{
    _cleanup_free_ char *t = nodeid_owner_trait(MACHINE, "gpu-7.example.com");
    _cleanup_free_ char *again =
        nodeid_owner_trait("3D1219C7C4C5404AAA1F6D2A48ADFDA4", "other-name");
    _cleanup_free_ char *other =
        nodeid_owner_trait("0123456789abcdef0123456789abcdef", "gpu-7");
    char id[NODEID_ID_LEN + 1], id2[NODEID_ID_LEN + 1];
    const char *host;

    cr_assert(eq(int, strncmp(t, "CUSTOM_VGPU_HOST_", 17), 0), "%s", t);
    cr_assert(eq(ptr, strcasestr(t, MACHINE), NULL), "%s", t);
    cr_assert(nodeid_parse_owner(t, id, &host));
    cr_assert(strcmp(host, "GPU_7_EXAMPLE_COM") == 0, "%s", host);
    cr_assert(eq(sz, strspn(id, "0123456789ABCDEF"), NODEID_ID_LEN));
    cr_assert(nodeid_parse_owner(again, id2, &host));
    cr_assert(eq(str, id, id2), "the ID depends on the machine alone");
    cr_assert(nodeid_parse_owner(other, id2, &host));
    cr_assert(ne(str, id, id2));
    for (const char *c = t; *c; c++)
        cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", *c) != NULL,
                  "%s", t);
}

Test(nodeid, a_long_host_name_keeps_the_trait_within_255_characters)
{
    _cleanup_free_ char *host = xcalloc(300, 1);
    _cleanup_free_ char *t = NULL;

    memset(host, 'h', 299);
    t = nodeid_owner_trait(MACHINE, host);
    cr_assert(eq(sz, strlen(t), 255));
}

Test(nodeid, other_traits_are_no_owner_traits)
{
    char id[NODEID_ID_LEN + 1];
    const char *host;

    cr_assert(not(nodeid_parse_owner("CUSTOM_NVIDIA_35", id, &host)));
    cr_assert(not(nodeid_parse_owner("CUSTOM_VGPU_HOST_XYZ", id, &host)));
    cr_assert(not(nodeid_parse_owner(
        "CUSTOM_VGPU_HOST_0123456789ABCDEF0123456789ABCDEFX", id, &host)));
    cr_assert(nodeid_parse_owner(
        "CUSTOM_VGPU_HOST_0123456789ABCDEF0123456789ABCDEF", id, &host));
    cr_assert(strcmp(host, "") == 0, "%s", host);
}

/* --- the files ---------------------------------------------------------- */

Test(nodeid, the_machine_id_is_read_and_checked)
{
    _cleanup_free_ char *good = put("machine-id", MACHINE "\n");
    _cleanup_free_ char *bad = put("bad", "uninitialized\n");
    _cleanup_free_ char *none = xasprintf("%s/none", dir);
    char id[NODEID_ID_LEN + 1];
    struct errbuf eb = { 0 };

    cr_assert(eq(int, nodeid_read_machine_id(good, id, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, id, MACHINE));
    cr_assert(eq(int, nodeid_read_machine_id(bad, id, &eb), -EINVAL));
    cr_assert(ne(ptr, strstr(eb.msg, bad), NULL), "%s", eb.msg);
    cr_assert(eq(int, nodeid_read_machine_id(none, id, &eb), -ENOENT));
    cr_assert(ne(ptr, strstr(eb.msg, none), NULL), "%s", eb.msg);
}

Test(nodeid, nova_computes_uuid_is_read_and_checked)
{
    _cleanup_free_ char *good = put("compute_id", NOVA_UUID "\n");
    _cleanup_free_ char *upper =
        put("upper", " 5C0F8A43-2A4B-4F1E-9C3E-0A7D1C2B3E4F");
    _cleanup_free_ char *bad = put("bad", "compute-1\n");
    char u[UUIDSTR_LEN];
    struct errbuf eb = { 0 };

    cr_assert(eq(int, nodeid_read_nova_uuid(good, u, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, u, NOVA_UUID));
    cr_assert(eq(int, nodeid_read_nova_uuid(upper, u, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, u, NOVA_UUID));
    cr_assert(eq(int, nodeid_read_nova_uuid(bad, u, &eb), -EINVAL));
    cr_assert(ne(ptr, strstr(eb.msg, "not a UUID"), NULL), "%s", eb.msg);
}

/* --- resolved ----------------------------------------------------------- */

static struct conf *
conf_with(const char *machine, const char *nova, const char *mode)
{
    struct conf *c = conf_new();

    free(c->machine_id_file);
    free(c->nova_compute_id_file);
    free(c->root_provider);
    c->machine_id_file = xstrdup(machine);
    c->nova_compute_id_file = xstrdup(nova);
    c->root_provider = xstrdup(mode);
    return c;
}

Test(nodeid, with_nova_computes_uuid_the_root_is_adopted_under_it)
{
    _cleanup_free_ char *m = put("machine-id", MACHINE "\n");
    _cleanup_free_ char *n = put("compute_id", NOVA_UUID "\n");
    _cleanup_(conf_freep) struct conf *c = conf_with(m, n, "auto");
    struct strv warnings = { 0 }, notes = { 0 };
    struct nodeid id = { 0 };
    struct errbuf eb = { 0 };

    cr_assert(eq(int, nodeid_resolve(c, &id, &warnings, &notes, &eb), 0), "%s",
              eb.msg);
    cr_assert(id.adopt_root);
    cr_assert(eq(str, id.nova_uuid, NOVA_UUID));
    cr_assert(ne(ptr, id.owner_trait, NULL));
    nodeid_apply(&id, c, &warnings);
    cr_assert(eq(str, c->node_uuid, NOVA_UUID));
    cr_assert(eq(str, c->node_name, id.hostname));
    cr_assert(eq(sz, warnings.n + notes.n, 0));
    nodeid_clear(&id);
    strv_clear(&warnings);
}

Test(nodeid, without_nova_compute_the_root_is_created_unless_told)
{
    _cleanup_free_ char *m = put("machine-id", MACHINE "\n");
    _cleanup_free_ char *none = xasprintf("%s/compute_id", dir);
    _cleanup_(conf_freep) struct conf *c = conf_with(m, none, "auto");
    _cleanup_(conf_freep) struct conf *a = conf_with(m, none, "adopt");
    struct strv warnings = { 0 }, notes = { 0 };
    struct nodeid id = { 0 };
    struct errbuf eb = { 0 };

    cr_assert(eq(int, nodeid_resolve(c, &id, &warnings, &notes, &eb), 0));
    cr_assert(not(id.adopt_root));
    cr_assert(eq(str, id.nova_uuid, ""));
    nodeid_apply(&id, c, &warnings);
    cr_assert(eq(ptr, c->node_uuid, NULL));
    nodeid_clear(&id);
    cr_assert(eq(int, nodeid_resolve(a, &id, &warnings, &notes, &eb), 0));
    cr_assert(id.adopt_root);
    nodeid_clear(&id);
}

Test(nodeid, a_node_uuid_that_is_not_novas_is_kept_with_a_warning)
{
    _cleanup_free_ char *m = put("machine-id", MACHINE "\n");
    _cleanup_free_ char *n = put("compute_id", NOVA_UUID "\n");
    _cleanup_(conf_freep) struct conf *c = conf_with(m, n, "auto");
    struct strv warnings = { 0 }, notes = { 0 };
    struct nodeid id = { 0 };
    struct errbuf eb = { 0 };

    c->node_uuid = xstrdup("11111111-2222-4333-8444-555555555555");
    cr_assert(eq(int, nodeid_resolve(c, &id, &warnings, &notes, &eb), 0));
    nodeid_apply(&id, c, &warnings);
    cr_assert(eq(str, c->node_uuid, "11111111-2222-4333-8444-555555555555"));
    cr_assert(eq(sz, warnings.n, 1));
    cr_assert(ne(ptr, strstr(warnings.v[0], NOVA_UUID), NULL), "%s",
              warnings.v[0]);
    nodeid_clear(&id);
    strv_clear(&warnings);
}

Test(nodeid, a_compute_id_without_a_uuid_is_an_error_and_no_machine_id_a_note)
{
    _cleanup_free_ char *n = put("compute_id", "garbage\n");
    _cleanup_free_ char *none = xasprintf("%s/machine-id", dir);
    _cleanup_free_ char *nova_none = xasprintf("%s/nova-none", dir);
    _cleanup_(conf_freep) struct conf *c = conf_with(none, n, "auto");
    _cleanup_(conf_freep) struct conf *d = conf_with(none, nova_none, "auto");
    struct strv warnings = { 0 }, notes = { 0 };
    struct nodeid id = { 0 };
    struct errbuf eb = { 0 };

    cr_assert(eq(int, nodeid_resolve(c, &id, &warnings, &notes, &eb), -EINVAL));
    cr_assert(ne(ptr, strstr(eb.msg, "nova_compute_id_file"), NULL), "%s",
              eb.msg);
    cr_assert(eq(int, nodeid_resolve(d, &id, &warnings, &notes, &eb), 0));
    cr_assert(eq(ptr, id.owner_trait, NULL));
    cr_assert(eq(sz, warnings.n, 0));
    cr_assert(eq(sz, notes.n, 1)); /* the default path: a note */
    nodeid_clear(&id);
    strv_clear(&notes);
}
