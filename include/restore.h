/*
 * restore.h - bring every claim's vGPUs back after a boot, before guests
 * start (the oneshot unit vgpu-agent-restore.service).
 *
 * A reboot resets every VF's current_vgpu_type and nothing sets them
 * again; mdevs come back from mdevctl's definitions where it is installed.
 * The restore first types again every VF the state file (vfstate.h) gives
 * a claim, from local files alone, so guests get their VFs at their old
 * addresses even when Placement cannot be reached at boot; then, when
 * Placement and libvirt can be reached, one reconcile pass creates what the
 * claims still lack (either mode), removing nothing.
 *
 * Part of the service layer (see hostload.h): it logs what it does.
 */
#pragma once

#include <stdbool.h>

#include "hostload.h"

struct restore_result {
    unsigned restored; /* VFs typed again from the state file */
    unsigned failed;   /* ... that could not be */
    bool reconciled;   /* the reconcile pass ran */
    unsigned left;     /* what that pass left wrong (hostplan_act) */
};

/* Type again the VFs the state file gives a claim on h; each logged. */
void restore_from_state(const struct hostload *h, struct restore_result *ret);

/* The whole restore, under the agent's lock: from the state file, then
 * (unless state_only) the reconcile pass.  Returns 0 when everything was
 * restored and the pass ran clean; -EINVAL for a bad configuration; -EIO
 * when something could not be restored or the pass could not run
 * (Placement or libvirt unreachable: `run` reconciles later). */
int restore_run(const struct hostload_opts *o, bool state_only,
                struct restore_result *ret) __attribute__((warn_unused_result));
