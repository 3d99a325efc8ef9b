/*
 * yamldoc.c - load a YAML document with libyaml; lookups and positions.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cleanup.h"
#include "errbuf.h"
#include "textfile.h"
#include "xalloc.h"
#include "yamldoc.h"

/* Reader errors (bad UTF-8, control characters) come as a byte offset, not a
 * mark: count line breaks and characters up to it as libyaml would. */
static yaml_mark_t
offset_to_mark(const unsigned char *buf, size_t len, size_t off)
{
    yaml_mark_t m = { .index = off };

    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n' ||
            (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
            m.line++;
            m.column = 0;
        } else if (buf[i] != '\r' && (buf[i] & 0xc0) != 0x80) {
            m.column++; /* a character starts here (UTF-8 lead or ASCII) */
        }
    }
    return m;
}

/* Whether buf reads as an INI file (nova.conf's format): its first line
 * that is neither blank nor a comment is a "[section]". */
static bool
looks_like_ini(const unsigned char *buf, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t end = i;

        while (end < len && buf[end] != '\n')
            end++;
        while (i < end && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r'))
            i++;
        if (i < end && buf[i] != '#' && buf[i] != ';') {
            size_t j = i + 1;

            if (buf[i] != '[')
                return false;
            while (j < end && (isalnum(buf[j]) || buf[j] == '_' ||
                               buf[j] == '-' || buf[j] == '.'))
                j++;
            return j > i + 1 && j < end && buf[j] == ']';
        }
        i = end + 1;
    }
    return false;
}

/* What the parser's problem most likely is, in the operator's words. */
static const char *
parser_hint(const yaml_parser_t *parser, const unsigned char *buf, size_t len)
{
    if (looks_like_ini(buf, len))
        return " (this looks like nova.conf, an INI file, not YAML; see "
               "vgpu-agent import-nova-conf)";
    if (parser->problem_mark.index < len &&
        buf[parser->problem_mark.index] == '\t')
        return " (a tab: YAML indents with spaces only)";
    return "";
}

static int
parser_error(const struct yamldoc *d, const yaml_parser_t *parser,
             const unsigned char *buf, size_t len, struct errbuf *eb)
{
    yaml_mark_t mark = parser->problem_mark;

    if (parser->error == YAML_MEMORY_ERROR)
        return errbuf_set(eb, -ENOMEM, "%s: out of memory parsing YAML",
                          d->path);
    if (parser->error == YAML_READER_ERROR)
        mark = offset_to_mark(buf, len, parser->problem_offset);
    return errbuf_set(
        eb, -EINVAL, "%s:%zu:%zu: %s%s%s%s", d->path, mark.line + 1,
        mark.column + 1, parser->problem ? parser->problem : "invalid YAML",
        parser->context ? " " : "", parser->context ? parser->context : "",
        parser_hint(parser, buf, len));
}

/* yaml_parser_load() stops after the first document; whatever follows would
 * be ignored silently, syntax errors included.  Refuse it instead. */
static int
expect_stream_end(const struct yamldoc *d, yaml_parser_t *parser,
                  const unsigned char *buf, size_t len, struct errbuf *eb)
{
    yaml_document_t next;
    yaml_mark_t mark;
    bool more;

    if (!yaml_parser_load(parser, &next))
        return parser_error(d, parser, buf, len, eb);
    more = yaml_document_get_root_node(&next) != NULL;
    mark = next.start_mark;
    yaml_document_delete(&next);
    if (more)
        return errbuf_set(eb, -EINVAL,
                          "%s:%zu:%zu: more than one YAML document", d->path,
                          mark.line + 1, mark.column + 1);
    return 0;
}

static int
yamldoc_parse(struct yamldoc *d, const unsigned char *buf, size_t len,
              struct errbuf *eb)
{
    yaml_parser_t parser;
    int r = 0;

    if (!yaml_parser_initialize(&parser))
        return errbuf_set(eb, -ENOMEM, "%s: cannot start YAML parser", d->path);
    yaml_parser_set_input_string(&parser, buf, len);
    if (!yaml_parser_load(&parser, &d->doc)) {
        r = parser_error(d, &parser, buf, len, eb);
        yaml_parser_delete(&parser);
        return r;
    }
    d->loaded = true;
    if (yaml_document_get_root_node(&d->doc)) /* else the stream ended */
        r = expect_stream_end(d, &parser, buf, len, eb);
    yaml_parser_delete(&parser);
    return r;
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
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = textfile_read(path, YAMLDOC_FILE_MAX, &buf, &len, eb);

    if (r < 0)
        return r;
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
