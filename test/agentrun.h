/*
 * agentrun.h - run the built vgpu-agent binary as a user would, capturing
 * its exit status, stdout and stderr (end-to-end tests).
 */
#pragma once

struct agentrun {
    int status; /* exit status; 128 + signal number if it was killed */
    char *out;  /* everything it wrote on stdout */
    char *err;  /* everything it wrote on stderr */
};

/* Run $VGPU_BUILDDIR/src/vgpu-agent with args (NULL-terminated, without
 * argv[0]).  Aborts the test if it cannot be started. */
void agentrun(struct agentrun *ret, const char *const *args);
void agentrun_clear(struct agentrun *r);
