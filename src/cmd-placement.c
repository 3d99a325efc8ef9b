/*
 * cmd-placement.c - the connection to Placement the reporting commands
 * share, and the Keystone token it carries.
 *
 * The token's whole life is here: got on the first connection, reused
 * while it is good, renewed before it expires, and at once when Placement
 * answers 401 (the pass is then retried once).  A renewal that fails is
 * an error like any Placement outage: `run` backs off and tries again.
 */
#include "config.h"

#include <errno.h>
#include <time.h>

#include "clouds.h"
#include "cmd.h"
#include "http.h"
#include "keystone.h"
#include "log.h"
#include "placement.h"
#include "sync.h"

bool
cmd_placement_configured(const struct cmd_host *h)
{
    return h->conf->placement.endpoint || clouds_uses_keystone(h->auth);
}

/* Get a token and say so (the line operators and tests look for). */
static int
login(const struct cmd_host *h, struct keystone *ks, struct errbuf *eb)
{
    const char *configured = h->conf->placement.endpoint;
    char when[KEYSTONE_TIME_MAX];
    int r = keystone_authenticate(ks, !configured, eb);

    if (r < 0)
        return r;
    log_info("keystone: authenticated (%s) at %s; token expires %s; "
             "placement endpoint %s",
             clouds_method_name(h->auth->method), keystone_auth_url(ks),
             keystone_format_time(keystone_expires(ks), when),
             configured ? configured : keystone_endpoint(ks));
    return 0;
}

/* A new token, on http too. */
static int
renew(const struct cmd_host *h, struct keystone *ks, struct http *http,
      struct errbuf *eb)
{
    int r = login(h, ks, eb);

    return r < 0 ? r : http_set_token(http, keystone_token(ks), eb);
}

/* The token and endpoint to use: Keystone's when h has credentials. */
static int
keystone_ready(const struct cmd_host *h, struct keystone **ks,
               struct errbuf *eb)
{
    const struct conf_placement *pc = &h->conf->placement;
    int r;

    if (!*ks) {
        r = keystone_new(h->auth, pc->cacert, pc->insecure, (long)pc->timeout_s,
                         ks, eb);
        if (r < 0)
            return r;
    }
    if (keystone_expiring(*ks, time(NULL)))
        return login(h, *ks, eb);
    return 0;
}

int
cmd_placement_open(const struct cmd_host *h, struct placement_counts *counts,
                   struct keystone **ks, struct http **ret_http,
                   struct placement **ret_pl)
{
    const struct conf_placement *pc = &h->conf->placement;
    bool keystone = clouds_uses_keystone(h->auth);
    struct http_opts o = { .base_url = pc->endpoint,
                           .token = pc->token,
                           .cacert = pc->cacert,
                           .insecure = pc->insecure,
                           .timeout_s = (long)pc->timeout_s };
    _cleanup_(http_freep) struct http *http = NULL;
    struct errbuf eb = { 0 };

    if (!cmd_placement_configured(h)) {
        log_error("%s: placement.endpoint is not set and there are no "
                  "Keystone credentials; sync and run need one of them",
                  h->conf->path ? h->conf->path : "built-in defaults");
        return CMD_EXIT_USAGE;
    }
    if (pc->insecure)
        log_warn("placement.insecure: TLS certificates are NOT verified");
    if (keystone && keystone_ready(h, ks, &eb) < 0) {
        log_error("%s", eb.msg);
        return CMD_EXIT_FAILED;
    }
    if (keystone) {
        o.token = keystone_token(*ks);
        o.base_url = pc->endpoint ? pc->endpoint : keystone_endpoint(*ks);
    }
    if (http_new(&o, &http, &eb) < 0 ||
        placement_open_counted(http, counts, ret_pl, &eb) < 0) {
        log_error("%s", eb.msg);
        return CMD_EXIT_FAILED;
    }
    *ret_http = TAKE_PTR(http);
    return CMD_EXIT_OK;
}

int
cmd_sync_pass(const struct cmd_host *h, struct keystone *ks, struct http *http,
              struct placement *pl, struct sync_cache *cache,
              struct sync_report *rep, struct errbuf *eb)
{
    size_t max = h->conf->placement.max_parallel;
    int r;

    if (ks && keystone_expiring(ks, time(NULL)) && renew(h, ks, http, eb) < 0)
        return eb->code;
    r = sync_pass(pl, h->tree, cache, max, rep, eb);
    if (r != -EACCES || !ks)
        return r;
    log_info("%s; renewing the Keystone token and retrying", eb->msg);
    sync_report_clear(rep);
    errbuf_clear(eb);
    if (renew(h, ks, http, eb) < 0)
        return eb->code;
    return sync_pass(pl, h->tree, cache, max, rep, eb);
}
