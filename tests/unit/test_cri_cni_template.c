/* test_cri_cni_template.c: the pod CIDR as UpdateRuntimeConfig brings it
 * (ranges of both families, checked), the template filled with it (each
 * placeholder, unknown ones and Go actions refused with their line, a
 * result that is not a conflist refused, bounds on what is read and made)
 * and the file written once per text (src/cri/cni_template.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "cri/cni_template.h"

#define CONFLIST(ipam)                                                              \
    "{\"cniVersion\": \"1.0.0\", \"name\": \"k8s\", \"plugins\": [{\"type\": "     \
    "\"bridge\", \"ipam\": " ipam "}]}"

static void parse_ok(const char *text, size_t n, bool v4, bool v6, struct cri_pod_cidrs *c)
{
    cx_error err = { 0 };
    assert_int_equal(cri_pod_cidrs_parse(text, c, &err), 0);
    assert_int_equal(c->n, n);
    assert_int_equal(c->v4, v4);
    assert_int_equal(c->v6, v6);
}

static void parse_bad(const char *text, const char *says)
{
    struct cri_pod_cidrs c;
    cx_error err = { 0 };
    assert_int_equal(cri_pod_cidrs_parse(text, &c, &err), -1);
    assert_int_equal(err.errnum, EINVAL);
    if (strstr(err.msg, says) == NULL)
        fail_msg("%s: \"%s\" lacks \"%s\"", text, err.msg, says);
    assert_int_equal(c.n, 0);
}

static void test_cidrs(void **state)
{
    (void) state;
    struct cri_pod_cidrs c;
    parse_ok("10.244.1.0/24", 1, true, false, &c);
    assert_string_equal(c.v[0], "10.244.1.0/24");
    cri_pod_cidrs_free(&c);
    parse_ok(" 10.244.1.0/24 ,\tfd00:10:244:1::/64 ", 2, true, true, &c);
    assert_string_equal(c.v[0], "10.244.1.0/24");
    assert_string_equal(c.v[1], "fd00:10:244:1::/64");
    cri_pod_cidrs_free(&c);
    parse_ok("fd00::/8", 1, false, true, &c);
    cri_pod_cidrs_free(&c);
    parse_ok("0.0.0.0/0,::/0", 2, true, true, &c);
    cri_pod_cidrs_free(&c);
    parse_ok("", 0, false, false, &c);
    parse_ok("  ", 0, false, false, &c);

    parse_bad("10.244.1.0", "not an IPv4 or IPv6");
    parse_bad("10.244.1.0/33", "10.244.1.0/33");
    parse_bad("fd00::/129", "fd00::/129");
    parse_bad("10.244.1.256/24", "not an IPv4");
    parse_bad("10.244.1.0/-1", "not an IPv4");
    parse_bad("10.244.1.0/+8", "not an IPv4");
    parse_bad("10.244.1.0/0024", "not an IPv4");
    parse_bad("10.244.1.0/24/8", "not an IPv4");
    parse_bad("fe80::1%eth0/64", "not an IPv4");
    parse_bad("10.0.0.0/8 10.1.0.0/16", "not an IPv4");
    parse_bad("host.example/24", "not an IPv4");
    parse_bad("10.0.0.0/8,", "an empty range");
    parse_bad(",10.0.0.0/8", "an empty range");
    parse_bad("10.0.0.0/8,,fd00::/8", "an empty range");
    parse_bad("10.0.0.0/8\"},{\"x", "not an IPv4");
    parse_bad("0123456789abcdef0123456789abcdef0123456789abcdef0123456789/64", "too long");
    /* hostile sizes: a long text, too many ranges */
    char *big = cx_calloc(1, CRI_POD_CIDR_TEXT_MAX + 16);
    memset(big, ' ', CRI_POD_CIDR_TEXT_MAX + 8);
    parse_bad(big, "bytes, more than");
    free(big);
    char many[2048] = "";
    for (int i = 0; i <= CRI_POD_CIDRS_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s10.%d.0.0/16",
                 i ? "," : "", i);
    parse_bad(many, "more than 16 ranges");
    *strrchr(many, ',') = '\0';   /* 16: as many as allowed */
    parse_ok(many, CRI_POD_CIDRS_MAX, true, false, &c);
    cri_pod_cidrs_free(&c);
}

static char *render(const char *tmpl, const char *cidr, cx_error *err)
{
    struct cri_pod_cidrs c;
    cx_error perr = { 0 };
    assert_int_equal(cri_pod_cidrs_parse(cidr, &c, &perr), 0);
    char *out = NULL;
    size_t len = 0;
    int rc = cri_cni_template_render(tmpl, strlen(tmpl), "tmpl.json", &c, &out, &len, err);
    cri_pod_cidrs_free(&c);
    if (rc == 0)
        assert_int_equal(strlen(out), len);
    else
        assert_null(out);
    return out;
}

static void render_is(const char *tmpl, const char *cidr, const char *want)
{
    cx_error err = { 0 };
    _cleanup_free_ char *out = render(tmpl, cidr, &err);
    if (out == NULL)
        fail_msg("%s", err.msg);
    assert_string_equal(out, want);
}

static void render_fails(const char *tmpl, const char *cidr, int errnum, const char *says)
{
    cx_error err = { 0 };
    _cleanup_free_ char *out = render(tmpl, cidr, &err);
    if (out)
        fail_msg("%.80s: made %.200s", tmpl, out);
    assert_int_equal(err.errnum, errnum);
    if (strstr(err.msg, says) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", err.msg, says);
}

static void test_placeholders(void **state)
{
    (void) state;
    const char *dual = "10.244.1.0/24,fd00:10:244:1::/64";
    render_is(CONFLIST("{\"type\": \"host-local\", \"subnet\": \"{{.PodCIDR}}\"}"), dual,
              CONFLIST("{\"type\": \"host-local\", \"subnet\": \"10.244.1.0/24\"}"));
    render_is(CONFLIST("{\"type\": \"host-local\", \"subnet\": \"{{ .PodCIDR\t}}\"}"),
              "fd00::/64", CONFLIST("{\"type\": \"host-local\", \"subnet\": \"fd00::/64\"}"));
    render_is(CONFLIST("{\"type\": \"x\", \"r\": {{.PodCIDRRanges}}, \"o\": {{.Routes}}}"),
              dual, CONFLIST("{\"type\": \"x\", \"r\": [\"10.244.1.0/24\", "
                             "\"fd00:10:244:1::/64\"], \"o\": [\"0.0.0.0/0\", \"::/0\"]}"));
    render_is(CONFLIST("{\"type\": \"host-local\", \"ranges\": {{.HostLocalRanges}}, "
                       "\"routes\": {{.HostLocalRoutes}}}"), dual,
              CONFLIST("{\"type\": \"host-local\", \"ranges\": [[{\"subnet\": "
                       "\"10.244.1.0/24\"}], [{\"subnet\": \"fd00:10:244:1::/64\"}]], "
                       "\"routes\": [{\"dst\": \"0.0.0.0/0\"}, {\"dst\": \"::/0\"}]}"));
    /* the routes follow the families present, IPv4 first whatever the order */
    render_is(CONFLIST("{\"type\": \"x\", \"o\": {{.Routes}}}"), "fd00::/64,10.1.0.0/16",
              CONFLIST("{\"type\": \"x\", \"o\": [\"0.0.0.0/0\", \"::/0\"]}"));
    render_is(CONFLIST("{\"type\": \"x\", \"o\": {{.HostLocalRoutes}}}"), "fd00::/64",
              CONFLIST("{\"type\": \"x\", \"o\": [{\"dst\": \"::/0\"}]}"));
    /* no placeholder at all: the text as it is */
    render_is(CONFLIST("{\"type\": \"host-local\"}"), "10.0.0.0/8",
              CONFLIST("{\"type\": \"host-local\"}"));
}

static void test_hostile_templates(void **state)
{
    (void) state;
    render_fails(CONFLIST("{\"subnet\": \"{{.PodCidr}}\"}"), "10.0.0.0/8", EINVAL,
                 "tmpl.json:1: unknown placeholder {{.PodCidr}}");
    render_fails("{\n\"a\": 1,\n\"b\": \"{{$x}}\"}", "10.0.0.0/8", EINVAL,
                 "tmpl.json:3: unknown placeholder {{$x}}");
    render_fails("{\"ranges\": [{{range $i, $r := .PodCIDRRanges}}\"{{$r}}\"{{end}}]}",
                 "10.0.0.0/8", EINVAL, "no Go template actions");
    render_fails("{\"a\": \"{{}}\"}", "10.0.0.0/8", EINVAL, "unknown placeholder {{}}");
    render_fails("{\n\n\"a\": \"{{.PodCIDR\"}", "10.0.0.0/8", EINVAL,
                 "tmpl.json:3: \"{{\" without \"}}\"");
    render_fails("{\"a\": \"\x01{{\x7f}}\"}", "10.0.0.0/8", EINVAL, "unknown placeholder");
    /* made, but not a configuration capsa reads */
    render_fails("{\"name\": \"{{.PodCIDR}}\"", "10.0.0.0/8", EINVAL, "tmpl.json, filled");
    render_fails("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"plugins\": [{\"type\": "
                 "\"bridge\", \"ipam\": {{.PodCIDR}}}]}", "10.0.0.0/8", EINVAL, "tmpl.json");
    render_fails("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"bridge\"}",
                 "10.0.0.0/8", EINVAL, "not a conflist");
    render_fails("", "10.0.0.0/8", EINVAL, "tmpl.json");
    /* no range to fill it with */
    struct cri_pod_cidrs none = { 0 };
    char *out = NULL;
    size_t len;
    cx_error err = { 0 };
    assert_int_equal(cri_cni_template_render("{}", 2, "t", &none, &out, &len, &err), -1);
    assert_null(out);
    /* a template that would make more than the bound */
    size_t n = CRI_CNI_TEMPLATE_MAX / 22;
    char *huge = cx_calloc(n + 1, 22);
    for (size_t i = 0; i < n; i++)
        memcpy(huge + i * 21, "{{.HostLocalRanges}} ", 21);
    char many[1024] = "";
    for (int i = 0; i < CRI_POD_CIDRS_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%sfd00:%x::/64",
                 i ? "," : "", i);
    render_fails(huge, many, EFBIG, "would be over");
    free(huge);
}

struct fx {
    char dir[64];
    char *tmpl, *conf;
};

static int setup(void **state)
{
    struct fx *f = cx_calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/capsa-cni-template-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->tmpl = cx_asprintf("%s/template.json", f->dir);
    f->conf = cx_asprintf("%s/net.d/sub", f->dir);   /* made by the first write */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    cx_rm_rf_at(AT_FDCWD, f->dir);
    free(f->tmpl), free(f->conf), free(f);
    return 0;
}

static void write_template(struct fx *f, const char *text)
{
    FILE *fp = fopen(f->tmpl, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int apply(struct fx *f, const char *cidr, bool *written, cx_error *err)
{
    struct cri_pod_cidrs c;
    assert_int_equal(cri_pod_cidrs_parse(cidr, &c, err), 0);
    int rc = cri_cni_template_apply(f->tmpl, f->conf, &c, written, err);
    cri_pod_cidrs_free(&c);
    return rc;
}

static char *written_text(struct fx *f, struct stat *st)
{
    _cleanup_free_ char *path = cx_asprintf("%s/%s", f->conf, CRI_CNI_TEMPLATE_FILE);
    if (stat(path, st) < 0)
        return NULL;
    char *text = NULL;
    cx_error err = { 0 };
    assert_int_equal(cx_read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &err), 0);
    return text;
}

static void test_apply(void **state)
{
    struct fx *f = *state;
    cx_error err = { 0 };
    bool written;
    struct stat a, b;
    /* no template file */
    assert_int_equal(apply(f, "10.0.0.0/24", &written, &err), -1);
    assert_int_equal(err.errnum, ENOENT);
    assert_int_equal(cri_cni_template_check(f->tmpl, &err), -1);
    write_template(f, CONFLIST("{\"type\": \"host-local\", \"ranges\": {{.HostLocalRanges}}}"));
    assert_int_equal(cri_cni_template_check(f->tmpl, &err), 0);
    assert_int_equal(apply(f, "10.0.0.0/24", &written, &err), 0);
    assert_true(written);
    _cleanup_free_ char *one = written_text(f, &a);
    assert_non_null(one);
    assert_non_null(strstr(one, "[[{\"subnet\": \"10.0.0.0/24\"}]]"));
    assert_int_equal(a.st_mode & 07777, 0644);
    /* the same CIDR again: the file left alone */
    assert_int_equal(apply(f, "10.0.0.0/24", &written, &err), 0);
    assert_false(written);
    free(written_text(f, &b));
    assert_int_equal(a.st_ino, b.st_ino);
    /* another: rewritten (a new file renamed over the old one) */
    assert_int_equal(apply(f, "10.1.0.0/24,fd00::/64", &written, &err), 0);
    assert_true(written);
    _cleanup_free_ char *two = written_text(f, &b);
    assert_non_null(strstr(two, "\"fd00::/64\""));
    assert_int_not_equal(a.st_ino, b.st_ino);
    /* a broken template: an error, and the last file stays as it was */
    write_template(f, CONFLIST("{\"type\": \"host-local\", \"ranges\": {{.Ranges}}}"));
    assert_int_equal(apply(f, "10.2.0.0/24", &written, &err), -1);
    assert_int_equal(err.errnum, EINVAL);
    assert_false(written);
    assert_int_equal(cri_cni_template_check(f->tmpl, &err), -1);
    _cleanup_free_ char *three = written_text(f, &a);
    assert_string_equal(two, three);
    /* no temporary file left beside it */
    _cleanup_free_ char *tmp = cx_asprintf("%s/.%s.tmp.%d", f->conf, CRI_CNI_TEMPLATE_FILE,
                                           (int) getpid());
    assert_int_equal(access(tmp, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidrs),
        cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_hostile_templates),
        cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
