/*
 * test-jitter.c - the random delays of `run` and of sync's 409 retries:
 * per-host generators, and the retry delays' distribution and cap, drawn
 * from a seeded generator in-process (no clock is read).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>

#include "jitter.h"
#include "service.h"

#define DRAWS 20000
#define INTERVAL 60.0

Test(jitter, a_fixed_seed_repeats_and_two_hosts_differ)
{
    struct jitter a, b, h1, h2;
    unsigned same = 0;

    jitter_seed_fixed(&a, 42);
    jitter_seed_fixed(&b, 42);
    for (int i = 0; i < 100; i++)
        cr_assert(eq(dbl, jitter_next(&a), jitter_next(&b)));
    jitter_seed(&h1, "0b3c6a54-0000-4000-8000-000000000001");
    jitter_seed(&h2, "0b3c6a54-0000-4000-8000-000000000002");
    for (int i = 0; i < 100; i++) {
        double u = jitter_next(&h1);

        cr_assert(u >= 0 && u < 1, "%g", u);
        same += u == jitter_next(&h2);
    }
    cr_assert(eq(uint, same, 0), "two hosts' sequences differ");
}

/* Draw DRAWS waits after failures; their min, max, mean, and how many fell
 * in each tenth of [0, span). */
static void
draw(unsigned failures, double span, double *ret_min, double *ret_max,
     double *ret_mean, unsigned bins[10])
{
    struct jitter j;
    double sum = 0;

    jitter_seed_fixed(&j, 0x5eed0000u + failures);
    *ret_min = INFINITY;
    *ret_max = -INFINITY;
    for (int i = 0; i < 10; i++)
        bins[i] = 0;
    for (int i = 0; i < DRAWS; i++) {
        double w = service_backoff(INTERVAL, failures, jitter_next(&j));
        int bin = (int)(w / span * 10);

        sum += w;
        *ret_min = fmin(*ret_min, w);
        *ret_max = fmax(*ret_max, w);
        bins[bin < 0 ? 0 : bin > 9 ? 9 : bin]++;
    }
    *ret_mean = sum / DRAWS;
}

Test(jitter, the_first_retry_is_spread_evenly_over_the_interval)
{
    double lo, hi, mean;
    unsigned bins[10];

    draw(1, INTERVAL, &lo, &hi, &mean, bins);
    cr_assert(ge(dbl, lo, 0.0));
    cr_assert(lt(dbl, hi, INTERVAL));
    cr_assert(lt(dbl, lo, INTERVAL * 0.01), "some retry at once: %g", lo);
    cr_assert(gt(dbl, hi, INTERVAL * 0.99), "some near the end: %g", hi);
    cr_assert(fabs(mean - INTERVAL / 2) < INTERVAL * 0.02, "mean %g", mean);
    for (int i = 0; i < 10; i++) /* 2000 expected in each */
        cr_assert(bins[i] > 1700 && bins[i] < 2300, "tenth %d holds %u", i,
                  bins[i]);
}

Test(jitter, later_retries_have_full_jitter_and_never_exceed_the_cap)
{
    double cap = INTERVAL * SERVICE_BACKOFF_CAP;

    for (unsigned f = 2; f < 40; f++) {
        double lo, hi, mean, span = INTERVAL * pow(2, f - 1);
        unsigned bins[10];

        span = span < cap ? span : cap;
        draw(f, span, &lo, &hi, &mean, bins);
        cr_assert(ge(dbl, lo, 0.0), "after %u failures", f);
        cr_assert(lt(dbl, hi, cap), "after %u failures: %g", f, hi);
        cr_assert(lt(dbl, lo, span * 0.01), "full jitter from 0: %g", lo);
        cr_assert(fabs(mean - span / 2) < span * 0.02, "mean %g", mean);
        for (int i = 0; i < 10; i++)
            cr_assert(bins[i] > 1700 && bins[i] < 2300, "tenth %d: %u", i,
                      bins[i]);
    }
}

Test(jitter, a_success_waits_the_interval_give_or_take_10_percent)
{
    double lo, hi, mean;
    unsigned bins[10];

    draw(0, INTERVAL, &lo, &hi, &mean, bins);
    cr_assert(ge(dbl, lo, INTERVAL * 0.9));
    cr_assert(le(dbl, hi, INTERVAL * 1.1));
    cr_assert(fabs(mean - INTERVAL) < INTERVAL * 0.01, "mean %g", mean);
}

/* A fleet through an outage of 2 intervals, simulated: each host's pass
 * falls due at a random point of the interval and fails, then it retries
 * after service_backoff() until Placement is back.  Every host's first
 * attempt after the return comes within the cap, and no second of them
 * holds more than 1.5x the hosts a second of steady passes does (a host's
 * first pass after the return costs 2 requests, so 3x in requests). */
Test(jitter, a_fleet_comes_back_within_the_cap_without_a_herd)
{
    enum { HOSTS = 4000, IVL = 10 };
    const double back = 2.0 * IVL; /* Placement returns */
    unsigned per_s[IVL * 3] = { 0 };
    unsigned busiest = 0;
    double last = 0;
    struct jitter j;

    jitter_seed_fixed(&j, 7);
    for (int h = 0; h < HOSTS; h++) {
        double t = IVL * jitter_next(&j); /* its first pass, failed */
        unsigned failures = 1;

        while (t < back)
            t += service_backoff(IVL, failures++, jitter_next(&j));
        cr_assert(lt(dbl, t - back, IVL * SERVICE_BACKOFF_CAP),
                  "host %d back after %g s", h, t - back);
        last = fmax(last, t - back);
        per_s[(int)(t - back)]++;
    }
    for (size_t s = 0; s < sizeof(per_s) / sizeof(per_s[0]); s++)
        busiest = per_s[s] > busiest ? per_s[s] : busiest;
    cr_assert(le(dbl, busiest, 1.5 * HOSTS / IVL),
              "busiest second %u hosts, steady %d/s", busiest, HOSTS / IVL);
    cr_assert(gt(dbl, last, IVL * 0.5), "spread, not all at once: %g", last);
}
