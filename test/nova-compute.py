#!/usr/bin/python3
# nova-compute.py - nova-compute's side of Placement, for tests: Nova's own
# report client (Debian's python3-nova) driven as the resource tracker drives
# it every period.
#
# Usage: nova-compute.py SOCKET
#
# Importing Nova costs seconds, so one process serves every test of a
# binary: it listens on the Unix socket SOCKET, writes "ready" to stdout once
# it does, and answers one request per connection, one JSON object a line
# each way.  A request:
#
#   {"op": "cycle", "url": PLACEMENT, "uuid": CN_UUID, "name": NODENAME,
#    "traits": [...], "children": [{"name": N, "rc": RC, "total": T}],
#    "refresh": false}
#
# is one periodic update of the compute node CN_UUID, as
# ResourceTracker._update_to_placement does it: get_provider_tree_and_ensure_
# root (creating the root when Placement lacks it), update_inventory and
# update_traits on the root (VCPU, MEMORY_MB, DISK_GB; COMPUTE_NODE and
# traits), the children as the libvirt driver's _ensure_pgpu_providers makes
# them (one VGPU-like inventory each; Nova's per-VF providers), then
# update_from_provider_tree.  Each compute node keeps its report client, and
# with it Nova's cache, across cycles, as a running nova-compute does;
# "refresh": true clears that cache first (what a restart or SIGHUP does).
# The answer is {"ok": true} or {"ok": false, "error": "Class: message"}.
import eventlet
eventlet.monkey_patch()  # as nova-compute does: its ProviderTree needs it

import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

from keystoneauth1 import adapter as ks_adapter  # noqa: E402
from keystoneauth1 import session as ks_session  # noqa: E402
from keystoneauth1 import token_endpoint  # noqa: E402
from nova import context as nova_context  # noqa: E402
from nova.scheduler.client import report  # noqa: E402

VCPUS = 16
MEMORY_MB = 65536
DISK_GB = 500

clients = {}  # (url, compute node uuid) -> SchedulerReportClient


def client_for(url, cn_uuid, refresh):
    key = (url, cn_uuid)
    if key not in clients:
        auth = token_endpoint.Token(url, 'admin')  # Placement's noauth2
        sess = ks_session.Session(auth=auth)
        adap = ks_adapter.Adapter(sess, service_type='placement',
                                  endpoint_override=url, raise_exc=False)
        clients[key] = report.SchedulerReportClient(adapter=adap)
    elif refresh:
        clients[key].clear_provider_cache()
    return clients[key]


def inventory(rc_total, reserved=0, ratio=1.0):
    return {'total': rc_total, 'reserved': reserved, 'min_unit': 1,
            'max_unit': rc_total, 'step_size': 1,
            'allocation_ratio': ratio}


def cycle(req):
    rc = client_for(req['url'], req['uuid'], req.get('refresh', False))
    ctx = nova_context.get_admin_context()
    name = req['name']
    tree = rc.get_provider_tree_and_ensure_root(ctx, req['uuid'], name=name)
    tree.update_inventory(name, {
        'VCPU': inventory(VCPUS, ratio=4.0),
        'MEMORY_MB': inventory(MEMORY_MB, reserved=512),
        'DISK_GB': inventory(DISK_GB),
    })
    tree.update_traits(name, ['COMPUTE_NODE'] + req.get('traits', []))
    for child in req.get('children', []):
        if not tree.exists(child['name']):
            tree.new_child(child['name'], name)
        tree.update_inventory(child['name'],
                              {child['rc']: inventory(child['total'])})
    rc.update_from_provider_tree(ctx, tree)


def answer(conn):
    with conn, conn.makefile('rw') as f:
        line = f.readline()
        try:
            req = json.loads(line)
            if req.get('op') != 'cycle':
                raise ValueError('unknown op %r' % req.get('op'))
            cycle(req)
            reply = {'ok': True}
        except Exception as e:  # the test asserts on it
            reply = {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}
        f.write(json.dumps(reply) + '\n')


def main():
    path = sys.argv[1]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(16)
    sys.stdout.write('ready\n')
    sys.stdout.flush()
    os.close(1)
    while True:
        conn, _ = srv.accept()
        answer(conn)  # one at a time: a test's cycles are sequential


if __name__ == '__main__':
    main()
