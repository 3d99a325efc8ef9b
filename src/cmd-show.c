/*
 * cmd-show.c - `vgpu-agent show`: placeholder.
 */
#include "config.h"

#include "cmd.h"

static int
cmd_show_exec(const struct ctx *ctx, int argc, char **argv)
{
    return CMD_EXIT_FAILED;
}

const struct cmd cmd_show = {
    .name = "show",
    .args = "[--format table|json]",
    .summary = "the live picture: GPUs, claims, their devices, what is wrong",
    .exec = cmd_show_exec,
};
