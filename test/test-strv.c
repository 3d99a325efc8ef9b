/*
 * test-strv.c - the string vector, plus the small infrastructure beneath it
 * (xalloc, errbuf, log), which has no test binary of its own.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/redirect.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "errbuf.h"
#include "log.h"
#include "strv.h"
#include "xalloc.h"

/* The vector as one string, "a,b,c", for a readable diff on failure; also
 * checks the NULL terminator the header promises. */
static char *
joined(const struct strv *sv)
{
    size_t len = 1;
    char *s;

    for (size_t i = 0; i < sv->n; i++)
        len += strlen(sv->v[i]) + 1;
    s = xcalloc(1, len);
    for (size_t i = 0; i < sv->n; i++) {
        if (i > 0)
            strcat(s, ",");
        strcat(s, sv->v[i]);
    }
    if (sv->v)
        cr_assert(sv->v[sv->n] == NULL, "v[n] is not NULL");
    return s;
}

#define cr_assert_strv(sv, expect)                                             \
    do {                                                                       \
        char *j_ = joined(sv);                                                 \
        cr_assert(eq(str, j_, expect));                                        \
        free(j_);                                                              \
    } while (0)

/* --- strv ---------------------------------------------------------------- */

TestSuite(strv);

Test(strv, a_zeroed_vector_is_empty_and_contains_nothing)
{
    struct strv sv = { 0 };

    cr_assert(eq(sz, sv.n, 0));
    cr_assert(not(strv_contains(&sv, "")));
    strv_sort_uniq(&sv);
    cr_assert(eq(sz, sv.n, 0));
    strv_clear(&sv);
}

Test(strv, push_copies_the_string_and_keeps_order)
{
    struct strv sv = { 0 };
    char buf[] = "first";

    strv_push(&sv, buf);
    buf[0] = 'F';
    strv_push(&sv, "second");
    cr_assert(ne(ptr, sv.v[0], buf));
    cr_assert_strv(&sv, "first,second");
    strv_clear(&sv);
}

Test(strv, take_adopts_the_pointer)
{
    struct strv sv = { 0 };
    char *s = xstrdup("owned");

    strv_take(&sv, s);
    cr_assert(eq(ptr, sv.v[0], s));
    cr_assert(eq(sz, sv.n, 1));
    strv_clear(&sv);
}

Test(strv, pushf_formats)
{
    struct strv sv = { 0 };

    strv_pushf(&sv, "CUSTOM_%s_%d", "NVIDIA", 11);
    cr_assert_strv(&sv, "CUSTOM_NVIDIA_11");
    strv_clear(&sv);
}

Test(strv, grows_past_its_initial_capacity_and_stays_terminated)
{
    struct strv sv = { 0 };

    for (int i = 0; i < 100; i++)
        strv_pushf(&sv, "%d", i);
    cr_assert(eq(sz, sv.n, 100));
    cr_assert(gt(sz, sv.cap, sv.n));
    cr_assert(eq(str, sv.v[0], "0"));
    cr_assert(eq(str, sv.v[99], "99"));
    cr_assert(eq(ptr, sv.v[100], NULL));
    strv_clear(&sv);
}

Test(strv, contains_matches_whole_strings_only)
{
    struct strv sv = { 0 };

    strv_push(&sv, "VGPU");
    strv_push(&sv, "");
    cr_assert(strv_contains(&sv, "VGPU"));
    cr_assert(strv_contains(&sv, ""));
    cr_assert(not(strv_contains(&sv, "VGP")));
    cr_assert(not(strv_contains(&sv, "VGPUS")));
    cr_assert(not(strv_contains(&sv, "vgpu")));
    strv_clear(&sv);
}

Test(strv, sort_uniq_sorts_bytewise_and_drops_every_duplicate)
{
    struct strv sv = { 0 };
    const char *in[] = { "b", "a", "B", "b", "c", "a", "b", "_", "a" };

    for (size_t i = 0; i < sizeof(in) / sizeof(*in); i++)
        strv_push(&sv, in[i]);
    strv_sort_uniq(&sv);
    /* bytewise: uppercase before '_' before lowercase */
    cr_assert_strv(&sv, "B,_,a,b,c");
    strv_clear(&sv);
}

Test(strv, sort_uniq_of_all_equal_strings_leaves_one)
{
    struct strv sv = { 0 };

    for (int i = 0; i < 5; i++)
        strv_push(&sv, "same");
    strv_sort_uniq(&sv);
    cr_assert_strv(&sv, "same");
    strv_clear(&sv);
}

Test(strv, copy_appends_independent_copies)
{
    struct strv a = { 0 }, b = { 0 };

    strv_push(&a, "x");
    strv_push(&a, "y");
    strv_push(&b, "w");
    strv_copy(&b, &a);
    cr_assert_strv(&b, "w,x,y");
    cr_assert(ne(ptr, b.v[1], a.v[0]));
    strv_clear(&a);
    cr_assert_strv(&b, "w,x,y");
    strv_clear(&b);
}

Test(strv, copy_onto_itself_doubles_the_vector, .timeout = 10)
{
    struct strv sv = { 0 };

    for (int i = 0; i < 7; i++) /* 8 slots: the copy must reallocate */
        strv_pushf(&sv, "%d", i);
    strv_copy(&sv, &sv);
    cr_assert_strv(&sv, "0,1,2,3,4,5,6,0,1,2,3,4,5,6");
    strv_clear(&sv);
}

Test(strv, clear_leaves_a_reusable_empty_vector)
{
    struct strv sv = { 0 };

    strv_push(&sv, "a");
    strv_clear(&sv);
    cr_assert(eq(ptr, sv.v, NULL));
    cr_assert(eq(sz, sv.n, 0));
    cr_assert(eq(sz, sv.cap, 0));
    strv_clear(&sv); /* twice is fine */
    strv_push(&sv, "b");
    cr_assert_strv(&sv, "b");
    strv_clear(&sv);
}

/* --- xalloc -------------------------------------------------------------- */

TestSuite(xalloc);

Test(xalloc, xgrow_makes_index_n_fit_and_zeroes_the_new_tail)
{
    int *arr = NULL;
    size_t cap = 0;

    xgrow(&arr, &cap, 0, sizeof(*arr));
    cr_assert(gt(sz, cap, 0));
    arr[0] = 7;
    xgrow(&arr, &cap, 100, sizeof(*arr));
    cr_assert(gt(sz, cap, 100));
    cr_assert(eq(int, arr[0], 7));
    for (size_t i = 1; i < cap; i++)
        cr_assert(eq(int, arr[i], 0), "arr[%zu]", i);
    free(arr);
}

Test(xalloc, xgrow_leaves_a_big_enough_array_alone)
{
    int *arr = NULL;
    size_t cap = 0;
    int *before;

    xgrow(&arr, &cap, 3, sizeof(*arr));
    before = arr;
    xgrow(&arr, &cap, cap - 1, sizeof(*arr));
    cr_assert(eq(ptr, arr, before));
    free(arr);
}

Test(xalloc, xasprintf_and_xstrndup_copy_what_they_are_given)
{
    char *a = xasprintf("%s:%02x", "bus", 0x84);
    char *b = xstrndup("0000:84:00.0 trailing", 12);
    char *c = xmalloc(0); /* a unique pointer, not NULL */

    cr_assert(eq(str, a, "bus:84"));
    cr_assert(eq(str, b, "0000:84:00.0"));
    cr_assert(c != NULL);
    free(a);
    free(b);
    free(c);
}

/* --- errbuf -------------------------------------------------------------- */

TestSuite(errbuf);

Test(errbuf, set_records_code_and_message_and_returns_the_code)
{
    struct errbuf eb = { 0 };

    cr_assert(
        eq(int, errbuf_set(&eb, -ENOENT, "%s: %s", "a/b", "gone"), -ENOENT));
    cr_assert(eq(int, eb.code, -ENOENT));
    cr_assert(eq(str, eb.msg, "a/b: gone"));
}

Test(errbuf, a_null_errbuf_still_passes_the_code_through)
{
    cr_assert(eq(int, errbuf_set(NULL, -EACCES, "x"), -EACCES));
    cr_assert(eq(int, errbuf_prefix(NULL, "ctx"), -EIO));
    errbuf_clear(NULL);
}

Test(errbuf, prefix_adds_context_and_returns_the_code)
{
    struct errbuf eb = { 0 };

    errbuf_set(&eb, -EACCES, "create: Permission denied");
    cr_assert(eq(int, errbuf_prefix(&eb, "type %s", "nvidia-35"), -EACCES));
    cr_assert(eq(int, errbuf_prefix(&eb, "gpu %s", "0000:84:00.0"), -EACCES));
    cr_assert(
        eq(str, eb.msg,
           "gpu 0000:84:00.0: type nvidia-35: create: Permission denied"));
    cr_assert(eq(int, eb.code, -EACCES));
}

Test(errbuf, prefix_without_a_recorded_error_makes_it_an_eio_failure)
{
    struct errbuf eb = { 0 };

    cr_assert(eq(int, errbuf_prefix(&eb, "ctx"), -EIO));
    cr_assert(eq(int, eb.code, -EIO));
    cr_assert(eq(str, eb.msg, "ctx: "));
}

Test(errbuf, prefix_truncation_keeps_the_start)
{
    struct errbuf eb = { 0 };
    char longmsg[ERRBUF_MSG_MAX];

    memset(longmsg, 'x', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    errbuf_set(&eb, -EINVAL, "%s", longmsg);
    cr_assert(eq(sz, strlen(eb.msg), ERRBUF_MSG_MAX - 1));
    errbuf_prefix(&eb, "gpu %s", "0000:84:00.0");
    cr_assert(eq(sz, strlen(eb.msg), ERRBUF_MSG_MAX - 1));
    cr_assert(eq(int, strncmp(eb.msg, "gpu 0000:84:00.0: xxx", 21), 0), "%s",
              eb.msg);
    cr_assert(eq(int, eb.code, -EINVAL));
}

Test(errbuf, clear_forgets_the_error)
{
    struct errbuf eb = { 0 };

    errbuf_set(&eb, -EINVAL, "bad");
    errbuf_clear(&eb);
    cr_assert(eq(int, eb.code, 0));
    cr_assert(eq(str, eb.msg, ""));
}

/* --- log (stderr) -------------------------------------------------------- */

TestSuite(log, .init = cr_redirect_stderr);

Test(log, text_lines_name_the_program_and_the_level)
{
    log_setup(LOG_FORMAT_TEXT, LOG_INFO);
    log_error("cycle failed: %s", "timeout");
    log_warn("gpu %s skipped", "0000:84:00.0");
    log_info("%d providers", 3);
    fflush(stderr);
    cr_assert_stderr_eq_str("vgpu-agent: error: cycle failed: timeout\n"
                            "vgpu-agent: warning: gpu 0000:84:00.0 skipped\n"
                            "vgpu-agent: info: 3 providers\n");
}

Test(log, levels_above_the_maximum_are_dropped)
{
    log_setup(LOG_FORMAT_TEXT, LOG_WARNING);
    log_debug("debug");
    log_info("info");
    log_warn("kept");
    fflush(stderr);
    cr_assert_stderr_eq_str("vgpu-agent: warning: kept\n");
}

Test(log, debug_is_printed_when_enabled)
{
    log_setup(LOG_FORMAT_TEXT, LOG_DEBUG);
    log_debug("x=%d", 1);
    fflush(stderr);
    cr_assert_stderr_eq_str("vgpu-agent: debug: x=1\n");
}

/* The whole of what the tests wrote on stderr. */
static char *
read_stderr(void)
{
    FILE *f = cr_get_redirected_stderr();
    char buf[4096];
    size_t n;

    fflush(stderr);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    return xstrdup(buf);
}

Test(log, json_prints_one_escaped_object_per_line)
{
    _cleanup_free_ char *out = NULL;
    char *nl;
    cJSON *o;

    log_setup(LOG_FORMAT_JSON, LOG_INFO);
    log_warn("path \"%s\"\n", "a\\b");
    log_info("ok");
    log_debug("dropped");
    out = read_stderr();
    nl = strchr(out, '\n');
    cr_assert(nl != NULL, "%s", out);
    *nl = 0;
    o = cJSON_Parse(out);
    cr_assert(o != NULL, "%s", out);
    cr_assert(eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "level")),
                 "warning"));
    cr_assert(eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "msg")),
                 "path \"a\\b\"\n"));
    cJSON_Delete(o);
    o = cJSON_Parse(nl + 1);
    cr_assert(o != NULL, "%s", nl + 1);
    cr_assert(
        eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "msg")), "ok"));
    cr_assert(eq(int, cJSON_GetArraySize(o), 3)); /* ts level msg */
    cJSON_Delete(o);
    cr_assert(eq(ptr, strchr(strchr(nl + 1, '\n') + 1, '\n'), NULL));
}

Test(log, json_has_an_rfc3339_time_and_the_fields_given)
{
    _cleanup_free_ char *out = NULL;
    cJSON *o;
    const char *ts;

    log_setup(LOG_FORMAT_JSON, LOG_NOTICE);
    log_event(LOG_NOTICE,
              &(struct log_fields){ .event = LOG_EVENT_MDEV_CREATED,
                                    .gpu = "0000:3d:00.0",
                                    .device = "u-1",
                                    .consumer = "c-1",
                                    .status = 409,
                                    .err = -EAGAIN },
              "made it");
    out = read_stderr();
    o = cJSON_Parse(out);
    cr_assert(o != NULL, "%s", out);
    ts = cJSON_GetStringValue(cJSON_GetObjectItem(o, "ts"));
    cr_assert(ts != NULL && strlen(ts) == 24 && ts[4] == '-' && ts[10] == 'T' &&
                  ts[19] == '.' && ts[23] == 'Z',
              "ts: %s", ts ? ts : "(none)");
    cr_assert(eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "level")),
                 "notice"));
    cr_assert(eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "event")),
                 "mdev_created"));
    cr_assert(eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "gpu")),
                 "0000:3d:00.0"));
    cr_assert(
        eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "device")), "u-1"));
    cr_assert(eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "consumer")),
                 "c-1"));
    cr_assert(eq(int, cJSON_GetObjectItem(o, "status")->valueint, 409));
    cr_assert(eq(int, cJSON_GetObjectItem(o, "errno")->valueint, EAGAIN));
    cr_assert(eq(ptr, cJSON_GetObjectItem(o, "provider"), NULL));
    cJSON_Delete(o);
}

Test(log, notices_are_printed_at_the_default_level_info_is_not)
{
    log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_DEFAULT);
    log_info("hidden");
    log_event(LOG_NOTICE, &(struct log_fields){ .event = "x" }, "shown %d", 1);
    fflush(stderr);
    cr_assert_stderr_eq_str("vgpu-agent: notice: shown 1\n");
}
