/* fuzz_seccomp: linux.seccomp as create sees it: decoded with the config
 * (oci/seccomp.c), then translated to BPF by libseccomp
 * (runtime/seccomp_compile.c) and keyed for the cache (seccomp_cache.c).
 * The input is the value of linux.seccomp. */
#include <jansson.h>

#include "fuzz.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "runtime/seccomp_internal.h"

static const char head[] =
    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
    "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}},"
    "\"linux\":{\"seccomp\":";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t hl = sizeof head - 1;
    char *text = malloc(hl + size + 3);
    if (text == NULL)
        abort();
    memcpy(text, head, hl);
    memcpy(text + hl, data, size);
    memcpy(text + hl + size, "}}", 3);
    /* a NUL in the input ends the document early: a parse error */
    struct oci_spec *spec = NULL;
    cx_error err = { 0 };
    if (oci_spec_parse(text, "config.json", &spec, &err) < 0) {
        fz_failed(&err);
        free(text);
        return 0;
    }
    if (spec->linux_ && spec->linux_->seccomp) {
        struct sock_filter *insns = NULL;
        unsigned short len = 0;
        if (seccomp_compile(spec->linux_->seccomp, &insns, &len, &err) < 0)
            fz_failed(&err);
        else
            FZ_CHECK(insns != NULL && len > 0);
        free(insns);
        json_t *prof = json_object_get(json_object_get(spec->doc, "linux"), "seccomp");
        char *key = seccomp_cache_key(prof);
        if (key) {
            char name[17];
            seccomp_cache_name(key, name);
            FZ_CHECK(strlen(name) == 16);
        }
        free(key);
    }
    oci_spec_free(spec);
    free(text);
    return 0;
}
