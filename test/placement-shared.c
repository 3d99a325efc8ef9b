/*
 * placement-shared.c - the binary's one Placement and a client of its own.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cleanup.h"
#include "placement-shared.h"
#include "testproc.h"
#include "xalloc.h"

/* placement_server_start() reports a failure with cr_assert, which outside
 * a test only aborts: say what was going on. */
static void
start_aborted(int sig)
{
    static const char msg[] =
        "placement-shared: the binary's Placement server did not start; "
        "test/test-http shows why with the server's log\n";

    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

struct placement_server *
placement_shared_start(void)
{
    struct placement_server *srv;

    if (getenv(PLACEMENT_SHARED_URL_ENV))
        return NULL;
    signal(SIGABRT, start_aborted);
    srv = placement_server_start();
    signal(SIGABRT, SIG_DFL);
    setenv(PLACEMENT_SHARED_URL_ENV, placement_server_url(srv), 1);
    return srv;
}

const char *
placement_shared_url(void)
{
    const char *url = getenv(PLACEMENT_SHARED_URL_ENV);

    cr_assert(url != NULL,
              PLACEMENT_SHARED_URL_ENV " is not set (main() sets it)");
    return url;
}

char *
placement_shared_call(const char *method, const char *path, const char *body,
                      long *ret_status)
{
    _cleanup_free_ char *url = xasprintf("%s%s", placement_shared_url(), path);
    struct curl_slist *h = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    CURL *c = curl_easy_init();
    CURLcode rc;

    cr_assert(c != NULL && mem != NULL);
    h = curl_slist_append(h, "X-Auth-Token: admin");
    h = curl_slist_append(h, "OpenStack-API-Version: placement 1.39");
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body || !strcmp(method, "PUT") || !strcmp(method, "POST"))
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, testproc_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)mem);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    fclose(mem);
    cr_assert(rc == CURLE_OK, "%s %s: %s", method, path,
              curl_easy_strerror(rc));
    return buf;
}

cJSON *
placement_shared_json(const char *path)
{
    long status = 0;
    _cleanup_free_ char *body =
        placement_shared_call("GET", path, NULL, &status);
    cJSON *j = cJSON_Parse(body);

    cr_assert(status == 200 && j != NULL, "GET %s: %ld %s", path, status, body);
    return j;
}

void
placement_shared_must(const char *method, const char *path, const char *body,
                      long want)
{
    long status = 0;
    _cleanup_free_ char *got =
        placement_shared_call(method, path, body, &status);

    cr_assert(eq(long, status, want), "%s %s: %s", method, path, got);
}
