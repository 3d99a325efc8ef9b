/*
 * golden.h - compare output with a golden file under $VGPU_TEST_DATA.
 *
 * VGPU_TEST_REGENERATE=1 rewrites the golden file instead (review the diff
 * with git before committing it).
 */
#pragma once

/* Assert that actual equals the file test/data/<rel>. */
void golden_assert(const char *rel, const char *actual);
