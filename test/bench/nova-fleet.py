#!/usr/bin/python3
# nova-fleet.py - Nova's report client for K hosts in one process, for
# `make bench-fleet` to set beside the agents' fleet.
#
# Usage: nova-fleet.py URL DUMP_JSON K INTERVAL_S STEADY_S
#
# DUMP_JSON is `vgpu-agent dump --format json` of one host; each of the K
# hosts gets that tree under a name of its own (nova-NNNN, UUIDs derived
# from the names).  Every host has its own SchedulerReportClient (its own
# session and provider-tree cache), as K nova-compute processes would; they
# run as green threads (eventlet, as nova-compute does).  A host's periodic
# pass is what nova-compute's resource tracker does every
# update_resources_interval (60 s; here INTERVAL_S):
# get_provider_tree_and_ensure_root(), the driver's update_provider_tree()
# (a child per GPU, its inventory and traits), update_from_provider_tree(),
# then the allocations of its root (_remove_deleted_instances_allocations).
# [compute] resource_provider_association_refresh (300 s per 60 s) is scaled
# the same way, to 5 x INTERVAL_S.
#
# Phases: first start (every host's first pass at once on an empty
# Placement), steady (a pass per host every INTERVAL_S for STEADY_S),
# restart (new clients, empty caches, every host's first pass at once).
# Before and after each it prints "mark NAME" and waits for a line on
# stdin, so the caller can sample Placement.  Last, one line of JSON: per
# phase the requests sent, host passes and wall ms, and this process's
# RssAnon in KiB.  Must run under Debian's /usr/bin/python3 (python3-nova).
import nova.monkey_patch  # noqa: F401 (first, as in nova-compute)

import json
import sys
import time
import uuid

import eventlet
from keystoneauth1 import adapter, session, token_endpoint
import nova.conf
from nova import context as nova_context
from nova.scheduler.client import report

NS = uuid.UUID('6ba7b810-9dad-11d1-80b4-00c04fd430c8')  # RFC 4122 DNS


class Host:
    def __init__(self, url, dump, i):
        root = dump[0]
        self.name = 'nova-%04d' % i
        self.uuid = str(uuid.uuid5(NS, self.name))
        self.children = []
        for p in dump[1:]:
            name = p['name'].replace(root['name'], self.name, 1)
            self.children.append(dict(p, name=name,
                                      uuid=str(uuid.uuid5(NS, name))))
        self.url = url
        self.sent = 0
        self.restart()

    def restart(self):
        """A new nova-compute: new session, empty caches."""
        sess = session.Session(auth=token_endpoint.Token(self.url, 'admin'))
        real_request = sess.request

        def counting_request(*args, **kwargs):
            self.sent += 1
            return real_request(*args, **kwargs)
        sess.request = counting_request
        self.client = report.SchedulerReportClient(
            adapter=adapter.Adapter(session=sess, service_type='placement'))

    def periodic(self, ctx):
        tree = self.client.get_provider_tree_and_ensure_root(
            ctx, self.uuid, name=self.name)
        for p in self.children:
            if not tree.exists(p['uuid']):
                tree.new_child(p['name'], self.uuid, uuid=p['uuid'])
            tree.update_inventory(p['uuid'], p['inventories'])
            tree.update_traits(p['uuid'], p['traits'])
        self.client.update_from_provider_tree(ctx, tree)
        self.client.get_allocations_for_resource_provider(ctx, self.uuid)


def mark(name):
    print('mark %s' % name, flush=True)
    sys.stdin.readline()


def round_all(hosts, ctx, pool):
    """One pass of every host at once; (requests, wall ms)."""
    before = sum(h.sent for h in hosts)
    start = time.monotonic()
    for t in [pool.spawn(h.periodic, ctx) for h in hosts]:
        t.wait()  # a host's exception ends the bench
    return (sum(h.sent for h in hosts) - before,
            (time.monotonic() - start) * 1e3)


def rss_anon_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('RssAnon:'):
                return int(line.split()[1])
    return 0


def main():
    url, dump_path = sys.argv[1], sys.argv[2]
    k, interval, steady_s = (int(a) for a in sys.argv[3:6])
    with open(dump_path) as f:
        dump = json.load(f)['providers']
    nova.conf.CONF([], project='nova', default_config_files=[])
    nova.conf.CONF.set_override('resource_provider_association_refresh',
                                5 * interval, group='compute')
    ctx = nova_context.get_admin_context()
    pool = eventlet.GreenPool(k)
    hosts = [Host(url, dump, i) for i in range(k)]
    out = {}

    mark('first')
    req, ms = round_all(hosts, ctx, pool)
    mark('first-done')
    out['first'] = {'requests': req, 'passes': k, 'ms': round(ms, 1)}

    time.sleep(interval)
    mark('steady')
    start, req, passes = time.monotonic(), 0, 0
    tick = start
    while tick + interval <= start + steady_s + 0.001:
        r, _ = round_all(hosts, ctx, pool)
        req, passes = req + r, passes + k
        tick += interval
        time.sleep(max(0.0, tick - time.monotonic()))
    ms = (time.monotonic() - start) * 1e3
    rss = rss_anon_kib()
    mark('steady-done')
    out['steady'] = {'requests': req, 'passes': passes, 'ms': round(ms, 1)}

    for h in hosts:
        h.restart()
    mark('restart')
    req, ms = round_all(hosts, ctx, pool)
    mark('restart-done')
    out['restart'] = {'requests': req, 'passes': k, 'ms': round(ms, 1)}
    out['rss_anon_kib'] = rss
    print(json.dumps(out), flush=True)


if __name__ == '__main__':
    main()
