/*
 * fuzz.h - what every libFuzzer target in test/fuzz/ shares.
 *
 * A target is one fuzz-<name>.c defining LLVMFuzzerTestOneInput().  It is
 * built twice: by `make fuzz` (test/fuzz/run-fuzz.sh) with clang's
 * -fsanitize=fuzzer, and by `make check` with replay.c's main(), which feeds
 * it the seed corpus and every saved crash, so a crash once found stays a
 * regression test under any compiler and sanitizer.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point: 0 always (a bug shows as a sanitizer report or
 * an abort, never as a return value). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
