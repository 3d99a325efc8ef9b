#!/usr/bin/python3
# fault-proxy.py - a fault-injecting HTTP proxy in front of the real Placement.
#
# Usage: fault-proxy.py UPSTREAM_URL
#
# Listens on 127.0.0.1 port 0 and writes the port it got to stdout as one
# line, then closes stdout (like placement-server.py).  Every request is
# forwarded to UPSTREAM_URL, except that the current fault mode may break it.
# Nothing here answers like Placement on its own: a fault only withholds,
# damages or fails what the real server says.
#
# Control requests (never forwarded), answered on the same port:
#   POST /__fault__/MODE[?match=SUBSTRING]  switch mode; with match, only
#                                           requests whose path contains
#                                           SUBSTRING are faulted
#   GET  /__fault__/stats                   {"received", "forwarded",
#                                            "faulted", "mode", "log": [...]}
# Modes:
#   pass       forward
#   down       read the request, close the connection without an answer
#   status500  answer 500 with a Placement-style {"errors": [...]} body
#   503retry   answer 503 with Retry-After: 1
#   malformed  forward; a GET's JSON body is cut in half
#   wrongshape forward; every top-level value of a GET's JSON object gets
#              the wrong type ({"resource_providers": "oops"})
#   huge       answer 200 with a 50 MB body
#   slow       read the request, never answer (until the client gives up)
#   delay      forward after DELAY_S: a slow but working Placement, so a
#              pass lasts long enough to break it in the middle
#   bump409    at the first PUT .../resource_providers/UUID/inventories, bump
#              that provider's generation in the real Placement (re-PUT its
#              aggregates), then forward the PUT, which gets a genuine 409
#              placement.concurrent_update; then behave as pass
import http.client
import json
import re
import select
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

MODES = ('pass', 'down', 'status500', '503retry', 'malformed', 'wrongshape',
         'huge', 'slow', 'bump409', 'delay')
HOP_BY_HOP = ('connection', 'keep-alive', 'transfer-encoding', 'te',
              'trailer', 'upgrade', 'proxy-authorization',
              'proxy-authenticate', 'content-length')
HUGE_BYTES = 50 * 1024 * 1024
SLOW_MAX_S = 120
DELAY_S = 0.3
INVENTORIES = re.compile(r'^/resource_providers/([0-9a-fA-F-]{32,36})'
                         r'/inventories$')


class State:
    def __init__(self, upstream):
        u = urllib.parse.urlsplit(upstream)
        self.host, self.port = u.hostname, u.port or 80
        self.lock = threading.Lock()
        self.mode = 'pass'
        self.match = None
        self.received = self.forwarded = self.faulted = 0
        self.log = []

    def set_mode(self, mode, match):
        with self.lock:
            self.mode, self.match = mode, match

    def take_fault(self, method, path):
        """The fault for this request, or 'pass'; counts it."""
        with self.lock:
            self.received += 1
            mode = self.mode
            if self.match and self.match not in path.split('?')[0]:
                mode = 'pass'
            if mode == 'bump409':
                if method == 'PUT' and INVENTORIES.match(path.split('?')[0]):
                    self.mode = 'pass'  # one bump only
                else:
                    mode = 'pass'
            if mode != 'pass':
                self.faulted += 1
            return mode

    def note(self, line):
        with self.lock:
            self.log.append(line)
            del self.log[:-500]


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    request_queue_size = 64
    allow_reuse_address = True


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as the agent expects

    def log_message(self, fmt, *args):
        pass

    # -- plumbing -----------------------------------------------------------
    def body_in(self):
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n) if n > 0 else b''

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def upstream(self, method, path, body, headers):
        st = self.server.state
        conn = http.client.HTTPConnection(st.host, st.port, timeout=60)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.getheaders(), data
        finally:
            conn.close()

    def forward(self, body):
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP_BY_HOP and k.lower() != 'host'}
        if body or self.command in ('PUT', 'POST', 'PATCH'):
            headers['Content-Length'] = str(len(body))
        status, rh, data = self.upstream(self.command, self.path, body,
                                         headers)
        with self.server.state.lock:
            self.server.state.forwarded += 1
        return status, [(k, v) for k, v in rh
                        if k.lower() not in HOP_BY_HOP], data

    # -- control ----------------------------------------------------------
    def control(self):
        st = self.server.state
        u = urllib.parse.urlsplit(self.path)
        what = u.path[len('/__fault__/'):]
        if self.command == 'GET' and what == 'stats':
            with st.lock:
                doc = {'received': st.received, 'forwarded': st.forwarded,
                       'faulted': st.faulted, 'mode': st.mode,
                       'log': list(st.log)}
            return self.reply(200, json.dumps(doc).encode(),
                              [('Content-Type', 'application/json')])
        if self.command == 'POST' and what in MODES:
            q = urllib.parse.parse_qs(u.query)
            st.set_mode(what, q.get('match', [None])[0])
            return self.reply(204, b'')
        return self.reply(400, b'unknown control request\n')

    # -- faults -------------------------------------------------------------
    def bump(self):
        """Make the provider's generation move, as a concurrent claim does."""
        uuid = INVENTORIES.match(self.path.split('?')[0]).group(1)
        path = '/resource_providers/%s/aggregates' % uuid
        h = {'X-Auth-Token': self.headers.get('X-Auth-Token', 'admin'),
             'OpenStack-API-Version': 'placement 1.39',
             'Accept': 'application/json'}
        status, _, data = self.upstream('GET', path, b'', h)
        if status != 200:
            return 'bump409: GET %s: %d' % (path, status)
        doc = json.loads(data)
        body = json.dumps({
            'aggregates': doc['aggregates'],
            'resource_provider_generation':
                doc['resource_provider_generation']}).encode()
        h['Content-Type'] = 'application/json'
        status, _, _ = self.upstream('PUT', path, body, h)
        return 'bump409: PUT %s: %d' % (path, status)

    def wait_for_client_to_give_up(self):
        sock = self.connection
        for _ in range(SLOW_MAX_S):
            r, _, _ = select.select([sock], [], [], 1.0)
            if r and not sock.recv(4096):
                break
        self.close_connection = True

    def mangle(self, mode, status, headers, data):
        if self.command != 'GET' or status != 200:
            return data
        if mode == 'malformed':
            return data[:len(data) // 2]
        try:
            doc = json.loads(data)
        except ValueError:
            return data
        if isinstance(doc, dict):
            for k, v in doc.items():
                doc[k] = 42 if isinstance(v, str) else 'oops'
        return json.dumps(doc).encode()

    def huge(self):
        chunk = b'{"resource_providers": ["' + b'x' * (1024 * 1024)
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(HUGE_BYTES))
        self.end_headers()
        sent = 0
        try:
            while sent < HUGE_BYTES:
                part = chunk[:HUGE_BYTES - sent]
                self.wfile.write(part)
                sent += len(part)
        except OSError:
            pass
        self.close_connection = True

    def handle_any(self):
        st = self.server.state
        if self.path.startswith('/__fault__/'):
            self.body_in()
            return self.control()
        body = self.body_in()
        mode = st.take_fault(self.command, self.path)
        line = '%s %s %s' % (mode, self.command, self.path)
        if mode == 'down':
            st.note(line)
            self.close_connection = True
            return
        if mode == 'slow':
            st.note(line)
            return self.wait_for_client_to_give_up()
        if mode == 'huge':
            st.note(line)
            return self.huge()
        if mode == 'status500':
            st.note(line + ' 500')
            doc = {'errors': [{
                'status': 500, 'code': 'placement.fault_proxy',
                'title': 'Internal Server Error',
                'detail': 'fault-proxy: injected failure',
                'request_id': 'req-fault-proxy'}]}
            return self.reply(500, json.dumps(doc).encode(),
                              [('Content-Type', 'application/json')])
        if mode == '503retry':
            st.note(line + ' 503')
            doc = {'errors': [{
                'status': 503, 'title': 'Service Unavailable',
                'detail': 'fault-proxy: try again later',
                'request_id': 'req-fault-proxy'}]}
            return self.reply(503, json.dumps(doc).encode(),
                              [('Content-Type', 'application/json'),
                               ('Retry-After', '1')])
        if mode == 'bump409':
            line += ' (%s)' % self.bump()
        if mode == 'delay':
            time.sleep(DELAY_S)
        try:
            status, headers, data = self.forward(body)
        except OSError as e:  # upstream gone: the client sees a reset
            st.note('%s: upstream: %s' % (line, e))
            self.close_connection = True
            return
        st.note('%s %d' % (line, status))
        if mode in ('malformed', 'wrongshape'):
            data = self.mangle(mode, status, headers, data)
        self.reply(status, data, headers)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = handle_any


def main():
    server = Server(('127.0.0.1', 0), Handler)
    server.state = State(sys.argv[1])
    sys.stdout.write('%d\n' % server.server_port)
    sys.stdout.close()  # the caller reads the port up to EOF or newline
    server.serve_forever()


if __name__ == '__main__':
    main()
