/*
 * cmd-mdevs.c - `vgpu-agent devices CONSUMER` (also `mdevs`): the vGPUs a
 * consumer's claim owns on this host, so whatever builds the guest uses
 * exactly those: mdevs by UUID, vendor-specific VFIO VFs by address.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "cmd.h"
#include "hostplan.h"
#include "log.h"
#include "pciaddr.h"
#include "uuidstr.h"

#define XC(s) ((const xmlChar *)(s)) /* libxml2 takes const names */

static void
mdevs_usage(FILE *out)
{
    fprintf(out,
            "Usage: vgpu-agent [-c FILE] [--sysfs-root DIR] devices CONSUMER "
            "[--format text|xml]\n"
            "\n"
            "Print the vGPUs the consumer's VGPU allocations on this host "
            "own.  Mdevs:\nthe UUIDs its libvirt domain references, or the "
            "deterministic ones\nUUIDv5(consumer, \"<provider uuid>/<i>\").  "
            "VFs of a vendor-specific VFIO\nGPU: the addresses its domain "
            "references, the state file records, or\nthe lowest free ones.  "
            "--format xml prints <hostdev> elements ready for\na domain's "
            "<devices>.  `mdevs` is another name for `devices`.\n");
}

/* <hostdev mode='subsystem' type='mdev' model='vfio-pci'>, by libxml2. */
static void
print_hostdev(const char *uuid)
{
    xmlNodePtr hd = xmlNewNode(NULL, XC("hostdev"));
    xmlNodePtr src = xmlNewChild(hd, NULL, XC("source"), NULL);
    xmlNodePtr addr = xmlNewChild(src, NULL, XC("address"), NULL);
    xmlBufferPtr buf = xmlBufferCreate();

    xmlNewProp(hd, XC("mode"), XC("subsystem"));
    xmlNewProp(hd, XC("type"), XC("mdev"));
    xmlNewProp(hd, XC("model"), XC("vfio-pci"));
    xmlNewProp(addr, XC("uuid"), XC(uuid));
    xmlNodeDump(buf, NULL, hd, 0, 1);
    printf("%s\n", (const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    xmlFreeNode(hd);
}

/* A VF as NVIDIA's guide wants it: PCI, unmanaged (libvirt must not
 * rebind it from the nvidia driver), exactly as the reference shows. */
static void
print_pci_hostdev(const char *vf)
{
    struct pci_addr a;

    if (pci_addr_parse(vf, &a) < 0)
        return;
    printf("<hostdev mode='subsystem' type='pci' managed='no'>\n"
           "  <driver name='vfio'/>\n"
           "  <source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' "
           "function='0x%x'/></source>\n"
           "</hostdev>\n",
           a.domain, a.bus, a.slot, a.func);
}

static void
print_owned(const struct reconcile_mdev *v, size_t n, const char *consumer,
            bool xml, size_t *count)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].consumer, consumer) != 0)
            continue;
        if (!v[i].uuid[0]) { /* a VF claim that found no VF */
            log_warn("consumer %s: a unit on %s has no VF: %s", consumer,
                     v[i].parent, v[i].why ? v[i].why : "?");
            continue;
        }
        if (xml && v[i].mode == HOST_MODE_VENDOR_VFIO)
            print_pci_hostdev(v[i].uuid);
        else if (xml)
            print_hostdev(v[i].uuid);
        else
            printf("%s %s %s\n", v[i].uuid, v[i].parent, v[i].mdev_type);
        (*count)++;
    }
}

static int
parse_args(int argc, char **argv, char consumer[UUIDSTR_LEN], bool *xml)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;

    static const char *const formats[] = { "text", "xml", NULL };

    while ((c = cmd_getopt(argc, argv, "f:h", opts)) != -1) {
        if (c == 'f' &&
            (strcmp(optarg, "xml") == 0 || strcmp(optarg, "text") == 0)) {
            *xml = strcmp(optarg, "xml") == 0;
        } else if (c == 'f') {
            return cmd_bad_choice(argv[0], "--format", optarg, formats);
        } else if (c == 'h') {
            mdevs_usage(stdout);
            return -1;
        } else {
            return CMD_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cmd_usage_error(argv[0], "which consumer? give its UUID");
    if (uuidstr_lower(argv[optind], consumer) < 0)
        return cmd_usage_error(argv[0], "'%s' is not a consumer UUID",
                               argv[optind]);
    optind++;
    return cmd_no_more_args(argc, argv);
}

static int
cmd_mdevs_exec(const struct ctx *ctx, int argc, char **argv)
{
    struct hostplan hp = { 0 };
    char consumer[UUIDSTR_LEN];
    size_t count = 0;
    bool xml = false;
    int r = parse_args(argc, argv, consumer, &xml);

    if (r != CMD_EXIT_OK)
        return r < 0 ? CMD_EXIT_OK : r;
    r = hostplan_load(&ctx->host, &hp);
    if (r == 0) {
        const struct reconcile_plan *p;

        hostplan_make(&hp, HOSTPLAN_NEED_UUIDS);
        p = hp.plan;
        print_owned(p->keep, p->n_keep, consumer, xml, &count);
        print_owned(p->create, p->n_create, consumer, xml, &count);
        print_owned(p->misplaced, p->n_misplaced, consumer, xml, &count);
        print_owned(p->errors, p->n_errors, consumer, xml, &count);
        if (count == 0) {
            /* a hook must not start the guest without its vGPU */
            log_error("%s: consumer %s holds no VGPU on this host's GPUs "
                      "(vgpu-agent show lists who holds what)",
                      argv[0], consumer);
            r = -ENOENT;
        }
    }
    hostplan_clear(&hp);
    return cmd_exit_status(r);
}

const struct cmd cmd_devices = {
    .name = "devices",
    .args = "CONSUMER [--format text|xml]",
    .summary = "print the vGPUs a consumer's claim owns (mdev UUIDs, VF "
               "addresses, or <hostdev>)",
    .exec = cmd_mdevs_exec,
};

const struct cmd cmd_mdevs = {
    .name = "mdevs",
    .args = "CONSUMER [--format text|xml]",
    .summary = "another name for devices",
    .exec = cmd_mdevs_exec,
};
