/*
 * testsecrets.h - the secrets the test suite gives the agent, in one place.
 *
 * Every test that hands the agent a token uses TEST_TOKEN (or
 * TEST_WRONG_TOKEN for "Placement refuses it"), so test/test-secrets can
 * grep everything the agent printed during `make check` (agent-output.log,
 * written by test/agentrun.c) for each string of TEST_SECRETS.  A new secret
 * (a Keystone password, ...) goes into TEST_SECRETS as well.
 */
#pragma once

/* Placement's noauth2 reads "USER:PROJECT": user "admin" gets the admin
 * role; the project part makes the string one nothing else prints. */
#define TEST_TOKEN "admin:vgpu-test-token-7c41e9d2"

/* Not admin: Placement answers 403. */
#define TEST_WRONG_TOKEN "vgpu-wrong-token-3b8d52f0"

/* The Keystone password of the agent's user in test-keystone-e2e, and one
 * that Keystone refuses. */
#define TEST_KEYSTONE_PASSWORD "agent-Pw-q7Zr2"
#define TEST_KEYSTONE_WRONG_PASSWORD "wrong-Pw-x4Kd9"

/* Every secret above, NULL-terminated: { TEST_SECRETS, NULL }. */
#define TEST_SECRETS                                                           \
    TEST_TOKEN, TEST_WRONG_TOKEN, TEST_KEYSTONE_PASSWORD,                      \
        TEST_KEYSTONE_WRONG_PASSWORD

/* Where test/agentrun.c appends every byte the agent printed, relative to
 * $VGPU_BUILDDIR; `make check` truncates it first. */
#define TEST_AGENT_OUTPUT_LOG "test/agent-output.log"

/* Fail the test when text contains one of secrets (NULL-terminated); what
 * names the text in the message ("stderr"). */
void testsecrets_assert_absent(const char *what, const char *text,
                               const char *const *secrets);
