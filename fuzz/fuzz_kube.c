/* fuzz_kube: a Pod manifest through cx_yaml_to_json and cx_kube_plan (kube
 * play): a failure says why; a plan has a pod, `pod create` flags and one
 * `create` per container, each ending with an image; the JSON of a YAML
 * text dumps. */
#include "engine/kube.h"
#include "engine/yaml_json.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    cx_error err = { 0 };
    if (cx_yaml_to_json((const char *) data, size, &doc, &err) < 0) {
        fz_failed(&err);
        FZ_CHECK(doc == NULL);
        return 0;
    }
    FZ_CHECK(doc != NULL);
    char *text = json_dumps(doc, JSON_ENCODE_ANY);
    FZ_CHECK(text != NULL);
    free(text);
    struct cx_kube_plan p;
    cx_error e2 = { 0 };
    if (cx_kube_plan(doc, &p, &e2) < 0)
        fz_failed(&e2);
    else {
        FZ_CHECK(p.pod && p.pod_args && strcmp(p.pod_args[0], "create") == 0 && p.nctrs > 0);
        for (size_t i = 0; i < p.nctrs; i++)
            FZ_CHECK(p.ctr_args[i] && strcmp(p.ctr_args[i][0], "create") == 0);
        cx_kube_plan_free(&p);
    }
    json_decref(doc);
    return 0;
}
