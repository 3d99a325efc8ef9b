/*
 * test-uuidstr.c - the one UUID check: either case in, lower case out.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "uuidstr.h"

#define LOWER "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0c1"
#define UPPER "6E1BD8C8-5A36-4E69-A0F4-1BA2A1E9A0C1"

TestSuite(uuidstr);

Test(uuidstr, either_case_comes_out_lower)
{
    char out[UUIDSTR_LEN];

    cr_assert(eq(int, uuidstr_lower(UPPER, out), 0));
    cr_assert(eq(str, out, LOWER));
    cr_assert(eq(int, uuidstr_lower(LOWER, out), 0));
    cr_assert(eq(str, out, LOWER));
}

Test(uuidstr, anything_but_36_characters_of_uuid_is_einval_and_ret_untouched)
{
    static const char *const bad[] = {
        "",
        "not-a-uuid",
        "{" LOWER "}",
        LOWER "\n",
        LOWER "0",
        "6e1bd8c85a364e69a0f41ba2a1e9a0c1", /* no hyphens */
        "6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9a0cg",
        "../../../../etc/passwd",
    };
    char out[UUIDSTR_LEN] = "untouched";

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        cr_expect(eq(int, uuidstr_lower(bad[i], out), -EINVAL), "%s", bad[i]);
        cr_expect(eq(str, out, "untouched"), "%s", bad[i]);
    }
    cr_expect(eq(int, uuidstr_lower(NULL, out), -EINVAL));
}

Test(uuidstr, is_lower_wants_the_lower_case_spelling_only)
{
    cr_assert(uuidstr_is_lower(LOWER));
    cr_assert(not(uuidstr_is_lower(UPPER)));
    cr_assert(not(uuidstr_is_lower("6e1bd8c8-5a36-4e69-a0f4-1ba2a1e9A0c1")));
    cr_assert(not(uuidstr_is_lower("")));
    cr_assert(not(uuidstr_is_lower(LOWER " ")));
}
