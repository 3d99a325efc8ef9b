/*
 * agentenv.c - a test's directory, agent.yaml and sysfs root, and the
 * agent run with them.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentenv.h"
#include "cleanup.h"
#include "testproc.h"
#include "testsecrets.h"
#include "xalloc.h"

void
agentenv_init(struct agentenv *e)
{
    *e = (struct agentenv){ .dir = fixture_tmpdir() };
    e->conf = agentenv_path(e, "agent.yaml");
}

void
agentenv_drop_host(struct agentenv *e)
{
    if (e->live)
        fakesys_live_stop(e->live);
    else if (e->root)
        fixture_rm_rf(e->root);
    e->live = NULL;
    free(e->root);
    e->root = NULL;
}

void
agentenv_clear(struct agentenv *e)
{
    agentproc_stop(e->agent);
    e->agent = NULL;
    agentenv_drop_host(e);
    if (e->dir)
        fixture_rm_rf(e->dir);
    free(e->dir);
    free(e->conf);
    *e = (struct agentenv){ 0 };
}

void
agentenv_host(struct agentenv *e, const char *host)
{
    agentenv_drop_host(e);
    e->root = fixture_host(host);
}

void
agentenv_live_unplug(struct agentenv *e, const char *yaml_rel, const char *dev,
                     unsigned long after)
{
    _cleanup_free_ char *yaml = fixture_data_path(yaml_rel);
    struct errbuf eb = { 0 };
    int r;

    agentenv_drop_host(e);
    r = dev ? fakesys_live_start_unplug(yaml, dev, after, &e->live, &eb)
            : fakesys_live_start(yaml, &e->live, &eb);
    cr_assert(r == 0, "%s", eb.msg);
    e->root = xstrdup(fakesys_live_root(e->live));
}

void
agentenv_live(struct agentenv *e, const char *yaml_rel)
{
    agentenv_live_unplug(e, yaml_rel, NULL, 0);
}

void
agentenv_create_mdev(const struct agentenv *e, const char *parent,
                     const char *type, const char *uuid)
{
    _cleanup_free_ char *path =
        xasprintf("%s/class/mdev_bus/%s/mdev_supported_types/%s/create",
                  e->root, parent, type);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    cr_assert(write(fd, uuid, strlen(uuid)) == (ssize_t)strlen(uuid), "%s: %s",
              path, strerror(errno));
}

bool
agentenv_has_mdev(const struct agentenv *e, const char *uuid)
{
    _cleanup_free_ char *link =
        xasprintf("%s/bus/mdev/devices/%s", e->root, uuid);
    struct stat st;

    return lstat(link, &st) == 0;
}

unsigned
agentenv_count_mdevs(const struct agentenv *e)
{
    _cleanup_free_ char *path = xasprintf("%s/bus/mdev/devices", e->root);
    DIR *d = opendir(path);
    const struct dirent *de;
    unsigned n = 0;

    if (!d)
        return 0; /* no mdev yet: the kernel has no such directory either */
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

char *
agentenv_path(const struct agentenv *e, const char *rel)
{
    return xasprintf("%s/%s", e->dir, rel);
}

char *
agentenv_write(const struct agentenv *e, const char *rel, const char *text)
{
    char *path = agentenv_path(e, rel);

    fixture_write(path, text, 0600);
    return path;
}

/* test/data/<rel>'s text; the file must exist. */
static char *
data_text(const char *rel)
{
    _cleanup_free_ char *path = fixture_data_path(rel);

    cr_assert(access(path, R_OK) == 0, "%s: cannot read it", path);
    return testproc_read_file(path);
}

void
agentenv_write_conf(const struct agentenv *e, const struct agentconf *c)
{
    _cleanup_free_ char *base = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    cr_assert(out != NULL);
    if (c->settings_file) {
        base = data_text(c->settings_file);
        fputs(base, out);
    }
    fputs(c->settings ? c->settings : "", out);
    if (c->libvirt_uri)
        fprintf(out, "libvirt_uri: %s\n", c->libvirt_uri);
    fprintf(out, "lock_file: %s/lock\n", e->dir);
    if (c->reconcile || c->reconcile_extra)
        fprintf(out, "reconcile:\n  mdevctl_dir: %s/mdevctl.d\n%s", e->dir,
                c->reconcile_extra ? c->reconcile_extra : "");
    if (c->endpoint)
        fprintf(out, "placement:\n  endpoint: %s\n  token: %s\n%s", c->endpoint,
                c->token ? c->token : TEST_TOKEN,
                c->placement_extra ? c->placement_extra : "");
    fputs(c->placement ? c->placement : "", out);
    cr_assert(fclose(out) == 0);
    fixture_write(e->conf, text, 0600);
    free(text);
}

/* { prefix..., args..., NULL }; free the array, not the strings. */
static const char **
argv_join(const char *const *prefix, size_t n_prefix, const char *const *args)
{
    size_t n = 0;
    const char **argv;

    while (args && args[n])
        n++;
    argv = xcalloc(n_prefix + n + 1, sizeof(*argv));
    memcpy(argv, prefix, n_prefix * sizeof(*argv));
    if (n)
        memcpy(argv + n_prefix, args, n * sizeof(*argv));
    return argv;
}

void
agentenv_run(const struct agentenv *e, struct agentrun *r,
             const char *const *args)
{
    const char *const prefix[] = { "-c", e->conf, "--sysfs-root", e->root };
    _cleanup_free_ const char **argv = argv_join(prefix, NELEM(prefix), args);

    cr_assert(e->root != NULL, "no host: agentenv_host() first");
    agentrun_clear(r);
    agentrun(r, argv);
}

cJSON *
agentenv_dump(const struct agentenv *e)
{
    return agentrun_dump(e->conf, e->root);
}

struct agentproc *
agentenv_start(struct agentenv *e, const char *const *args)
{
    const char *const prefix[] = { "-v",           "-c",    e->conf,
                                   "--sysfs-root", e->root, "run" };
    _cleanup_free_ const char **argv = NULL;

    cr_assert(e->root != NULL, "no host: agentenv_host() first");
    cr_assert(e->agent == NULL, "the service is running already");
    argv = argv_join(prefix, NELEM(prefix), args);
    e->agent = agentproc_start(argv);
    return e->agent;
}

void
agentenv_expect(const struct agentenv *e, const char *needle, unsigned n)
{
    agentproc_expect(e->agent, needle, n,
                     e->patience_ms ? e->patience_ms : AGENTENV_PATIENCE_MS);
}

void
agentenv_expect_more(const struct agentenv *e, const char *needle, unsigned n)
{
    agentenv_expect(e, needle, agentproc_count(e->agent, needle) + n);
}

/* Providers called name in Placement. */
static int
providers_named(const struct placement_server *srv, const char *name)
{
    _cleanup_free_ char *path = xasprintf("/resource_providers?name=%s", name);
    cJSON *j = placement_server_get_json(srv, path);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "resource_providers"));

    cJSON_Delete(j);
    return n;
}

void
agentenv_assert_placement_holds(const struct agentenv *e,
                                const struct placement_server *srv)
{
    cJSON *d = agentenv_dump(e);
    cJSON *all = placement_server_get_json(srv, "/resource_providers");
    const cJSON *p;

    placement_server_assert_tree(srv, d);
    cr_assert(
        cJSON_GetArraySize(cJSON_GetObjectItem(all, "resource_providers")) ==
            cJSON_GetArraySize(cJSON_GetObjectItem(d, "providers")),
        "providers in Placement besides the host's tree");
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "providers")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(p, "name"));
        int n = providers_named(srv, name);

        cr_assert(n == 1, "%d providers named %s", n, name);
    }
    cJSON_Delete(all);
    cJSON_Delete(d);
}
