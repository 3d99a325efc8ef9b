/*
 * cmd-restore.c - `vgpu-agent restore`: every claim's vGPUs back after a
 * boot, before the guests start (vgpu-agent-restore.service).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "restore.h"

static void
restore_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] [--sysfs-root DIR] restore "
            "[--state-only]\n"
            "\n"
            "Type again every VF the state file gives a claim (a reboot "
            "resets them\nall; local files only), then, when Placement and "
            "libvirt can be reached,\ncreate whatever else the claims lack, "
            "removing nothing.  Run at boot\nbefore the guests start.\n"
            "\n"
            "      --state-only  only the VFs of the state file; no network\n");
}

static int
cmd_restore_exec(const struct ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state-only", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct restore_result res = { 0 };
    bool state_only = false;
    int c, r;

    while ((c = cmd_getopt(argc, argv, "h", opts)) != -1) {
        if (c == 's') {
            state_only = true;
            continue;
        }
        if (c != 'h')
            return CMD_EXIT_USAGE;
        restore_usage(stdout);
        return CMD_EXIT_OK;
    }
    if (cmd_no_more_args(argc, argv) != CMD_EXIT_OK)
        return CMD_EXIT_USAGE;
    r = restore_run(&ctx->host, state_only, &res);
    if (r != -EINVAL) /* the configuration's errors said it all */
        log_notice("restore: %u VF(s) typed again from the state file, %u "
                   "failed%s",
                   res.restored, res.failed,
                   res.reconciled ? "; reconcile pass done" : "");
    return cmd_exit_status(r);
}

const struct cmd cmd_restore = {
    .name = "restore",
    .args = "[--state-only]",
    .summary = "at boot: type again the VFs of the state file, then create "
               "what the claims lack",
    .exec = cmd_restore_exec,
};
