/*
 * test-conf-token.c - agent.yaml: the Placement token from the config, a
 * token_file or the environment, the modes the files must have, and no
 * message that ever shows the token.  Part of the test-conf binary
 * (test/testconf.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fixture.h"
#include "testconf.h"
#include "xalloc.h"

/* --- the token: token_file, file modes, the environment ---------------- */

Test(conf, token_file_gives_its_first_line_as_the_token)
{
    _cleanup_free_ char *tok = tmp_file("token", "gAAAA-tok_1\nrest\n", 0600);
    _cleanup_free_ char *path = conf_with_token_file(tok);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(str, conf->placement.token, "gAAAA-tok_1"));
    cr_assert(eq(str, conf->placement.token_file, tok));
}

Test(conf, token_file_without_newline_and_read_only_is_fine)
{
    _cleanup_free_ char *tok = tmp_file("token", "admin", 0400);
    _cleanup_free_ char *path = conf_with_token_file(tok);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(str, conf->placement.token, "admin"));
}

/* Arrays, not pointers: Criterion hands parameters to a new process. */
struct bad_token_file {
    char text[64];
    unsigned mode;
    char error[160]; /* after "FILE:2:15: placement.token_file: TOKFILE" */
};

static struct bad_token_file bad_token_files[] = {
    { "admin\n", 0644, " contains a secret but is mode 0644; chmod 600 it" },
    { "admin\n", 0640, " contains a secret but is mode 0640; chmod 600 it" },
    { "admin\n", 0620, " contains a secret but is mode 0620; chmod 600 it" },
    { "admin\n", 0602, " contains a secret but is mode 0602; chmod 600 it" },
    { "", 0600, ": the token is empty" },
    { "\nadmin\n", 0600, ": the token is empty" },
    { "ad min\n", 0600,
      ": the token must be printable ASCII without spaces (value not "
      "shown)" },
    { "admin\r\n", 0600,
      ": the token must be printable ASCII without spaces (value not "
      "shown)" },
};

ParameterizedTestParameters(conf, a_bad_token_file_names_the_file)
{
    return cr_make_param_array(struct bad_token_file, bad_token_files,
                               NELEM(bad_token_files));
}

ParameterizedTest(struct bad_token_file *b, conf,
                  a_bad_token_file_names_the_file)
{
    _cleanup_free_ char *tok = tmp_file("token", b->text, b->mode);
    _cleanup_free_ char *path = conf_with_token_file(tok);
    _cleanup_free_ char *want =
        xasprintf("%s:2:15: placement.token_file: %s%s", path, tok, b->error);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -EINVAL));
    cr_assert(eq(ptr, conf, NULL));
    cr_assert(eq(sz, errors.n, 1), "first: %s", errors.v[0]);
    cr_assert(eq(str, errors.v[0], want));
}

/* Arrays, not pointers: Criterion hands parameters to a new process. */
struct odd_token_file {
    char what[16];  /* "missing", "directory", "huge" */
    char error[64]; /* after "FILE:2:15: placement.token_file: TOKFILE" */
};

ParameterizedTestParameters(conf,
                            a_missing_or_odd_token_file_is_an_error_naming_it)
{
    static struct odd_token_file cases[] = {
        { "missing", ": No such file or directory" },
        { "directory", " is not a regular file" },
        { "huge", ": the token is longer than 8192 bytes" },
    };

    return cr_make_param_array(struct odd_token_file, cases, NELEM(cases));
}

ParameterizedTest(struct odd_token_file *c, conf,
                  a_missing_or_odd_token_file_is_an_error_naming_it)
{
    _cleanup_free_ char *tok = NULL, *path = NULL, *want = NULL;

    if (strcmp(c->what, "missing") == 0) {
        tok = xstrdup("/nonexistent/token");
    } else if (strcmp(c->what, "directory") == 0) {
        tok = tmp_file("tokdir", NULL, 0700);
    } else {
        _cleanup_free_ char *big = xmalloc(9000);

        memset(big, 'x', 8999);
        big[8999] = '\0';
        tok = tmp_file("huge", big, 0600);
    }
    path = conf_with_token_file(tok);
    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -EINVAL));
    want =
        xasprintf("%s:2:15: placement.token_file: %s%s", path, tok, c->error);
    cr_assert(eq(str, errors.v[0], want));
}

Test(conf, a_config_file_holding_the_token_must_be_private)
{
    _cleanup_free_ char *path = tmp_file(
        "agent.yaml", "node_name: n\nplacement:\n  token: admin\n", 0644);
    _cleanup_free_ char *want = xasprintf(
        "%s:3:3: placement.token: %s contains a secret but is mode 0644; "
        "chmod 600 it",
        path, path);

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), -EINVAL));
    cr_assert(eq(sz, errors.n, 1));
    cr_assert(eq(str, errors.v[0], want));
    strv_clear(&errors);
    cr_assert(eq(int, chmod(path, 0600), 0));
    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    cr_assert(eq(str, conf->placement.token, "admin"));
}

Test(conf, a_config_file_without_the_token_may_be_world_readable)
{
    _cleanup_free_ char *tok = tmp_file("token", "admin\n", 0600);
    _cleanup_free_ char *path = conf_with_token_file(tok); /* 0644 */

    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
    conf_free(TAKE_PTR(conf));
    cr_assert(eq(int, chmod(path, 0666), 0));
    cr_assert(eq(int, conf_load(path, true, &conf, &errors), 0), "%s",
              errors.n ? errors.v[0] : "");
}

Test(conf, loading_ignores_the_environment_and_apply_env_overrides)
{
    cr_assert(eq(int, setenv(CONF_TOKEN_ENV, "from-env", 1), 0));
    load_ok("placement:\n  token: from-file\n");
    cr_assert(eq(str, conf->placement.token, "from-file"));
    cr_assert(not(conf->placement.token_from_env));
    conf_apply_env(conf);
    cr_assert(eq(str, conf->placement.token, "from-env"));
    cr_assert(conf->placement.token_from_env);
}

Test(conf, apply_env_sets_a_token_the_file_has_not)
{
    cr_assert(eq(int, setenv(CONF_TOKEN_ENV, "from-env", 1), 0));
    load_ok("");
    conf_apply_env(conf);
    cr_assert(eq(str, conf->placement.token, "from-env"));
}

Test(conf, an_empty_or_unset_environment_token_changes_nothing)
{
    load_ok("placement:\n  token: from-file\n");
    cr_assert(eq(int, setenv(CONF_TOKEN_ENV, "", 1), 0));
    conf_apply_env(conf);
    cr_assert(eq(str, conf->placement.token, "from-file"));
    cr_assert(eq(int, unsetenv(CONF_TOKEN_ENV), 0));
    conf_apply_env(conf);
    cr_assert(eq(str, conf->placement.token, "from-file"));
    cr_assert(not(conf->placement.token_from_env));
}

/* Every way we know to make the loader talk about a token.  Arrays, not
 * pointers: Criterion hands parameters to a new process. */
struct token_leak {
    char text[64];
};

static void
assert_no_leak(const char *input)
{
    for (size_t i = 0; i < errors.n; i++)
        cr_assert(eq(ptr, strstr(errors.v[i], "s3cr3t"), NULL),
                  "input: %s\nmessage: %s", input, errors.v[i]);
}

ParameterizedTestParameters(conf, no_message_ever_shows_the_token)
{
    static struct token_leak token_leaks[] = {
        { "placement:\n  token: [s3cr3t-TOKEN]\n" },
        { "placement:\n  token: {s3cr3t-TOKEN: 1}\n" },
        { "placement:\n  token: \"s3cr3t-TOKEN with a space\"\n" },
        { "placement:\n  token: \"s3cr3t-TOKEN\\u0001\"\n" },
        { "placement:\n  token: \"s3cr3t-TOKEN\\u00e9\"\n" },
        { "placement:\n  token: s3cr3t-TOKEN\n  token: s3cr3t-TOKEN2\n" },
        { "placement:\n  token: s3cr3t-TOKEN\n  token_file: /nope\n" },
        { "placement:\n  token_file: /nope\n  token: s3cr3t-TOKEN\n" },
        { "placement:\n  token: s3cr3t-TOKEN\n  frobnicate: 1\n" },
        { "placement:\n  token_file: s3cr3t-TOKEN\n" },
        { "placement:\n  endpoint: http://admin:s3cr3t-TOKEN@h\n" },
        { "placement:\n  endpoint: \"http://admin:s3cr3t-TOKEN/x@h\"\n" },
        { "placement:\n  token: &t s3cr3t-TOKEN\n  cacert: *t\n" },
        { "placement:\n  token: &t s3cr3t-TOKEN\nnode_uuid: *t\n" },
        { "placement:\n  token: s3cr3t-TOKEN\n   bad: indent\n" },
        { "placement:\n  token: \"s3cr3t-TOKEN\n" },
        { "placement: {token: s3cr3t-TOKEN\n" },
        { "token: s3cr3t-TOKEN\n" },
        { "placement: s3cr3t-TOKEN\n" },
        { "placement:\n  - token: s3cr3t-TOKEN\n" },
    };

    return cr_make_param_array(struct token_leak, token_leaks,
                               NELEM(token_leaks));
}

ParameterizedTest(struct token_leak *c, conf, no_message_ever_shows_the_token)
{
    cr_assert(eq(int, load(c->text), -EINVAL), "input: %s", c->text);
    cr_assert(eq(ptr, conf, NULL));
    assert_no_leak(c->text);
}

Test(conf, no_message_from_token_files_or_modes_shows_the_token)
{
    _cleanup_free_ char *p644 = tmp_file(
        "a.yaml",
        "placement:\n  token: s3cr3t-TOKEN\n  timeout_s: s3cr3t-TOKEN\n", 0644);
    _cleanup_free_ char *open_tok = tmp_file("t1", "s3cr3t-TOKEN\n", 0644);
    _cleanup_free_ char *bad_tok = tmp_file("t2", "s3cr3t-TOKEN x\n", 0600);
    _cleanup_free_ char *c1 = conf_with_token_file(open_tok);
    _cleanup_free_ char *c2 = NULL;

    cr_assert(eq(int, conf_load(p644, true, &conf, &errors), -EINVAL));
    cr_assert(eq(sz, errors.n, 2));
    cr_assert(ne(ptr, strstr(errors.v[0], "<token>"), NULL), "%s",
              errors.v[0]); /* the alias-proof redaction at work */
    cr_assert(eq(int, conf_load(c1, true, &conf, &errors), -EINVAL));
    c2 = conf_with_token_file(bad_tok);
    cr_assert(eq(int, conf_load(c2, true, &conf, &errors), -EINVAL));
    cr_assert(eq(sz, errors.n, 4));
    assert_no_leak("the files");
}
