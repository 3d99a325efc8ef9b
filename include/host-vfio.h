/*
 * host-vfio.h - the parts of the vendor-specific VFIO producer (host-vfio.c,
 * host-vfio-ops.c) that are rules of their own: the creatable_vgpu_types
 * format and the framebuffer rule for max instances without NVML.  The
 * producer itself (host_vfio_read, host_vfio_ops) is declared in host.h.
 */
#pragma once

#include <stddef.h>

#define HOST_VFIO_NAME_MAX 96 /* a type name from creatable_vgpu_types */

/* One type a VF lists: "594   : NVIDIA A10-6Q". */
struct host_vfio_listed {
    unsigned id;                   /* NVIDIA's global type id, > 0 */
    char name[HOST_VFIO_NAME_MAX]; /* "NVIDIA A10-6Q" */
};

/* Parse creatable_vgpu_types: a header line ("ID    : vGPU Name"; any
 * first line not starting with a digit is skipped), then one "<id> :
 * <name>" per line (split on the first ':', both sides trimmed; blank lines
 * skipped).  The header alone is an empty list.  Returns 0 with *ret
 * (caller frees; NULL when empty) and *ret_n, or -EINVAL for a line that is
 * no such entry, *ret_bad then quoting it (escaped; caller frees). */
int host_vfio_parse_creatable(const char *text, struct host_vfio_listed **ret,
                              size_t *ret_n, char **ret_bad)
    __attribute__((warn_unused_result));

/* The framebuffer in GB a type name states: the number before the series
 * letters at its end ("NVIDIA A10-6Q" 6, "... DC-1-24Q" 24, "L40S-48A"
 * 48); 0 when the name does not end so. */
unsigned host_vfio_name_gb(const char *name);

/* Max instances of a type per GPU without NVML (reference section 2):
 * min(n_vfs, largest_gb / gb), the largest type's framebuffer being the
 * GPU's; never below floor (the GPU's vGPUs, plus one while a free VF still
 * lists the type: the driver says one more fits).  0 when gb or largest_gb
 * is 0 and floor is 0 (unknown). */
unsigned host_vfio_rule_max(unsigned n_vfs, unsigned largest_gb, unsigned gb,
                            unsigned floor);
