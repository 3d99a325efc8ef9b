/*
 * parse.h - strict, range-checked number parsing (no atoi, no silent junk).
 */
#pragma once

#include <stdbool.h>

/* Parse all of s (decimal, no sign, no spaces) as an integer in [0, max].
 * Returns 0, -EINVAL for junk or an empty string, -ERANGE above max. */
int parse_uint(const char *s, unsigned long max, unsigned long *ret)
    __attribute__((warn_unused_result));

/* Parse all of s as a finite double. Returns 0 or -EINVAL. */
int parse_double(const char *s, double *ret)
    __attribute__((warn_unused_result));

/* Parse "true"/"false" (also yes/no, on/off). Returns 0 or -EINVAL. */
int parse_bool(const char *s, bool *ret) __attribute__((warn_unused_result));
