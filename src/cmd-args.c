/*
 * cmd-args.c - what every command does with its arguments: getopt with
 * messages that name the mistake, and the usage errors.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cmd.h"
#include "log.h"
#include "strv.h"
#include "suggest.h"
#include "xalloc.h"

int
cmd_usage_error(const char *cmd, const char *fmt, ...)
{
    _cleanup_free_ char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = xvasprintf(fmt, ap);
    va_end(ap);
    log_error("%s: %s (see vgpu-agent %s --help)", cmd, what, cmd);
    return CMD_EXIT_USAGE;
}

/* "--connect", "--format", ... of longopts; caller strv_clear()s. */
static void
long_names(const struct option *longopts, struct strv *ret)
{
    for (const struct option *o = longopts; o && o->name; o++)
        strv_pushf(ret, "--%s", o->name);
}

static int
unknown_option(const char *cmd, const char *arg, const struct option *longopts)
{
    _cleanup_(strv_clear) struct strv names = { 0 };
    _cleanup_free_ char *word = xstrndup(arg, strcspn(arg, "="));
    const char *near;

    long_names(longopts, &names);
    near = suggest_closest(word, (const char *const *)names.v, names.n);
    if (near)
        return cmd_usage_error(cmd, "unknown option '%s'; did you mean '%s'?",
                               word, near);
    return cmd_usage_error(cmd, "unknown option '%s'", word);
}

int
cmd_getopt(int argc, char **argv, const char *shortopts,
           const struct option *longopts)
{
    _cleanup_free_ char *opts = xasprintf(":%s", shortopts);
    int saved = opterr;
    int c;

    opterr = 0; /* our messages, not getopt's "dump: invalid option" */
    c = getopt_long(argc, argv, opts, longopts, NULL);
    opterr = saved;
    if (c == ':') {
        cmd_usage_error(argv[0], "option '%s' needs a value", argv[optind - 1]);
        return '?';
    }
    if (c != '?')
        return c;
    if (optopt && !(optind > 0 && strncmp(argv[optind - 1], "--", 2) == 0)) {
        char s[3] = { '-', (char)optopt, 0 };

        cmd_usage_error(argv[0], "unknown option '%s'", s);
    } else {
        unknown_option(argv[0], argv[optind - 1], longopts);
    }
    return '?';
}

int
cmd_no_more_args(int argc, char **argv)
{
    if (optind < argc)
        return cmd_usage_error(argv[0], "unexpected argument '%s'",
                               argv[optind]);
    return CMD_EXIT_OK;
}

int
cmd_bad_choice(const char *cmd, const char *opt, const char *value,
               const char *const *choices)
{
    _cleanup_free_ char *list = xstrdup("");

    for (size_t i = 0; choices[i]; i++) {
        char *next = xasprintf("%s%s%s", list, i ? ", " : "", choices[i]);

        free(list);
        list = next;
    }
    return cmd_usage_error(cmd, "%s: '%s' is not one of %s", opt, value, list);
}
