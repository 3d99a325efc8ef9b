/*
 * http-internal.h - what src/http*.c share; nothing else includes it.
 *
 * http.c: the client, the transfers' set-up and the batches on one multi
 * handle.  http-answer.c: what comes back: the body and headers as they
 * arrive, and a finished transfer turned into the request's answer or
 * error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "http.h"

struct http {
    CURLM *multi;
    char *base_url;     /* no trailing '/' */
    char *token_header; /* "X-Auth-Token: ..." or NULL */
    char *cacert;
    bool insecure;
    long timeout_s;
    size_t max_response;
};

/* One request in flight. */
struct xfer {
    const struct http *h;
    struct http_req *req;
    CURL *easy;
    struct curl_slist *headers;
    char *url;
    char *buf; /* body so far, NUL-terminated */
    size_t len, cap, max;
    bool too_big;
    char *request_id;
    char *subject_token;
    double retry_after_s;
    char error[CURL_ERROR_SIZE];
};

/* libcurl's write and header callbacks; userdata is the struct xfer. */
size_t http_on_body(char *data, size_t size, size_t nmemb, void *userdata);
size_t http_on_header(char *data, size_t size, size_t nitems, void *userdata);
/* Turn a finished transfer into the request's rc/eb/resp. */
void http_xfer_finish(struct xfer *x, CURLcode result);
