/* cni_conf.c: see cni_conf.h. */
#include "net/cni_conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

static const char *const versions[] = { "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0",
                                        "1.0.0", NULL };

bool cx_cni_version_ok(const char *v)
{
    for (const char *const *k = versions; v && *k; k++)
        if (strcmp(v, *k) == 0)
            return true;
    return false;
}

static bool name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || !isalnum((unsigned char) s[0]))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int cx_cni_name_check(const char *name, cx_error *err)
{
    if (!name || !name_ok(name, 200))
        return cx_fail(err, EINVAL, "network name \"%s\": want a letter or digit, then letters, "
                       "digits, '_', '.' or '-' (at most 200)", name ? name : "");
    return 0;
}

/* A plugin object: its type names a binary (no path), its capabilities
 * (if any) an object, and none of the keys the runtime adds is there. */
static int plugin_check(json_t *p, size_t i, const char *origin, cx_error *err)
{
    const char *type = json_string_value(json_object_get(p, "type"));
    if (!json_is_object(p))
        return cx_fail(err, EINVAL, "%s: plugins[%zu] is not an object", origin, i);
    if (!type || !name_ok(type, 255))
        return cx_fail(err, EINVAL, "%s: plugins[%zu]: \"type\" must name a plugin binary "
                       "(letters, digits, '_', '.', '-')", origin, i);
    json_t *caps = json_object_get(p, "capabilities");
    if (caps && !json_is_object(caps))
        return cx_fail(err, EINVAL, "%s: plugins[%zu] (%s): \"capabilities\" must be an object",
                       origin, i, type);
    json_t *ipam = json_object_get(p, "ipam");
    const char *itype = json_string_value(json_object_get(ipam, "type"));
    if (ipam && (!json_is_object(ipam) || (json_object_get(ipam, "type") &&
                                           (!itype || !name_ok(itype, 255)))))
        return cx_fail(err, EINVAL, "%s: plugins[%zu] (%s): \"ipam\" must be an object whose "
                       "\"type\" names a plugin binary", origin, i, type);
    return 0;
}

/* A single-plugin .conf made a list of one: name and cniVersion move up. */
static json_t *as_list(json_t *doc)
{
    json_t *plugin = json_deep_copy(doc);
    json_object_del(plugin, "name");
    json_object_del(plugin, "cniVersion");
    return json_pack("{s:O, s:O, s:[o]}", "name", json_object_get(doc, "name"),
                     "cniVersion", json_object_get(doc, "cniVersion"), "plugins", plugin);
}

static int conf_from(json_t *doc, const char *origin, struct cx_cni_conf *out, cx_error *err)
{
    const char *name = json_string_value(json_object_get(doc, "name"));
    const char *version = json_string_value(json_object_get(doc, "cniVersion"));
    json_t *plugins = json_object_get(doc, "plugins"), *dc = json_object_get(doc, "disableCheck");
    if (!name || cx_cni_name_check(name, err) < 0)
        return name ? cx_error_prefix(err, "%s", origin)
                    : cx_fail(err, EINVAL, "%s: no \"name\"", origin);
    if (!cx_cni_version_ok(version))
        return cx_fail(err, EINVAL, "%s: cniVersion \"%s\" is not one capsa speaks (0.1.0 to "
                       "1.0.0)", origin, version ? version : "");
    if (!json_is_array(plugins) || json_array_size(plugins) == 0)
        return cx_fail(err, EINVAL, "%s: \"plugins\" must be a list of at least one plugin",
                       origin);
    if (dc && !json_is_boolean(dc))
        return cx_fail(err, EINVAL, "%s: \"disableCheck\" must be true or false", origin);
    size_t i;
    json_t *p;
    json_array_foreach(plugins, i, p)
        if (plugin_check(p, i, origin, err) < 0)
            return -1;
    out->name = cx_strdup(name);
    out->version = cx_strdup(version);
    out->disable_check = json_is_true(dc);
    out->plugins = json_incref(plugins);
    out->doc = json_incref(doc);
    return 0;
}

int cx_cni_conf_parse(const char *text, size_t len, const char *origin,
                      struct cx_cni_conf *out, cx_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    _cleanup_(json_decrefp) json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc))
        return doc ? cx_fail(err, EINVAL, "%s: not a JSON object", origin)
                   : cx_fail(err, EINVAL, "%s: line %d: %s", origin, je.line, je.text);
    if (!json_object_get(doc, "plugins") && json_object_get(doc, "type")) {
        _cleanup_(json_decrefp) json_t *list = as_list(doc);
        return conf_from(list, origin, out, err);
    }
    return conf_from(doc, origin, out, err);
}

int cx_cni_conf_load(const char *path, struct cx_cni_conf *out, cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    memset(out, 0, sizeof *out);
    if (cx_read_file_at(AT_FDCWD, path, 1u << 20, &text, &len, err) < 0)
        return -1;
    return cx_cni_conf_parse(text, len, path, out, err);
}

void cx_cni_conf_free(struct cx_cni_conf *c)
{
    free(c->name);
    free(c->version);
    json_decref(c->plugins);
    json_decref(c->doc);
    memset(c, 0, sizeof *c);
}
