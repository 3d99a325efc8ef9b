/*
 * testsecrets.c - the check that a text shows none of the test's secrets.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "testsecrets.h"

void
testsecrets_assert_absent(const char *what, const char *text,
                          const char *const *secrets)
{
    for (size_t i = 0; secrets[i]; i++)
        cr_assert(strstr(text, secrets[i]) == NULL, "%s shows '%s':\n%s", what,
                  secrets[i], text);
}
