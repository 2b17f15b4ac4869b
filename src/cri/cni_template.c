/* cni_template.c: see cni_template.h. */
#include "cri/cni_template.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "net/cni_conf.h"

/* ---- the pod CIDR ---- */

static bool digits(const char *s)
{
    return s[0] && strspn(s, "0123456789") == strlen(s);
}

/* One range, len bytes of text: an address of either family and a prefix
 * length within it.  *v6 its family. */
static int check_range(const char *text, size_t len, bool *v6, cx_error *err)
{
    char buf[INET6_ADDRSTRLEN + 8], shown[112];
    if (len >= sizeof buf) {
        snprintf(buf, sizeof buf, "%.*s", (int) (sizeof buf - 1), text);
        return cx_fail(err, EINVAL, "pod CIDR range \"%s...\" is too long",
                       cx_printable(buf, shown));
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    unsigned char addr[16];
    int prefix = -1;
    if (slash) {
        *slash = '\0';
        *v6 = strchr(buf, ':') != NULL;
        if (digits(slash + 1) && strlen(slash + 1) <= 3)
            prefix = atoi(slash + 1);
    }
    bool ok = slash && prefix >= 0 && prefix <= (*v6 ? 128 : 32) &&
              inet_pton(*v6 ? AF_INET6 : AF_INET, buf, addr) == 1;
    if (slash)
        *slash = '/';
    if (!ok)
        return cx_fail(err, EINVAL, "pod CIDR range \"%s\" is not an IPv4 or IPv6 address "
                       "with a prefix length (10.244.1.0/24, fd00:10:244:1::/64)",
                       cx_printable(buf, shown));
    return 0;
}

void cri_pod_cidrs_free(struct cri_pod_cidrs *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    memset(c, 0, sizeof *c);
}

int cri_pod_cidrs_parse(const char *text, struct cri_pod_cidrs *out, cx_error *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(text) > CRI_POD_CIDR_TEXT_MAX)
        return cx_fail(err, EINVAL, "pod CIDR: %zu bytes, more than the %d a list of %d "
                       "ranges needs", strlen(text), CRI_POD_CIDR_TEXT_MAX, CRI_POD_CIDRS_MAX);
    const char *p = text + strspn(text, " \t");
    if (*p == '\0')
        return 0;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t) (end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        bool v6 = false;
        int rc = len == 0 ? cx_fail(err, EINVAL, "pod CIDR \"%.64s\": an empty range", text)
               : out->n == CRI_POD_CIDRS_MAX
                   ? cx_fail(err, EINVAL, "pod CIDR: more than %d ranges", CRI_POD_CIDRS_MAX)
                   : check_range(p, len, &v6, err);
        if (rc < 0) {
            cri_pod_cidrs_free(out);
            return -1;
        }
        out->v[out->n++] = strndup(p, len);
        if (out->v[out->n - 1] == NULL)
            abort();
        out->v6 = out->v6 || v6;
        out->v4 = out->v4 || !v6;
        if (end == NULL)
            return 0;
        p = end + 1;
    }
}

/* ---- rendering ---- */

struct text {
    char *s;
    size_t len, cap;
    bool full;              /* past CRI_CNI_RENDERED_MAX: nothing more kept */
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->full || t->len + n > CRI_CNI_RENDERED_MAX) {
        t->full = true;
        return;
    }
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = cx_realloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

/* the routes: one default per family present, IPv4 first */
static size_t routes(const struct cri_pod_cidrs *c, const char *r[2])
{
    size_t n = 0;
    if (c->v4)
        r[n++] = "0.0.0.0/0";
    if (c->v6)
        r[n++] = "::/0";
    return n;
}

/* v[0..n) as a JSON list, each item pre + v[i] + post (the strings are
 * checked ranges and routes: nothing in them needs escaping). */
static void list(struct text *t, char *const *v, size_t n, const char *pre, const char *post)
{
    puts_(t, "[");
    for (size_t i = 0; i < n; i++) {
        puts_(t, i ? ", " : "");
        puts_(t, pre);
        puts_(t, v[i]);
        puts_(t, post);
    }
    puts_(t, "]");
}

/* The value of placeholder name; false when there is no such one. */
static bool expand(struct text *t, const char *name, size_t len,
                   const struct cri_pod_cidrs *c)
{
    const char *r[2];
    size_t nr = routes(c, r);
#define IS(s) (len == strlen(s) && memcmp(name, s, len) == 0)
    if (IS(".PodCIDR"))
        puts_(t, c->v[0]);
    else if (IS(".PodCIDRRanges"))
        list(t, c->v, c->n, "\"", "\"");
    else if (IS(".Routes"))
        list(t, (char *const *) r, nr, "\"", "\"");
    else if (IS(".HostLocalRanges"))
        list(t, c->v, c->n, "[{\"subnet\": \"", "\"}]");
    else if (IS(".HostLocalRoutes"))
        list(t, (char *const *) r, nr, "{\"dst\": \"", "\"}");
    else
        return false;
#undef IS
    return true;
}

static int line_of(const char *tmpl, const char *at)
{
    int line = 1;
    for (const char *p = tmpl; p < at; p++)
        line += *p == '\n';
    return line;
}

static int fill(const char *tmpl, size_t len, const char *origin, const struct cri_pod_cidrs *c,
                struct text *t, cx_error *err)
{
    const char *p = tmpl, *end = tmpl + len;
    while (p < end) {
        const char *open = memmem(p, (size_t) (end - p), "{{", 2);
        if (open == NULL) {
            put(t, p, (size_t) (end - p));
            break;
        }
        put(t, p, (size_t) (open - p));
        const char *close = memmem(open + 2, (size_t) (end - open - 2), "}}", 2);
        if (close == NULL)
            return cx_fail(err, EINVAL, "%s:%d: \"{{\" without \"}}\"", origin,
                           line_of(tmpl, open));
        const char *name = open + 2, *name_end = close;
        while (name < name_end && (*name == ' ' || *name == '\t'))
            name++;
        while (name_end > name && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
        if (!expand(t, name, (size_t) (name_end - name), c)) {
            char shown[112];
            _cleanup_free_ char *what = strndup(open, (size_t) (close + 2 - open));
            return cx_fail(err, EINVAL, "%s:%d: unknown placeholder %s (capsad fills "
                           "{{.PodCIDR}}, {{.PodCIDRRanges}}, {{.Routes}}, "
                           "{{.HostLocalRanges}} and {{.HostLocalRoutes}}, no Go template "
                           "actions)", origin, line_of(tmpl, open),
                           cx_printable(what ? what : "", shown));
        }
        p = close + 2;
    }
    if (t->full)
        return cx_fail(err, EFBIG, "%s: the configuration made from it would be over %d "
                       "bytes", origin, CRI_CNI_RENDERED_MAX);
    return 0;
}

int cri_cni_template_render(const char *tmpl, size_t len, const char *origin,
                            const struct cri_pod_cidrs *c, char **out, size_t *outlen,
                            cx_error *err)
{
    *out = NULL;
    *outlen = 0;
    if (c->n == 0)
        return cx_fail(err, EINVAL, "no pod CIDR to fill %s with", origin);
    struct text t = { 0 };
    put(&t, "", 0);
    if (fill(tmpl, len, origin, c, &t, err) < 0) {
        free(t.s);
        return -1;
    }
    if (t.s == NULL)
        t.s = cx_strdup("");
    /* what pods will read, read now the same way */
    _cleanup_free_ char *what = cx_asprintf("%s, filled with %s", origin, c->v[0]);
    struct cx_cni_conf conf;
    if (cx_cni_conf_parse(t.s, t.len, what, &conf, err) < 0) {
        free(t.s);
        return -1;
    }
    cx_cni_conf_free(&conf);
    /* capsa reads a single plugin's configuration as a list of one, but
     * the file is a .conflist, which other readers (libcni) take as such */
    json_t *doc = json_loadb(t.s, t.len, 0, NULL);
    bool listed = json_is_array(json_object_get(doc, "plugins"));
    json_decref(doc);
    if (!listed) {
        free(t.s);
        return cx_fail(err, EINVAL, "%s: a single plugin's configuration, not a conflist "
                       "(\"plugins\": [...])", what);
    }
    *out = t.s;
    *outlen = t.len;
    return 0;
}

/* ---- the file ---- */

static int render_file(const char *template_path, const struct cri_pod_cidrs *c, char **out,
                       size_t *outlen, cx_error *err)
{
    _cleanup_free_ char *tmpl = NULL;
    size_t len = 0;
    if (cx_read_file_at(AT_FDCWD, template_path, CRI_CNI_TEMPLATE_MAX, &tmpl, &len, err) < 0)
        return cx_error_prefix(err, "cni_conf_template");
    return cri_cni_template_render(tmpl, len, template_path, c, out, outlen, err);
}

int cri_cni_template_apply(const char *template_path, const char *conf_dir,
                           const struct cri_pod_cidrs *c, bool *written, cx_error *err)
{
    *written = false;
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (render_file(template_path, c, &text, &len, err) < 0 ||
        cx_mkdir_p(conf_dir, 0755, err) < 0)
        return -1;
    _cleanup_close_ int dir = open(conf_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return cx_fail_errno(err, "open %s", conf_dir);
    /* the same text there already (the same CIDR again, a restarted
     * capsad): left alone */
    _cleanup_free_ char *old = NULL;
    size_t oldlen = 0;
    cx_error ignored = { 0 };
    if (cx_read_file_at(dir, CRI_CNI_TEMPLATE_FILE, CRI_CNI_RENDERED_MAX, &old, &oldlen,
                        &ignored) == 0 && oldlen == len && memcmp(old, text, len) == 0)
        return 0;
    if (cx_write_file_atomic_at(dir, CRI_CNI_TEMPLATE_FILE, text, len, 0644, err) < 0)
        return cx_error_prefix(err, "%s", conf_dir);
    *written = true;
    return 0;
}

int cri_cni_template_check(const char *template_path, cx_error *err)
{
    struct cri_pod_cidrs sample;
    if (cri_pod_cidrs_parse("10.0.0.0/24", &sample, err) < 0)
        return -1;
    _cleanup_free_ char *text = NULL;
    size_t len;
    int rc = render_file(template_path, &sample, &text, &len, err);
    cri_pod_cidrs_free(&sample);
    return rc;
}
