/*
 * metrics-parse.c - read a metrics file back (for `vgpu-agent status`).
 *
 * A small parser of the text exposition format, enough for what
 * metrics.c writes and strict about it: `name{label="value",...} value`
 * lines, # comments and blank lines skipped, label values unescaped.  A
 * timestamp after the value is accepted and ignored.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errbuf.h"
#include "metrics.h"
#include "textfile.h"
#include "xalloc.h"

static bool
is_name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == ':' || (!first && c >= '0' && c <= '9');
}

/* The name at *s; advances *s past it.  NULL if there is none. */
static char *
take_name(const char **s)
{
    const char *start = *s, *p = *s;

    if (!is_name_char(*p, true))
        return NULL;
    while (is_name_char(*p, false))
        p++;
    *s = p;
    return xstrndup(start, (size_t)(p - start));
}

/* The quoted value at *s (past its opening quote), unescaped; advances *s
 * past the closing quote.  NULL on a bad escape or no closing quote. */
static char *
take_value(const char **s)
{
    const char *p = *s;
    char *v = xmalloc(strlen(p) + 1);
    size_t n = 0;

    for (; *p && *p != '"' && *p != '\n'; p++) {
        if (*p != '\\') {
            v[n++] = *p;
            continue;
        }
        p++;
        if (*p == 'n')
            v[n++] = '\n';
        else if (*p == '\\' || *p == '"')
            v[n++] = *p;
        else
            break;
    }
    if (*p != '"') {
        free(v);
        return NULL;
    }
    v[n] = '\0';
    *s = p + 1;
    return v;
}

static void
sample_clear(struct metrics_sample *m)
{
    for (size_t i = 0; i < m->n_labels; i++) {
        free(m->labels[i].name);
        free(m->labels[i].value);
    }
    free(m->labels);
    free(m->name);
    *m = (struct metrics_sample){ 0 };
}

/* {name="value",...} at *s (past the '{'); returns 0 or -EINVAL. */
static int
take_labels(const char **s, struct metrics_sample *m)
{
    const char *p = *s;
    size_t cap = 0;

    while (*p != '}') {
        struct metrics_label l = { 0 };

        l.name = take_name(&p);
        if (!l.name || *p != '=' || p[1] != '"') {
            free(l.name);
            return -EINVAL;
        }
        p += 2;
        l.value = take_value(&p);
        if (!l.value) {
            free(l.name);
            return -EINVAL;
        }
        xgrow(&m->labels, &cap, m->n_labels, sizeof(*m->labels));
        m->labels[m->n_labels++] = l;
        if (*p == ',')
            p++;
        else if (*p != '}')
            return -EINVAL;
    }
    *s = p + 1;
    return 0;
}

/* "NaN", "+Inf", "-Inf" or a number, then an optional timestamp. */
static int
take_number(const char *p, double *ret)
{
    const char *end;

    p += strspn(p, " \t");
    if (strncmp(p, "+Inf", 4) == 0 || strncmp(p, "-Inf", 4) == 0) {
        *ret = p[0] == '+' ? INFINITY : -INFINITY;
        end = p + 4;
    } else if (strncmp(p, "NaN", 3) == 0) {
        *ret = NAN;
        end = p + 3;
    } else {
        char *e;

        errno = 0;
        *ret = strtod(p, &e);
        if (e == p || errno == ERANGE)
            return -EINVAL;
        end = e;
    }
    end += strspn(end, " \t");
    if (*end == '-')
        end++;
    end += strspn(end, "0123456789"); /* the timestamp, ignored */
    return *end == '\0' ? 0 : -EINVAL;
}

static int
parse_line(const char *line, struct metrics_sample *ret)
{
    struct metrics_sample m = { 0 };
    const char *p = line;
    int r = 0;

    m.name = take_name(&p);
    if (!m.name)
        r = -EINVAL;
    if (r == 0 && *p == '{') {
        p++;
        r = take_labels(&p, &m);
    }
    if (r == 0 && *p != ' ' && *p != '\t')
        r = -EINVAL;
    if (r == 0)
        r = take_number(p, &m.value);
    if (r < 0) {
        sample_clear(&m);
        return r;
    }
    *ret = m;
    return 0;
}

void
metrics_file_clear(struct metrics_file *f)
{
    for (size_t i = 0; i < f->n; i++)
        sample_clear(&f->v[i]);
    free(f->v);
    *f = (struct metrics_file){ 0 };
}

int
metrics_parse(const char *name, const char *buf, struct metrics_file *ret,
              struct errbuf *eb)
{
    struct metrics_file f = { 0 };
    size_t cap = 0;
    unsigned lineno = 0;

    for (const char *p = buf; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        _cleanup_free_ char *line = xstrndup(p, len);

        lineno++;
        p += len + (nl ? 1 : 0);
        if (line[strspn(line, " \t")] == '\0' || line[0] == '#')
            continue;
        xgrow(&f.v, &cap, f.n, sizeof(*f.v));
        if (parse_line(line, &f.v[f.n]) < 0) {
            metrics_file_clear(&f);
            return errbuf_set(eb, -EINVAL, "%s:%u: not a metric sample", name,
                              lineno);
        }
        f.n++;
    }
    *ret = f;
    return 0;
}

int
metrics_load(const char *path, struct metrics_file *ret, struct errbuf *eb)
{
    _cleanup_free_ char *buf = NULL;
    int r = textfile_read_text(path, METRICS_FILE_MAX, &buf, eb);

    if (r < 0)
        return r;
    return metrics_parse(path, buf, ret, eb);
}

const struct metrics_sample *
metrics_find(const struct metrics_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].name, name) == 0)
            return &f->v[i];
    return NULL;
}

const char *
metrics_label(const struct metrics_sample *s, const char *name)
{
    for (size_t i = 0; i < s->n_labels; i++)
        if (strcmp(s->labels[i].name, name) == 0)
            return s->labels[i].value;
    return NULL;
}

static bool
same_labels(const struct metrics_sample *a, const struct metrics_sample *b)
{
    if (a->n_labels != b->n_labels)
        return false;
    for (size_t i = 0; i < a->n_labels; i++) {
        const char *v = metrics_label(b, a->labels[i].name);

        if (!v || strcmp(v, a->labels[i].value) != 0)
            return false;
    }
    return true;
}

const struct metrics_sample *
metrics_find_like(const struct metrics_file *f, const char *name,
                  const struct metrics_sample *like)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].name, name) == 0 && same_labels(&f->v[i], like))
            return &f->v[i];
    return NULL;
}
