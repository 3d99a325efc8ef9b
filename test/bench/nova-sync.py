#!/usr/bin/python3
# nova-sync.py - Nova's report client doing a compute node's first sync of
# the tree the agent reports, for `make bench` to compare with.
#
# Usage: nova-sync.py URL DUMP_JSON
#
# DUMP_JSON is `vgpu-agent dump --format json` of the host: the same root,
# GPU providers, inventories and traits the agent writes.  This does what
# nova-compute's resource tracker does with them on a fresh Placement
# (python3-nova's SchedulerReportClient, nova/compute/resource_tracker.py
# _update_to_placement): get_provider_tree_and_ensure_root() for the root,
# the driver's update_provider_tree() additions (a child per GPU, its
# inventory and traits), then update_from_provider_tree().  The client
# talks to Placement at URL with X-Auth-Token: admin (noauth2), through a
# keystoneauth1 adapter as Nova's own is.  Prints one line of JSON:
# {"ms": wall time of the two calls, "cpu_ms": this process's CPU time
# over them, "requests": requests sent}.  Must run
# under Debian's /usr/bin/python3 (python3-nova).
import nova.monkey_patch  # noqa: F401 (first, as in nova-compute)

import json
import sys
import time

from keystoneauth1 import adapter, session, token_endpoint
import nova.conf
from nova import context as nova_context
from nova.scheduler.client import report


def main():
    url, dump_path = sys.argv[1], sys.argv[2]
    with open(dump_path) as f:
        providers = json.load(f)['providers']
    nova.conf.CONF([], project='nova', default_config_files=[])
    sess = session.Session(auth=token_endpoint.Token(url, 'admin'))
    sent = []
    real_request = sess.request

    def counting_request(*args, **kwargs):
        sent.append(args[:2])
        return real_request(*args, **kwargs)
    sess.request = counting_request
    client = report.SchedulerReportClient(
        adapter=adapter.Adapter(session=sess, service_type='placement'))
    ctx = nova_context.get_admin_context()
    root = providers[0]
    start, cpu = time.monotonic(), time.process_time()
    tree = client.get_provider_tree_and_ensure_root(ctx, root['uuid'],
                                                    name=root['name'])
    for p in providers[1:]:
        tree.new_child(p['name'], p['parent_provider_uuid'], uuid=p['uuid'])
        tree.update_inventory(p['uuid'], p['inventories'])
        tree.update_traits(p['uuid'], p['traits'])
    client.update_from_provider_tree(ctx, tree)
    ms = (time.monotonic() - start) * 1e3
    cpu_ms = (time.process_time() - cpu) * 1e3
    print(json.dumps({'ms': round(ms, 1), 'cpu_ms': round(cpu_ms, 1),
                      'requests': len(sent)}))


if __name__ == '__main__':
    main()
