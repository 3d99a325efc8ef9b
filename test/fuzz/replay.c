/*
 * replay.c - run a fuzz target over saved inputs, without libFuzzer.
 *
 *     replay-<target> [FILE|DIR ...]
 *
 * Feeds LLVMFuzzerTestOneInput() every file named, and every file of every
 * directory named (sorted, not recursive).  With no argument it replays
 * $VGPU_FUZZ_DIR/corpus/<target> (the seeds, which must not be empty) and
 * $VGPU_FUZZ_DIR/regress/<target> (the crashes `make fuzz` found, kept as
 * regression tests; absent while there are none): what `make check` runs.
 * A bug shows as a sanitizer report or an abort; the exit status is 0 when
 * every input ran, 1 when an input could not be read.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fuzz.h"
#include "strv.h"
#include "xalloc.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET (the target's name, a string) must be defined"
#endif

#define REPLAY_INPUT_MAX (1u << 20) /* libFuzzer's own default max is 4 KiB */

static int
read_input(const char *path, uint8_t **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    _cleanup_free_ uint8_t *buf = NULL;
    struct stat st;
    size_t len = 0;

    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (st.st_size > REPLAY_INPUT_MAX)
        return -EFBIG;
    /* Exactly the input's size, as libFuzzer passes it: ASan sees any
     * read past the end. */
    buf = xmalloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *ret = TAKE_PTR(buf);
    *ret_len = len;
    return 0;
}

static int
replay_file(const char *path)
{
    _cleanup_free_ uint8_t *data = NULL;
    size_t len = 0;
    int r = read_input(path, &data, &len);

    if (r < 0) {
        fprintf(stderr, "replay-%s: %s: %s\n", FUZZ_TARGET, path, strerror(-r));
        return r;
    }
    LLVMFuzzerTestOneInput(data, len);
    return 0;
}

static void
closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

/* The regular files of dir, sorted; -errno if dir cannot be read. */
static int
list_files(const char *dir, struct strv *ret)
{
    _cleanup_(closedirp) DIR *d = opendir(dir);
    struct dirent *de;

    if (!d)
        return -errno;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            strv_pushf(ret, "%s/%s", dir, de->d_name);
    strv_sort_uniq(ret);
    return 0;
}

/* Replay path (a file or a directory); the number of inputs, or -errno. */
static int
replay_path(const char *path)
{
    struct strv files = { 0 };
    struct stat st;
    int r = 0;

    if (stat(path, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return replay_file(path) < 0 ? -EIO : 1;
    r = list_files(path, &files);
    for (size_t i = 0; r >= 0 && i < files.n; i++)
        if (replay_file(files.v[i]) < 0)
            r = -EIO;
    if (r == 0)
        r = (int)files.n;
    strv_clear(&files);
    return r;
}

static int
replay_defaults(void)
{
    const char *top = getenv("VGPU_FUZZ_DIR");
    _cleanup_free_ char *seeds = NULL;
    _cleanup_free_ char *regress = NULL;
    int n, m;

    if (!top) {
        fprintf(stderr, "replay-%s: VGPU_FUZZ_DIR is not set\n", FUZZ_TARGET);
        return 1;
    }
    seeds = xasprintf("%s/corpus/%s", top, FUZZ_TARGET);
    regress = xasprintf("%s/regress/%s", top, FUZZ_TARGET);
    n = replay_path(seeds);
    if (n <= 0) {
        fprintf(stderr, "replay-%s: %s: %s\n", FUZZ_TARGET, seeds,
                n == 0 ? "no seed inputs" : strerror(-n));
        return 1;
    }
    m = replay_path(regress);
    if (m == -ENOENT)
        m = 0;
    if (m < 0) {
        fprintf(stderr, "replay-%s: %s: %s\n", FUZZ_TARGET, regress,
                strerror(-m));
        return 1;
    }
    printf("replay-%s: %d seed inputs, %d regression inputs: ok\n", FUZZ_TARGET,
           n, m);
    return 0;
}

int
main(int argc, char **argv)
{
    int total = 0;

    if (argc < 2)
        return replay_defaults();
    for (int i = 1; i < argc; i++) {
        int n = replay_path(argv[i]);

        if (n < 0) {
            fprintf(stderr, "replay-%s: %s: %s\n", FUZZ_TARGET, argv[i],
                    strerror(-n));
            return 1;
        }
        total += n;
    }
    printf("replay-%s: %d inputs: ok\n", FUZZ_TARGET, total);
    return 0;
}
