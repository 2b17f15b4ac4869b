/* spec_gen_util.h: the fixture of the config.json unit tests
 * (test_spec_gen.c, test_spec_gen_flags.c): an image root with /etc/passwd
 * and /etc/group, a stub for the default seccomp profile, building a spec
 * from an image config and the run flags (and parsing it back with capsa's
 * own parser), and checking its members.  Include after <cmocka.h>, once
 * per test program: it defines the stub cx_seccomp_default. */
#ifndef CAPSA_TEST_SPEC_GEN_UTIL_H
#define CAPSA_TEST_SPEC_GEN_UTIL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/run_opts.h"
#include "engine/seccomp_default.h"
#include "engine/spec_gen.h"
#include "oci/spec.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define STUB_PROFILE "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38," \
    "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[\"read\"]," \
    "\"action\":\"SCMP_ACT_ALLOW\"}]}"

/* The default profile is another file's work: here a stub that records
 * the capabilities it was asked for. */
static json_t *stub_caps;
static int stub_calls;

int cx_seccomp_default(const char *const *caps, json_t **out, cx_error *err)
{
    (void) err;
    stub_calls++;
    json_decref(stub_caps);
    stub_caps = json_array();
    for (; caps && *caps; caps++)
        json_array_append_new(stub_caps, json_string(*caps));
    *out = json_loads(STUB_PROFILE, 0, NULL);
    return 0;
}

struct fixture {
    char dir[64];
    struct cx_spec_ctx ctx;
};

static inline void put(const char *dir, const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static inline void mkdir_in(const char *dir, const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static inline int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/h2-specgen-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    mkdir_in(f->dir, "etc");
    mkdir_in(f->dir, "tmp");
    put(f->dir, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                              "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n");
    put(f->dir, "etc/group", "root:x:0:\ndaemon:x:1:\nwheel:x:10:daemon\n");
    f->ctx = (struct cx_spec_ctx) {
        .id = ID, .rootfs = f->dir, .hostname = "0123456789ab",
        .hostname_file = "/run/h2/hostname", .hosts_file = "/run/h2/hosts",
        .resolv_file = "/run/h2/resolv.conf", .init_path = "/usr/libexec/capsa-init",
        .cgroups_path = "/capsa/" ID,
    };
    f->ctx.rootfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(f->ctx.rootfd >= 0);
    stub_calls = 0;
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fixture *f = *state;
    close(f->ctx.rootfd);
    cx_rm_rf_at(AT_FDCWD, f->dir);
    free(f);
    json_decref(stub_caps);
    stub_caps = NULL;
    return 0;
}

static inline void config(const char *cfg, struct cx_image_config *img)
{
    char *doc = cx_asprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":"
                            "{\"type\":\"layers\",\"diff_ids\":[]},\"config\":%s}",
                            cfg ? cfg : "{}");
    cx_error err = { 0 };
    if (cx_image_config_parse(doc, strlen(doc), img, &err) != 0)
        fail_msg("image config: %s", err.msg);
    free(doc);
}

/* Build with image config cfg and the flags (then "img" and the command
 * given after an "IMG" marker argument, if any; a "CRIENV" marker sets
 * cri_env, as capsad does); NULL and err set on error. */
static inline json_t *build_v(struct fixture *f, const char *cfg, cx_error *err, va_list ap)
{
    char *argv[96] = { "run" };
    int argc = 1;
    bool cmd = false, cri_env = false;
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 90;) {
        if (strcmp(a, "CRIENV") == 0) {
            cri_env = true;
            continue;
        }
        if (strcmp(a, "IMG") == 0)
            cmd = true;
        argv[argc++] = strcmp(a, "IMG") == 0 ? "img" : a;
    }
    if (!cmd)
        argv[argc++] = "img";
    struct cx_run_opts o;
    if (cx_run_opts_parse(argc, argv, &o, err) != 0)
        fail_msg("flags: %s", err->msg);
    o.cri_env = cri_env;
    struct cx_image_config img = { 0 };
    config(cfg, &img);
    json_t *spec = NULL;
    int r = cx_spec_build(&img, &o, &f->ctx, &spec, err);
    cx_image_config_free(&img);
    cx_run_opts_free(&o);
    if (r != 0) {
        assert_null(spec);
        return NULL;
    }
    /* capsa's runtime must read what the engine writes */
    char *text = json_dumps(spec, JSON_INDENT(2));
    struct oci_spec *parsed = NULL;
    cx_error perr = { 0 };
    if (oci_spec_parse(text, "config.json", &parsed, &perr) != 0)
        fail_msg("capsa cannot parse the spec: %s\n%s", perr.msg, text);
    oci_spec_free(parsed);
    free(text);
    return spec;
}

static inline json_t *build(struct fixture *f, const char *cfg, ...)
{
    cx_error err = { 0 };
    va_list ap;
    va_start(ap, cfg);
    json_t *spec = build_v(f, cfg, &err, ap);
    va_end(ap);
    if (spec == NULL)
        fail_msg("build: %s", err.msg);
    return spec;
}

static inline void build_fails(struct fixture *f, const char *cfg, const char *msg, ...)
{
    cx_error err = { 0 };
    va_list ap;
    va_start(ap, msg);
    json_t *spec = build_v(f, cfg, &err, ap);
    va_end(ap);
    assert_null(spec);
    assert_string_equal(err.msg, msg);
}

/* spec at the dotted path ("" for spec itself) equals the JSON text want,
 * or is absent when want is NULL */
static inline void is(json_t *spec, const char *path, const char *want)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = spec;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v;
         k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    if (want == NULL) {
        if (v)
            fail_msg("%s: expected absent, got %s", path, json_dumps(v, JSON_ENCODE_ANY));
        return;
    }
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    if (w == NULL)
        fail_msg("bad JSON in test: %s", want);
    if (!v || !json_equal(v, w)) {
        char *got = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("(absent)");
        fail_msg("%s:\n got  %s\n want %s", path, got, want);
    }
    json_decref(w);
}

/* an image config with a user, an environment, an entrypoint and more */
#define CFG "{\"User\":\"daemon\",\"Env\":[\"FOO=bar\",\"PATH=/img/bin:/bin\",\"NOEQ\"]," \
    "\"Entrypoint\":[\"/bin/echo\",\"ep\"],\"Cmd\":[\"c1\",\"c2\"],\"WorkingDir\":\"/w/x\"," \
    "\"StopSignal\":\"10\",\"Labels\":{\"lab\":\"val\"}}"

#endif
