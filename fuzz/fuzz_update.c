/* fuzz_update: `capsa update`'s input up to the cgroup writes.  The first
 * byte picks the form: 'j' (or anything but 'f'): the rest is the -r
 * resources JSON; 'f': runc's flags, NUL-separated, each one byte naming
 * the flag then its value (cmd_update.c's set_flag, parse_bytes).  Then as
 * cx_update does (update.c): the request decoded on its own, merged into
 * a running container's config, the merged config decoded whole, and the
 * device rules rebuilt from it.  Both files are included so their static
 * helpers are the ones fuzzed; nothing else in libcapsa calls cx_update,
 * so the archive's copy is never linked beside these. */
#include "../src/cmd/cmd_update.c"
#include "../src/runtime/update.c"

#include "fuzz.h"
#include "runtime/cgroup/internal.h"

static json_t *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    base = json_loads(
        "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
        "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}},"
        "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}],"
        "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229}],"
        "\"resources\":{\"memory\":{\"limit\":104857600},\"cpu\":{\"shares\":512},"
        "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}}}", 0, NULL);
    if (base == NULL)
        abort();
    return 0;
}

static json_t *from_flags(const uint8_t *data, size_t size)
{
    char *v[65], *buf;
    size_t n = fz_split(data, size, '\0', v, 64, &buf);
    json_t *res = json_object();
    cx_error err = { 0 };
    for (size_t i = 0; i < n && v[i][0]; i++) {
        int opt = OPT_MEMORY + (unsigned char) v[i][0] % (OPT_MEMBW - OPT_MEMORY + 1);
        if (set_flag(res, opt, v[i] + 1, &err) < 0)
            fz_failed(&err);
    }
    free(buf);
    return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    json_t *res;
    if (data[0] == 'f') {
        res = from_flags(data + 1, size - 1);
    } else {
        char *text = fz_str(data + 1, size - 1);
        res = json_loads(text, 0, NULL);
        free(text);
    }
    struct jd_pool pool = { 0 };
    cx_error err = { 0 };
    struct jd_ctx jc = { "resources", &pool, &err };
    struct oci_resources *r = NULL;
    struct oci_spec *spec = NULL;
    json_t *cfg = NULL;
    if (!json_is_object(res)) {
        /* cx_update refuses it with a message */
    } else if (oci_resources_decode(&jc, res, NULL, &r) < 0) {
        fz_failed(&err);
    } else if ((cfg = merged_config(base, res, &spec, &err)) == NULL) {
        fz_failed(&err);
    } else {
        size_t n = 0;
        free(cg_device_rules(spec->linux_->resources, &n));
        if (r->has_cpu && r->cpu.has_shares)
            FZ_CHECK(cg_v2_cpu_weight(r->cpu.shares) <= 10000);
        if (r->has_blkio && r->blkio.has_weight)
            FZ_CHECK(cg_v2_io_weight(r->blkio.weight) <= 10000);
    }
    oci_spec_free(spec);
    json_decref(cfg);
    json_decref(res);
    jd_pool_free(&pool);
    return 0;
}
