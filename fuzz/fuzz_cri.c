/* fuzz_cri.c: what a CRI client controls in capsad before any engine
 * call: the gRPC message framing of a request body (any split, refusals
 * carrying a message and a code), the grpc-timeout header, and each
 * request type unpacked by protobuf-c, with the two that become engine
 * options (RunPodSandbox, CreateContainer) run through their checks and
 * mapping.  The first byte picks the method. */
#include "fuzz/fuzz.h"

#include "cri.pb-c.h"
#include "cri/ctr_config.h"
#include "cri/grpc.h"
#include "cri/sandbox_config.h"
#include "engine/run_opts.h"

static void framing(const uint8_t *data, size_t size)
{
    struct grpc_deframer d;
    grpc_deframer_init(&d);
    d.max = 1 << 16;
    size_t split = size ? data[0] % (size + 1) : 0;
    enum grpc_code code;
    cx_error err = { 0 };
    int a = grpc_deframe(&d, data, split, &code, &err);
    int b = a == 0 ? grpc_deframe(&d, data + split, size - split, &code, &err) : 0;
    if (a < 0 || b < 0)
        FZ_CHECK(err.msg[0] != '\0' && code != GRPC_OK);
    else
        FZ_CHECK(d.nmsgs <= 1);
    grpc_deframer_free(&d);
    char t[16];
    size_t n = size < sizeof t - 1 ? size : sizeof t - 1;
    memcpy(t, data, n);
    t[n] = '\0';
    int64_t ms;
    if (grpc_timeout_parse(t, &ms) == 0)
        FZ_CHECK(ms >= 0);
}

static void sandbox(const Runtime__V1__RunPodSandboxRequest *r)
{
    struct cri_pod_spec s;
    cx_error err = { 0 };
    if (cri_pod_spec_make(r->config, &s, &err) < 0) {
        FZ_CHECK(err.msg[0] != '\0');
        return;
    }
    struct cx_run_opts o;
    cx_run_opts_init(&o);
    if (cri_pod_spec_infra(&o, &s, &err) < 0)
        FZ_CHECK(err.msg[0] != '\0');
    cx_run_opts_free(&o);
    cri_pod_spec_free(&s);
}

static void container(const Runtime__V1__CreateContainerRequest *r)
{
    struct cx_run_opts o;
    struct cri_ctr_spec s;
    cx_error err = { 0 };
    struct cri_ctr_pod pod = { .sandbox_id = "0123456789abcdef", .name = "k8s_pod",
                               .config = r->sandbox_config };
    if (cri_ctr_config(r->config, &pod,
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", &o,
                       &s, &err) < 0) {
        FZ_CHECK(err.msg[0] != '\0');
        return;
    }
    cx_run_opts_free(&o);
    cri_ctr_spec_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    framing(data, size);
    const ProtobufCServiceDescriptor *svc = data[0] & 0x80 ? &runtime__v1__image_service__descriptor
                                                           : &runtime__v1__runtime_service__descriptor;
    const ProtobufCMethodDescriptor *m = &svc->methods[(data[0] & 0x7f) % svc->n_methods];
    ProtobufCMessage *msg = protobuf_c_message_unpack(m->input, NULL, size - 1, data + 1);
    if (msg == NULL)
        return 0;
    if (m->input == &runtime__v1__run_pod_sandbox_request__descriptor)
        sandbox((const void *) msg);
    else if (m->input == &runtime__v1__create_container_request__descriptor)
        container((const void *) msg);
    /* what we decoded packs again within its size (replies are packed the
     * same way; protobuf-c keeps unknown fields, even a field number 0 it
     * would refuse on the way back in, so only the packing is checked) */
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    FZ_CHECK(protobuf_c_message_pack(msg, buf) == len);
    free(buf);
    protobuf_c_message_free_unpacked(msg, NULL);
    return 0;
}
