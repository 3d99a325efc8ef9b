/*
 * agentlock.h - the agent's lock: one agent acts on a host at a time.
 *
 * Part of the service layer (see hostload.h): it logs what it meets.
 */
#pragma once

/* flock() path (its directory is made if missing: /run/vgpu-agent is gone
 * after a boot) and write our pid in it.  Returns the open fd (the lock
 * lasts as long as it is open), or a negative errno after logging why,
 * naming the pid of the agent that holds it. */
int agentlock_take(const char *path) __attribute__((warn_unused_result));
