/*
 * keystone-internal.h - what keystone-server.c (the process: start, stop,
 * the binary's shared server) and keystone-admin.c (its REST API as the
 * bootstrap admin: catalog, users, tokens) share.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define ADMIN_PASSWORD "ks-admin-Secret-7"

struct keystone_server {
    bool attached; /* the binary's shared server: not ours to stop */
    pid_t pid;     /* also the process group id; -1 while down */
    int port;      /* 0 until the first start */
    char *dir;     /* temporary directory: conf, db, keys, log */
    char *url;     /* http://127.0.0.1:PORT/v3 */
    char *admin_token;
};

/* Fail the current test (in the shared server's keeper: say why and
 * idle); a server being started is stopped first. */
void keystone_server_fail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* The catalog and the names the tests rely on. */
void keystone_admin_seed(struct keystone_server *ks);

/* GET /v3 answers 200. */
bool keystone_admin_answers(struct keystone_server *ks);

/* The id of the service of that type, created (named after the type) when
 * there is none; free() it. */
char *keystone_admin_service_id(struct keystone_server *ks, const char *type);
