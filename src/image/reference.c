/* reference.c: image references (distribution's grammar, docker's
 * normalization); see reference.h. */
#include "image/reference.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/digest.h"

/* Longer than any valid reference (name + ':' tag + '@' sha512 digest). */
#define REF_INPUT_MAX (CX_REF_NAME_MAX + 1 + CX_REF_TAG_MAX + 1 + CX_DIGEST_MAX)

#define COMPONENT_RULE "[a-z0-9]+((.|_|__|-+)[a-z0-9]+)*"
#define TAG_RULE "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static char *dupn(const char *s, size_t n)
{
    return cx_asprintf("%.*s", (int) n, s);
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The reference quoted in an error: at most 200 bytes (callers have
 * already refused anything but printable ASCII). */
static int ref_fail(cx_error *err, const char *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ref_fail(cx_error *err, const char *s, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return cx_fail(err, EINVAL, "invalid reference \"%.200s%s\": %s", s,
                   strlen(s) > 200 ? "..." : "", why);
}

/* [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* over s[0..len) */
static bool component_valid(const char *s, size_t len)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < len && is_lower_alnum(s[i]))
            i++;
        if (i == start)
            return false;
        if (i == len)
            return true;
        if (s[i] == '.')
            i++;
        else if (s[i] == '_')
            i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
        else if (s[i] == '-')
            while (i < len && s[i] == '-')
                i++;
        else
            return false;
    }
}

bool cx_ref_path_valid(const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '/')
            continue;
        if (!component_valid(s + start, i - start))
            return false;
        start = i + 1;
    }
    return true;
}

/* DNS labels separated by dots: [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9] */
static bool host_valid(const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            if (!is_alnum(s[i]) && s[i] != '-')
                return false;
            continue;
        }
        if (i == start || s[start] == '-' || s[i - 1] == '-')
            return false;
        start = i + 1;
    }
    return true;
}

static bool port_valid(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool cx_ref_domain_valid(const char *s, size_t len)
{
    if (len == 0 || len > CX_REF_NAME_MAX)
        return false;
    size_t host_end;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        char addr[INET6_ADDRSTRLEN];
        struct in6_addr a6;
        size_t alen = close ? (size_t) (close - s - 1) : 0;
        if (close == NULL || alen == 0 || alen >= sizeof addr)
            return false;
        for (size_t i = 1; i <= alen; i++)
            if (!is_hex((char) (s[i] | 0x20)) && s[i] != ':' && s[i] != '.')
                return false;
        memcpy(addr, s + 1, alen);
        addr[alen] = '\0';
        if (inet_pton(AF_INET6, addr, &a6) != 1)
            return false;
        host_end = alen + 2;
    } else {
        const char *colon = memchr(s, ':', len);
        host_end = colon ? (size_t) (colon - s) : len;
        if (!host_valid(s, host_end))
            return false;
    }
    if (host_end == len)
        return true;
    return s[host_end] == ':' && port_valid(s + host_end + 1, len - host_end - 1);
}

/* docker's rule for the component before the first '/' */
static bool first_is_domain(const char *s, size_t len)
{
    if (len == 9 && memcmp(s, "localhost", 9) == 0)
        return true;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
            return true;
    return false;
}

bool cx_ref_is_qualified(const char *s)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    return slash != NULL && first_is_domain(s, (size_t) (slash - s));
}

static bool is_image_id(const char *s)
{
    if (strncmp(s, "sha256:", 7) == 0)
        s += 7;
    size_t n = 0;
    while (is_hex(s[n]))
        n++;
    return n == 64 && s[n] == '\0';
}

static int check_tag(const char *s, const char *tag, size_t len, cx_error *err)
{
    if (len == 0)
        return ref_fail(err, s, "tag is empty (a tag must match %s)", TAG_RULE);
    if (len > CX_REF_TAG_MAX)
        return ref_fail(err, s, "tag is longer than %d characters", CX_REF_TAG_MAX);
    for (size_t i = 0; i < len; i++) {
        char c = tag[i];
        if (!(is_alnum(c) || c == '_' || (i > 0 && (c == '.' || c == '-'))))
            return ref_fail(err, s, "tag \"%.*s\" must match %s", (int) len, tag, TAG_RULE);
    }
    return 0;
}

static int check_path(const char *s, const char *path, size_t len, cx_error *err)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++)
        if (path[i] >= 'A' && path[i] <= 'Z')
            return ref_fail(err, s, "repository name must be lowercase");
    if (memchr(path, ':', len))
        return ref_fail(err, s, "only one \":tag\" may follow the repository name");
    for (size_t i = 0; i <= len; i++) {
        if (i < len && path[i] != '/')
            continue;
        if (i == start)
            return ref_fail(err, s, "repository name has an empty path component");
        if (!component_valid(path + start, i - start))
            return ref_fail(err, s, "repository name component \"%.*s\" must match %s",
                            (int) (i - start), path + start, COMPONENT_RULE);
        start = i + 1;
    }
    return 0;
}

/* Refuse what is not printable ASCII before any part is echoed. */
static int check_chars(const char *s, cx_error *err)
{
    size_t n = strnlen(s, REF_INPUT_MAX + 1);
    if (n == 0)
        return cx_fail(err, EINVAL, "invalid reference \"\": the reference is empty");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c <= 0x20 || c >= 0x7f)
            return cx_fail(err, EINVAL,
                           "invalid reference: byte 0x%02x at offset %zu is not allowed "
                           "(printable ASCII without spaces only)", c, i);
    }
    if (n > REF_INPUT_MAX)
        return ref_fail(err, s, "longer than %d characters", REF_INPUT_MAX);
    if (is_image_id(s))
        return ref_fail(err, s, "a 64-digit hexadecimal string is an image ID, not a reference");
    return 0;
}

/* Split the name part into domain and path and check both. */
static int split_name(const char *s, const char *name, size_t len, const char *default_domain,
                      struct cx_ref *r, cx_error *err)
{
    const char *slash = memchr(name, '/', len);
    const char *rest = name;
    if (slash && first_is_domain(name, (size_t) (slash - name))) {
        size_t dlen = (size_t) (slash - name);
        if (!cx_ref_domain_valid(name, dlen))
            return ref_fail(err, s, "domain \"%.*s\" is not a valid host[:port]", (int) dlen, name);
        r->domain = dlen == 15 && memcmp(name, "index.docker.io", 15) == 0
                        ? cx_strdup(CX_REF_DEFAULT_DOMAIN) : dupn(name, dlen);
        rest = slash + 1;
    } else {
        r->domain = cx_strdup(default_domain);
    }
    size_t rlen = len - (size_t) (rest - name);
    if (rlen == 0)
        return ref_fail(err, s, "repository name is empty");
    if (check_path(s, rest, rlen, err) < 0)
        return -1;
    bool library = strcmp(r->domain, CX_REF_DEFAULT_DOMAIN) == 0 && !memchr(rest, '/', rlen);
    r->path = cx_asprintf("%s%.*s", library ? "library/" : "", (int) rlen, rest);
    if (strlen(r->domain) + 1 + strlen(r->path) > CX_REF_NAME_MAX)
        return ref_fail(err, s, "repository name \"%s/%s\" is longer than %d characters",
                        r->domain, r->path, CX_REF_NAME_MAX);
    return 0;
}

static int parse(const char *s, const char *default_domain, struct cx_ref *r, cx_error *err)
{
    if (check_chars(s, err) < 0)
        return -1;
    const char *at = strchr(s, '@');
    size_t nt_len = at ? (size_t) (at - s) : strlen(s);
    if (at) {
        struct cx_digest d;
        cx_error derr = { 0 };
        if (cx_digest_parse(at + 1, &d, "x", &derr) < 0)
            return ref_fail(err, s, "%s", derr.msg + 3); /* after "x: " */
        char buf[CX_DIGEST_MAX];
        cx_digest_format(&d, buf);
        r->digest = cx_strdup(buf);
    }
    /* a ':' after the last '/' starts the tag */
    const char *colon = NULL;
    for (size_t i = nt_len; i-- > 0 && s[i] != '/';)
        if (s[i] == ':') {
            colon = s + i;
            break;
        }
    size_t name_len = colon ? (size_t) (colon - s) : nt_len;
    if (colon) {
        size_t tlen = nt_len - name_len - 1;
        if (check_tag(s, colon + 1, tlen, err) < 0)
            return -1;
        r->tag = dupn(colon + 1, tlen);
    } else if (!at) {
        r->tag = cx_strdup("latest");
    }
    if (name_len == 0)
        return ref_fail(err, s, "repository name is empty");
    return split_name(s, s, name_len, default_domain, r, err);
}

int cx_ref_parse_in(const char *s, const char *default_domain, struct cx_ref *out,
                    cx_error *err)
{
    if (s == NULL)
        s = "";
    if (default_domain == NULL)
        default_domain = CX_REF_DEFAULT_DOMAIN;
    size_t dlen = strlen(default_domain);
    /* it must read back as a domain in front of a path, too */
    if (!cx_ref_domain_valid(default_domain, dlen) || !first_is_domain(default_domain, dlen))
        return cx_fail(err, EINVAL, "invalid default registry \"%.200s\": not a host[:port] "
                       "with a '.' or ':', or localhost", default_domain);
    if (strcmp(default_domain, "index.docker.io") == 0)
        default_domain = CX_REF_DEFAULT_DOMAIN;
    struct cx_ref r = { 0 };
    if (parse(s, default_domain, &r, err) < 0) {
        cx_ref_free(&r);
        return -1;
    }
    *out = r;
    return 0;
}

int cx_ref_parse(const char *s, struct cx_ref *out, cx_error *err)
{
    return cx_ref_parse_in(s, CX_REF_DEFAULT_DOMAIN, out, err);
}

char *cx_ref_name(const struct cx_ref *r)
{
    return cx_asprintf("%s/%s", r->domain, r->path);
}

char *cx_ref_string(const struct cx_ref *r)
{
    return cx_asprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "",
                       r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "");
}

void cx_ref_free(struct cx_ref *r)
{
    if (r == NULL)
        return;
    free(r->domain);
    free(r->path);
    free(r->tag);
    free(r->digest);
    *r = (struct cx_ref) { 0 };
}
