/*
 * test-runlog.c - placeholder
 */
#include <criterion/criterion.h>

Test(runlog, placeholder)
{
}
