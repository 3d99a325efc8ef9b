/*
 * test-status.c - `vgpu-agent status` on metrics files written here with
 * metrics_write(): what it says and its exit status when the last pass was
 * ok, failing or long ago, or when there is no file or one it cannot
 * parse.  The files a running service writes: test-metrics-e2e.c.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fixture.h"
#include "metrics.h"
#include "xalloc.h"

/* UUIDv5 of the m60 GPU 3e provider's name (see test-reconcile-e2e.c). */
#define RP_3E "fe6a96b7-1751-5e79-850d-9e41aa8e5bd0"
#define NAME_3E "compute-m60_pci_0000_3e_00_0"

static struct agentenv env; /* agent.yaml and the metrics file */

static void
setup(void)
{
    agentenv_init(&env);
}

static void
teardown(void)
{
    agentenv_clear(&env);
}

TestSuite(status, .init = setup, .fini = teardown);

static char *
metrics_path(void)
{
    return agentenv_path(&env, "vgpu-agent.prom");
}

/* `vgpu-agent -c CONF status` into ret. */
static void
status(struct agentrun *ret)
{
    agentrun(ret, (const char *const[]){ "-c", env.conf, "status", NULL });
    agentrun_assert_sane(ret, "status");
}

/* agent.yaml with interval_s and, unless NULL, metrics_file. */
static void
write_status_conf(unsigned interval_s, const char *metrics_file)
{
    _cleanup_free_ char *text = xasprintf(
        "node_name: compute-m60\ninterval_s: %u\n%s%s\n", interval_s,
        metrics_file ? "metrics_file: " : "", metrics_file ? metrics_file : "");

    fixture_write(env.conf, text, 0600);
}

static double
now(void)
{
    return (double)time(NULL);
}

static void
write_metrics(const struct metrics *m)
{
    _cleanup_free_ char *path = metrics_path();
    struct errbuf eb = { 0 };

    cr_assert(eq(int, metrics_write(m, path, &eb), 0), "%s", eb.msg);
}

static const struct metrics_gpu gpus[] = {
    { .provider = "compute-m60_pci_0000_3d_00_0",
      .uuid = "e4137598-d408-5bdf-9b22-f9c6dce755ac",
      .address = "0000:3d:00.0",
      .mdev_type = "nvidia-11",
      .rc = "VGPU",
      .total = 10,
      .reserved = 0,
      .used = 3 },
    { .provider = NAME_3E,
      .uuid = RP_3E,
      .address = "0000:3e:00.0",
      .mdev_type = "nvidia-18",
      .rc = "VGPU",
      .total = 4,
      .reserved = 1,
      .used = -1 },
};

Test(status, without_metrics_file_it_says_so_and_exits_2)
{
    struct agentrun st = { 0 };

    write_status_conf(60, NULL);
    status(&st);
    cr_assert(eq(int, st.status, 2), "%s%s", st.out, st.err);
    cr_assert(ne(ptr, strstr(st.err, "metrics_file is not set"), NULL), "%s",
              st.err);
    cr_assert(ne(ptr, strstr(st.err, env.conf), NULL), "%s", st.err);
    agentrun_clear(&st);
}

Test(status, a_recent_ok_pass_shows_every_gpu_and_exits_0)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    _cleanup_free_ char *path = metrics_path();
    struct agentrun st = { 0 };
    const char *l3d, *l3e;

    write_status_conf(60, path);
    metrics_record_pass(m, true, now() - 5, 0.25);
    metrics_set_gpus(m, gpus, 2);
    metrics_set_reconcile(
        m, &(struct metrics_reconcile){ .done = true, .orphans = 2 });
    write_metrics(m);
    status(&st);
    cr_assert(eq(int, st.status, 0), "%s%s", st.out, st.err);
    cr_assert(ne(ptr, strstr(st.out, "last pass: ok at "), NULL), "%s", st.out);
    cr_assert(ne(ptr, strstr(st.out, "took 0.250 s"), NULL), "%s", st.out);
    l3d = strstr(st.out, "compute-m60_pci_0000_3d_00_0");
    l3e = strstr(st.out, NAME_3E);
    cr_assert(l3d != NULL && l3e != NULL, "%s", st.out);
    cr_assert(
        eq(int, strncmp(strstr(l3d, "0000:3d:00.0"), "0000:3d:00.0", 12), 0));
    cr_assert(ne(ptr, strstr(l3d, " 3/10 "), NULL), "%s", st.out);
    cr_assert(ne(ptr, strstr(l3e, " ?/4 "), NULL), "use unknown: %s", st.out);
    cr_assert(ne(ptr, strstr(st.out, "orphan mdevs: 2"), NULL), "%s", st.out);
    agentrun_clear(&st);
}

Test(status, a_stale_file_means_the_service_is_not_running_and_exits_1)
{
    _cleanup_(metrics_freep) struct metrics *m = metrics_new();
    _cleanup_free_ char *path = metrics_path();
    struct agentrun st = { 0 };

    write_status_conf(60, path);
    metrics_record_pass(m, true, now() - 1000, 0.25);
    write_metrics(m);
    status(&st);
    cr_assert(eq(int, st.status, 1), "%s%s", st.out, st.err);
    cr_assert(ne(ptr, strstr(st.out, "stale"), NULL), "%s", st.out);
    agentrun_clear(&st);
}

Test(status, a_file_it_cannot_parse_is_named_with_its_line_and_exits_2)
{
    _cleanup_free_ char *path = metrics_path();
    _cleanup_free_ char *where = xasprintf("%s:2", path);
    _cleanup_fclose_ FILE *out = NULL;
    struct agentrun st = { 0 };

    write_status_conf(60, path);
    out = fopen(path, "we");
    cr_assert(out != NULL);
    fputs("# HELP x y\nvgpu_agent_passes_total{ 3\n", out);
    fclose(TAKE_PTR(out));
    status(&st);
    cr_assert(eq(int, st.status, 2), "%s%s", st.out, st.err);
    cr_assert(ne(ptr, strstr(st.err, where), NULL), "%s", st.err);
    agentrun_clear(&st);
}
