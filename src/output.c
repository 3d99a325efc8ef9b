/*
 * output.c - render the provider tree: JSON (cJSON), YAML (libyaml's
 * emitter, walking the same cJSON), an aligned table and Graphviz dot.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "output.h"
#include "xalloc.h"

static const char *const format_names[] = {
    [OUTPUT_JSON] = "json",
    [OUTPUT_YAML] = "yaml",
    [OUTPUT_TABLE] = "table",
    [OUTPUT_DOT] = "dot",
};

int
output_parse_format(const char *s, enum output_format *ret)
{
    for (size_t i = 0; i < sizeof(format_names) / sizeof(*format_names); i++)
        if (strcmp(s, format_names[i]) == 0) {
            *ret = (enum output_format)i;
            return 0;
        }
    return -EINVAL;
}

static cJSON *
strv_json(const struct strv *sv)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
    return a;
}

static cJSON *
device_json(const struct tree_device *d)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "address", d->address);
    cJSON_AddStringToObject(o, "mode", host_mode_name(d->mode));
    cJSON_AddStringToObject(o, "mdev_type", d->mdev_type);
    cJSON_AddStringToObject(o, "type_name", d->type_name);
    cJSON_AddItemToObject(o, "parents", strv_json(&d->parents));
    cJSON_AddItemToObject(o, "mdevs", strv_json(&d->mdevs));
    return o;
}

static cJSON *
provider_json(const struct tree_provider *p)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "uuid", p->uuid);
    cJSON_AddStringToObject(o, "name", p->name);
    if (p->parent_uuid[0])
        cJSON_AddStringToObject(o, "parent_provider_uuid", p->parent_uuid);
    else
        cJSON_AddNullToObject(o, "parent_provider_uuid");
    cJSON_AddItemToObject(o, "inventories",
                          inventory_to_json(p->invs, p->n_invs));
    cJSON_AddItemToObject(o, "traits", strv_json(&p->traits));
    if (p->device)
        cJSON_AddItemToObject(o, "device", device_json(p->device));
    return o;
}

cJSON *
output_tree_json(const struct tree *t)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *providers = cJSON_AddArrayToObject(root, "providers");

    for (size_t i = 0; i < t->n_providers; i++)
        cJSON_AddItemToArray(providers, provider_json(&t->providers[i]));
    return root;
}

static int
write_json(const struct tree *t, FILE *out)
{
    cJSON *j = output_tree_json(t);
    _cleanup_free_ char *s = cJSON_Print(j);

    cJSON_Delete(j);
    return fprintf(out, "%s\n", s) < 0 ? -EIO : 0;
}

/* --- YAML: the JSON document, re-emitted by libyaml -------------------- */

static int
yaml_write_handler(void *data, unsigned char *buf, size_t size)
{
    return fwrite(buf, 1, size, data) == size;
}

/* Whether YAML 1.1 would read plain s as something other than a string. */
static bool
yaml_needs_quotes(const char *s)
{
    static const char *const words[] = { "y",     "n",  "yes", "no",   "true",
                                         "false", "on", "off", "null", "~" };

    if (!*s || isdigit((unsigned char)*s) || strchr("-+.", *s))
        return true;
    for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    return false;
}

static int
yaml_scalar(yaml_emitter_t *em, const char *value, bool is_string)
{
    _cleanup_free_ char *copy = xstrdup(value); /* libyaml wants non-const */
    bool plain = !is_string || !yaml_needs_quotes(value);
    yaml_event_t ev;

    yaml_scalar_event_initialize(
        &ev, NULL, NULL, (yaml_char_t *)copy, (int)strlen(copy), plain, 1,
        plain ? YAML_ANY_SCALAR_STYLE : YAML_SINGLE_QUOTED_SCALAR_STYLE);
    return yaml_emitter_emit(em, &ev) ? 0 : -EIO;
}

static int yaml_node(yaml_emitter_t *em, const cJSON *j);

static int
yaml_collection(yaml_emitter_t *em, const cJSON *j)
{
    bool map = cJSON_IsObject(j);
    yaml_event_t ev;
    const cJSON *c;
    int r = 0;

    if (map)
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                            YAML_ANY_MAPPING_STYLE);
    else
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                             YAML_ANY_SEQUENCE_STYLE);
    if (!yaml_emitter_emit(em, &ev))
        return -EIO;
    cJSON_ArrayForEach(c, j) {
        if (map && r == 0)
            r = yaml_scalar(em, c->string, true);
        if (r == 0)
            r = yaml_node(em, c);
    }
    if (r < 0)
        return r;
    if (map)
        yaml_mapping_end_event_initialize(&ev);
    else
        yaml_sequence_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev) ? 0 : -EIO;
}

static int
yaml_node(yaml_emitter_t *em, const cJSON *j)
{
    char buf[64];

    if (cJSON_IsObject(j) || cJSON_IsArray(j))
        return yaml_collection(em, j);
    if (cJSON_IsString(j))
        return yaml_scalar(em, j->valuestring, true);
    if (cJSON_IsRaw(j))
        return yaml_scalar(em, j->valuestring, false);
    if (cJSON_IsNumber(j)) {
        snprintf(buf, sizeof(buf), "%.17g", j->valuedouble);
        return yaml_scalar(em, buf, false);
    }
    return yaml_scalar(em,
                       cJSON_IsTrue(j)    ? "true"
                       : cJSON_IsFalse(j) ? "false"
                                          : "null",
                       false);
}

static int
yaml_document(yaml_emitter_t *em, const cJSON *j)
{
    yaml_event_t ev;
    int r;

    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if (!yaml_emitter_emit(em, &ev))
        return -EIO;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if (!yaml_emitter_emit(em, &ev))
        return -EIO;
    r = yaml_node(em, j);
    if (r < 0)
        return r;
    yaml_document_end_event_initialize(&ev, 1);
    if (!yaml_emitter_emit(em, &ev))
        return -EIO;
    yaml_stream_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev) ? 0 : -EIO;
}

static int
write_yaml(const struct tree *t, FILE *out)
{
    cJSON *j = output_tree_json(t);
    yaml_emitter_t em;
    int r;

    if (!yaml_emitter_initialize(&em)) {
        cJSON_Delete(j);
        return -ENOMEM;
    }
    yaml_emitter_set_output(&em, yaml_write_handler, out);
    yaml_emitter_set_unicode(&em, 1);
    r = yaml_document(&em, j);
    yaml_emitter_delete(&em);
    cJSON_Delete(j);
    return r;
}

/* --- table: one row per provider, then the traits ---------------------- */

enum {
    COL_PROVIDER,
    COL_GPU,
    COL_MODE,
    COL_TYPE,
    COL_INVENTORY,
    COL_VGPUS,
    COL_UUID,
    N_COLS
};

static const char *const col_titles[N_COLS] = {
    "PROVIDER", "GPU", "MODE", "TYPE", "INVENTORY", "VGPUS", "UUID",
};

static char *
inventory_cell(const struct tree_provider *p)
{
    char *s = xstrdup(p->n_invs ? "" : "-");

    for (size_t i = 0; i < p->n_invs; i++) {
        char *next = xasprintf("%s%s%s %ld", s, i ? ", " : "", p->invs[i].rc,
                               p->invs[i].total);
        free(s);
        s = next;
    }
    return s;
}

static void
row_cells(const struct tree_provider *p, char *cells[N_COLS])
{
    const struct tree_device *d = p->device;

    cells[COL_PROVIDER] = xstrdup(p->name);
    cells[COL_GPU] = xstrdup(d ? d->address : "-");
    cells[COL_MODE] = xstrdup(d ? host_mode_name(d->mode) : "-");
    cells[COL_TYPE] =
        d ? xasprintf("%s (%s)", d->mdev_type, d->type_name) : xstrdup("-");
    cells[COL_INVENTORY] = inventory_cell(p);
    cells[COL_VGPUS] = d ? xasprintf("%zu", d->mdevs.n) : xstrdup("-");
    cells[COL_UUID] = xstrdup(p->uuid);
}

static void
write_row(FILE *out, const char *const cells[N_COLS],
          const size_t width[N_COLS])
{
    for (int c = 0; c < N_COLS - 1; c++)
        fprintf(out, "%-*s  ", (int)width[c], cells[c]);
    fprintf(out, "%s\n", cells[N_COLS - 1]);
}

/* Traits wrapped under the provider's name, at most ~100 columns. */
static void
write_traits(FILE *out, const struct tree_provider *p, size_t indent)
{
    size_t col = indent;

    fprintf(out, "%-*s", (int)indent, p->name);
    for (size_t i = 0; i < p->traits.n; i++) {
        size_t len = strlen(p->traits.v[i]);

        if (col > indent && col + 1 + len > 100) {
            fprintf(out, "\n%-*s", (int)indent, "");
            col = indent;
        }
        fprintf(out, "%s%s", col > indent ? " " : "", p->traits.v[i]);
        col += len + (col > indent);
    }
    fputc('\n', out);
}

static int
write_table(const struct tree *t, FILE *out)
{
    char *(*cells)[N_COLS] = xcalloc(t->n_providers, sizeof(*cells));
    size_t width[N_COLS];
    bool any_traits = false;

    for (int c = 0; c < N_COLS; c++)
        width[c] = strlen(col_titles[c]);
    for (size_t i = 0; i < t->n_providers; i++) {
        row_cells(&t->providers[i], cells[i]);
        any_traits |= t->providers[i].traits.n > 0;
        for (int c = 0; c < N_COLS; c++)
            if (strlen(cells[i][c]) > width[c])
                width[c] = strlen(cells[i][c]);
    }
    write_row(out, col_titles, width);
    for (size_t i = 0; i < t->n_providers; i++)
        write_row(out, (const char *const *)cells[i], width);
    if (any_traits)
        fprintf(out, "\nTRAITS\n");
    for (size_t i = 0; i < t->n_providers; i++)
        if (t->providers[i].traits.n > 0)
            write_traits(out, &t->providers[i], width[COL_PROVIDER] + 2);
    for (size_t i = 0; i < t->n_providers; i++)
        for (int c = 0; c < N_COLS; c++)
            free(cells[i][c]);
    free(cells);
    return ferror(out) ? -EIO : 0;
}

/* --- dot: a Graphviz digraph of the tree ------------------------------- */

/* A dot string literal body: escape quotes and backslashes. */
static void
dot_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
}

static void
dot_node(FILE *out, const struct tree_provider *p)
{
    fprintf(out, "  \"%s\" [label=\"", p->uuid);
    dot_escaped(out, p->name);
    if (p->device) {
        fputs("\\n", out);
        dot_escaped(out, p->device->mdev_type);
        fputs(" (", out);
        dot_escaped(out, p->device->type_name);
        fputc(')', out);
        if (p->device->mode != HOST_MODE_MDEV)
            fprintf(out, "\\n%s", host_mode_name(p->device->mode));
    }
    for (size_t i = 0; i < p->n_invs; i++)
        fprintf(out, "\\n%s: %ld", p->invs[i].rc, p->invs[i].total);
    fputs("\"];\n", out);
}

static int
write_dot(const struct tree *t, FILE *out)
{
    fputs("digraph providers {\n"
          "  rankdir=LR;\n"
          "  node [shape=box, fontname=\"monospace\"];\n",
          out);
    for (size_t i = 0; i < t->n_providers; i++)
        dot_node(out, &t->providers[i]);
    for (size_t i = 0; i < t->n_providers; i++)
        if (t->providers[i].parent_uuid[0])
            fprintf(out, "  \"%s\" -> \"%s\";\n", t->providers[i].parent_uuid,
                    t->providers[i].uuid);
    fputs("}\n", out);
    return ferror(out) ? -EIO : 0;
}

int
output_write(const struct tree *t, enum output_format f, FILE *out)
{
    switch (f) {
    case OUTPUT_JSON:
        return write_json(t, out);
    case OUTPUT_YAML:
        return write_yaml(t, out);
    case OUTPUT_TABLE:
        return write_table(t, out);
    case OUTPUT_DOT:
        return write_dot(t, out);
    }
    return -EINVAL;
}
