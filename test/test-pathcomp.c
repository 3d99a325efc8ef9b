/*
 * test-pathcomp.c - the one rule for a name that becomes a path component.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "pathcomp.h"

TestSuite(pathcomp);

Test(pathcomp, device_names_type_ids_and_uuids_pass)
{
    static const char *const good[] = {
        "0000:3b:00.0",
        "mtty",
        "nvidia-35",
        "i915-GVTg_V5_4",
        "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c1",
        "...",
        ".hidden",
        "!~",
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        cr_expect(pathcomp_problem(good[i]) == NULL, "%s", good[i]);
}

Test(pathcomp, each_reason_is_named)
{
    static const struct {
        const char *s, *why;
    } bad[] = {
        { "", "empty" },
        { ".", "not a file name" },
        { "..", "not a file name" },
        { "a/b", "contains '/'" },
        { "../x", "contains '/'" },
        { "a b", "not printable ASCII" },
        { "gpu\n", "not printable ASCII" },
        { "x\x7f", "not printable ASCII" },
        { "GRID \xc3\xa9", "not printable ASCII" }, /* valid UTF-8, still no */
        { "\xff", "not printable ASCII" },
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        const char *why = pathcomp_problem(bad[i].s);

        cr_expect(why && strcmp(why, bad[i].why) == 0, "case %zu: %s", i,
                  why ? why : "(passed)");
    }
}

Test(pathcomp, at_most_255_bytes)
{
    char name[257];

    memset(name, 'n', 256);
    name[255] = '\0';
    cr_assert(pathcomp_problem(name) == NULL);
    name[255] = 'n';
    name[256] = '\0';
    cr_assert(pathcomp_problem(name) != NULL);
    cr_assert(
        eq(int, strcmp(pathcomp_problem(name), "longer than 255 bytes"), 0));
}

Test(pathcomp, check_quotes_the_name_escaped)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, pathcomp_check("parent", "0000:3b:00.0", &eb), 0));
    cr_assert(eq(int, pathcomp_check("parent", "gpu\n\"x", &eb), -EINVAL));
    cr_assert(eq(str, eb.msg, "parent \"gpu\\x0a\\\"x\": not printable ASCII"));
    cr_assert(eq(int, pathcomp_check("mdev_type", NULL, &eb), -EINVAL));
    cr_assert(eq(str, eb.msg, "mdev_type \"\": missing"));
    cr_assert(eq(int, pathcomp_check("x", "", NULL), -EINVAL));
}
