/*
 * cmd-import-nova-conf.c - `vgpu-agent import-nova-conf FILE`: Nova's vGPU
 * settings of nova.conf as the agent's YAML, for agent.yaml.
 *
 * What it prints is checked by the agent's own configuration loader
 * before it is printed, so a setting Nova accepts and the agent does not
 * (a type listed under two types' addresses, a bad resource class) is
 * reported here rather than at the first start.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "log.h"
#include "novaconf.h"
#include "xalloc.h"

static void
import_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent import-nova-conf FILE\n"
            "\n"
            "Print nova.conf's vGPU settings ([devices] enabled_mdev_types,\n"
            "[mdev_<type>] device_addresses, mdev_class, max_instances; the\n"
            "older enabled_vgpu_types and [vgpu_<type>] too) as agent.yaml\n"
            "keys.  Nothing else of FILE is read.\n"
            "\n"
            "Exit status: 0 printed, 1 FILE unreadable, 2 usage or settings\n"
            "the agent cannot take.\n");
}

/* The agent's loader on yaml: every problem logged. */
static int
check_yaml(const char *path, const char *yaml)
{
    _cleanup_free_ char *name = xasprintf("%s (imported)", path);
    _cleanup_(conf_freep) struct conf *c = NULL;
    struct strv errors = { 0 };
    int r = conf_load_buf(name, yaml, strlen(yaml), &c, &errors);

    for (size_t i = 0; i < errors.n; i++)
        log_error("%s", errors.v[i]);
    strv_clear(&errors);
    return r;
}

static int
cmd_import_exec(const struct ctx *ctx, int argc, char **argv)
{
    _cleanup_(novaconf_freep) struct novaconf *n = NULL;
    _cleanup_free_ char *yaml = NULL;
    struct errbuf eb = { 0 };
    int r;

    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *file;
    int c;

    (void)ctx;
    while ((c = cmd_getopt(argc, argv, "h", opts)) != -1) {
        if (c != 'h')
            return CMD_EXIT_USAGE;
        import_usage(stdout);
        return CMD_EXIT_OK;
    }
    if (optind >= argc)
        return cmd_usage_error(argv[0], "which file? give nova.conf's path");
    file = argv[optind++];
    if (cmd_no_more_args(argc, argv) != CMD_EXIT_OK)
        return CMD_EXIT_USAGE;
    r = novaconf_load(file, &n, &eb);
    if (r < 0) {
        log_error("%s", eb.msg);
        return r == -EINVAL ? CMD_EXIT_USAGE : CMD_EXIT_FAILED;
    }
    for (size_t i = 0; i < n->warnings.n; i++)
        log_warn("%s", n->warnings.v[i]);
    yaml = novaconf_yaml(n);
    if (check_yaml(file, yaml) < 0)
        return CMD_EXIT_USAGE;
    printf("# vgpu-agent settings from %s ([devices], [mdev_*])\n%s", file,
           yaml);
    return fflush(stdout) == 0 ? CMD_EXIT_OK : CMD_EXIT_FAILED;
}

const struct cmd cmd_import_nova_conf = {
    .name = "import-nova-conf",
    .args = "FILE",
    .summary = "print nova.conf's vGPU settings as agent.yaml keys",
    .exec = cmd_import_exec,
};
