/*
 * test-yamldoc.c - loading YAML, walking it, and "file:line:column" messages.
 *
 * Inputs are the files in test/data/yamldoc (via $VGPU_TEST_DATA); files
 * that must be written (the size cap) go to a mkdtemp() directory.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "cleanup.h"
#include "errbuf.h"
#include "fixture.h"
#include "xalloc.h"
#include "yamldoc.h"

/* Criterion's eq(str, ...) and eq(ptr, ...) take non-const pointers. */
static char *
unconst(const char *s)
{
    return (char *)(uintptr_t)s;
}
#define SCALAR(n) unconst(yamldoc_scalar(n))

static char *
data_path(const char *name)
{
    const char *dir = getenv("VGPU_TEST_DATA");

    cr_assert(dir != NULL, "VGPU_TEST_DATA is not set");
    return xasprintf("%s/yamldoc/%s", dir, name);
}

/* "<path>:<rest>", the message a file's error should read. */
static char *
at(const char *path, const char *rest)
{
    return xasprintf("%s:%s", path, rest);
}

static char *
where(struct yamldoc *d, const yaml_node_t *n)
{
    char buf[4096];

    return xstrdup(yamldoc_where(d, n, buf, sizeof(buf)));
}

#define cr_assert_where(d, n, expect)                                          \
    do {                                                                       \
        _cleanup_free_ char *w_ = where(d, n);                                 \
        _cleanup_free_ char *e_ = at((d)->path, expect);                       \
        cr_assert(eq(str, w_, e_));                                            \
    } while (0)

/* Load name from test/data/yamldoc, expecting failure: returns the message. */
static void
load_fails(const char *name, int code, const char *rest)
{
    _cleanup_free_ char *path = data_path(name);
    _cleanup_free_ char *msg = at(path, rest);
    static struct yamldoc sentinel;
    struct yamldoc *d = &sentinel; /* must stay untouched */
    struct errbuf eb = { 0 };

    cr_assert(eq(int, yamldoc_load_file(path, &d, &eb), code), "%s", eb.msg);
    cr_assert(eq(str, eb.msg, msg));
    cr_assert(eq(int, eb.code, code));
    cr_assert(eq(ptr, d, &sentinel), "*ret written on failure");
}

/* --- a good file: lookups and positions ----------------------------------- */

static struct yamldoc *doc;
static yaml_node_t *root;

static void
load_sample(void)
{
    _cleanup_free_ char *path = data_path("sample.yaml");
    struct errbuf eb = { 0 };

    cr_assert(eq(int, yamldoc_load_file(path, &doc, &eb), 0), "%s", eb.msg);
    root = yamldoc_root(doc);
    cr_assert(root != NULL);
}

static void
free_sample(void)
{
    yamldoc_free(doc);
}

TestSuite(yamldoc, .init = load_sample, .fini = free_sample);

Test(yamldoc, root_of_a_mapping_file_is_a_mapping_where_its_first_key_is)
{
    cr_assert(eq(int, root->type, YAML_MAPPING_NODE));
    cr_assert(ne(ptr, strstr(doc->path, "yamldoc/sample.yaml"), NULL));
    cr_assert_where(doc, root, "2:1");
}

Test(yamldoc, get_returns_scalar_values_as_written)
{
    cr_assert(eq(str, SCALAR(yamldoc_get(doc, root, "interval")), "60"));
    cr_assert(eq(str, SCALAR(yamldoc_get(doc, root, "name")), "quoted string"));
    cr_assert(eq(str, SCALAR(yamldoc_get(doc, root, "empty")), ""));
}

Test(yamldoc, get_of_a_missing_key_is_null)
{
    cr_assert(eq(ptr, yamldoc_get(doc, root, "nope"), NULL));
    cr_assert(eq(ptr, yamldoc_get(doc, root, "Interval"), NULL));
    cr_assert(eq(ptr, yamldoc_get(doc, root, "interva"), NULL));
    cr_assert(eq(ptr, yamldoc_get(doc, root, ""), NULL));
}

Test(yamldoc, get_on_anything_but_a_mapping_is_null)
{
    yaml_node_t *scalar = yamldoc_get(doc, root, "interval");
    yaml_node_t *seq = yamldoc_get(doc, root, "gpus");

    cr_assert(eq(int, seq->type, YAML_SEQUENCE_NODE));
    cr_assert(eq(ptr, yamldoc_get(doc, scalar, "interval"), NULL));
    cr_assert(eq(ptr, yamldoc_get(doc, seq, "address"), NULL));
    cr_assert(eq(ptr, yamldoc_get(doc, NULL, "interval"), NULL));
}

Test(yamldoc, scalar_of_a_collection_or_null_is_null)
{
    cr_assert(eq(ptr, SCALAR(root), NULL));
    cr_assert(eq(ptr, SCALAR(yamldoc_get(doc, root, "gpus")), NULL));
    cr_assert(eq(ptr, SCALAR(NULL), NULL));
}

Test(yamldoc, sequence_items_are_reached_through_yamldoc_node)
{
    yaml_node_t *seq = yamldoc_get(doc, root, "gpus");
    yaml_node_item_t *items = seq->data.sequence.items.start;
    yaml_node_t *first, *second;

    cr_assert(eq(long, seq->data.sequence.items.top - items, 2));
    first = yamldoc_node(doc, items[0]);
    second = yamldoc_node(doc, items[1]);
    cr_assert(
        eq(str, SCALAR(yamldoc_get(doc, first, "address")), "0000:84:00.0"));
    cr_assert(eq(str, SCALAR(yamldoc_get(doc, first, "type")), "nvidia-35"));
    cr_assert(
        eq(str, SCALAR(yamldoc_get(doc, second, "address")), "0000:85:00.0"));
    cr_assert(eq(ptr, yamldoc_get(doc, second, "type"), NULL));
    cr_assert(eq(ptr, yamldoc_node(doc, 0), NULL));
    cr_assert(eq(ptr, yamldoc_node(doc, 100000), NULL));
}

Test(yamldoc, where_gives_1_based_line_and_column_of_each_node)
{
    yaml_node_t *seq = yamldoc_get(doc, root, "gpus");
    yaml_node_t *first = yamldoc_node(doc, seq->data.sequence.items.start[0]);
    yaml_node_t *nested = yamldoc_get(doc, root, "nested");

    cr_assert_where(doc, yamldoc_get(doc, root, "interval"), "2:11");
    cr_assert_where(doc, seq, "7:3");
    cr_assert_where(doc, first, "7:5");
    cr_assert_where(doc, yamldoc_get(doc, first, "type"), "8:11");
    cr_assert_where(doc, yamldoc_get(doc, root, "nulls"), "10:8");
    cr_assert_where(doc,
                    yamldoc_get(doc, yamldoc_get(doc, nested, "deeper"), "key"),
                    "13:10");
}

Test(yamldoc, where_of_no_node_is_just_the_path)
{
    _cleanup_free_ char *w = where(doc, NULL);

    cr_assert(eq(str, w, doc->path));
}

Test(yamldoc, where_truncates_to_the_buffer)
{
    char buf[8];

    cr_assert(
        eq(ptr, unconst(yamldoc_where(doc, root, buf, sizeof(buf))), buf));
    cr_assert(eq(sz, strlen(buf), sizeof(buf) - 1));
}

Test(yamldoc, is_null_is_true_only_for_plain_null_spellings)
{
    static const struct {
        char text[8];
        bool null;
    } expect[] = {
        { "null", true },  { "Null", true },  { "NULL", true },
        { "~", true },     { "null", false },                 /* "null" */
        { "null", false },                                    /* 'null' */
        { "", false },                                        /* "" */
        { "nil", false },  { "NuLL", false }, { "~", false }, /* "~" */
    };
    yaml_node_t *seq = yamldoc_get(doc, root, "nulls");
    yaml_node_item_t *items = seq->data.sequence.items.start;

    cr_assert(
        eq(long, seq->data.sequence.items.top - items, (long)NELEM(expect)));
    for (size_t i = 0; i < NELEM(expect); i++) {
        yaml_node_t *n = yamldoc_node(doc, items[i]);

        cr_assert(eq(str, SCALAR(n), unconst(expect[i].text)), "item %zu", i);
        cr_assert(eq(int, yamldoc_is_null(n), expect[i].null), "item %zu", i);
    }
    cr_assert(yamldoc_is_null(yamldoc_get(doc, root, "empty")));
    cr_assert(yamldoc_is_null(yamldoc_get(doc, root, "tilde")));
    cr_assert(not(yamldoc_is_null(yamldoc_get(doc, root, "interval"))));
    cr_assert(not(yamldoc_is_null(root)));
    cr_assert(not(yamldoc_is_null(NULL)));
}

/* --- files that do not load ---------------------------------------------- */

TestSuite(yamldoc_errors);

Test(yamldoc_errors, an_empty_file_is_a_document_without_root)
{
    _cleanup_free_ char *path = data_path("empty.yaml");
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, yamldoc_load_file(path, &d, &eb), 0), "%s", eb.msg);
    cr_assert(d != NULL);
    cr_assert(eq(ptr, yamldoc_root(d), NULL));
    cr_assert(eq(ptr, yamldoc_get(d, yamldoc_root(d), "x"), NULL));
    cr_assert(eq(str, d->path, path));
}

Test(yamldoc_errors, a_missing_file_is_enoent_and_names_the_path)
{
    load_fails("missing.yaml", -ENOENT, " No such file or directory");
}

Test(yamldoc_errors, a_directory_is_eisdir_and_names_the_path)
{
    _cleanup_free_ char *dir = data_path("");
    struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };
    char msg[4096];

    cr_assert(eq(int, yamldoc_load_file(dir, &d, &eb), -EISDIR), "%s", eb.msg);
    snprintf(msg, sizeof(msg), "%s: Is a directory", dir);
    cr_assert(eq(str, eb.msg, msg));
}

Test(yamldoc_errors, a_syntax_error_reads_path_line_column_problem)
{
    load_fails("syntax-error.yaml", -EINVAL,
               "5:9: did not find expected ',' or ']'"
               " while parsing a flow sequence");
}

Test(yamldoc_errors, invalid_utf8_is_reported_where_it_is_not_at_1_1)
{
    load_fails("bad-utf8.yaml", -EINVAL, "2:14: invalid leading UTF-8 octet");
}

Test(yamldoc_errors, a_second_document_is_refused_not_ignored)
{
    load_fails("two-documents.yaml", -EINVAL,
               "2:1: more than one YAML document");
}

Test(yamldoc_errors, a_null_errbuf_still_gets_the_code)
{
    _cleanup_free_ char *path = data_path("syntax-error.yaml");
    struct yamldoc *d = NULL;

    cr_assert(eq(int, yamldoc_load_file(path, &d, NULL), -EINVAL));
    cr_assert(eq(ptr, d, NULL));
}

/* --- the size cap --------------------------------------------------------- */

static char *tmpdir;

static void
make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");

    tmpdir = xasprintf("%s/test-yamldoc-XXXXXX", base && *base ? base : "/tmp");
    cr_assert(mkdtemp(tmpdir) != NULL, "mkdtemp %s", tmpdir);
}

static void
remove_tmpdir(void)
{
    _cleanup_free_ char *f = xasprintf("%s/big.yaml", tmpdir);

    unlink(f);
    rmdir(tmpdir);
    free(tmpdir);
}

/* A valid document of exactly size bytes: "a: 1\n#xxx...\n". */
static char *
write_doc_of_size(size_t size)
{
    char *path = xasprintf("%s/big.yaml", tmpdir);
    _cleanup_free_ char *buf = xmalloc(size);
    _cleanup_fclose_ FILE *f = fopen(path, "we");

    cr_assert(f != NULL, "%s", path);
    memcpy(buf, "a: 1\n#", 6);
    memset(buf + 6, 'x', size - 7);
    buf[size - 1] = '\n';
    cr_assert(eq(sz, fwrite(buf, 1, size, f), size));
    return path;
}

TestSuite(yamldoc_size, .init = make_tmpdir, .fini = remove_tmpdir);

Test(yamldoc_size, a_file_of_exactly_the_cap_loads)
{
    _cleanup_free_ char *path = write_doc_of_size(YAMLDOC_FILE_MAX);
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, yamldoc_load_file(path, &d, &eb), 0), "%s", eb.msg);
    cr_assert(eq(str, SCALAR(yamldoc_get(d, yamldoc_root(d), "a")), "1"));
}

Test(yamldoc_size, a_file_one_byte_over_the_cap_is_efbig)
{
    _cleanup_free_ char *path = write_doc_of_size(YAMLDOC_FILE_MAX + 1);
    _cleanup_free_ char *msg = at(path, " larger than 1048576 bytes");
    struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, yamldoc_load_file(path, &d, &eb), -EFBIG));
    cr_assert(eq(str, eb.msg, msg));
    cr_assert(eq(ptr, d, NULL));
}

Test(yamldoc_size, a_buffer_over_the_cap_is_efbig)
{
    _cleanup_free_ char *buf = xcalloc(1, YAMLDOC_FILE_MAX + 2);
    struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };

    memset(buf, '#', YAMLDOC_FILE_MAX + 1);
    cr_assert(eq(int,
                 yamldoc_load_buf("big", buf, YAMLDOC_FILE_MAX + 1, &d, &eb),
                 -EFBIG));
    cr_assert(eq(str, eb.msg, "big: larger than 1048576 bytes"));
}

/* --- from memory: a table of documents and their messages ----------------- */

struct buf_case {
    char yaml[64];
    int r;
    char msg[96]; /* after "mem:" */
};

ParameterizedTestParameters(yamldoc_buf, loads_or_says_where_and_why)
{
    static struct buf_case cases[] = {
        { "", 0, "" },
        { "# only a comment\n", 0, "" },
        { "a: 1\n...\n", 0, "" },      /* an explicit end is one document */
        { "---\na: 1\n", 0, "" },      /* so is an explicit start */
        { "a: 1\r\nb: 2\r\n", 0, "" }, /* CRLF */
        { "a: 1\nb: [1, 2\n", -EINVAL,
          "3:1: did not find expected ',' or ']' while parsing a flow "
          "sequence" },
        { "a: 1\n  b: 2\n", -EINVAL,
          "2:4: mapping values are not allowed in this context" },
        { "a: *nope\n", -EINVAL, "1:4: found undefined alias" },
        { "key: \"open\n", -EINVAL,
          "2:1: found unexpected end of stream while scanning a quoted "
          "scalar" },
        { "a: 1\nb: \x01\n", -EINVAL,
          "2:4: control characters are not allowed" },
        { "\xc3\xa9: \x07\n", -EINVAL,
          "1:4: control characters are not allowed" }, /* columns count chars */
        { "a: 1\r\nb: \xff\n", -EINVAL, "2:4: invalid leading UTF-8 octet" },
        { "a: 1\n---\n", -EINVAL, "2:1: more than one YAML document" },
        { "a: 1\n---\nb: : :\n", -EINVAL,
          "3:4: mapping values are not allowed in this context" },
    };

    return cr_make_param_array(struct buf_case, cases, NELEM(cases));
}

ParameterizedTest(struct buf_case *c, yamldoc_buf, loads_or_says_where_and_why)
{
    struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };
    int r = yamldoc_load_buf("mem", c->yaml, strlen(c->yaml), &d, &eb);

    cr_assert(eq(int, r, c->r), "yaml \"%s\": %s", c->yaml, eb.msg);
    if (r == 0) {
        cr_assert(d != NULL);
        cr_assert(eq(str, d->path, "mem"));
        cr_assert(eq(str, eb.msg, ""));
        yamldoc_free(d);
    } else {
        char msg[128];

        snprintf(msg, sizeof(msg), "mem:%s", c->msg);
        cr_assert(eq(str, eb.msg, msg), "yaml \"%s\"", c->yaml);
        cr_assert(eq(ptr, d, NULL));
    }
}

Test(yamldoc_buf, a_comment_only_document_has_no_root)
{
    static const char yaml[] = "# nothing\n\n";
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;

    cr_assert(
        eq(int, yamldoc_load_buf("mem", yaml, strlen(yaml), &d, NULL), 0));
    cr_assert(eq(ptr, yamldoc_root(d), NULL));
}

Test(yamldoc_buf, only_len_bytes_are_read)
{
    static const char yaml[] = "a: 1\nb: [oops";
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, yamldoc_load_buf("mem", yaml, 5, &d, &eb), 0), "%s",
              eb.msg);
    cr_assert(eq(ptr, yamldoc_get(d, yamldoc_root(d), "b"), NULL));
}

Test(yamldoc_buf, a_repeated_key_loads_and_get_returns_the_first)
{
    /* Rejecting it is the caller's call: conf.c reports "first at". */
    static const char yaml[] = "a: 1\nb: 2\na: 3\n";
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, yamldoc_load_buf("mem", yaml, strlen(yaml), &d, &eb), 0),
              "%s", eb.msg);
    cr_assert(eq(str, SCALAR(yamldoc_get(d, yamldoc_root(d), "a")), "1"));
}

Test(yamldoc_buf, a_scalar_root_is_allowed)
{
    static const char yaml[] = "~\n";
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;

    cr_assert(
        eq(int, yamldoc_load_buf("mem", yaml, strlen(yaml), &d, NULL), 0));
    cr_assert(yamldoc_is_null(yamldoc_root(d)));
    cr_assert(eq(ptr, yamldoc_get(d, yamldoc_root(d), "a"), NULL));
}

/* What every caller does: a failed load leaves its _cleanup_ pointer NULL,
 * and freeing that on the way out must do nothing. */
Test(yamldoc_buf, a_failed_load_leaves_null_and_freeing_null_does_nothing)
{
    _cleanup_(yamldoc_freep) struct yamldoc *d = NULL;
    struct errbuf eb = { 0 };

    cr_assert(eq(int, yamldoc_load_buf("mem", "a: [b\n", 6, &d, &eb), -EINVAL),
              "%s", eb.msg);
    cr_assert(eq(ptr, d, NULL), "*ret written on failure");
    yamldoc_free(d);
}
