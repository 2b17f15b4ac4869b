/* fuzz_toml: any text through cx_toml_parse: a failure says why and names
 * the file and a line; a tree is a table whose every key and every item of
 * an array of tables has a line within the text, and whose dump reads back
 * as JSON. */
#include "common/toml.h"
#include "fuzz.h"

static void walk(const struct cx_toml *t, const json_t *table, unsigned lines, int depth)
{
    FZ_CHECK(depth < 64);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *) table, key, v) {
        unsigned l = cx_toml_line(t, table, key);
        FZ_CHECK(l >= 1 && l <= lines);
        if (json_is_object(v))
            walk(t, v, lines, depth + 1);
        if (!cx_toml_is_table_array(t, v))
            continue;
        for (size_t i = 0; i < json_array_size(v); i++) {
            l = cx_toml_item_line(t, v, i);
            FZ_CHECK(l >= 1 && l <= lines);
            FZ_CHECK(json_is_object(json_array_get(v, i)));
            walk(t, json_array_get(v, i), lines, depth + 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cx_toml t = { 0 };
    cx_error err = { 0 };
    if (cx_toml_parse((const char *) data, size, "f.toml", &t, &err) < 0) {
        fz_failed(&err);
        FZ_CHECK(strncmp(err.msg, "f.toml:", 7) == 0);
        FZ_CHECK(t.root == NULL);
        return 0;
    }
    unsigned lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    FZ_CHECK(json_is_object(t.root));
    walk(&t, t.root, lines, 0);
    char *text = json_dumps(t.root, JSON_COMPACT);
    FZ_CHECK(text != NULL);
    free(text);
    cx_toml_free(&t);
    return 0;
}
