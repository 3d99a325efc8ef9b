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
    struct strv traits;  /* sorted */
    struct strv managed; /* traits the agent may also remove from this
                          * GPU: CUSTOM_<type> of every type its functions
                          * offer and every enabled type's configured
                          * traits (a type switch drops the old ones) */
};

struct policy {
    struct policy_gpu *gpus; /* address order: PCI first, then by name */
    size_t n_gpus;
    struct strv warnings; /* what an operator should look at */
    struct strv notes;    /* every decision not to offer a GPU, and why */
};

/* Decide for every GPU in h.  Never fails; h and c must outlive *ret. */
struct policy *policy_decide(const struct conf *c, const struct host *h);
void policy_free(struct policy *p);
DEFINE_CLEANUP(struct policy, policy_free)

/* "nvidia-35" -> "CUSTOM_NVIDIA_35": the trait a flavor requires to get
 * this type.  Caller frees. */
char *policy_type_trait(const char *type_id);

/* The standard HW_GPU_* traits a type description implies, appended. */
void policy_desc_traits(const struct type_desc *d, struct strv *traits);
