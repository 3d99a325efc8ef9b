/*
 * jitter.c - random delays that differ from host to host (see jitter.h).
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "jitter.h"

void
jitter_seed_fixed(struct jitter *j, uint64_t seed)
{
    j->x[0] = (unsigned short)seed;
    j->x[1] = (unsigned short)(seed >> 16);
    j->x[2] = (unsigned short)((seed >> 32) ^ (seed >> 48));
}

void
jitter_seed(struct jitter *j, const char *salt)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    struct timespec ts;

    for (const char *p = salt ? salt : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    clock_gettime(CLOCK_REALTIME, &ts);
    h ^= (uint64_t)getpid() << 32;
    h = (h ^ (uint64_t)ts.tv_nsec) * 1099511628211ULL;
    h = (h ^ (uint64_t)ts.tv_sec) * 1099511628211ULL;
    jitter_seed_fixed(j, h ^ (h >> 29));
}

double
jitter_next(struct jitter *j)
{
    return erand48(j->x);
}
