/*
 * promcheck.h - judge a metrics file with Prometheus's own parser.
 *
 * Runs test/metrics-check.py (python3-prometheus-client's text parser, as
 * node_exporter's textfile collector would read the file) and returns the
 * samples it saw, so a test compares the agent's output with an
 * independent reading of it.  Aborts the test (cr_assert) when the file does
 * not parse or breaks a naming rule.
 */
#pragma once

#include <cjson/cJSON.h>

/* An array of {"name", "labels": {...}, "value", "type"}, one per sample;
 * cJSON_Delete() it. */
cJSON *promcheck(const char *path);
/* The value of the first sample called name whose labels include
 * label=value (label NULL: any sample called name); -1 when there is none. */
double promcheck_value(const cJSON *samples, const char *name,
                       const char *label, const char *value);
