/*
 * host-vfio-ops.c - the vendor-specific VFIO rules and operations: the
 * creatable_vgpu_types format, the framebuffer rule, and making and
 * unmaking a vGPU by writing current_vgpu_type (reference sections 1-2).
 *
 * The driver's answers: writing an id to a VF that has a vGPU is EPERM,
 * the same id included, so the current type is compared first; writing 0
 * to a VF without one is EPERM too; writing 0 while the VF's VFIO device
 * is open (a guest holds it) fails, and the write returns at once, so a
 * busy VF never stalls the agent: it is tried again at a later pass.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-vfio.h"
#include "host.h"
#include "parse.h"
#include "pciaddr.h"
#include "xalloc.h"

/* --- creatable_vgpu_types ------------------------------------------------- */

static char *
trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

/* Printable ASCII, not empty, short enough. */
static bool
name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= HOST_VFIO_NAME_MAX)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* One line "594   : NVIDIA A10-6Q" (modified); false when it is none. */
static bool
parse_line(char *line, struct host_vfio_listed *ret)
{
    char *colon = strchr(line, ':');
    unsigned long id;
    char *name;

    if (!colon)
        return false;
    *colon = '\0';
    name = trim(colon + 1);
    if (parse_uint(trim(line), INT_MAX, &id) < 0 || id == 0 || !name_ok(name))
        return false;
    ret->id = (unsigned)id;
    snprintf(ret->name, sizeof(ret->name), "%s", name);
    return true;
}

int
host_vfio_parse_creatable(const char *text, struct host_vfio_listed **ret,
                          size_t *ret_n, char **ret_bad)
{
    _cleanup_free_ char *copy = xstrdup(text);
    _cleanup_free_ struct host_vfio_listed *v = NULL;
    size_t n = 0, cap = 0;
    char *line = copy;

    for (bool first = true; line; first = false) {
        char *nl = strchr(line, '\n');
        struct host_vfio_listed t;

        if (nl)
            *nl = '\0';
        /* the header, "ID    : vGPU Name": a first line that is no type */
        if (!(first && !(*line >= '0' && *line <= '9')) &&
            *trim(line) != '\0') {
            if (!parse_line(line, &t)) {
                if (ret_bad)
                    *ret_bad = sysfs_escape(line, 64);
                return -EINVAL;
            }
            xgrow(&v, &cap, n, sizeof(*v));
            v[n++] = t;
        }
        line = nl ? nl + 1 : NULL;
    }
    *ret = TAKE_PTR(v);
    *ret_n = n;
    return 0;
}

/* --- the framebuffer rule --------------------------------------------------
 */

unsigned
host_vfio_name_gb(const char *name)
{
    const char *dash = strrchr(name, '-');
    unsigned long gb;
    size_t digits;
    char buf[16];

    if (!dash)
        return 0;
    digits = strspn(dash + 1, "0123456789");
    /* digits, then at least one series letter and nothing else */
    if (digits == 0 || digits >= sizeof(buf) || !dash[1 + digits])
        return 0;
    for (const char *p = dash + 1 + digits; *p; p++)
        if (!(*p >= 'A' && *p <= 'Z'))
            return 0;
    memcpy(buf, dash + 1, digits);
    buf[digits] = '\0';
    if (parse_uint(buf, 1u << 20, &gb) < 0)
        return 0;
    return (unsigned)gb;
}

unsigned
host_vfio_rule_max(unsigned n_vfs, unsigned largest_gb, unsigned gb,
                   unsigned floor)
{
    unsigned max = 0;

    if (gb > 0 && largest_gb >= gb) {
        max = largest_gb / gb;
        if (max > n_vfs)
            max = n_vfs;
    }
    return max > floor ? max : floor;
}

/* --- operations ------------------------------------------------------------
 */

static int
check_address(const char *id, struct errbuf *eb)
{
    _cleanup_free_ char *q = NULL;
    struct pci_addr a;
    char buf[PCI_ADDR_STR_MAX];

    if (pci_addr_parse(id, &a) == 0 &&
        strcmp(pci_addr_format(&a, buf), id) == 0)
        return 0;
    q = sysfs_escape(id, 64);
    return errbuf_set(eb, -EINVAL,
                      "VF \"%s\": not a PCI address as the kernel spells it "
                      "(0000:41:00.5)",
                      q);
}

/* "nvidia-594" -> 594. */
static int
type_number(const char *type_id, unsigned *ret, struct errbuf *eb)
{
    unsigned long n;

    if (strncmp(type_id, "nvidia-", 7) != 0 ||
        parse_uint(type_id + 7, INT_MAX, &n) < 0 || n == 0) {
        _cleanup_free_ char *q = sysfs_escape(type_id, 64);

        return errbuf_set(eb, -EINVAL,
                          "type \"%s\": not an NVIDIA vGPU type (nvidia-<id>)",
                          q);
    }
    *ret = (unsigned)n;
    return 0;
}

static char *
type_file(const struct host_fn *fn)
{
    return xasprintf("%s/nvidia/current_vgpu_type", fn->path);
}

/* What a failed write means, for the message. */
static const char *
write_hint(int r, bool create)
{
    switch (r) {
    case -EPERM:
        return create ? " (the VF already has a vGPU)"
                      : " (the VF has no vGPU to destroy)";
    case -EIO:
        return " (the driver refused the type: a MIG-backed type without a "
               "free GPU instance, or the GPU's vGPUs leave no room for it)";
    case -EBUSY:
        return " (its VFIO device is open: a guest holds it; tried again at "
               "the next pass)";
    default:
        return "";
    }
}

/* "<what>: <the write's message><hint>" */
static int
fail_write(struct errbuf *eb, int r, const char *what, bool create)
{
    char msg[ERRBUF_MSG_MAX] = "";

    if (eb)
        snprintf(msg, sizeof(msg), "%s", eb->msg);
    return errbuf_set(eb, r, "%s: %s%s", what, msg, write_hint(r, create));
}

static int
create_vf(const struct sysfs *fs, const struct host_fn *fn, const char *type_id,
          const char *id, struct errbuf *eb)
{
    _cleanup_free_ char *rel = type_file(fn);
    char value[16];
    unsigned want = 0, now = 0;
    int r = type_number(type_id, &want, eb);

    if (r < 0)
        return r;
    if (strcmp(id, fn->name) != 0)
        return errbuf_set(eb, -EINVAL, "VF %s: cannot carry vGPU %s", fn->name,
                          id);
    /* a rewrite is EPERM, even of the same id: compare first */
    r = sysfs_read_uint(fs, rel, &now, eb);
    if (r < 0)
        return errbuf_prefix(eb, "VF %s: type %s", fn->name, type_id);
    if (now == want)
        return 0;
    if (now != 0)
        return errbuf_set(eb, -EPERM,
                          "VF %s: type %s: it already carries "
                          "nvidia-%u",
                          fn->name, type_id, now);
    snprintf(value, sizeof(value), "%u", want);
    r = sysfs_write(fs, rel, value, eb);
    if (r < 0) {
        _cleanup_free_ char *what =
            xasprintf("VF %s: type %s", fn->name, type_id);

        return fail_write(eb, r, what, true);
    }
    return 0;
}

static int
remove_vf(const struct sysfs *fs, const struct host_fn *fn, const char *id,
          struct errbuf *eb)
{
    _cleanup_free_ char *rel = type_file(fn);
    unsigned now = 0;
    int r = sysfs_read_uint(fs, rel, &now, eb);

    if (r < 0)
        return errbuf_prefix(eb, "VF %s", fn->name);
    if (now == 0) /* gone already: what a remove wants */
        return 0;
    r = sysfs_write(fs, rel, "0", eb);
    if (r < 0) {
        _cleanup_free_ char *what =
            xasprintf("VF %s: reset of nvidia-%u", fn->name, now);

        return fail_write(eb, r, what, false);
    }
    return 0;
}

const struct host_ops host_vfio_ops = {
    .noun = "VF",
    .check_id = check_address,
    .create = create_vf,
    .remove = remove_vf,
    .born = NULL,    /* an orphan's age is the agent's (reconcile) */
    .persist = NULL, /* nothing brings a type back at boot: restore */
    .unpersist = NULL,
};
