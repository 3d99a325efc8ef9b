/*
 * test-metrics.c - rendering, writing and reading back the metrics file.
 *
 * What metrics.c renders is read twice: by the agent's own parser
 * (metrics-parse.c, what `status` uses) and by Prometheus's Python client
 * (test/promcheck.h), the independent judge of the format.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fixture.h"
#include "metrics.h"
#include "promcheck.h"
#include "xalloc.h"

static char *dir;

static void
make_dir(void)
{
    dir = fixture_tmpdir();
}

static void
remove_dir(void)
{
    fixture_rm_rf(dir);
    free(dir);
    dir = NULL;
}

TestSuite(metrics, .init = make_dir, .fini = remove_dir);

static char *
render(const struct metrics *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    cr_assert(out != NULL);
    cr_assert(eq(int, metrics_render(m, out), 0));
    fclose(out);
    return text;
}

/* Render m, parse it back with metrics_parse(). */
static void
round_trip(const struct metrics *m, struct metrics_file *ret)
{
    _cleanup_free_ char *text = render(m);
    struct errbuf eb = { 0 };

    cr_assert(eq(int, metrics_parse("rendered", text, ret, &eb), 0), "%s\n%s",
              eb.msg, text);
}

static double
value(const struct metrics_file *f, const char *name)
{
    const struct metrics_sample *s = metrics_find(f, name);

    cr_assert(s != NULL, "no sample %s", name);
    return s->value;
}

/* Write m to dir/name and read it with Prometheus's parser. */
static cJSON *
write_and_check(const struct metrics *m, const char *name)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    struct errbuf eb = { 0 };

    cr_assert(eq(int, metrics_write(m, path, &eb), 0), "%s", eb.msg);
    return promcheck(path);
}

static const struct metrics_gpu gpu_3e = {
    .provider = "compute-m60_pci_0000_3e_00_0",
    .uuid = "5b9f3c4e-0000-4000-8000-000000000001",
    .address = "0000:3e:00.0",
    .mdev_type = "nvidia-18",
    .rc = "VGPU",
    .total = 4,
    .reserved = 1,
    .used = 2,
};

Test(metrics, every_family_has_help_and_type_before_the_first_pass)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    _cleanup_free_ char *text = render(m);
    cJSON *samples;

    cr_assert(
        ne(ptr, strstr(text, "# TYPE vgpu_agent_passes_total counter\n"), NULL),
        "%s", text);
    cr_assert(ne(ptr,
                 strstr(text, "# TYPE vgpu_agent_placement_requests_total "
                              "counter\n"),
                 NULL),
              "%s", text);
    cr_assert(ne(ptr, strstr(text, "# TYPE vgpu_agent_gpu_used gauge\n"), NULL),
              "%s", text);
    cr_assert(eq(ptr, strstr(text, "last_pass_success"), NULL),
              "no pass, no last pass: %s", text);
    samples = write_and_check(m, "empty.prom");
    cr_assert(
        eq(dbl, promcheck_value(samples, "vgpu_agent_passes_total", NULL, NULL),
           0));
    cJSON_Delete(samples);
}

Test(metrics, a_failure_after_a_success_starts_failing_since_until_the_next)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    struct metrics_file f = { 0 };

    metrics_record_pass(m, true, 100, 0.5);
    metrics_record_pass(m, false, 200, 1.5);
    metrics_record_pass(m, false, 300, 2.5);
    round_trip(m, &f);
    cr_assert(eq(dbl, value(&f, "vgpu_agent_passes_total"), 3));
    cr_assert(eq(dbl, value(&f, "vgpu_agent_pass_failures_total"), 2));
    cr_assert(eq(dbl, value(&f, "vgpu_agent_last_pass_success"), 0));
    cr_assert(
        eq(dbl, value(&f, "vgpu_agent_last_pass_timestamp_seconds"), 300));
    cr_assert(eq(dbl, value(&f, "vgpu_agent_last_pass_duration_seconds"), 2.5));
    cr_assert(
        eq(dbl, value(&f, "vgpu_agent_last_success_timestamp_seconds"), 100));
    cr_assert(
        eq(dbl, value(&f, "vgpu_agent_failing_since_timestamp_seconds"), 200));
    metrics_file_clear(&f);
    metrics_record_pass(m, true, 400, 0.25);
    round_trip(m, &f);
    cr_assert(eq(dbl, value(&f, "vgpu_agent_last_pass_success"), 1));
    cr_assert(
        eq(dbl, value(&f, "vgpu_agent_failing_since_timestamp_seconds"), 0));
    cr_assert(
        eq(dbl, value(&f, "vgpu_agent_last_success_timestamp_seconds"), 400));
    metrics_file_clear(&f);
}

Test(metrics, a_first_pass_that_fails_is_failing_since_then)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    struct metrics_file f = { 0 };

    metrics_record_pass(m, false, 50, 1);
    round_trip(m, &f);
    cr_assert(
        eq(dbl, value(&f, "vgpu_agent_failing_since_timestamp_seconds"), 50));
    cr_assert(
        eq(dbl, value(&f, "vgpu_agent_last_success_timestamp_seconds"), 0));
    metrics_file_clear(&f);
}

Test(metrics, label_values_are_escaped_as_the_format_says)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    struct metrics_gpu odd = gpu_3e;
    char name[] = "a\"b\\c\nd";
    _cleanup_free_ char *text = NULL;
    struct metrics_file f = { 0 };
    const struct metrics_sample *s;
    cJSON *samples;

    odd.provider = name;
    metrics_set_gpus(m, &odd, 1);
    text = render(m);
    cr_assert(ne(ptr, strstr(text, "provider=\"a\\\"b\\\\c\\nd\""), NULL), "%s",
              text);
    round_trip(m, &f);
    s = metrics_find(&f, "vgpu_agent_gpu_capacity");
    cr_assert(s != NULL);
    cr_assert(strcmp(metrics_label(s, "provider"), name) == 0, "read back: %s",
              metrics_label(s, "provider"));
    metrics_file_clear(&f);
    samples = write_and_check(m, "odd.prom");
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_gpu_capacity", "provider",
                                 name),
                 4),
              "Prometheus's parser reads the name back");
    cJSON_Delete(samples);
}

Test(metrics, gpus_carry_their_labels_and_unknown_use_is_absent)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    struct metrics_gpu gpus[2] = { gpu_3e, gpu_3e };
    cJSON *samples;

    gpus[1].provider = "compute-m60_pci_0000_3f_00_0";
    gpus[1].address = "0000:3f:00.0";
    gpus[1].total = 8;
    gpus[1].used = -1;
    metrics_set_gpus(m, gpus, 2);
    samples = write_and_check(m, "gpus.prom");
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_gpu_capacity", "address",
                                 "0000:3e:00.0"),
                 4));
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_gpu_reserved", "address",
                                 "0000:3e:00.0"),
                 1));
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_gpu_used", "address",
                                 "0000:3e:00.0"),
                 2));
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_gpu_capacity",
                                 "resource_class", "VGPU"),
                 4));
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_gpu_capacity", "address",
                                 "0000:3f:00.0"),
                 8));
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_gpu_used", "address",
                                 "0000:3f:00.0"),
                 -1),
              "no use known, no sample");
    cJSON_Delete(samples);
}

Test(metrics, requests_without_a_response_count_under_status_error)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    const struct placement_count counts[] = {
        { "GET", 0, 3 },
        { "GET", 200, 41 },
        { "PUT", 409, 1 },
    };
    cJSON *samples;

    metrics_set_requests(m, counts, 3);
    samples = write_and_check(m, "requests.prom");
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_placement_requests_total",
                                 "status", "error"),
                 3));
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_placement_requests_total",
                                 "status", "200"),
                 41));
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_placement_requests_total",
                                 "status", "409"),
                 1));
    cr_assert(eq(dbl,
                 promcheck_value(samples, "vgpu_agent_placement_requests_total",
                                 "method", "PUT"),
                 1));
    cJSON_Delete(samples);
}

Test(metrics, reconcile_figures_appear_once_it_ran)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    struct metrics_file f = { 0 };

    metrics_set_reconcile(
        m, &(struct metrics_reconcile){ .created = 5, .removed = 2 });
    round_trip(m, &f);
    cr_assert(eq(dbl, value(&f, "vgpu_agent_mdevs_created_total"), 5));
    cr_assert(eq(dbl, value(&f, "vgpu_agent_mdevs_removed_total"), 2));
    cr_assert(metrics_find(&f, "vgpu_agent_orphan_mdevs") == NULL,
              "no reconcile yet, no reconcile gauges");
    metrics_file_clear(&f);
    metrics_set_reconcile(
        m, &(struct metrics_reconcile){ .done = true,
                                        .created = 5,
                                        .removed = 2,
                                        .orphans = 3,
                                        .unaccounted_guests = 1 });
    round_trip(m, &f);
    cr_assert(eq(dbl, value(&f, "vgpu_agent_orphan_mdevs"), 3));
    cr_assert(eq(dbl, value(&f, "vgpu_agent_unaccounted_guests"), 1));
    metrics_file_clear(&f);
}

static size_t
count_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    size_t n = 0;

    cr_assert(d != NULL, "%s", path);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

Test(metrics, a_write_replaces_the_file_whole_with_mode_0644_and_no_leftovers)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    _cleanup_free_ char *path = xasprintf("%s/vgpu-agent.prom", dir);
    struct errbuf eb = { 0 };
    struct metrics_file f = { 0 };
    struct stat st;

    metrics_record_pass(m, true, 100, 1);
    cr_assert(eq(int, metrics_write(m, path, &eb), 0), "%s", eb.msg);
    metrics_record_pass(m, true, 200, 1);
    cr_assert(eq(int, metrics_write(m, path, &eb), 0), "%s", eb.msg);
    cr_assert(eq(int, stat(path, &st), 0));
    cr_assert(eq(int, (int)(st.st_mode & 07777), 0644));
    cr_assert(eq(sz, count_entries(dir), 1), "only the file is left");
    cr_assert(eq(int, metrics_load(path, &f, &eb), 0), "%s", eb.msg);
    cr_assert(eq(dbl, value(&f, "vgpu_agent_passes_total"), 2));
    metrics_file_clear(&f);
}

Test(metrics, a_write_that_fails_names_the_path_and_leaves_nothing_behind)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    _cleanup_free_ char *missing = xasprintf("%s/nope/vgpu-agent.prom", dir);
    _cleanup_free_ char *isdir = xasprintf("%s/adir", dir);
    struct errbuf eb = { 0 };

    cr_assert(eq(int, metrics_write(m, missing, &eb), -ENOENT));
    cr_assert(ne(ptr, strstr(eb.msg, missing), NULL), "%s", eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, "No such file"), NULL), "%s", eb.msg);
    /* rename() over a directory fails after the temporary file was made. */
    cr_assert(eq(int, mkdir(isdir, 0755), 0));
    errbuf_clear(&eb);
    cr_assert(eq(int, metrics_write(m, isdir, &eb), -EISDIR), "%s", eb.msg);
    cr_assert(ne(ptr, strstr(eb.msg, isdir), NULL), "%s", eb.msg);
    cr_assert(eq(sz, count_entries(dir), 1), "the temporary file is gone");
}

Test(metrics, the_parser_names_the_line_it_cannot_read)
{
    struct metrics_file f = { 0 };
    struct errbuf eb = { 0 };
    const char *bad[] = {
        "# HELP x y\nx 1\nx{a=\"b} 2\n",
        "x 1\nx{a=\"b\"} two\n",
        "x 1\nx{a=\"\\q\"} 2\n",
        "x 1\n{a=\"b\"} 2\n",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        cr_assert(eq(int, metrics_parse("f.prom", bad[i], &f, &eb), -EINVAL),
                  "%s", bad[i]);
        cr_assert(
            ne(ptr, strstr(eb.msg, i == 0 ? "f.prom:3" : "f.prom:2"), NULL),
            "%s", eb.msg);
    }
    cr_assert(eq(int,
                 metrics_parse("f.prom", "x{a=\"1\",b=\"2\"} 7 1700000000000\n",
                               &f, &eb),
                 0),
              "%s", eb.msg);
    cr_assert(eq(sz, f.n, 1));
    cr_assert(eq(dbl, f.v[0].value, 7));
    cr_assert(strcmp(metrics_label(&f.v[0], "b"), "2") == 0);
    metrics_file_clear(&f);
}
