/*
 * test-vfstate.c - the VF ownership file: its format, what it refuses, and
 * saving it whole.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "vfstate.h"
#include "xalloc.h"

#define C1 "11111111-1111-4111-8111-111111111111"
#define RP "aaaaaaaa-0000-5000-8000-00000000000a"

static char *tmp;
static struct vfstate *s;

static void
setup(void)
{
    tmp = fixture_tmpdir();
    s = NULL;
}

static void
teardown(void)
{
    vfstate_free(s);
    fixture_rm_rf(tmp);
    free(tmp);
}

TestSuite(vfstate, .init = setup, .fini = teardown);

static int
parse(const char *json, struct errbuf *eb)
{
    return vfstate_parse("state.json", json, strlen(json), &s, eb);
}

Test(vfstate, a_missing_file_is_an_empty_state)
{
    _cleanup_free_ char *path = xasprintf("%s/none/vfio-state.json", tmp);
    struct errbuf eb = { 0 };

    cr_assert(eq(int, vfstate_load(path, &s, &eb), 0), "%s", eb.msg);
    cr_assert(eq(sz, s->n, 0));
}

Test(vfstate, entries_are_kept_in_address_order_and_replaced_by_vf)
{
    s = vfstate_new();
    vfstate_set(s, "0000:41:01.0", "nvidia-594", C1, RP, 0);
    vfstate_set(s, "0000:41:00.5", "nvidia-594", NULL, NULL, 1000);
    vfstate_set(s, "0000:3e:00.4", "nvidia-1156", C1, RP, 0);
    vfstate_set(s, "0000:41:00.5", "nvidia-602", C1, RP, 99);
    cr_assert(eq(sz, s->n, 3));
    cr_assert(eq(str, s->v[0].vf, "0000:3e:00.4"));
    cr_assert(eq(str, s->v[1].vf, "0000:41:00.5"));
    cr_assert(eq(str, s->v[1].type_id, "nvidia-602"));
    cr_assert(eq(str, s->v[1].consumer, C1));
    cr_assert(eq(i64, (long long)s->v[1].since, 0)); /* an owner's */
    cr_assert(eq(str, s->v[2].vf, "0000:41:01.0"));
    cr_assert(vfstate_find(s, "0000:41:00.6") == NULL);
}

Test(vfstate, saved_and_loaded_it_is_the_same)
{
    _cleanup_free_ char *path = xasprintf("%s/lib/vfio-state.json", tmp);
    _cleanup_(vfstate_freep) struct vfstate *back = NULL;
    struct errbuf eb = { 0 };
    struct stat st;

    s = vfstate_new();
    vfstate_set(s, "0000:41:00.5", "nvidia-594", C1, RP, 0);
    vfstate_set(s, "0000:41:00.6", "nvidia-594", NULL, NULL, 1733412345);
    cr_assert(eq(int, vfstate_save(s, path, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, stat(path, &st), 0));
    cr_assert(eq(u32, st.st_mode & 0777, 0644));
    cr_assert(eq(int, vfstate_load(path, &back, &eb), 0), "%s", eb.msg);
    cr_assert(vfstate_equal(s, back));
    cr_assert(eq(i64, (long long)back->v[1].since, 1733412345));
}

Test(vfstate, the_format_is_the_documented_one)
{
    _cleanup_free_ char *text = NULL;

    s = vfstate_new();
    vfstate_set(s, "0000:41:00.6", "nvidia-594", NULL, NULL, 1733412345);
    vfstate_set(s, "0000:41:00.5", "nvidia-594", C1, RP, 0);
    text = vfstate_format(s);
    cr_assert(eq(str, text,
                 "{\n\t\"version\":\t1,\n\t\"vfs\":\t{\n"
                 "\t\t\"0000:41:00.5\":\t{\n"
                 "\t\t\t\"type\":\t\"nvidia-594\",\n"
                 "\t\t\t\"consumer\":\t\"" C1 "\",\n"
                 "\t\t\t\"provider\":\t\"" RP "\"\n\t\t},\n"
                 "\t\t\"0000:41:00.6\":\t{\n"
                 "\t\t\t\"type\":\t\"nvidia-594\",\n"
                 "\t\t\t\"orphan_since\":\t1733412345\n\t\t}\n\t}\n}"));
}

Test(vfstate, anything_else_is_refused_whole_with_the_reason)
{
    static const struct {
        const char *json, *why;
    } cases[] = {
        { "[]", "not a JSON object" },
        { "{\"version\": 2, \"vfs\": {}}", "not version 1" },
        { "{\"version\": 1}", "no \"vfs\" object" },
        { "{\"version\": 1, \"vfs\": {\"41:00.5\": {}}}",
          "not \"<VF address>\"" },
        { "{\"version\": 1, \"vfs\": {\"0000:41:00.5\": {\"type\": \"594\"}}}",
          "no type nvidia-<id>" },
        { "{\"version\": 1, \"vfs\": {\"0000:41:00.5\": {\"type\": "
          "\"nvidia-594\", \"consumer\": \"" C1 "\"}}}",
          "both be lower-case UUIDs" },
        { "{\"version\": 1, \"vfs\": {\"0000:41:00.5\": {\"type\": "
          "\"nvidia-594\"}}}",
          "neither an owner" },
        { "{\"version\": 1, \"vfs\": {\"0000:41:00.5\": {\"type\": "
          "\"nvidia-594\", \"orphan_since\": 5}, \"0000:41:00.5\": "
          "{\"type\": \"nvidia-594\", \"orphan_since\": 5}}}",
          "0000:41:00.5 twice" },
        { NULL, NULL },
    };

    for (size_t i = 0; cases[i].json; i++) {
        struct errbuf eb = { 0 };

        cr_assert(eq(int, parse(cases[i].json, &eb), -EPROTO), "%s",
                  cases[i].json);
        cr_assert(ne(ptr, strstr(eb.msg, cases[i].why), NULL), "%s: %s",
                  cases[i].json, eb.msg);
        cr_assert(ne(ptr, strstr(eb.msg, "state.json: "), NULL));
    }
}

Test(vfstate, a_failed_save_leaves_the_old_file)
{
    _cleanup_free_ char *path = xasprintf("%s/vfio-state.json", tmp);
    _cleanup_(vfstate_freep) struct vfstate *back = NULL;
    struct errbuf eb = { 0 };

    s = vfstate_new();
    vfstate_set(s, "0000:41:00.5", "nvidia-594", C1, RP, 0);
    cr_assert(eq(int, vfstate_save(s, path, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, chmod(tmp, 0555), 0));
    vfstate_set(s, "0000:41:00.6", "nvidia-594", C1, RP, 0);
    if (geteuid() != 0) /* root writes anyway */
        cr_assert(lt(int, vfstate_save(s, path, &eb), 0));
    cr_assert(eq(int, chmod(tmp, 0755), 0));
    cr_assert(eq(int, vfstate_load(path, &back, &eb), 0), "%s", eb.msg);
    if (geteuid() != 0)
        cr_assert(eq(sz, back->n, 1));
}
