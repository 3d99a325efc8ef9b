/*
 * test-runlog.c - what `vgpu-agent run` says at the default level, and how
 * it stops: the start line, a reload applied after a broken one, Placement
 * gone and back, the mdevs it makes and a failed request (as JSON events),
 * `status` judging it by the interval it runs with, and SIGTERM while an
 * orphan's remove blocks.  The agent runs in the background against the real
 * Placement behind the fault proxy (test/fault-proxy.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentrun.h"
#include "cleanup.h"
#include "fault-proxy.h"
#include "fixture.h"
#include "placement-server.h"
#include "testproc.h"
#include "xalloc.h"

#define PATIENCE_MS 20000L /* one pass or two (sanitizers, a loaded box) */
#define CONSUMER "6f1e3a52-3c1f-4d0e-9a51-3b3c2b1e0a01"
#define PROJECT "5e0f6e5a9a3c4b8e8f2d1c0b9a8e7d6c"

static struct placement_server *srv;
static struct fault_proxy *proxy;
static struct agentproc *agent;
static struct fakesys_live *live;
static char *root; /* materialized, or the live fake's mount */
static char *dir;
static struct agentrun run;

static void
setup(void)
{
    srv = placement_server_start();
    proxy = fault_proxy_start(placement_server_url(srv));
    dir = fixture_tmpdir();
}

static void
teardown(void)
{
    agentproc_stop(agent);
    agentrun_clear(&run);
    fault_proxy_stop(proxy);
    placement_server_stop(srv);
    if (live)
        fakesys_live_stop(live);
    else if (root)
        fixture_rm_rf(root);
    free(root);
    fixture_rm_rf(dir);
    free(dir);
}

TestSuite(runlog, .init = setup, .fini = teardown, .timeout = 180);

/* agent.yaml in dir: the two M60 GPUs (nvidia-18 pinned, nvidia-13), the
 * files in dir, Placement behind the proxy, and extra lines. */
static char *
write_conf(const char *extra)
{
    _cleanup_free_ char *tmp = xasprintf("%s/agent.yaml.new", dir);
    char *path = xasprintf("%s/agent.yaml", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *out = fdopen(fd, "w");

    cr_assert(out != NULL);
    fprintf(out,
            "node_name: log-host\n"
            "enabled_mdev_types: [nvidia-18, nvidia-13]\n"
            "mdev_types:\n"
            "  nvidia-18:\n"
            "    device_addresses: [\"0000:3d:00.0\"]\n"
            "lock_file: %s/lock\n"
            "state_dir: %s/state\n"
            "metrics_file: %s/vgpu-agent.prom\n"
            "%s"
            "placement:\n  endpoint: %s\n  token: admin\n",
            dir, dir, dir, extra ? extra : "", fault_proxy_url(proxy));
    cr_assert(eq(int, fclose(out), 0));
    cr_assert(eq(int, rename(tmp, path), 0));
    return path;
}

static void
start(const char *const *args)
{
    const char *argv[16];
    size_t n = 0;

    for (; args[n]; n++)
        argv[n] = args[n];
    argv[n++] = "--sysfs-root";
    argv[n++] = root;
    argv[n] = NULL;
    agent = agentproc_start(argv);
}

#define START(...) start((const char *const[]){ __VA_ARGS__, NULL })

static void
wait_for(const char *needle, unsigned n)
{
    cr_assert(agentproc_wait_for(agent, needle, n, PATIENCE_MS),
              "no %u x '%s' in the agent's log:\n%s", n, needle,
              agentproc_err(agent));
}

/* The last line the agent logged. */
static char *
last_line(void)
{
    const char *log = agentproc_err(agent);
    size_t len = strlen(log);
    const char *p;

    while (len > 0 && log[len - 1] == '\n')
        len--;
    for (p = log + len; p > log && p[-1] != '\n'; p--)
        ;
    return xstrndup(p, (size_t)(log + len - p));
}

Test(runlog, start_and_reload_say_so_at_the_default_level)
{
    _cleanup_free_ char *conf = write_conf("interval_s: 1\n");
    _cleanup_free_ char *last = NULL;

    root = fixture_host("m60");
    START("-c", conf, "run");
    wait_for("vgpu-agent: notice: vgpu-agent " PACKAGE_VERSION " started: "
             "config ",
             1);
    cr_assert(
        ne(ptr, strstr(agentproc_err(agent), ", node log-host (uuid "), NULL),
        "%s", agentproc_err(agent));
    cr_assert(ne(ptr,
                 strstr(agentproc_err(agent),
                        "2 GPU(s) offering vGPUs: 0000:3d:00.0 nvidia-18 (4), "
                        "0000:3e:00.0 nvidia-13 (8)\n"),
                 NULL),
              "%s", agentproc_err(agent));
    wait_for("notice: provider log-host created", 1);

    /* a broken config, then a good one: the last line says it applied */
    free(write_conf("interval_s: 1\nbogus_key: 1\n"));
    agentproc_signal(agent, SIGHUP);
    wait_for("SIGHUP: the new configuration is invalid; keeping the old one",
             1);
    free(write_conf("interval_s: 2\n"));
    agentproc_signal(agent, SIGHUP);
    wait_for("vgpu-agent: notice: SIGHUP: configuration reloaded and applied: "
             "config ",
             1);
    last = last_line();
    cr_assert(ne(ptr, strstr(last, "configuration reloaded and applied"), NULL),
              "last line: %s", last);
    /* at the default level no pass line */
    cr_assert(eq(ptr, strstr(agentproc_err(agent), "info:"), NULL), "%s",
              agentproc_err(agent));
}

Test(runlog, placement_gone_and_back_is_said_once_each_way)
{
    _cleanup_free_ char *conf = write_conf("interval_s: 1\n");

    root = fixture_host("m60");
    fault_proxy_set(proxy, "down", NULL);
    START("-c", conf, "run");
    wait_for("vgpu-agent: warning: Placement unreachable; retrying with "
             "backoff",
             1);
    sleep(2);
    fault_proxy_set(proxy, "pass", NULL);
    wait_for("vgpu-agent: notice: Placement reachable again after ", 1);
    cr_assert(eq(int, (int)agentproc_count(agent, "Placement unreachable"), 1),
              "%s", agentproc_err(agent));
}

/* The whole line of text holding needle; caller frees. */
static char *
line_with(const char *text, const char *needle)
{
    const char *p = strstr(text, needle), *start, *end;

    cr_assert(p != NULL, "no '%s' in:\n%s", needle, text);
    for (start = p; start > text && start[-1] != '\n'; start--)
        ;
    end = strchr(p, '\n');
    return xstrndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* The JSON line of text holding needle, parsed; cJSON_Delete() it. */
static cJSON *
json_line_with(const char *text, const char *needle)
{
    _cleanup_free_ char *line = line_with(text, needle);
    cJSON *o = cJSON_Parse(line);

    cr_assert(o != NULL, "not JSON: %s", line);
    return o;
}

Test(runlog, a_failed_request_is_a_json_line_naming_it)
{
    _cleanup_free_ char *conf = write_conf("");
    cJSON *o;

    root = fixture_host("m60");
    /* the first sync's inventories go in one reshape: Placement fails it */
    fault_proxy_set(proxy, "status500", "/reshaper");
    agentrun(&run, (const char *const[]){ "--log-format", "json", "-c", conf,
                                          "--sysfs-root", root, "sync", NULL });
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    o = json_line_with(run.err, "\"event\":\"request_failed\"");
    cr_assert(
        eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "level")), "error"),
        "%s", run.err);
    cr_assert(
        eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "method")), "POST"),
        "%s", run.err);
    cr_assert(eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "path")),
                 "/reshaper"),
              "%s", run.err);
    cr_assert(
        eq(dbl, cJSON_GetNumberValue(cJSON_GetObjectItem(o, "status")), 500),
        "%s", run.err);
    cJSON_Delete(o);

    /* Placement refuses the token: the pass cannot start, and says which
     * request was refused */
    fault_proxy_set(proxy, "pass", NULL);
    agentrun_clear(&run);
    agentrun_env(
        &run,
        (const char *const[]){ "--log-format", "json", "-c", conf,
                               "--sysfs-root", root, "sync", NULL },
        (const char *const[]){ "VGPU_AGENT_TOKEN=not-the-admin", NULL });
    cr_assert(eq(int, run.status, 1), "%s", run.err);
    o = json_line_with(run.err, "\"event\":\"request_failed\"");
    cr_assert(
        eq(str, cJSON_GetStringValue(cJSON_GetObjectItem(o, "method")), "GET"),
        "%s", run.err);
    cr_assert(
        eq(dbl, cJSON_GetNumberValue(cJSON_GetObjectItem(o, "status")), 403),
        "%s", run.err);
    cr_assert(
        eq(dbl, cJSON_GetNumberValue(cJSON_GetObjectItem(o, "errno")), EACCES),
        "%s", run.err);
    cJSON_Delete(o);
}

/* `status` with the agent's config. */
static void
status(const char *conf)
{
    agentrun_clear(&run);
    agentrun(&run, (const char *const[]){ "-c", conf, "status", NULL });
}

Test(runlog, status_judges_by_the_interval_the_service_runs_with)
{
    /* the config says 60 s, the service runs every 1 s: `status` right
     * after the service has run is fresh (it has 3 s, room for a loaded CI
     * machine), 4 s later it is stale */
    _cleanup_free_ char *conf = write_conf("interval_s: 60\n");
    int st;

    root = fixture_host("m60");
    START("-c", conf, "run", "--interval", "1", "--passes", "2");
    st = agentproc_wait(agent, PATIENCE_MS);
    cr_assert(eq(int, st, 0), "%s", agentproc_err(agent));
    status(conf);
    cr_assert(eq(int, run.status, 0), "%s\n%s", run.out, run.err);
    sleep(4); /* 3 x 1 s and the pass's duration are gone */
    status(conf);
    cr_assert(eq(int, run.status, 1), "%s\n%s", run.out, run.err);
    cr_assert(ne(ptr, strstr(run.out, "stale: no pass for "), NULL), "%s",
              run.out);
    cr_assert(ne(ptr, strstr(run.out, "the service's interval of 1 s"), NULL),
              "%s", run.out);
}

Test(runlog, status_shows_the_last_error)
{
    _cleanup_free_ char *conf = write_conf("interval_s: 60\n");

    root = fixture_host("m60");
    fault_proxy_set(proxy, "down", NULL);
    START("-c", conf, "run", "--interval", "0.1", "--passes", "2");
    cr_assert(eq(int, agentproc_wait(agent, PATIENCE_MS), 1), "%s",
              agentproc_err(agent));
    status(conf);
    cr_assert(eq(int, run.status, 1), "%s\n%s", run.out, run.err);
    cr_assert(ne(ptr, strstr(run.out, "last pass: FAILED"), NULL), "%s",
              run.out);
    cr_assert(ne(ptr, strstr(run.out, "\nerror: "), NULL), "%s", run.out);
}

/* consumer takes n VGPU of the provider called name. */
static void
claim(const char *name, int n)
{
    _cleanup_free_ char *q = xasprintf("/resource_providers?name=%s", name);
    cJSON *rps = placement_server_get_json(srv, q);
    const char *rp = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(rps, "resource_providers"), 0),
        "uuid"));
    _cleanup_free_ char *body = NULL, *resp = NULL;
    long status = 0;

    cr_assert(rp != NULL, "no provider %s", name);
    body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": %d}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        rp, n, PROJECT, PROJECT);
    cJSON_Delete(rps);
    resp = placement_server_call(srv, "PUT", "/allocations/" CONSUMER, body,
                                 &status);
    cr_assert(eq(long, status, 204), "PUT /allocations: %s", resp);
}

/* The live fake kernel of the M60, with extra (mdevs:) appended to its
 * description. */
static void
live_m60(const char *extra)
{
    _cleanup_free_ char *src = fixture_data_path("hosts/m60.yaml");
    _cleanup_free_ char *yaml = xasprintf("%s/host.yaml", dir);
    _cleanup_fclose_ FILE *in = fopen(src, "re");
    FILE *out = fopen(yaml, "we");
    struct errbuf eb = { 0 };
    char line[1024];

    cr_assert(in != NULL && out != NULL, "%s", src);
    while (fgets(line, sizeof(line), in))
        fputs(line, out);
    fputs(extra, out);
    cr_assert(eq(int, fclose(out), 0));
    cr_assert(eq(int, fakesys_live_start(yaml, &live, &eb), 0), "%s", eb.msg);
    root = xstrdup(fakesys_live_root(live));
}

Test(runlog, mdevs_made_are_json_events_with_device_gpu_and_consumer)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *extra =
        xasprintf("interval_s: 1\nlibvirt_uri: %s\nreconcile:\n  mdevctl_dir: "
                  "%s/mdevctl.d\n",
                  uri, dir);
    _cleanup_free_ char *conf = write_conf(extra);
    const char *log;

    live_m60("");
    START("--log-format", "json", "-c", conf, "run");
    wait_for("\"event\":\"provider_created\"", 3);
    claim("log-host_pci_0000_3d_00_0", 1);
    wait_for("\"event\":\"mdev_created\"", 1);
    log = agentproc_err(agent);
    log = strstr(log, "\"event\":\"mdev_created\"");
    cr_assert(ne(ptr, strstr(log, "\"gpu\":\"0000:3d:00.0\""), NULL), "%s",
              log);
    cr_assert(ne(ptr, strstr(log, "\"consumer\":\"" CONSUMER "\""), NULL), "%s",
              log);
    cr_assert(ne(ptr, strstr(log, "\"device\":\""), NULL), "%s", log);
}

Test(runlog, sigterm_stops_it_within_a_second_while_a_remove_blocks)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *extra =
        xasprintf("interval_s: 1\nlibvirt_uri: %s\nreconcile:\n  mdevctl_dir: "
                  "%s/mdevctl.d\n  remove_orphans: true\n  orphan_grace_s: 0\n",
                  uri, dir);
    _cleanup_free_ char *conf = write_conf(extra);
    long t0, ms;
    int st;

    /* two orphans a process holds open: each remove blocks 30 s */
    live_m60("mdevs:\n"
             "  - {uuid: 0b5c9a36-0d6e-4b8a-9a3e-2f1f3b0f0001, parent: "
             "\"0000:3e:00.0\", type: nvidia-13, busy: true}\n"
             "  - {uuid: 0b5c9a36-0d6e-4b8a-9a3e-2f1f3b0f0002, parent: "
             "\"0000:3e:00.0\", type: nvidia-13, busy: true}\n");
    START("-v", "-c", conf, "run");
    wait_for("pass done: ", 1);
    usleep(1500 * 1000); /* the reconcile step is in the first remove */
    cr_assert(eq(int, agentproc_wait(agent, 0), -1), "%s",
              agentproc_err(agent));
    t0 = testproc_now_ms();
    agentproc_signal(agent, SIGTERM);
    st = agentproc_wait(agent, 5000);
    ms = testproc_now_ms() - t0;
    cr_assert(eq(int, st, 0), "%s", agentproc_err(agent));
    cr_assert(lt(long, ms, 1000), "stopped %ld ms after SIGTERM:\n%s", ms,
              agentproc_err(agent));
    cr_assert(ne(ptr, strstr(agentproc_err(agent), "remove abandoned"), NULL),
              "%s", agentproc_err(agent));
}

/* Write text to rel under the live fake kernel, as root would. */
static void
kernel_write(const char *rel, const char *text)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    cr_assert(fd >= 0, "%s: %m", path);
    cr_assert(eq(long, (long)write(fd, text, strlen(text)), (long)strlen(text)),
              "%s: %m", path);
    close(fd);
}

#define M_OTHER "0b5c9a36-0d6e-4b8a-9a3e-2f1f3b0f00aa"

/* A claim the host cannot meet is an error once, and a notice once it
 * can be met again: both are events a script can select. */
Test(runlog, a_claim_unmet_then_met_is_said_both_ways)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *extra =
        xasprintf("interval_s: 1\nlibvirt_uri: %s\nreconcile:\n  mdevctl_dir: "
                  "%s/mdevctl.d\n",
                  uri, dir);
    _cleanup_free_ char *conf = write_conf(extra);
    _cleanup_free_ char *line = NULL;
    const char *log;

    live_m60("");
    agentrun(&run, (const char *const[]){ "-c", conf, "--sysfs-root", root,
                                          "sync", NULL });
    cr_assert(eq(int, run.status, 0), "%s", run.err);
    claim("log-host_pci_0000_3e_00_0", 1);
    /* behind the agent's back, an mdev of another type: a time-sliced GPU
     * runs one type at a time, so nvidia-13 has no room left on 3e */
    kernel_write("class/mdev_bus/0000:3e:00.0/mdev_supported_types/"
                 "nvidia-12/create",
                 M_OTHER);
    START("--log-format", "json", "-c", conf, "run");
    wait_for("\"event\":\"claim_unsatisfied\"", 1);
    log = strstr(agentproc_err(agent), "\"event\":\"claim_unsatisfied\"");
    cr_assert(ne(ptr, strstr(log, "\"consumer\":\"" CONSUMER "\""), NULL), "%s",
              log);
    /* the other type's guest is gone: the claim's mdev is made */
    kernel_write("bus/mdev/devices/" M_OTHER "/remove", "1");
    wait_for("\"event\":\"claim_satisfied\"", 1);
    wait_for("\"event\":\"mdev_created\"", 1);
    line = line_with(agentproc_err(agent), "\"event\":\"claim_satisfied\"");
    cr_assert(ne(ptr, strstr(line, "{\"ts\":\""), NULL), "%s", line);
    cr_assert(ne(ptr, strstr(line, "\"level\":\"notice\""), NULL), "%s", line);
    cr_assert(ne(ptr, strstr(line, "can be met again"), NULL), "%s", line);
    cr_assert(ne(ptr, strstr(line, "\"consumer\":\"" CONSUMER "\""), NULL),
              "%s", line);
    cr_assert(
        eq(u32, agentproc_count(agent, "\"event\":\"claim_unsatisfied\""), 1),
        "said once, not at every pass:\n%s", agentproc_err(agent));
}
