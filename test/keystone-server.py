#!/usr/bin/python3
# keystone-server.py - run Debian's real Keystone for one test.
#
# Usage: keystone-server.py DIR [TEMPLATE_DIR] [PORT]
#
# DIR holds keystone.conf (written by test/keystone-server.c), which names
# DIR/keystone.db, DIR/fernet-keys and DIR/credential-keys.  When DIR has no
# database yet, it gets one: copied from TEMPLATE_DIR when that holds a
# finished template, else made with keystone-manage db_sync, fernet_setup,
# credential_setup and bootstrap (about 12 s; the admin password is the
# first line of DIR/admin-password) and then saved as TEMPLATE_DIR for the
# next start.  A flock on TEMPLATE_DIR.lock lets only one of several
# concurrent test processes build it.  The catalog is left empty: the
# caller registers the endpoints once the port is known.
#
# The server is Keystone's public WSGI app on a wsgiref server bound to
# 127.0.0.1 and PORT (0 or absent: any), one request at a time in one thread
# (with a thread per request, Keystone's sqlite connections answer
# "database is locked" even to sequential requests); once it listens, the port
# goes to stdout as one line and stdout is closed.  Logs go to stderr.  Must
# run under Debian's /usr/bin/python3, which sees dist-packages.
import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

STATE = ('keystone.db', 'fernet-keys', 'credential-keys')


class Server(WSGIServer):
    request_queue_size = 64


class QuietHandler(WSGIRequestHandler):
    def log_message(self, fmt, *args):
        pass


def manage(conf, *args):
    # keystone-manage prints eventlet noise at exit even when it succeeded;
    # its status is what counts.
    subprocess.run(['keystone-manage', '--config-file', conf] + list(args),
                   check=True, stdout=sys.stderr, stderr=sys.stderr)


def build(conf_dir):
    conf = os.path.join(conf_dir, 'keystone.conf')
    owner = ['--keystone-user', str(os.getuid()),
             '--keystone-group', str(os.getgid())]
    with open(os.path.join(conf_dir, 'admin-password')) as f:
        password = f.readline().strip()
    manage(conf, 'db_sync')
    manage(conf, 'fernet_setup', *owner)
    manage(conf, 'credential_setup', *owner)
    manage(conf, 'bootstrap', '--bootstrap-password', password,
           '--bootstrap-region-id', 'RegionOne')


def copy_state(src, dst):
    for name in STATE:
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if os.path.isdir(s):
            shutil.copytree(s, d)
        else:
            shutil.copyfile(s, d)


def prepare(conf_dir, template):
    """Give conf_dir its database and key repositories."""
    if os.path.exists(os.path.join(conf_dir, 'keystone.db')):
        return  # a restart: keep what the last run left
    if not template:
        build(conf_dir)
        return
    with open(template + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(template):
            build(conf_dir)
            tmp = '%s.%d' % (template, os.getpid())
            shutil.rmtree(tmp, ignore_errors=True)
            os.mkdir(tmp)
            copy_state(conf_dir, tmp)
            os.rename(tmp, template)  # atomic: readers see all or nothing
            return
    copy_state(template, conf_dir)


def wal(db):
    """Readers must not block writers: Keystone leaves a read transaction
    open on some connection after creating an endpoint, and in sqlite's
    default journal mode the next write then fails 'database is locked'."""
    con = sqlite3.connect(db)
    con.execute('PRAGMA journal_mode=WAL')
    con.close()


def main():
    port_fd = os.dup(1)
    os.set_inheritable(port_fd, False)
    os.dup2(2, 1)
    conf_dir = sys.argv[1]
    template = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.environ['OS_KEYSTONE_CONFIG_FILES'] = os.path.join(conf_dir,
                                                          'keystone.conf')
    prepare(conf_dir, template)
    wal(os.path.join(conf_dir, 'keystone.db'))
    sys.argv[1:] = []  # oslo.config parses the command line
    from keystone.server.wsgi import initialize_public_application
    app = initialize_public_application()
    server = make_server('127.0.0.1', port, app, server_class=Server,
                         handler_class=QuietHandler)
    os.write(port_fd, b'%d\n' % server.server_port)
    os.close(port_fd)
    server.serve_forever()


if __name__ == '__main__':
    main()
