/*
 * typedesc.h - parse vendor mdev type descriptions, leniently.
 *
 * NVIDIA writes one line of "key=value, key=value" ("num_heads=4,
 * frl_config=60, framebuffer=2048M, max_resolution=7680x4320,
 * max_instance=4"); Intel GVT-g writes lines of "key: value".  Every
 * well-formed pair is kept in `pairs` ("key=value"); the fields the agent
 * uses are decoded when valid and left 0 otherwise.  Nothing here fails.
 */
#pragma once

#include <stdbool.h>

#include "strv.h"

struct type_desc {
    unsigned num_heads; /* 0: unknown */
    unsigned max_res_w; /* max_resolution WxH; 0: unknown */
    unsigned max_res_h;
    unsigned max_instance;   /* 0: unknown */
    unsigned framebuffer_mb; /* framebuffer=2048M / high_gm_size: 512MB */
    struct strv pairs;       /* every "key=value" found, in order */
};

/* Parse text (NULL is ""); *ret is overwritten, so typedesc_clear() one
 * that holds pairs first. */
void typedesc_parse(const char *text, struct type_desc *ret);
/* Free the pairs and zero d; NULL is a no-op. */
void typedesc_clear(struct type_desc *d);
