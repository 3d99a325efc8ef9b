/*
 * test-run-host.c - end to end: what the host does under the `vgpu-agent
 * run` service, with every part real.  Part of the test-run-faults binary
 * (test/testrunfaults.h).
 *
 * libvirt unreachable while orphan removal is on; a reconcile warning that
 * lasts; sysfs changing under the scans; a GPU hot-unplugged in the middle
 * of one.  Each test runs Debian's Placement (test/placement-server.h), a
 * fake host (the live FUSE fake kernel, test/fixture.h), the libvirt test
 * driver for the guests, and the built agent (test/agentenv.h), and reads
 * back what Placement holds with the harness's own client.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentenv.h"
#include "cleanup.h"
#include "fixture.h"
#include "placement-server.h"
#include "testproc.h"
#include "testrunfaults.h"
#include "xalloc.h"

/* --- libvirt unreachable ------------------------------------------------ */

#define NO_ORPHANS "orphans are not looked for"
#define PROJECT "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define C1 "11111111-1111-4111-8111-111111111111"  /* vm-a of one-guest.xml */
#define M_A "a1a1a1a1-0000-4000-8000-000000000001" /* vm-a's mdev */
#define ORPHAN_REMOVAL "  remove_orphans: true\n  orphan_grace_s: 0\n"

/* The live fake kernel of the m60 host as the agent's sysfs root. */
static void
start_live_m60(void)
{
    agentenv_live(&env, "hosts/m60.yaml");
}

/* Make an mdev behind the agent's back: write uuid to the type's create. */
static void
kernel_create(const char *parent, const char *type, const char *uuid)
{
    agentenv_create_mdev(&env, parent, type, uuid);
}

static bool
kernel_has(const char *uuid)
{
    return agentenv_has_mdev(&env, uuid);
}

/* A copy of test/data/reconcile/<name> at node.xml in env.dir; its URI. */
static char *
node_copy(const char *name)
{
    _cleanup_free_ char *rel = xasprintf("reconcile/%s", name);
    _cleanup_free_ char *src = fixture_data_path(rel);
    _cleanup_free_ char *dst = agentenv_path(&env, "node.xml");
    _cleanup_fclose_ FILE *in = fopen(src, "re");
    _cleanup_fclose_ FILE *out = fopen(dst, "we");
    char buf[4096];
    size_t n;

    cr_assert(in != NULL && out != NULL, "%s -> %s", src, dst);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        cr_assert(eq(sz, fwrite(buf, 1, n, out), n));
    return xasprintf("test://%s", dst);
}

Test(run_faults, a_bad_libvirt_uri_is_logged_once_sync_goes_on_no_orphan_goes)
{
    start_live_m60();
    kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    write_conf(NULL, "test:///nonexistent/node.xml", ORPHAN_REMOVAL,
               placement_server_url(srv));
    agentenv_start(&env, (const char *const[]){ "--interval", "0.05",
                                                "--passes", "10", NULL });
    cr_assert(eq(int, agentproc_wait(env.agent, WAIT_MS), 0), "%s",
              agentproc_err(env.agent));
    agentproc_assert_sane(env.agent);
    cr_assert(eq(u32, agentproc_count(env.agent, PASS_DONE), 10),
              "sync goes on: %s", agentproc_err(env.agent));
    cr_assert(eq(u32, agentproc_count(env.agent, NO_ORPHANS), 1),
              "logged once in 10 passes: %s", agentproc_err(env.agent));
    cr_assert(ne(ptr, strstr(agentproc_err(env.agent), "/nonexistent/node.xml"),
                 NULL),
              "the message names the URI: %s", agentproc_err(env.agent));
    cr_assert(kernel_has(M_ORPHAN), "the orphan-looking mdev was removed:\n%s",
              agentproc_err(env.agent));
    cr_assert(eq(u32, agentproc_count(env.agent, "reconcile: remove"), 0), "%s",
              agentproc_err(env.agent));
    assert_placement_holds_dump();
}

Test(run_faults, libvirt_gone_mid_run_is_logged_once_then_cleared_once)
{
    _cleanup_free_ char *uri = NULL;
    _cleanup_free_ char *node = agentenv_path(&env, "node.xml");
    _cleanup_free_ char *away = agentenv_path(&env, "node.xml.away");

    start_live_m60();
    uri = node_copy("no-guests.xml");
    write_conf(NULL, uri, ORPHAN_REMOVAL, placement_server_url(srv));
    agentenv_start(&env, (const char *const[]){ "--interval", "0.05", NULL });
    agentenv_expect(&env, PASS_DONE, 2);
    cr_assert(eq(int, rename(node, away), 0));
    agentenv_expect(&env, NO_ORPHANS, 1);
    kernel_create(GPU_3E, "nvidia-18", M_ORPHAN);
    agentproc_expect_passes(env.agent, 10, WAIT_MS);
    cr_assert(kernel_has(M_ORPHAN),
              "removed while libvirt was unreachable:\n%s",
              agentproc_err(env.agent));
    cr_assert(eq(u32, agentproc_count(env.agent, NO_ORPHANS), 1),
              "logged once in 10 passes: %s", agentproc_err(env.agent));
    cr_assert(ne(ptr, strstr(agentproc_err(env.agent), node), NULL),
              "the message names the file: %s", agentproc_err(env.agent));
    cr_assert(eq(int, rename(away, node), 0));
    agentenv_expect(&env, "warning: cleared: reconcile: ", 1);
    /* with libvirt back, the same mdev is an orphan and goes */
    agentenv_expect(&env, "reconcile: remove " M_ORPHAN, 1);
    agentproc_expect_passes(env.agent, 5, WAIT_MS);
    cr_assert(kernel_has(M_ORPHAN) == false, "%s", agentproc_err(env.agent));
    cr_assert(eq(u32, agentproc_count(env.agent, "cleared: "), 1), "%s",
              agentproc_err(env.agent));
    cr_assert(eq(u32, agentproc_count(env.agent, NO_ORPHANS), 2),
              "the error once, and once in the line that clears it: %s",
              agentproc_err(env.agent));
    assert_placement_holds_dump();
    agentproc_assert_stops(env.agent);
}

/* A guest's mdev without a claim is "unaccounted" at every pass until the
 * claim comes: one warning when it appears, one line when it clears. */
Test(run_faults, a_lasting_reconcile_warning_is_logged_once_then_cleared_once)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/one-guest.xml");
    _cleanup_free_ char *body = xasprintf(
        "{\"allocations\": {\"%s\": {\"resources\": {\"VGPU\": 1}}},"
        " \"project_id\": \"%s\", \"user_id\": \"%s\","
        " \"consumer_generation\": null, \"consumer_type\": \"INSTANCE\"}",
        RP_3E, PROJECT, PROJECT);
    long status = 0;

    start_live_m60();
    kernel_create(GPU_3E, "nvidia-18", M_A);
    write_conf(NULL, uri, NULL, placement_server_url(srv));
    agentenv_start(&env, (const char *const[]){ "--interval", "0.05", NULL });
    agentenv_expect(&env, "reconcile: mdev " M_A " of guest " C1, 1);
    agentproc_expect_passes(env.agent, 10, WAIT_MS);
    cr_assert(eq(u32, agentproc_count(env.agent, "reconcile: mdev " M_A), 1),
              "logged once in 10 passes: %s", agentproc_err(env.agent));
    free(placement_server_call(srv, "PUT", "/allocations/" C1, body, &status));
    cr_assert(eq(long, status, 204));
    agentenv_expect(&env, "warning: cleared: reconcile: mdev " M_A, 1);
    agentproc_expect_passes(env.agent, 5, WAIT_MS);
    cr_assert(eq(u32, agentproc_count(env.agent, "cleared: "), 1), "%s",
              agentproc_err(env.agent));
    cr_assert(kernel_has(M_A), "a guest's mdev stays");
    agentproc_assert_stops(env.agent);
}

/* --- sysfs changing under the scans -------------------------------------- */

#define PATH_3E                                                                \
    "devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/0000:3c:10.0/0000:3e:00.0"
#define M_FLIP "f1f1f1f1-0000-4000-8000-000000000001"
#define FLIP_DUMPS 3 /* dumps and run passes while sysfs flips */
#define FLIP_PASSES 3

/* The changes flip() made. */
static atomic_ulong flips;

/* Write text to path (under the live mount); ignores refusals. */
static void
poke(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return;
    if (write(fd, text, strlen(text)) < 0) {
        /* the GPU may be unplugged right now: the kernel refuses too */
    }
    close(fd);
}

/* Until told to stop: the mdev M_FLIP appears and vanishes on GPU 3e
 * (through the fake kernel's create and remove), and GPU 3e itself is
 * hot-unplugged and plugged back (its device directory leaves the backing
 * tree, so class/mdev_bus/0000:3e:00.0 dangles).  Scans running meanwhile
 * meet entries that vanish between readdir and read. */
static void *
flip(void *arg)
{
    const char *backing = arg;
    _cleanup_free_ char *dev = xasprintf("%s/" PATH_3E, backing);
    _cleanup_free_ char *gone = xasprintf("%s.unplugged", dev);
    _cleanup_free_ char *create = xasprintf(
        "%s/class/mdev_bus/" GPU_3E "/mdev_supported_types/nvidia-18/create",
        env.root);
    _cleanup_free_ char *remove =
        xasprintf("%s/bus/mdev/devices/" M_FLIP "/remove", env.root);

    while (testproc_thread_going(&busy)) {
        unsigned long i = atomic_fetch_add(&flips, 1);

        if (i % 4 == 0)
            poke(create, M_FLIP);
        else if (i % 4 == 2)
            poke(remove, "1");
        else if (i % 8 == 1)
            rename(dev, gone);
        else if (i % 8 == 3 || i % 8 == 5 || i % 8 == 7)
            rename(gone, dev);
        testproc_sleep_ms(5); /* the fake kernel serves one request at a time */
    }
    rename(gone, dev); /* the GPU ends plugged in */
    return NULL;
}

/* Every warning or error line names what it is about: a sysfs path of the
 * flipping GPU or mdev. */
static void
assert_messages_name_the_path(const char *what, const char *log)
{
    for (const char *line = log; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        _cleanup_free_ char *l = xasprintf("%.*s", (int)len, line);

        if (strstr(l, "warning: ") || strstr(l, "error: "))
            cr_assert(strstr(l, GPU_3E) || strstr(l, M_FLIP),
                      "%s: a message that names neither the GPU nor the "
                      "mdev that changed: %s\nlog:\n%s",
                      what, l, log);
        line += len + (end != NULL);
    }
}

Test(run_faults, sysfs_changing_under_the_scans_is_survived_and_converged_on)
{
    _cleanup_free_ char *uri = fixture_node_uri("reconcile/no-guests.xml");
    _cleanup_free_ char *backing = NULL;
    unsigned dumps = 0, dumps_warned = 0, passes0;
    long t0;

    start_live_m60();
    backing = xasprintf("%.*s/backing",
                        (int)(strrchr(env.root, '/') - env.root), env.root);
    write_conf(NULL, uri, NULL, placement_server_url(srv));
    agentenv_start(&env, (const char *const[]){ "--interval", "0.01", NULL });
    agentenv_expect(&env, PASS_DONE, 1);

    cr_assert(eq(int, testproc_thread_start(&busy, flip, backing), 0));
    passes0 = agentproc_passes(env.agent);
    for (t0 = testproc_now_ms();
         dumps < FLIP_DUMPS ||
         agentproc_passes(env.agent) < passes0 + FLIP_PASSES;
         dumps++) {
        struct agentrun d = { 0 };

        cr_assert(lt(long, testproc_now_ms() - t0, 4L * WAIT_MS),
                  "%u dumps, %u passes so far:\n%s", dumps,
                  agentproc_passes(env.agent) - passes0,
                  agentproc_err(env.agent));

        agentenv_run(&env, &d,
                     (const char *const[]){ "dump", "--format", "json", NULL });
        cr_assert(d.status == 0 || d.status == 1, "dump: status %d: %s",
                  d.status, d.err);
        agentrun_assert_sane(&d, "dump");
        if (d.status == 0) {
            cJSON *j = cJSON_Parse(d.out);

            cr_assert(ne(ptr, j, NULL), "%s", d.out);
            cJSON_Delete(j);
        }
        assert_messages_name_the_path("dump", d.err);
        dumps_warned += d.err[0] != '\0';
        agentrun_clear(&d);
    }
    testproc_thread_stop(&busy);
    fprintf(stderr,
            "run_faults: sysfs flips: %lu changes, %u dumps (%u with "
            "warnings), %u run passes in %ld ms\n",
            (unsigned long)atomic_load(&flips), dumps, dumps_warned,
            agentproc_passes(env.agent) - passes0, testproc_now_ms() - t0);

    cr_assert(eq(int, agentproc_wait(env.agent, 0), -1),
              "the service stopped:\n%s", agentproc_err(env.agent));
    agentproc_assert_sane(env.agent);
    assert_messages_name_the_path("run", agentproc_err(env.agent));
    agentproc_expect_passes(env.agent, 3, WAIT_MS);
    assert_placement_holds_dump();
    agentproc_assert_stops(env.agent);
}

/* The provider of GPU 3e in dump d as "traits | inventories" JSON text, or
 * NULL when there is none. */
static char *
gpu_3e_provider(const cJSON *d)
{
    const cJSON *p;

    cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "providers")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(p, "name"));
        _cleanup_free_ char *traits = NULL, *invs = NULL;

        if (!name || strcmp(name, "compute-m60_pci_0000_3e_00_0") != 0)
            continue;
        traits = cJSON_PrintUnformatted(cJSON_GetObjectItem(p, "traits"));
        invs = cJSON_PrintUnformatted(cJSON_GetObjectItem(p, "inventories"));
        return xasprintf("%s | %s", traits, invs);
    }
    return NULL;
}

/* Start the live m60 host, its GPU 3e unplugged after k reads (0: never);
 * GPU 3e's provider in its dump (NULL: none), dump's stderr in *ret_err,
 * and whether the GPU was unplugged; stop it again. */
static char *
dump_unplugging(unsigned long k, char **ret_err, bool *ret_fired)
{
    _cleanup_free_ char *dev = NULL;
    struct stat st;
    char *got;
    cJSON *d;

    agentenv_live_unplug(&env, "hosts/m60.yaml", k ? PATH_3E : NULL, k);
    d = agentrun_dump_err(env.conf, env.root, ret_err);
    got = gpu_3e_provider(d);
    cJSON_Delete(d);
    dev = xasprintf("%s/" PATH_3E, env.root);
    *ret_fired = lstat(dev, &st) < 0;
    agentenv_drop_host(&env);
    return got;
}

/* Every 7th k: a fresh mount each (about 0.5 s); about 110 reads reach
 * the m60's GPU 3e, its 11 types at 7 to 10 reads each. */
#define UNPLUG_STRIDE 7

/* GPU 3e is hot-unplugged after k reads of its files (the fake kernel's
 * fault hook), for k = 1, 8, 15 ... until the scan no longer gets that far.
 * Wherever the scan was, dump reports the GPU as it was whole, or not at
 * all with a warning naming it; never a GPU with part of its types (which
 * can give it another type: a wrong inventory and traits). */
Test(run_faults, a_gpu_unplugged_mid_scan_is_reported_whole_or_not_at_all,
     .timeout = 600)
{
    _cleanup_free_ char *whole = NULL, *err = NULL;
    unsigned long k;
    unsigned dropped = 0;
    bool fired;

    write_conf(NULL, "test:///default", NULL, placement_server_url(srv));
    whole = dump_unplugging(0, &err, &fired);
    cr_assert(ne(ptr, whole, NULL), "GPU 3e has a provider: %s", err);
    for (k = 1;; k += UNPLUG_STRIDE) {
        _cleanup_free_ char *got = NULL, *msgs = NULL;

        cr_assert(lt(ulong, k, 1000), "the hook never stopped firing");
        got = dump_unplugging(k, &msgs, &fired);
        if (!fired)
            break;
        if (got) {
            cr_assert(eq(str, got, whole),
                      "unplugged after %lu reads: GPU 3e reported with part "
                      "of its types\n%s",
                      k, msgs);
            continue;
        }
        dropped++;
        cr_assert(ne(ptr, strstr(msgs, "class/mdev_bus/" GPU_3E), NULL),
                  "unplugged after %lu reads: dropped without a warning "
                  "naming it: %s",
                  k, msgs);
    }
    fprintf(stderr,
            "run_faults: GPU 3e unplugged after 1..%lu reads (every %d): "
            "dropped %u times, else reported whole\n",
            k - UNPLUG_STRIDE, UNPLUG_STRIDE, dropped);
    cr_assert(gt(u32, dropped, 0), "never dropped: the hook tested nothing");
}
