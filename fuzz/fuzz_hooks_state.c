/* fuzz_hooks_state: the state JSON a hook reads on stdin (hooks_state),
 * written from fields as capsa holds them and parsed back: it must be one
 * JSON object whose ociVersion, id, status, bundle, pid and annotations
 * are the ones given.  Input: ociVersion NUL id NUL status NUL bundle NUL
 * pid NUL annotations-JSON; the strings come from config.json and the
 * bundle's path, which need not be UTF-8. */
#include <jansson.h>

#include "common/util.h"
#include "fuzz.h"
#include "runtime/hooks.h"

static int same(json_t *o, const char *key, const char *want)
{
    return strcmp(json_string_value(json_object_get(o, key)) ?: "\x01", want) == 0;
}

static int utf8(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v[7], *buf;
    size_t n = fz_split(data, size, '\0', v, 6, &buf);
    for (size_t i = n; i < 6; i++)
        v[i] = "";
    int pid = 0;
    (void) cx_parse_int(v[4], &pid);
    json_t *ann = json_loads(v[5], 0, NULL);
    if (ann && !json_is_object(ann)) {
        json_decref(ann);
        ann = NULL;
    }
    const char *ver = v[0][0] ? v[0] : NULL;
    char *state = hooks_state(ver, v[1], v[2], pid, v[3], ann);
    /* JSON holds only UTF-8: create refuses a bundle path that is not
     * (it crashed create, which passed NULL on to the hooks); the other
     * strings come from config.json or are capsa's own */
    if (!utf8(v[1]) || !utf8(v[2]) || !utf8(v[3]) || (ver && !utf8(ver))) {
        FZ_CHECK(state == NULL);
        goto out;
    }
    FZ_CHECK(state != NULL);
    json_t *o = json_loads(state, JSON_REJECT_DUPLICATES, NULL);
    FZ_CHECK(json_is_object(o));
    /* UTF-8 strings come back as they were */
    FZ_CHECK(same(o, "id", v[1]) && same(o, "status", v[2]) && same(o, "bundle", v[3]) &&
             (ver == NULL || same(o, "ociVersion", ver)));
    json_t *pj = json_object_get(o, "pid");
    FZ_CHECK(pid > 0 ? json_integer_value(pj) == pid : pj == NULL);
    if (ann && json_object_size(ann))
        FZ_CHECK(json_equal(json_object_get(o, "annotations"), ann));
    json_decref(o);
out:
    json_decref(ann);
    free(state);
    free(buf);
    return 0;
}
