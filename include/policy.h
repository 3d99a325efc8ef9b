/*
 * policy.h - which vGPU type each physical GPU offers, and how many.
 *
 * Input: the configuration and the host model (host.h), whatever kernel
 * interface it came from.  Output: one policy_gpu per physical GPU that
 * gets a provider: a GPU (time-sliced) or the virtual functions of one
 * SR-IOV physical function, with its type, its inventory total and its
 * traits.  No I/O here; every decision is a rule
 * the tests pin down.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "conf.h"
#include "host.h"
#include "pciaddr.h"
#include "strv.h"

struct policy_gpu {
    char *address; /* "0000:84:00.0" (the PF of an SR-IOV group), or
                    * the name of an explicitly managed non-PCI parent */
    bool is_pci;
    struct pci_addr addr; /* valid when is_pci */
    bool is_sriov;        /* its functions are virtual functions */
    enum host_mode mode;  /* the interface its vGPUs are made through */
    struct strv parents;  /* its functions offering the type (mdev parents,
                           * VFs), address order */
    const struct conf_type *conf; /* the type offered (points into conf) */
    const struct host_type *type; /* its facts on the first of parents
                                   * (points into host) */
    struct strv mdevs;   /* ids of its existing vGPUs of the type, sorted */
    unsigned total;      /* inventory total, > 0 */
    unsigned max_unit;   /* the most one allocation may take: the type's
                          * max_unit, else 1 for an NVIDIA type (one guest
                          * cannot use two vGPUs of one NVIDIA GPU), else
                          * total; at most total */
    char *total_why;     /* how total came about, for the log: "2
                          * available + 2 existing; capped to 8 by
                          * max_instances at agent.yaml:9:20" */
    struct strv traits;  /* sorted */
    struct strv managed; /* traits the agent may also remove from this
                          * GPU: CUSTOM_<type> of every type its functions
                          * offer and every enabled type's configured
                          * traits (a type switch drops the old ones) */
};

/* A GPU of the host that gets no provider, and why: sync says so when it
 * deletes or drains the provider it had. */
struct policy_drop {
    char *address; /* as policy_gpu.address */
    bool is_pci;
    struct pci_addr addr; /* valid when is_pci */
    char *why; /* "does not support nvidia-35, which device_addresses at
                * agent.yaml:7:25 assign to it" */
};

struct policy {
    struct policy_gpu *gpus; /* address order: PCI first, then by name */
    size_t n_gpus;
    struct policy_drop *drops; /* host order */
    size_t n_drops;
    struct strv warnings; /* what an operator should look at */
    struct strv notes;    /* every decision not to offer a GPU, and why */
};

/* Decide for every GPU in h.  Never fails; h and c must outlive *ret. */
struct policy *policy_decide(const struct conf *c, const struct host *h);
void policy_free(struct policy *p);
DEFINE_CLEANUP(struct policy, policy_free)

/* The configuration slips that would silently take capacity away, each
 * "WHERE: KEY: what is wrong" (WHERE the file's line, when known): a
 * device_addresses entry that is on no GPU of h, or on one that does not
 * offer the type, and an enabled type no GPU of h offers.  Appended to
 * ret; returns how many. */
size_t policy_check_conf(const struct conf *c, const struct host *h,
                         struct strv *ret);

/* Rule 1: whether function fn is (part of) a GPU the agent manages: a
 * type's device_addresses name it, or it is a PCI display device with a
 * vfio-pci type. */
bool policy_fn_is_gpu(const struct conf *c, const struct host_fn *fn);

/* Whether type_id is NVIDIA's ("nvidia-35"): one guest cannot use two of
 * its vGPUs on one GPU. */
bool policy_is_nvidia_type(const char *type_id);

/* "nvidia-35" -> "CUSTOM_NVIDIA_35": the trait a flavor requires to get
 * this type.  Caller frees. */
char *policy_type_trait(const char *type_id);

/* The standard HW_GPU_* traits a type description implies, appended. */
void policy_desc_traits(const struct type_desc *d, struct strv *traits);
