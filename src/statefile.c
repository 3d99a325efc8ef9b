/*
 * statefile.c - the header, reading and writing of the agent's state
 * files (see statefile.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "cleanup.h"
#include "statefile.h"
#include "textfile.h"
#include "xalloc.h"

cJSON *
statefile_new(const char *format, int version,
              const struct statefile_owner *owner)
{
    cJSON *doc = cJSON_CreateObject();

    cJSON_AddStringToObject(doc, "format", format);
    cJSON_AddNumberToObject(doc, "version", version);
    cJSON_AddStringToObject(doc, "node", owner->node);
    cJSON_AddStringToObject(doc, "placement", owner->placement);
    return doc;
}

/* The header's node and Placement are owner's. */
static int
check_owner(const cJSON *doc, const struct statefile_owner *owner,
            struct errbuf *eb)
{
    const char *node =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "node"));
    const char *placement = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(doc, "placement"));

    if (!node)
        return errbuf_set(eb, -EPROTO, "no node");
    if (strcmp(node, owner->node) != 0)
        return errbuf_set(eb, -ESTALE, "written for node %s, not %s", node,
                          owner->node);
    if (!placement)
        return errbuf_set(eb, -EPROTO, "no placement");
    if (strcmp(placement, owner->placement) != 0)
        return errbuf_set(eb, -ESTALE,
                          "written for the Placement at %s, not %s", placement,
                          owner->placement);
    return 0;
}

int
statefile_check(const cJSON *doc, const char *format, int version,
                const struct statefile_owner *owner, struct errbuf *eb)
{
    const char *was_format =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "format"));
    const cJSON *was_version = cJSON_GetObjectItemCaseSensitive(doc, "version");

    if (!cJSON_IsObject(doc))
        return errbuf_set(eb, -EPROTO, "not a JSON object");
    if (!was_format || strcmp(was_format, format) != 0)
        return errbuf_set(eb, -ESTALE, "not a %s file", format);
    if (!cJSON_IsNumber(was_version) || was_version->valuedouble != version)
        return errbuf_set(eb, -ESTALE, "written in format version %g, not %d",
                          cJSON_IsNumber(was_version) ? was_version->valuedouble
                                                      : 0.0,
                          version);
    return check_owner(doc, owner, eb);
}

int
statefile_read(const char *path, size_t max, cJSON **ret, struct errbuf *eb)
{
    _cleanup_free_ char *text = NULL;
    int r = textfile_read_text(path, max, &text, eb);

    *ret = NULL;
    if (r < 0)
        return r;
    *ret = cJSON_Parse(text);
    return *ret ? 0 : errbuf_set(eb, -EPROTO, "%s: not JSON", path);
}

int
statefile_save(const char *path, const char *text, struct errbuf *eb)
{
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');

    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return errbuf_set(eb, -errno, "%s: %s", dir, strerror(errno));
    }
    return atomicfile_replace(path, text, strlen(text), 0600, eb);
}

char *
statefile_format(const cJSON *doc)
{
    char *text = cJSON_Print(doc);
    char *out = xstrdup(text ? text : "{}"); /* NULL only without memory */

    free(text);
    return out;
}

int
statefile_update(const char *path, char *text, char **saved_io,
                 struct errbuf *eb)
{
    _cleanup_free_ char *owned = text;
    int r;

    if (*saved_io && strcmp(*saved_io, text) == 0)
        return 0;
    r = statefile_save(path, text, eb);
    if (r < 0)
        return r;
    free(*saved_io);
    *saved_io = TAKE_PTR(owned);
    return 1;
}
