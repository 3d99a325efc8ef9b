/*
 * service.c - the state of `run` across passes: the host, the Placement
 * session, the pass state, the lock; backoff and reload.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "agentlock.h"
#include "cleanup.h"
#include "log.h"
#include "pass.h"
#include "service.h"
#include "session.h"
#include "tree.h"
#include "xalloc.h"

struct service {
    struct hostload_opts opts;
    struct hostload host;
    struct session *session;
    struct pass *pass;
    int lock;          /* the agent's lock, or -1 */
    unsigned failures; /* passes failed in a row, for the backoff */
    double interval;   /* 0: the config's interval_s */
};

void
service_free(struct service *s)
{
    if (!s)
        return;
    if (s->lock >= 0)
        close(s->lock);
    session_free(s->session);
    hostload_clear(&s->host);
    pass_free(s->pass);
    free(s);
}

/* "prefix: config FILE, node NAME (uuid U), N GPU(s): ADDR TYPE (total),
 * ..." at the default level. */
static void
log_described(const struct service *s, const char *event, const char *prefix)
{
    const struct tree *t = s->host.tree;
    _cleanup_free_ char *gpus = NULL;
    char uuid[UUIDSTR_LEN];
    size_t n = 0;

    tree_root_uuid(s->host.conf, uuid);
    for (size_t i = 1; t && i < t->n_providers; i++) {
        const struct tree_provider *p = &t->providers[i];
        char *next;

        if (!p->device)
            continue;
        next = xasprintf("%s%s%s %s (%ld)", gpus ? gpus : "", gpus ? ", " : "",
                         p->device->address, p->device->mdev_type,
                         p->n_invs ? p->invs[0].total : 0L);
        free(gpus);
        gpus = next;
        n++;
    }
    log_event(LOG_NOTICE, &(struct log_fields){ .event = event },
              "%s: config %s, node %s (uuid %s), %s%zu GPU(s) offering "
              "vGPUs%s%s",
              prefix, hostload_conf_name(&s->host), s->host.conf->node_name,
              uuid, t ? "" : "not scanned yet, ", n, n ? ": " : "",
              gpus ? gpus : "");
}

int
service_start(const struct hostload_opts *o, double interval,
              struct service **ret)
{
    _cleanup_(service_freep) struct service *s = xcalloc(1, sizeof(*s));
    int r;

    s->opts = *o;
    s->interval = interval;
    s->lock = -1;
    s->session = session_new();
    s->pass = pass_new();
    srand((unsigned)getpid() ^ (unsigned)time(NULL));
    r = hostload_conf(o, &s->host);
    if (r < 0)
        return r;
    if (!session_configured(&s->host)) {
        log_error("placement.endpoint is not set and there are no Keystone "
                  "credentials; run needs one of them");
        return -EINVAL;
    }
    s->lock = agentlock_take(s->host.conf->lock_file);
    if (s->lock < 0)
        return s->lock == -EINVAL ? -EIO : s->lock;
    if (hostload_scan(&s->host) == 0) /* else logged; the pass tries again */
        pass_scanned(s->pass);
    log_described(s, LOG_EVENT_STARTED,
                  "vgpu-agent " PACKAGE_VERSION " started");
    *ret = TAKE_PTR(s);
    return 0;
}

bool
service_pass(struct service *s)
{
    bool ok;

    pass_set_interval(s->pass,
                      s->interval > 0 ? s->interval : s->host.conf->interval_s);
    ok = pass_run(s->pass, &s->host, s->session);

    s->failures = ok ? 0 : s->failures + 1;
    return ok;
}

unsigned
service_failures(const struct service *s)
{
    return s->failures;
}

double
service_next_wait(const struct service *s)
{
    double interval = s->interval > 0 ? s->interval : s->host.conf->interval_s;
    double jitter = interval * 0.1 * (2.0 * rand() / RAND_MAX - 1.0);
    double backoff;

    if (s->failures == 0)
        return interval + jitter;
    backoff = (double)(1u << (s->failures < 16 ? s->failures - 1 : 15));
    return backoff < interval ? backoff : interval + jitter;
}

int
service_reload(struct service *s)
{
    struct hostload fresh = { 0 };

    if (hostload_conf(&s->opts, &fresh) < 0) {
        log_event(LOG_ERROR,
                  &(struct log_fields){ .event = LOG_EVENT_RELOAD_FAILED },
                  "SIGHUP: the new configuration is invalid; keeping the "
                  "old one");
        return -EINVAL;
    }
    hostload_clear(&s->host);
    s->host = fresh;
    if (hostload_scan(&s->host) == 0) /* else logged; the pass tries again */
        pass_scanned(s->pass);
    log_described(s, LOG_EVENT_RELOADED,
                  "SIGHUP: configuration reloaded and "
                  "applied");
    session_logout(s->session); /* the credentials may have changed */
    pass_refresh_next(s->pass); /* the next pass re-reads everything */
    return 0;
}
