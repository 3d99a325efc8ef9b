/*
 * placement-server-internal.h - what test/placement-server.c (starting and
 * stopping the server) and placement-server-client.c (talking to it) share.
 */
#pragma once

#include <curl/curl.h>
#include <sys/types.h>

#include "pgcluster.h"
#include "placement-server.h"

struct placement_server {
    enum placement_server_kind kind; /* never _DEFAULT */
    bool keepalive;                  /* uwsgi: --http11-socket */
    int processes, threads;          /* uwsgi: 0 for the ini's */
    pid_t pid; /* also the process group id; -1 while killed */
    char *dir; /* temporary directory: conf, log (and sqlite's db) */
    char *url;
    int port;
    char db[PGCLUSTER_DB_NAME_MAX]; /* uwsgi: the PostgreSQL database */
    struct token_client *auth;      /* NULL: noauth2 */
};

/* The client's side of keystone auth: mutable even through the const
 * server pointer the query helpers take. */
struct token_client {
    struct keystone_server *ks;
    char *token; /* what call_raw() sends as X-Auth-Token; NULL: none yet */
};

/* One request; transport errors give status 0 and the message in err.
 * Returns the body; free() it. */
char *placement_server_call_raw(const struct placement_server *s,
                                const char *method, const char *path,
                                const char *body, long *ret_status,
                                char err[CURL_ERROR_SIZE]);
