/*
 * fakesys.c - the fake kernel: sample hosts as sysfs trees, live over FUSE.
 *
 *   fakesys materialize HOST.yaml DIR
 *   fakesys mount [--ready-fd N] [--backing DIR] [--unplug DEV --after N]
 *                 HOST.yaml MNT
 *
 * `mount` writes the tree into a backing directory and serves it at MNT,
 * passing reads through.  Writes to a type's `create` and an mdev's `remove`
 * change the model and the tree before write(2) returns, with the errno the
 * kernel gives (mdev_sysfs.c create_store/remove_store); every other write is
 * refused as sysfs refuses it.  One thread serves requests (-s), so the
 * model needs no lock.
 *
 * NVIDIA's vendor-specific VFIO GPUs (vfio_gpus:, fakevfio.h) follow the
 * driver: writes to a VF's nvidia/current_vgpu_type create or destroy its
 * vGPU and narrow or widen every VF's creatable_vgpu_types, errno included;
 * gpu_instance_id and placement_id fail to read with ENXIO until the VF has
 * a vGPU.  What happens outside sysfs comes through a control file at the
 * root, hidden from readdir: "hold VF" (a guest opens the VF: destroying its
 * vGPU is EBUSY until "release VF") and "reboot" (every vGPU gone); tests
 * call fakesys_live_control().
 *
 * A fault hook for scans racing a hot-unplug: with --unplug DEV --after N,
 * once N reads of files under the device directory DEV ("devices/pci.../
 * 0000:3e:00.0", as the tree spells it) have been served, DEV leaves the
 * tree (moved aside, its class/mdev_bus link removed) before the next
 * request, exactly between one read of a scan and the next.
 */
#include "config.h"

#define FUSE_USE_VERSION 31

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fuse.h>

#include "fakevfio.h"
#include "fixture.h"
#include "fstree.h"
#include "parse.h"
#include "xalloc.h"

struct fakesys {
    struct fakesys_host *host;
    char *root; /* the backing directory */
    int rootfd;
    const char *unplug;        /* --unplug DEV, or NULL */
    unsigned long unplug_left; /* reads under it before it goes */
};

static struct fakesys *
state(void)
{
    return fuse_get_context()->private_data;
}

/* "/a/b" -> "a/b", "/" -> "." for the *at() calls on the backing root. */
static const char *
rel(const char *path)
{
    return path[1] ? path + 1 : ".";
}

static int
fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    if (fstatat(state()->rootfd, rel(path), st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return 0;
}

static int
fs_readlink(const char *path, char *buf, size_t size)
{
    ssize_t n = readlinkat(state()->rootfd, rel(path), buf, size - 1);

    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

static int
fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
           struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    int fd =
        openat(state()->rootfd, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    struct dirent *e;

    if (!d) {
        int r = -errno;

        if (fd >= 0)
            close(fd);
        return r;
    }
    while ((e = readdir(d)))
        if (!(path[1] == '\0' && strcmp(e->d_name, FAKEVFIO_CONTROL) == 0) &&
            fill(buf, e->d_name, NULL, 0, 0))
            break;
    closedir(d);
    return 0;
}

/* kernfs_fop_open(): reading needs a readable attribute, writing a
 * writable one, root or not: EACCES otherwise. */
static int
fs_open(const char *path, struct fuse_file_info *fi)
{
    struct stat st;
    int acc = fi->flags & O_ACCMODE;

    if (fstatat(state()->rootfd, rel(path), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (acc != O_WRONLY && !(st.st_mode & 0444))
        return -EACCES;
    if (acc != O_RDONLY && !(st.st_mode & 0222))
        return -EACCES;
    fi->direct_io = 1; /* values change under us: no page cache */
    return 0;
}

/* The fault hook: count a read of path; unplug DEV after the last one. */
static void
count_unplug_read(struct fakesys *fs, const char *path)
{
    size_t n = fs->unplug ? strlen(fs->unplug) : 0;
    _cleanup_free_ char *aside = NULL, *link = NULL;

    if (!fs->unplug || fs->unplug_left == 0 ||
        strncmp(path, fs->unplug, n) != 0 || path[n] != '/')
        return;
    if (--fs->unplug_left > 0)
        return;
    aside = xasprintf("%s.unplugged", fs->unplug);
    link = xasprintf("class/mdev_bus/%s", strrchr(fs->unplug, '/') + 1);
    if (renameat(fs->rootfd, fs->unplug, fs->rootfd, aside) < 0 ||
        (unlinkat(fs->rootfd, link, 0) < 0 && errno != ENOENT))
        fprintf(stderr, "fakesys: unplug %s: %s\n", fs->unplug,
                strerror(errno));
}

static int
fs_read(const char *path, char *buf, size_t size, off_t off,
        struct fuse_file_info *fi)
{
    int fd = openat(state()->rootfd, rel(path), O_RDONLY | O_CLOEXEC);
    int err = fakevfio_live_read_errno(state()->host, path);
    ssize_t n;

    if (fd >= 0 && err < 0)
        close(fd), fd = -1, errno = -err;
    if (fd < 0)
        return -errno;
    n = pread(fd, buf, size, off);
    if (n < 0)
        n = -errno;
    close(fd);
    count_unplug_read(state(), rel(path));
    return (int)n;
}

/* The parent/type whose create file is path. */
static bool
find_create(const struct fakesys_host *h, const char *path, size_t *rp,
            size_t *rt)
{
    for (size_t p = 0; p < h->n_parents; p++)
        for (size_t t = 0; t < h->parents[p].n_types; t++) {
            _cleanup_free_ char *c =
                xasprintf("/%s/mdev_supported_types/%s/create",
                          h->parents[p].path, h->parents[p].types[t].id);

            if (strcmp(c, path) == 0) {
                *rp = p, *rt = t;
                return true;
            }
        }
    return false;
}

/* The mdev whose remove file is path. */
static bool
find_remove(const struct fakesys_host *h, const char *path, size_t *ret)
{
    for (size_t i = 0; i < h->n_mdevs; i++) {
        const struct fakesys_mdev *m = &h->mdevs[i];
        _cleanup_free_ char *r =
            xasprintf("/%s/%s/remove", h->parents[m->parent].path, m->uuid);

        if (strcmp(r, path) == 0) {
            *ret = i;
            return true;
        }
    }
    return false;
}

static void
log_error(const struct errbuf *eb)
{
    fprintf(stderr, "fakesys: %s\n", eb->msg);
}

/* create_store(): 36 or 37 bytes (the 37th is not looked at), a UUID no
 * mdev on the host has, and room for one more of the type. */
static int
mdev_create(struct fakesys *fs, size_t p, size_t t, const char *buf,
            size_t size)
{
    struct fakesys_host *h = fs->host;
    struct errbuf eb = { 0 };
    char text[37], uuid[37];

    if (size < 36 || size > 37)
        return -EINVAL;
    memcpy(text, buf, 36);
    text[36] = '\0';
    if (fakesys_uuid_normalize(text, uuid) < 0)
        return -EINVAL;
    for (size_t i = 0; i < h->n_mdevs; i++)
        if (strcmp(h->mdevs[i].uuid, uuid) == 0)
            return -EEXIST;
    if (fakesys_host_available(h, p, t) == 0)
        return -h->parents[p].full_errno;
    xgrow(&h->mdevs, &h->cap_mdevs, h->n_mdevs, sizeof(*h->mdevs));
    h->mdevs[h->n_mdevs] = (struct fakesys_mdev){ .parent = p, .type = t };
    memcpy(h->mdevs[h->n_mdevs].uuid, uuid, sizeof(uuid));
    h->n_mdevs++;
    if (fakesys_mdev_write(h, fs->root, h->n_mdevs - 1, &eb) < 0 ||
        fakesys_refresh_available(h, fs->root, p, &eb) < 0) {
        log_error(&eb);
        return -EIO;
    }
    return (int)size;
}

/* Undo fakesys_mdev_write(): the links to the mdev, then its directory. */
static void
mdev_unlink(struct fakesys *fs, const struct fakesys_mdev *m)
{
    const struct fakesys_parent *pa = &fs->host->parents[m->parent];
    _cleanup_free_ char *l1 = xasprintf("bus/mdev/devices/%s", m->uuid);
    _cleanup_free_ char *l2 =
        xasprintf("%s/mdev_supported_types/%s/devices/%s", pa->path,
                  pa->types[m->type].id, m->uuid);
    _cleanup_free_ char *dir =
        xasprintf("%s/%s/%s", fs->root, pa->path, m->uuid);

    unlinkat(fs->rootfd, l1, 0);
    unlinkat(fs->rootfd, l2, 0);
    fixture_rm_rf(dir);
}

/* remove_store(): kstrtoul(buf, 0) -- junk is EINVAL, 0 does nothing, any
 * other number removes the mdev. */
static int
mdev_remove(struct fakesys *fs, size_t i, const char *buf, size_t size)
{
    struct fakesys_host *h = fs->host;
    size_t p = h->mdevs[i].parent;
    char text[32], *end;
    struct errbuf eb = { 0 };
    unsigned long v;

    if (size == 0 || size >= sizeof(text))
        return -EINVAL;
    memcpy(text, buf, size);
    text[size - (buf[size - 1] == '\n')] = '\0';
    errno = 0;
    v = strtoul(text[0] == '+' ? text + 1 : text, &end, 0);
    if (!text[0] || *end || errno || text[text[0] == '+'] == '-' ||
        isspace((unsigned char)text[text[0] == '+']))
        return -EINVAL;
    if (v == 0)
        return (int)size;
    if (h->mdevs[i].busy) { /* the kernel waits for the holder's release */
        struct timespec tenth = { 0, 100000000L };

        for (int k = 0; k < FAKESYS_BUSY_S * 10 && !fuse_interrupted(); k++)
            nanosleep(&tenth, NULL);
        return -EBUSY;
    }
    mdev_unlink(fs, &h->mdevs[i]);
    h->mdevs[i] = h->mdevs[--h->n_mdevs];
    if (fakesys_refresh_available(h, fs->root, p, &eb) < 0) {
        log_error(&eb);
        return -EIO;
    }
    return (int)size;
}

static int
fs_write(const char *path, const char *buf, size_t size, off_t off,
         struct fuse_file_info *fi)
{
    struct fakesys *fs = state();
    size_t p, t, i;
    int r;

    if (fakevfio_live_write(fs->host, fs->root, path, buf, size, &r))
        return r;
    if (find_create(fs->host, path, &p, &t))
        return mdev_create(fs, p, t, buf, size);
    if (find_remove(fs->host, path, &i))
        return mdev_remove(fs, i, buf, size);
    return -EACCES;
}

/* `echo x > attr` truncates first; sysfs ignores that on writable files. */
static int
fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    struct stat st;

    if (fstatat(state()->rootfd, rel(path), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return st.st_mode & 0222 ? 0 : -EACCES;
}

/* sysfs has no create: open(O_CREAT) of a new name is EACCES. */
static int
fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    return -EACCES;
}

/* Namespace changes are the kernel's alone: EPERM, as vfs_mkdir() etc. say
 * when the inode has no such operation. */
static int
fs_mkdir(const char *path, mode_t mode)
{
    return -EPERM;
}

static int
fs_unlink(const char *path)
{
    return -EPERM;
}

static int
fs_symlink(const char *target, const char *path)
{
    return -EPERM;
}

static int
fs_rename(const char *from, const char *to, unsigned int flags)
{
    return -EPERM;
}

static void *
fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    cfg->entry_timeout = 0; /* mdevs come and go: no stale dentries */
    cfg->negative_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->direct_io = 1;
    return state();
}

static const struct fuse_operations fakesys_ops = {
    .getattr = fs_getattr,
    .readlink = fs_readlink,
    .readdir = fs_readdir,
    .open = fs_open,
    .read = fs_read,
    .write = fs_write,
    .truncate = fs_truncate,
    .create = fs_create,
    .mkdir = fs_mkdir,
    .rmdir = fs_unlink,
    .unlink = fs_unlink,
    .symlink = fs_symlink,
    .link = fs_symlink,
    .rename = fs_rename,
    .init = fs_init,
};

static void
quiet_signals(void)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
}

/* Mount, say ready, serve until SIGTERM/SIGINT/SIGHUP, unmount. */
static int
serve(struct fakesys *fs, const char *mnt, int ready_fd)
{
    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    struct fuse_session *se;
    struct fuse *f;
    int r = 1;

    fuse_opt_add_arg(&args, "fakesys");
    fuse_opt_add_arg(&args, "-o");
    fuse_opt_add_arg(&args, "default_permissions,fsname=fakesys");
    f = fuse_new(&args, &fakesys_ops, sizeof(fakesys_ops), fs);
    if (f && fuse_mount(f, mnt) == 0) {
        se = fuse_get_session(f);
        if (fuse_set_signal_handlers(se) == 0) {
            if (ready_fd >= 0) {
                r = write(ready_fd, "ready\n", 6) == 6 ? 0 : 1;
                close(ready_fd);
            } else {
                printf("ready\n");
                r = fflush(stdout) == 0 ? 0 : 1;
            }
            if (r == 0)
                r = fuse_loop(f) == 0 ? 0 : 1;
            fuse_remove_signal_handlers(se);
            quiet_signals(); /* a second SIGTERM (PDEATHSIG) must not cut
                              * the unmount and cleanup short */
        }
        fuse_unmount(f);
    } else {
        fprintf(stderr, "fakesys: cannot mount %s\n", mnt);
    }
    if (f)
        fuse_destroy(f);
    fuse_opt_free_args(&args);
    return r;
}

static int
usage(void)
{
    fprintf(stderr, "usage: fakesys materialize HOST.yaml DIR\n"
                    "       fakesys mount [--ready-fd N] [--backing DIR] "
                    "[--unplug DEV --after N]\n"
                    "                     HOST.yaml MNT\n");
    return 2;
}

static int
cmd_materialize(const char *yaml, const char *dir)
{
    struct errbuf eb = { 0 };

    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "fakesys: mkdir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (fakesys_materialize(yaml, dir, &eb) < 0) {
        fprintf(stderr, "fakesys: %s\n", eb.msg);
        return 1;
    }
    return 0;
}

/* The hidden control file (fakevfio.h), write-only like create. */
static int
control_file(const char *backing, struct errbuf *eb)
{
    _cleanup_free_ char *path = xasprintf("%s/" FAKEVFIO_CONTROL, backing);
    int r = fstree_write(backing, FAKEVFIO_CONTROL, "", eb);

    if (r == 0 && chmod(path, 0200) < 0)
        r = errbuf_set(eb, -errno, "chmod %s: %s", path, strerror(errno));
    return r;
}

static int
cmd_mount(int argc, char **argv)
{
    _cleanup_(fakesys_host_freep) struct fakesys_host *h = NULL;
    _cleanup_free_ char *backing = NULL;
    struct fakesys fs = { .rootfd = -1 };
    struct errbuf eb = { 0 };
    int ready_fd = -1, i = 0, r;
    const char *unplug = NULL;
    unsigned long after = 0;

    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--ready-fd") == 0)
            ready_fd = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--backing") == 0)
            backing = realpath(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--unplug") == 0 && strchr(argv[i + 1], '/'))
            unplug = argv[i + 1];
        else if (strcmp(argv[i], "--after") == 0 &&
                 parse_uint(argv[i + 1], ULONG_MAX, &after) == 0 && after > 0)
            continue;
        else
            return usage();
    }
    if (argc - i != 2 || !unplug != !after)
        return usage();
    if (!backing)
        backing = fixture_tmpdir();
    r = fakesys_host_load(argv[i], &h, &eb);
    if (r == 0)
        r = fakesys_host_write(h, backing, &eb);
    if (r == 0)
        r = fstree_write(backing, FAKEVFIO_CONTROL, "", &eb);
    if (r == 0)
        r = control_file(backing, &eb);
    if (r < 0) {
        fprintf(stderr, "fakesys: %s\n", eb.msg);
        fixture_rm_rf(backing);
        return 1;
    }
    fs = (struct fakesys){
        .host = h, .root = backing, .unplug = unplug, .unplug_left = after
    };
    fs.rootfd = open(backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    r = fs.rootfd < 0 ? 1 : serve(&fs, argv[i + 1], ready_fd);
    if (fs.rootfd >= 0)
        close(fs.rootfd);
    fixture_rm_rf(backing);
    if (ready_fd >= 0) { /* started by the fixture, which may be dead now */
        rmdir(argv[i + 1]);
        *strrchr(backing, '/') = '\0';
        rmdir(backing); /* their temporary parent, once empty */
    }
    return r;
}

int
main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "materialize") == 0)
        return cmd_materialize(argv[2], argv[3]);
    if (argc >= 4 && strcmp(argv[1], "mount") == 0)
        return cmd_mount(argc - 2, argv + 2);
    return usage();
}
