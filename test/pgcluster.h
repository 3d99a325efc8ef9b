/*
 * pgcluster.h - PostgreSQL for the production-shaped Placement of the tests:
 * one cluster per test binary, a fresh database per server.
 *
 * The first pgcluster_create_db() of a test binary starts the binary's
 * cluster: test/pgcluster.py, detached, copies a stopped template cluster
 * (built once per build tree in $VGPU_PLACEMENT_PG_TEMPLATE, or in place
 * when that is unset) into a temporary directory and runs PostgreSQL 15
 * there on a unix socket, as the user `postgres` when the tests run as
 * root.  It stops PostgreSQL and removes the directory when the binary's
 * Criterion runner exits (or, outside Criterion, the process that started
 * it), however it exits.  Later tests of the binary find it through that
 * directory, whose name derives from the runner's pid and start time.
 *
 * A database costs one CREATE DATABASE ... TEMPLATE of the template's
 * placement_template, which holds Placement's schema and standard traits:
 * no migrations run per test, and no two processes ever run them at once.
 *
 * Everything here aborts the current test (cr_assert) on failure.
 */
#pragma once

#define PGCLUSTER_DB_NAME_MAX 64

/* Create a fresh database; its name goes to name.  Returns the SQLAlchemy
 * URL Placement's [placement_database] connection takes; free() it. */
char *pgcluster_create_db(char name[PGCLUSTER_DB_NAME_MAX]);

/* Drop a database created above, closing its connections; a no-op for "".
 * Never fails the test: a database left over goes with the cluster. */
void pgcluster_drop_db(const char *name);
