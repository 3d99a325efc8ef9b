/*
 * cleanup.h - scope-bound ownership for locals (gcc/clang cleanup attribute).
 *
 * A local declared _cleanup_free_ or _cleanup_(type_freep) is released when it
 * goes out of scope; TAKE_PTR() hands ownership out and leaves NULL behind so
 * nothing is freed twice.  No goto in functions that use these.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define TAKE_PTR(p)                                                            \
    ({                                                                         \
        __typeof__(p) _tp_ = (p);                                              \
        (p) = NULL;                                                            \
        _tp_;                                                                  \
    })

#define TAKE_FD(fd)                                                            \
    ({                                                                         \
        int _tf_ = (fd);                                                       \
        (fd) = -1;                                                             \
        _tf_;                                                                  \
    })

/* DEFINE_CLEANUP(struct tree, tree_free) declares tree_freep(struct tree **).
 */
#define DEFINE_CLEANUP(type, func)                                             \
    static inline void func##p(type **p)                                       \
    {                                                                          \
        func(*p);                                                              \
    }

static inline void
cleanup_freep(void *p)
{
    free(*(void **)p);
}

static inline void
cleanup_closep(const int *fd)
{
    if (*fd >= 0)
        close(*fd);
}

static inline void
cleanup_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}

#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)
