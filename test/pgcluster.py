#!/usr/bin/python3
# pgcluster.py - the PostgreSQL of one test binary (test/pgcluster.c).
#
# Usage: pgcluster.py OWNER_PID DIR [TEMPLATE]
#
# Runs a private PostgreSQL 15 cluster in DIR (data in DIR/data, the unix
# socket in DIR, no TCP) for as long as process OWNER_PID lives (the
# Criterion runner of a test binary), then stops it and removes DIR.  It
# also stops and cleans up on SIGTERM, SIGINT or SIGHUP, and when
# PostgreSQL dies; PostgreSQL itself gets SIGQUIT (immediate shutdown) if
# this process is killed outright (PR_SET_PDEATHSIG).
#
# The cluster is a copy of TEMPLATE, a stopped cluster whose database
# placement_template holds Placement's schema (`placement-manage db sync`)
# and its standard traits and resource classes.  A missing TEMPLATE is
# built first, under a flock, so the test binaries of one `make check`
# build it once (about 5 s).  Without TEMPLATE the cluster is built in
# place each time.
#
# Run as root (CI), PostgreSQL runs as the user `postgres` (or
# $VGPU_PG_USER): it refuses to run as root.  Once the server accepts
# connections, "ready DIR" goes to stdout and stdout is closed (before it
# "pid PID", after a failure "error: WHY"); the log goes to stderr,
# PostgreSQL's own to DIR/postgres.log.  Must run
# under Debian's /usr/bin/python3 (psycopg2, placement).
import ctypes
import fcntl
import glob
import os
import pwd
import selectors
import shutil
import signal
import subprocess
import sys
import time
import traceback

import psycopg2

DB_USER = 'placement'
TEMPLATE_DB = 'placement_template'
START_TIMEOUT_S = 60
STEP_TIMEOUT_S = 120  # each step of a template build
# fsync and friends off: the cluster lives for one test binary.  max_wal_size
# small: every test's CREATE DATABASE ... TEMPLATE writes the database to WAL.
SETTINGS = {
    'listen_addresses': '',
    'fsync': 'off',
    'synchronous_commit': 'off',
    'full_page_writes': 'off',
    'shared_buffers': '32MB',
    'max_connections': '300',
    'max_wal_size': '64MB',
    'min_wal_size': '8MB',
    'log_min_messages': 'warning',
    'log_checkpoints': 'off',
}
PR_SET_PDEATHSIG = 1


def log(msg):
    sys.stderr.write('pgcluster: %s\n' % msg)
    sys.stderr.flush()


def bindir():
    d = os.environ.get('VGPU_PG_BINDIR')
    if d:
        return d
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/postgres'),
                   key=lambda p: int(p.split('/')[4]))
    if not found:
        raise SystemExit('pgcluster: no /usr/lib/postgresql/*/bin/postgres '
                         '(apt-get install postgresql)')
    return os.path.dirname(found[-1])


def pg_user():
    """(uid, gid) PostgreSQL runs as; None: as we are."""
    if os.geteuid() != 0:
        return None
    pw = pwd.getpwnam(os.environ.get('VGPU_PG_USER', 'postgres'))
    return pw.pw_uid, pw.pw_gid


def chown_tree(path, user):
    if not user:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, *user)
        for name in files:
            os.lchown(os.path.join(root, name), *user)


def as_user(user):
    """preexec_fn: drop to user (when root), then die with this process."""
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()  # the child checks it is still its parent

    def preexec():
        if user:
            os.setgroups([])
            os.setgid(user[1])
            os.setuid(user[0])
        # after the uid change, which clears the parent-death signal
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)
        if os.getppid() != parent:
            os._exit(1)
    return preexec


def run_as(user, argv, cwd, **kw):
    """argv as user, in cwd (the test's directory may be closed to it)."""
    subprocess.run(argv, check=True, preexec_fn=as_user(user), cwd=cwd, **kw)


def start_postgres(data, sockdir, user):
    argv = [os.path.join(bindir(), 'postgres'), '-D', data, '-k', sockdir]
    for k, v in SETTINGS.items():
        argv += ['-c', '%s=%s' % (k, v)]
    logf = open(os.path.join(sockdir, 'postgres.log'), 'ab')
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                            stderr=logf, preexec_fn=as_user(user),
                            cwd=sockdir)
    logf.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            psycopg2.connect(host=sockdir, dbname='postgres',
                             user=DB_USER).close()
            return proc
        except psycopg2.OperationalError as e:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_postgres(proc)
                with open(os.path.join(sockdir, 'postgres.log')) as f:
                    tail = f.read()[-2000:]
                raise SystemExit('pgcluster: PostgreSQL did not start (%s); '
                                 'its log:\n%s' % (e, tail))
            time.sleep(0.02)


def stop_postgres(proc, sig=signal.SIGQUIT):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sql(sockdir, statement, dbname='postgres'):
    conn = psycopg2.connect(host=sockdir, dbname=dbname, user=DB_USER)
    conn.autocommit = True
    try:
        conn.cursor().execute(statement)
    finally:
        conn.close()


SYNC_STANDARD_TRAITS = '''
import sys
from oslo_config import cfg
from placement import conf, db_api, deploy
config = cfg.ConfigOpts()
conf.register_opts(config)
config([], project='placement', default_config_files=[sys.argv[1]])
db_api.configure(config)
deploy.update_database(config)
'''


def build(data, sockdir, user):
    """initdb, Placement's schema (placement-manage db sync, the one
    migration run) and standard traits into data; leaves it stopped."""
    os.mkdir(data, 0o700)
    chown_tree(data, user)
    run_as(user, [os.path.join(bindir(), 'initdb'), '-D', data, '-A', 'trust',
                  '-U', DB_USER, '-E', 'UTF8', '--locale=C', '--no-sync',
                  '--wal-segsize=1'], sockdir,
           stdout=subprocess.DEVNULL, stderr=sys.stderr)
    proc = start_postgres(data, sockdir, user)
    try:
        sql(sockdir, 'CREATE DATABASE %s' % TEMPLATE_DB)
        conf = os.path.join(sockdir, 'template.conf')
        with open(conf, 'w') as f:
            f.write('[placement_database]\n'
                    'connection = postgresql+psycopg2://%s@/%s?host=%s\n'
                    % (DB_USER, TEMPLATE_DB, sockdir))
        subprocess.run(['placement-manage', '--config-file', conf,
                        'db', 'sync'], check=True, stdout=sys.stderr,
                       timeout=STEP_TIMEOUT_S)
        subprocess.run([sys.executable, '-c', SYNC_STANDARD_TRAITS, conf],
                       check=True, stdout=sys.stderr, timeout=STEP_TIMEOUT_S)
        # no connections to it from now on: CREATE DATABASE ... TEMPLATE
        # refuses a template others are connected to
        sql(sockdir, 'ALTER DATABASE %s WITH ALLOW_CONNECTIONS false'
            % TEMPLATE_DB)
    finally:
        stop_postgres(proc, signal.SIGINT)  # fast shutdown: a clean copy


def copy_template(template, data, user):
    subprocess.run(['cp', '-a', '--', template, data], check=True)
    chown_tree(data, user)
    os.chmod(data, 0o700)


def ensure_template(template, sockdir, user):
    with open(template + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(template, 'PG_VERSION')):
            return
        build_dir = os.path.join(sockdir, 'template')
        build(build_dir, sockdir, user)
        tmp = '%s.%d' % (template, os.getpid())
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(['cp', '-a', '--', build_dir, tmp], check=True)
        os.rename(tmp, template)
        shutil.rmtree(build_dir)


def wait_for_end(owner, proc):
    """Until owner exits, a stop signal arrives or PostgreSQL dies."""
    sel = selectors.DefaultSelector()
    rfd, wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wfd)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(s, lambda *_: None)
    sel.register(rfd, selectors.EVENT_READ)
    try:
        pidfd = os.pidfd_open(owner)
    except ProcessLookupError:
        return 'owner %d gone' % owner
    sel.register(pidfd, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fd == pidfd:
                return 'owner %d exited' % owner
            sigs = os.read(rfd, 64)
            if proc.poll() is not None:
                return 'PostgreSQL exited (status %s)' % proc.returncode
            if any(b != signal.SIGCHLD for b in sigs):
                return 'signal'


def main():
    owner = int(sys.argv[1])
    sockdir = sys.argv[2]
    template = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    user = pg_user()
    data = os.path.join(sockdir, 'data')
    proc = None
    sys.stdout.write('pid %d\n' % os.getpid())  # to stop us if we hang
    sys.stdout.flush()
    try:
        try:
            if user:  # the server creates its socket and files in DIR
                os.chown(sockdir, *user)
            if template:
                ensure_template(template, sockdir, user)
                copy_template(template, data, user)
            else:
                build(data, sockdir, user)
            proc = start_postgres(data, sockdir, user)
        except BaseException as e:  # the reason goes to the waiting test
            sys.stdout.write('error: %s\n' % (e if isinstance(e, SystemExit)
                                               else traceback.format_exc()))
            raise
        sys.stdout.write('ready %s\n' % sockdir)
        sys.stdout.flush()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)  # EOF for the reader (sys.stdout.close() is not)
        os.close(null)
        log('ready; stopping: %s' % wait_for_end(owner, proc))
    finally:
        if proc:
            stop_postgres(proc)
        shutil.rmtree(sockdir, ignore_errors=True)


if __name__ == '__main__':
    main()
