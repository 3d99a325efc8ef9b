/*
 * test-prodplacement.c - the production-shaped Placement of the harness
 * (uwsgi over PostgreSQL, placement-server.h), and the agent against a
 * keep-alive variant of it.
 *
 * Every test starts its own uwsgi server whatever $VGPU_PLACEMENT_SERVER
 * says.  The agent runs on the 16-GPU host of `make bench`
 * (test/bench/benchhost.c).
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentrun.h"
#include "bench/benchhost.h"
#include "cleanup.h"
#include "fixture.h"
#include "placement-server.h"
#include "testproc.h"
#include "xalloc.h"

/* Placement as production runs it (placement-server.h) */
PLACEMENT_SERVER_PREFER(UWSGI);

#define UUID1 "c0ffee00-0000-4000-8000-000000000001"
#define GPUS 16

static struct placement_server *srv, *other;
static char *workdir;
static struct agentrun run;

static void
teardown(void)
{
    agentrun_clear(&run);
    placement_server_stop(srv);
    placement_server_stop(other);
    srv = other = NULL;
    if (workdir)
        fixture_rm_rf(workdir);
    free(workdir);
    workdir = NULL;
}

TestSuite(prodplacement, .fini = teardown);

static struct placement_server *
start_uwsgi(bool keepalive, int processes, int threads)
{
    struct placement_server_opts o = { .kind = PLACEMENT_SERVER_UWSGI,
                                       .keepalive = keepalive,
                                       .processes = processes,
                                       .threads = threads };
    struct placement_server *s = placement_server_start_opts(&o);

    cr_assert(strcmp(placement_server_kind_name(s), "uwsgi") == 0);
    return s;
}

static void
create_provider(const struct placement_server *s, const char *uuid)
{
    _cleanup_free_ char *body =
        xasprintf("{\"uuid\": \"%s\", \"name\": \"rp-%s\"}", uuid, uuid);
    _cleanup_free_ char *out = NULL;
    long status = 0;

    out =
        placement_server_call(s, "POST", "/resource_providers", body, &status);
    cr_assert(eq(long, status, 200), "POST /resource_providers: %s", out);
}

static int
providers(const struct placement_server *s)
{
    cJSON *j = placement_server_get_json(s, "/resource_providers");
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "resource_providers"));

    cJSON_Delete(j);
    return n;
}

Test(prodplacement, each_server_gets_a_fresh_database_with_the_standard_traits)
{
    cJSON *traits;

    srv = start_uwsgi(false, 0, 0);
    create_provider(srv, UUID1);
    other = start_uwsgi(false, 0, 0);
    cr_assert(eq(int, providers(srv), 1));
    cr_assert(eq(int, providers(other), 0), "the databases are shared");
    traits =
        placement_server_get_json(other, "/traits?name=in:HW_GPU_API_VULKAN");
    cr_assert(
        eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(traits, "traits")), 1));
    cJSON_Delete(traits);
}

/* The response head of GET / over a raw HTTP/1.1 connection to url. */
static char *
raw_get_head(const char *url)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    const char *port = strrchr(url, ':');
    static const char req[] = "GET / HTTP/1.1\r\nHost: placement\r\n\r\n";
    char buf[4096];
    size_t len = 0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert(fd >= 0 && port != NULL);
    a.sin_port = htons((uint16_t)strtol(port + 1, NULL, 10));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(eq(int, connect(fd, (struct sockaddr *)&a, sizeof(a)), 0),
              "connect %s: %s", url, strerror(errno));
    cr_assert(
        eq(long, (long)write(fd, req, sizeof(req) - 1), (long)sizeof(req) - 1));
    while (len < sizeof(buf) - 1 &&
           (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    close(fd);
    buf[len] = '\0';
    return xstrdup(buf);
}

Test(prodplacement, it_runs_as_debian_configures_it)
{
    _cleanup_free_ char *log = NULL, *head = NULL;

    srv = start_uwsgi(false, 0, 0);
    log = placement_server_log(srv);
    cr_assert(ne(ptr, strstr(log, "spawned uWSGI worker 2 "), NULL), "%s", log);
    cr_assert(eq(ptr, strstr(log, "spawned uWSGI worker 3 "), NULL), "%s", log);
    cr_assert(ne(ptr, strstr(log, "cores: 8)"), NULL), "threads: %s", log);
    cr_assert(ne(ptr, strstr(log, "listen backlog is limited to 100"), NULL),
              "%s", log);
    head = raw_get_head(placement_server_url(srv));
    cr_assert(ne(ptr, strstr(head, "\r\nConnection: close\r\n"), NULL), "%s",
              head);
    cr_assert(eq(ptr, strstr(head, "Content-Length"), NULL), "%s", head);
}

Test(prodplacement, killed_and_restarted_it_keeps_its_port_and_database)
{
    _cleanup_free_ char *url = NULL;

    srv = start_uwsgi(false, 0, 0);
    url = xstrdup(placement_server_url(srv));
    create_provider(srv, UUID1);
    placement_server_kill(srv);
    placement_server_restart(srv);
    cr_assert(strcmp(placement_server_url(srv), url) == 0, "%s, was %s",
              placement_server_url(srv), url);
    cr_assert(eq(int, providers(srv), 1));
}

/* The agent's configuration for the 16-GPU host, with a request timeout
 * shorter than the 10 s a keep-alive worker waits on an idle connection:
 * a request stuck behind one fails the pass. */
static char *
write_host(const struct placement_server *s, char **ret_sys)
{
    _cleanup_free_ char *yaml = NULL;
    char *conf;
    struct errbuf eb = { 0 };
    FILE *f;
    int r;

    workdir = fixture_tmpdir();
    yaml = xasprintf("%s/host.yaml", workdir);
    *ret_sys = xasprintf("%s/sys", workdir);
    conf = xasprintf("%s/agent.yaml", workdir);
    cr_assert(eq(int, benchhost_write_yaml(yaml, GPUS), 0));
    cr_assert(eq(int, mkdir(*ret_sys, 0700), 0), "%s", strerror(errno));
    cr_assert(eq(int, fakesys_materialize(yaml, *ret_sys, &eb), 0), "%s",
              eb.msg);
    r = benchhost_write_conf(conf, placement_server_url(s));
    cr_assert(eq(int, r, 0), "%s: %s", conf, strerror(-r));
    f = fopen(conf, "ae"); /* placement: is the last section */
    cr_assert(f != NULL);
    fputs("  timeout_s: 5\n", f);
    fputs("  max_parallel: 8\n", f); /* more requests than workers */
    cr_assert(eq(int, fclose(f), 0));
    return conf;
}

/* Issue 14: against uwsgi --http11-socket with 2 processes and no threads,
 * the agent's parallel rounds hung behind idle kept-alive connections
 * (10 s a request, then the pass failed); Nova's sequential client works. */
Test(prodplacement,
     sync_completes_against_two_single_threaded_keepalive_workers)
{
    _cleanup_free_ char *sys = NULL, *conf = NULL;
    cJSON *dump;
    long start;

    srv = start_uwsgi(true, 2, 1);
    conf = write_host(srv, &sys);
    start = testproc_now_ms();
    agentrun(&run, (const char *const[]){ "-c", conf, "--sysfs-root", sys,
                                          "sync", NULL });
    cr_assert(eq(int, run.status, 0), "sync after %ld ms:\n%s",
              testproc_now_ms() - start, run.err);
    dump = agentrun_dump(conf, sys);
    placement_server_assert_tree(srv, dump);
    cJSON_Delete(dump);
}
