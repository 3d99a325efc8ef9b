/*
 * test-parse.c - strict number and boolean parsing: whole string or nothing.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "fixture.h"
#include "parse.h"

/* Strings live inside the case (not as pointers): parameters are copied into
 * each test's process. */
struct uint_case {
    char s[32];
    unsigned long max;
    int r;
    unsigned long v; /* when r == 0 */
};

ParameterizedTestParameters(parse, uint_accepts_only_plain_decimal_within_max)
{
    static struct uint_case cases[] = {
        { "0", 10, 0, 0 },
        { "42", 100, 0, 42 },
        { "007", 100, 0, 7 },
        { "100", 100, 0, 100 }, /* max is inclusive */
        { "101", 100, -ERANGE, 0 },
        { "4294967296", UINT_MAX, -ERANGE, 0 },
        { "4294967295", UINT_MAX, 0, UINT_MAX },
        { "18446744073709551615", ULONG_MAX, 0, ULONG_MAX },
        { "18446744073709551616", ULONG_MAX, -ERANGE, 0 },
        { "99999999999999999999999", 10, -ERANGE, 0 },
        { "", 10, -EINVAL, 0 },
        { "+1", 10, -EINVAL, 0 },
        { "-1", 10, -EINVAL, 0 },
        { "-0", 10, -EINVAL, 0 },
        { " 1", 10, -EINVAL, 0 },
        { "1 ", 10, -EINVAL, 0 },
        { "1\n", 10, -EINVAL, 0 },
        { "0x10", 100, -EINVAL, 0 },
        { "1.0", 10, -EINVAL, 0 },
        { "1e3", 10000, -EINVAL, 0 },
        { "12a", 100, -EINVAL, 0 },
        { "abc", 100, -EINVAL, 0 },
        { "99999999999999999999999x", 10, -EINVAL, 0 }, /* junk beats range */
    };

    return cr_make_param_array(struct uint_case, cases, NELEM(cases));
}

ParameterizedTest(struct uint_case *c, parse,
                  uint_accepts_only_plain_decimal_within_max)
{
    unsigned long v = 12345;

    cr_assert(eq(int, parse_uint(c->s, c->max, &v), c->r), "input \"%s\"",
              c->s);
    if (c->r == 0)
        cr_assert(eq(ulong, v, c->v), "input \"%s\"", c->s);
    else
        cr_assert(eq(ulong, v, 12345), "\"%s\" wrote *ret on failure", c->s);
}

Test(parse, uint_of_null_is_einval)
{
    unsigned long v = 1;

    cr_assert(eq(int, parse_uint(NULL, 10, &v), -EINVAL));
    cr_assert(eq(ulong, v, 1));
}

struct double_case {
    char s[32];
    int r;
    double v;
};

ParameterizedTestParameters(parse, double_accepts_only_a_whole_finite_number)
{
    static struct double_case cases[] = {
        { "1.5", 0, 1.5 },       { "0", 0, 0.0 },
        { "16", 0, 16.0 },       { "-2.25", 0, -2.25 },
        { "1e3", 0, 1000.0 },    { ".5", 0, 0.5 },
        { "", -EINVAL, 0 },      { " 1", -EINVAL, 0 },
        { "1 ", -EINVAL, 0 },    { "1.5x", -EINVAL, 0 },
        { "abc", -EINVAL, 0 },   { "inf", -EINVAL, 0 },
        { "-inf", -EINVAL, 0 },  { "nan", -EINVAL, 0 },
        { "1e400", -EINVAL, 0 }, /* overflows to infinity */
    };

    return cr_make_param_array(struct double_case, cases, NELEM(cases));
}

ParameterizedTest(struct double_case *c, parse,
                  double_accepts_only_a_whole_finite_number)
{
    double v = 12345.0;

    cr_assert(eq(int, parse_double(c->s, &v), c->r), "input \"%s\"", c->s);
    if (c->r == 0)
        cr_assert(eq(dbl, v, c->v), "input \"%s\"", c->s);
    else
        cr_assert(eq(dbl, v, 12345.0), "\"%s\" wrote *ret on failure", c->s);
}

Test(parse, double_of_null_is_einval)
{
    double v = 1.0;

    cr_assert(eq(int, parse_double(NULL, &v), -EINVAL));
}

struct bool_case {
    char s[16];
    int r;
    bool v;
};

ParameterizedTestParameters(parse, bool_accepts_the_yaml_words)
{
    static struct bool_case cases[] = {
        { "true", 0, true },         { "yes", 0, true },
        { "on", 0, true },           { "True", 0, true },
        { "TRUE", 0, true },         { "false", 0, false },
        { "no", 0, false },          { "off", 0, false },
        { "False", 0, false },       { "FALSE", 0, false },
        { "", -EINVAL, false },      { "1", -EINVAL, false },
        { "0", -EINVAL, false },     { "y", -EINVAL, false },
        { "tRUE", -EINVAL, false },  { " true", -EINVAL, false },
        { "true ", -EINVAL, false }, { "truex", -EINVAL, false },
    };

    return cr_make_param_array(struct bool_case, cases, NELEM(cases));
}

ParameterizedTest(struct bool_case *c, parse, bool_accepts_the_yaml_words)
{
    /* start opposite to the expected value so a missing write shows */
    bool v = !c->v;

    cr_assert(eq(int, parse_bool(c->s, &v), c->r), "input \"%s\"", c->s);
    if (c->r == 0)
        cr_assert(eq(int, v, c->v), "input \"%s\"", c->s);
    else
        cr_assert(eq(int, v, !c->v), "\"%s\" wrote *ret on failure", c->s);
}

Test(parse, bool_of_null_is_einval_not_a_crash)
{
    bool v = true;

    cr_assert(eq(int, parse_bool(NULL, &v), -EINVAL));
    cr_assert(eq(int, v, true));
}
