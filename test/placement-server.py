#!/usr/bin/python3
# placement-server.py - run the real Placement for one test.
#
# Usage: placement-server.py DIR [TEMPLATE_DB|- [PORT]]
#
# DIR holds placement.conf (written by test/placement-server.c); the database
# named there is created here, in this process (placement-manage would pay the
# Python start-up a second time), or copied from TEMPLATE_DB when that exists.
# The server is Placement's WSGI app on a threaded wsgiref server (the
# stock placement-api script is single-threaded) bound to 127.0.0.1 port 0; once it
# listens, the port goes to stdout as one line and stdout is closed, so the
# caller never races for a port.  With PORT (a restart after a kill) it binds
# that port instead and keeps the database DIR already holds.  Logs go to stderr.  Must run under Debian's
# /usr/bin/python3, which sees dist-packages.
import os
import shutil
import socketserver
import sys
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64


class QuietHandler(WSGIRequestHandler):
    def log_message(self, fmt, *args):  # placement.requestlog logs already
        pass


def serialize_writes(app):
    """sqlite answers concurrent writers with 'database is locked' (a 500),
    which production Placement on MySQL never does: let one write in at a
    time.  Reads stay concurrent, so the client's parallelism is still
    exercised."""
    lock = threading.Lock()

    def wrapped(environ, start_response):
        if environ.get('REQUEST_METHOD') in ('GET', 'HEAD'):
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))
    return wrapped


def prepare_db(conf_dir, template):
    """Create the sqlite db (or copy the template); return whether the app
    must create the schema itself."""
    db = os.path.join(conf_dir, 'placement.db')
    if os.path.exists(db):  # a restart: same database, schema in place
        return False
    if template and os.path.exists(template):
        shutil.copyfile(template, db)
        return False
    return True


def main():
    # The port goes out on the original stdout; everything else, including
    # oslo.log's records (which go to stdout), to the log on stderr.
    port_fd = os.dup(1)
    os.set_inheritable(port_fd, False)
    os.dup2(2, 1)
    conf_dir = sys.argv[1]
    template = sys.argv[2] if len(sys.argv) > 2 else None
    if template == '-':
        template = None
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.environ['OS_PLACEMENT_CONFIG_DIR'] = conf_dir
    if prepare_db(conf_dir, template):
        # [placement_database] sync_on_startup, appended for this run only
        with open(os.path.join(conf_dir, 'placement.conf'), 'a') as f:
            f.write('sync_on_startup = True\n')
    from placement.wsgi import init_application
    app = serialize_writes(init_application())
    if template and not os.path.exists(template):
        # Schema and standard traits are in: keep a copy for the next start.
        tmp = '%s.%d' % (template, os.getpid())
        shutil.copyfile(os.path.join(conf_dir, 'placement.db'), tmp)
        os.rename(tmp, template)  # atomic; a parallel start may win, fine
    server = make_server('127.0.0.1', port, app, server_class=ThreadingServer,
                         handler_class=QuietHandler)
    os.write(port_fd, b'%d\n' % server.server_port)
    os.close(port_fd)
    server.serve_forever()


if __name__ == '__main__':
    main()
