/*
 * yamldoc.c - load a YAML document with libyaml; lookups and positions.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cleanup.h"
#include "errbuf.h"
#include "xalloc.h"
#include "yamldoc.h"

static int
yamldoc_parse(struct yamldoc *d, const unsigned char *buf, size_t len,
              struct errbuf *eb)
{
    yaml_parser_t parser;
    int ok;

    if (!yaml_parser_initialize(&parser))
        return errbuf_set(eb, -ENOMEM, "%s: cannot start YAML parser",
                          d->path);
    yaml_parser_set_input_string(&parser, buf, len);
    ok = yaml_parser_load(&parser, &d->doc);
    if (!ok) {
        errbuf_set(eb, -EINVAL, "%s:%zu:%zu: %s%s%s", d->path,
                   parser.problem_mark.line + 1,
                   parser.problem_mark.column + 1,
                   parser.problem ? parser.problem : "invalid YAML",
                   parser.context ? " " : "",
                   parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return -EINVAL;
    }
    d->loaded = true;
    yaml_parser_delete(&parser);
    return 0;
}

int
yamldoc_load_buf(const char *name, const char *buf, size_t len,
                 struct yamldoc **ret, struct errbuf *eb)
{
    _cleanup_(yamldoc_freep) struct yamldoc *d = xcalloc(1, sizeof(*d));
    int r;

    d->path = xstrdup(name);
    if (len > YAMLDOC_FILE_MAX)
        return errbuf_set(eb, -EFBIG, "%s: larger than %d bytes", name,
                          YAMLDOC_FILE_MAX);
    r = yamldoc_parse(d, (const unsigned char *)buf, len, eb);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(d);
    return 0;
}

int
yamldoc_load_file(const char *path, struct yamldoc **ret, struct errbuf *eb)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    _cleanup_free_ char *buf = NULL;
    size_t len;

    if (!f)
        return errbuf_set(eb, -errno, "%s: %s", path, strerror(errno));
    buf = xmalloc(YAMLDOC_FILE_MAX + 1);
    len = fread(buf, 1, YAMLDOC_FILE_MAX + 1, f);
    if (ferror(f))
        return errbuf_set(eb, -EIO, "%s: read error", path);
    return yamldoc_load_buf(path, buf, len, ret, eb);
}

void
yamldoc_free(struct yamldoc *d)
{
    if (!d)
        return;
    if (d->loaded)
        yaml_document_delete(&d->doc);
    free(d->path);
    free(d);
}

yaml_node_t *
yamldoc_root(struct yamldoc *d)
{
    return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *
yamldoc_node(struct yamldoc *d, int index)
{
    return yaml_document_get_node(&d->doc, index);
}

const char *
yamldoc_scalar(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)n->data.scalar.value;
}

bool
yamldoc_is_null(const yaml_node_t *n)
{
    const char *s = yamldoc_scalar(n);

    if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

yaml_node_t *
yamldoc_get(struct yamldoc *d, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        const char *k = yamldoc_scalar(yamldoc_node(d, p->key));

        if (k && strcmp(k, key) == 0)
            return yamldoc_node(d, p->value);
    }
    return NULL;
}

const char *
yamldoc_where(const struct yamldoc *d, const yaml_node_t *n, char *buf,
              size_t size)
{
    if (!n)
        snprintf(buf, size, "%s", d->path);
    else
        snprintf(buf, size, "%s:%zu:%zu", d->path, n->start_mark.line + 1,
                 n->start_mark.column + 1);
    return buf;
}
