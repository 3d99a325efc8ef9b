/*
 * test-typedesc.c - vendor descriptions: real strings, and everything else.
 */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "typedesc.h"

static struct type_desc d;

static void
clear(void)
{
    typedesc_clear(&d);
}

TestSuite(typedesc, .fini = clear);

static void
assert_pairs(const char *const *want, size_t n)
{
    cr_assert(eq(sz, d.pairs.n, n));
    for (size_t i = 0; i < n; i++)
        cr_assert(eq(int, strcmp(d.pairs.v[i], want[i]), 0), "pair %zu: %s", i,
                  d.pairs.v[i]);
}

static void
assert_nothing_decoded(void)
{
    cr_assert(eq(uint, d.num_heads, 0));
    cr_assert(eq(uint, d.max_res_w, 0));
    cr_assert(eq(uint, d.max_res_h, 0));
    cr_assert(eq(uint, d.max_instance, 0));
    cr_assert(eq(uint, d.framebuffer_mb, 0));
}

Test(typedesc, nvidia_p4_2q)
{
    static const char *const want[] = {
        "num_heads=4",       "frl_config=60",
        "framebuffer=2048M", "max_resolution=7680x4320",
        "max_instance=4",
    };

    typedesc_parse("num_heads=4, frl_config=60, framebuffer=2048M, "
                   "max_resolution=7680x4320, max_instance=4",
                   &d);
    cr_assert(eq(uint, d.num_heads, 4));
    cr_assert(eq(uint, d.framebuffer_mb, 2048));
    cr_assert(eq(uint, d.max_res_w, 7680));
    cr_assert(eq(uint, d.max_res_h, 4320));
    cr_assert(eq(uint, d.max_instance, 4));
    assert_pairs(want, 5);
}

/* Criterion re-executes the binary per test: parameters hold no pointers. */
struct nvidia_case {
    char text[128];
    unsigned heads, fb, w, h, max;
};

ParameterizedTestParameters(typedesc, nvidia_captured)
{
    static struct nvidia_case cases[] = {
        /* GRID M60-0B */
        { "num_heads=2, frl_config=45, framebuffer=512M, "
          "max_resolution=2560x1600, max_instance=16",
          2, 512, 2560, 1600, 16 },
        /* GRID V100-16C */
        { "num_heads=1, frl_config=60, framebuffer=16384M, "
          "max_resolution=4096x2160, max_instance=1",
          1, 16384, 4096, 2160, 1 },
        /* GRID P40-24C (R525 resolution) */
        { "num_heads=1, frl_config=60, framebuffer=24576M, "
          "max_resolution=4096x2400, max_instance=1",
          1, 24576, 4096, 2400, 1 },
        /* with the kernel's trailing newline left in */
        { "num_heads=4, frl_config=60, framebuffer=1024M, "
          "max_resolution=5120x2880, max_instance=8\n",
          4, 1024, 5120, 2880, 8 },
    };

    return cr_make_param_array(struct nvidia_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct nvidia_case *c, typedesc, nvidia_captured)
{
    typedesc_parse(c->text, &d);
    cr_assert(eq(uint, d.num_heads, c->heads));
    cr_assert(eq(uint, d.framebuffer_mb, c->fb));
    cr_assert(eq(uint, d.max_res_w, c->w));
    cr_assert(eq(uint, d.max_res_h, c->h));
    cr_assert(eq(uint, d.max_instance, c->max));
    cr_assert(eq(sz, d.pairs.n, 5));
}

Test(typedesc, intel_gvtg_multi_line)
{
    static const char *const want[] = {
        "low_gm_size=128MB",    "high_gm_size=512MB", "fence=4",
        "resolution=1920x1200", "weight=4",
    };

    typedesc_parse("low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\n"
                   "resolution: 1920x1200\nweight: 4",
                   &d);
    cr_assert(eq(uint, d.framebuffer_mb, 512));
    cr_assert(eq(uint, d.max_res_w, 1920));
    cr_assert(eq(uint, d.max_res_h, 1200));
    cr_assert(eq(uint, d.num_heads, 0));
    cr_assert(eq(uint, d.max_instance, 0));
    assert_pairs(want, 5);
}

Test(typedesc, intel_with_out_of_tree_aggregation_and_crlf)
{
    typedesc_parse("low_gm_size: 64MB\r\nhigh_gm_size: 384MB\r\nfence: 4\r\n"
                   "resolution: 1024x768\r\nweight: 2\r\naggregation: yes\r\n",
                   &d);
    cr_assert(eq(uint, d.framebuffer_mb, 384));
    cr_assert(eq(uint, d.max_res_w, 1024));
    cr_assert(eq(uint, d.max_res_h, 768));
    cr_assert(eq(sz, d.pairs.n, 6));
    cr_assert(eq(str, d.pairs.v[5], "aggregation=yes"));
}

Test(typedesc, null_and_empty_are_empty)
{
    typedesc_parse(NULL, &d);
    assert_nothing_decoded();
    cr_assert(eq(sz, d.pairs.n, 0));
    typedesc_parse("", &d);
    assert_nothing_decoded();
    cr_assert(eq(sz, d.pairs.n, 0));
}

struct garbage {
    char text[64];
};

ParameterizedTestParameters(typedesc, garbage_yields_nothing)
{
    static struct garbage cases[] = {
        { "virtual display, 640x480 framebuffer" }, /* mdpy */
        { "hello world" },
        { "=,=,:,:" },
        { ",,,\n\n" },
        { "=4, :5" },
        { "num heads=4" },
        { "num_heads=" },
        { "num_heads=\x01" },
        { "\x01\x02\x03" },
        { "num_heads" },
    };

    return cr_make_param_array(struct garbage, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct garbage *g, typedesc, garbage_yields_nothing)
{
    typedesc_parse(g->text, &d);
    assert_nothing_decoded();
    cr_assert(eq(sz, d.pairs.n, 0), "\"%s\" gave %zu pairs", g->text,
              d.pairs.n);
}

Test(typedesc, partial_keeps_the_good_pairs)
{
    static const char *const want[] = { "num_heads=4", "max_instance=2" };

    typedesc_parse("num_heads=4, framebuffer=, garbage, max_instance=2, =9",
                   &d);
    cr_assert(eq(uint, d.num_heads, 4));
    cr_assert(eq(uint, d.max_instance, 2));
    cr_assert(eq(uint, d.framebuffer_mb, 0));
    assert_pairs(want, 2);
}

Test(typedesc, huge_numbers_are_ignored_but_kept_as_pairs)
{
    typedesc_parse("num_heads=99999999999999999999, framebuffer=4294967296M, "
                   "max_instance=4294967295, max_resolution=4294967296x100",
                   &d);
    cr_assert(eq(uint, d.num_heads, 0));
    cr_assert(eq(uint, d.framebuffer_mb, 0));
    cr_assert(eq(uint, d.max_instance, 4294967295u));
    cr_assert(eq(uint, d.max_res_w, 0));
    cr_assert(eq(uint, d.max_res_h, 0));
    cr_assert(eq(sz, d.pairs.n, 4));
}

Test(typedesc, gigabytes_that_overflow_megabytes_are_ignored)
{
    typedesc_parse("framebuffer=4194304G", &d); /* 2^32 MB */
    cr_assert(eq(uint, d.framebuffer_mb, 0));
    typedesc_clear(&d);
    typedesc_parse("framebuffer=4194303G", &d);
    cr_assert(eq(uint, d.framebuffer_mb, 4194303u * 1024u));
}

struct resolution_case {
    char text[48];
    unsigned w, h;
};

ParameterizedTestParameters(typedesc, resolution)
{
    static struct resolution_case cases[] = {
        { "max_resolution=7680x4320", 7680, 4320 },
        { "resolution: 1920x1200", 1920, 1200 },
        { "max_resolution=abcx100", 0, 0 },
        { "max_resolution=100xabc", 0, 0 },
        { "max_resolution=7680x", 0, 0 },
        { "max_resolution=x4320", 0, 0 },
        { "max_resolution=0x100", 0, 0 },
        { "max_resolution=100x0", 0, 0 },
        { "max_resolution=7680X4320", 0, 0 },
        { "max_resolution=7680x4320x2", 0, 0 },
        { "max_resolution=-1x100", 0, 0 },
        { "max_resolution= 7680 x 4320", 0, 0 },
    };

    return cr_make_param_array(struct resolution_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct resolution_case *c, typedesc, resolution)
{
    typedesc_parse(c->text, &d);
    cr_assert(eq(uint, d.max_res_w, c->w), "%s", c->text);
    cr_assert(eq(uint, d.max_res_h, c->h), "%s", c->text);
    cr_assert(eq(sz, d.pairs.n, 1), "a well-formed pair is kept: %s", c->text);
}

struct fb_case {
    char text[48];
    unsigned mb;
};

ParameterizedTestParameters(typedesc, framebuffer)
{
    static struct fb_case cases[] = {
        { "framebuffer=2048M", 2048 },  { "framebuffer=16G", 16384 },
        { "framebuffer=512MB", 512 },   { "framebuffer=1GB", 1024 },
        { "high_gm_size: 512MB", 512 }, { "high_gm_size: 2048MB", 2048 },
        { "framebuffer=2048", 0 },      { "framebuffer=M", 0 },
        { "framebuffer=-1M", 0 },       { "framebuffer=2048K", 0 },
        { "framebuffer=2048 M", 0 },    { "framebuffer=2048MiB", 0 },
        { "framebuffer=0x10M", 0 },     { "low_gm_size: 128MB", 0 },
    };

    return cr_make_param_array(struct fb_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct fb_case *c, typedesc, framebuffer)
{
    typedesc_parse(c->text, &d);
    cr_assert(eq(uint, d.framebuffer_mb, c->mb), "%s", c->text);
}

Test(typedesc, nvidia_framebuffer_wins_over_high_gm_size)
{
    typedesc_parse("framebuffer=1024M, high_gm_size: 512MB", &d);
    cr_assert(eq(uint, d.framebuffer_mb, 1024));
    typedesc_clear(&d);
    typedesc_parse("high_gm_size: 512MB, framebuffer=1024M", &d);
    cr_assert(eq(uint, d.framebuffer_mb, 1024));
}

Test(typedesc, bad_value_of_a_known_key_is_ignored)
{
    typedesc_parse("num_heads=four, max_instance=-1, num_heads=2", &d);
    cr_assert(eq(uint, d.num_heads, 2));
    cr_assert(eq(uint, d.max_instance, 0));
    cr_assert(eq(sz, d.pairs.n, 3));
}

Test(typedesc, whitespace_around_keys_and_values_is_trimmed)
{
    typedesc_parse("  num_heads = 4 ,\tmax_instance:2  \n", &d);
    cr_assert(eq(uint, d.num_heads, 4));
    cr_assert(eq(uint, d.max_instance, 2));
    cr_assert(eq(str, d.pairs.v[0], "num_heads=4"));
    cr_assert(eq(str, d.pairs.v[1], "max_instance=2"));
}

Test(typedesc, first_separator_splits_key_and_value)
{
    typedesc_parse("url=http://x:80/", &d);
    cr_assert(eq(sz, d.pairs.n, 1));
    cr_assert(eq(str, d.pairs.v[0], "url=http://x:80/"));
}

Test(typedesc, very_long_items_are_skipped)
{
    char text[600];

    memset(text, 'a', sizeof(text) - 1);
    text[0] = 'k';
    text[1] = '=';
    text[sizeof(text) - 1] = '\0';
    typedesc_parse(text, &d);
    cr_assert(eq(sz, d.pairs.n, 0));
}

Test(typedesc, clear_resets_and_allows_reuse)
{
    typedesc_parse("num_heads=4", &d);
    typedesc_clear(&d);
    assert_nothing_decoded();
    cr_assert(eq(sz, d.pairs.n, 0));
    cr_assert(eq(ptr, d.pairs.v, NULL));
    typedesc_clear(&d);
    typedesc_clear(NULL);
    typedesc_parse("max_instance=3", &d);
    cr_assert(eq(uint, d.max_instance, 3));
}
