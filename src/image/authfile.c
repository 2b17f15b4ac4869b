/* authfile.c: registry credentials in auth.json and docker's config.json
 * (see authfile.h).  Base64 through OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock, with the padding counted here (DecodeBlock returns
 * whole 3-byte groups). */
#include "image/authfile.h"

#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define KEY_MAX 1024


static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

char *cx_auth_default_path(void)
{
    const char *v = env("REGISTRY_AUTH_FILE");
    if (v)
        return cx_strdup(v);
    if ((v = env("XDG_RUNTIME_DIR")))
        return cx_asprintf("%s/containers/auth.json", v);
    return cx_asprintf("/run/containers/%u/auth.json", (unsigned) getuid());
}

/* ---- base64 ---- */

static char *b64_encode(const char *data, size_t len)
{
    char *out = cx_calloc(4 * ((len + 2) / 3) + 1, 1);
    EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) data, (int) len);
    return out;
}

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* Strict: the alphabet, a length of 4n, '=' only as the last one or two. */
static int b64_decode(const char *s, char **out, size_t *outlen)
{
    size_t len = strlen(s), pad = 0;
    if (len % 4 != 0 || len > CX_AUTH_MAX_SIZE)
        return -1;
    while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < len - pad; i++)
        if (!b64_char(s[i]))
            return -1;
    unsigned char *buf = cx_calloc(len / 4 * 3 + 1, 1);
    int n = EVP_DecodeBlock(buf, (const unsigned char *) s, (int) len);
    if (n < 0 || (size_t) n < pad) {
        free(buf);
        return -1;
    }
    *outlen = (size_t) n - pad;
    buf[*outlen] = '\0';
    *out = (char *) buf;
    return 0;
}

/* ---- files ---- */

/* Read path as a JSON object; *root NULL (and 0 returned) when missing. */
static int read_json(const char *path, json_t **root, cx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    *root = NULL;
    if (cx_read_file_at(AT_FDCWD, path, CX_AUTH_MAX_SIZE, &text, &len, err) < 0) {
        if (err->errnum == ENOENT || err->errnum == ENOTDIR) {
            cx_error_clear(err);
            return 0;
        }
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    OPENSSL_cleanse(text, len);
    if (j == NULL)
        return cx_fail(err, EINVAL, "%s: invalid JSON at line %d: %s", path, jerr.line, jerr.text);
    json_t *auths = json_object_get(j, "auths");
    if (!json_is_object(j) || (auths && !json_is_object(auths))) {
        const char *what = json_is_object(j) ? "\"auths\"" : "the file";
        json_decref(j);
        return cx_fail(err, EINVAL, "%s: %s is not a JSON object", path, what);
    }
    *root = j;
    return 0;
}

static int write_json(const char *path, json_t *root, cx_error *err)
{
    _cleanup_free_ char *dir = cx_strdup(path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    if (base[0] == '\0')
        return cx_fail(err, EINVAL, "auth file %s: not a file name", path);
    if (cx_mkdir_p(dir, 0700, err) < 0)
        return -1;
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return cx_fail_errno(err, "open %s", dir);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (text == NULL)
        return cx_fail(err, ENOMEM, "%s: cannot serialize the credentials", path);
    size_t len = strlen(text);
    int r = cx_write_file_atomic_at(dfd, base, text, len, 0600, err);
    OPENSSL_cleanse(text, len);
    free(text);
    if (r < 0)
        return cx_error_prefix(err, "auth file %s", path);
    (void) fsync(dfd);
    return 0;
}

/* ---- keys ---- */

/* "https://index.docker.io/v1/" -> "docker.io", "quay.io/ns/" -> "quay.io/ns" */
static char *norm_key(const char *key)
{
    const char *s = key;
    bool url = false;
    if (strncmp(s, "http://", 7) == 0)
        s += 7, url = true;
    else if (strncmp(s, "https://", 8) == 0)
        s += 8, url = true;
    size_t n = url ? strcspn(s, "/") : strlen(s);
    while (n > 0 && s[n - 1] == '/')
        n--;
    size_t hlen = strcspn(s, "/");
    if (hlen > n)
        hlen = n;
    if ((hlen == 15 && memcmp(s, "index.docker.io", 15) == 0) ||
        (hlen == 20 && memcmp(s, "registry-1.docker.io", 20) == 0))
        return cx_asprintf("docker.io%.*s", (int) (n - hlen), s + hlen);
    return cx_asprintf("%.*s", (int) n, s);
}

static bool same_location(const char *key, const char *norm)
{
    _cleanup_free_ char *k = norm_key(key);
    return strcmp(k, norm) == 0;
}

/* ---- lookup ---- */

int cx_auth_decode(const char *b64, char **user, char **pass, cx_error *err)
{
    _cleanup_free_ char *plain = NULL;
    size_t n = 0;
    if (b64_decode(b64, &plain, &n) < 0)
        return cx_fail(err, EINVAL, "invalid base64");
    char *colon = memchr(plain, ':', n);
    int r = 0;
    if (colon == NULL || memchr(plain, '\0', n))
        r = cx_fail(err, EINVAL, "not the base64 of user:password");
    if (r == 0) {
        *user = cx_asprintf("%.*s", (int) (colon - plain), plain);
        *pass = cx_strdup(colon + 1);
    }
    OPENSSL_cleanse(plain, n);
    return r;
}

/* entry is auths[key] of path: its "auth" as user and pass; 0 with
 * *found false when it has none. */
static int decode_entry(const char *path, const char *key, json_t *entry, char **user,
                        char **pass, bool *found, cx_error *err)
{
    char b[112];
    if (!json_is_object(entry))
        return cx_fail(err, EINVAL, "%s: auths.\"%s\": not an object", path, cx_printable(key, b));
    json_t *a = json_object_get(entry, "auth");
    if (a == NULL || (json_is_string(a) && json_string_length(a) == 0))
        return 0;
    if (!json_is_string(a))
        return cx_fail(err, EINVAL, "%s: auths.\"%s\".auth: not a string", path,
                       cx_printable(key, b));
    if (cx_auth_decode(json_string_value(a), user, pass, err) < 0)
        return cx_error_prefix(err, "%s: auths.\"%s\".auth", path, cx_printable(key, b));
    *found = true;
    return 0;
}

/* The most specific match in one file. */
static int lookup_file(const char *path, const char *host, const char *repository, char **user,
                       char **pass, bool *found, cx_error *err)
{
    json_auto_t *root = NULL;
    if (read_json(path, &root, err) < 0)
        return -1;
    json_t *auths = root ? json_object_get(root, "auths") : NULL;
    if (auths == NULL)
        return 0;
    _cleanup_free_ char *h = norm_key(host);
    _cleanup_free_ char *cand = repository && repository[0]
                                    ? cx_asprintf("%s/%s", h, repository) : cx_strdup(h);
    for (;;) {
        const char *key;
        json_t *entry;
        json_object_foreach(auths, key, entry) {
            if (!same_location(key, cand))
                continue;
            if (decode_entry(path, key, entry, user, pass, found, err) < 0)
                return -1;
            if (*found)
                return 0;
        }
        char *slash = strrchr(cand, '/');
        if (slash == NULL || strlen(cand) <= strlen(h))
            return 0;
        *slash = '\0';
    }
}

int cx_auth_lookup(const char *authfile, const char *host, const char *repository,
                   char **user, char **pass, bool *found, cx_error *err)
{
    *found = false;
    *user = *pass = NULL;
    if (host == NULL || host[0] == '\0' || strlen(host) > KEY_MAX)
        return cx_fail(err, EINVAL, "credentials: no registry host given");
    if (repository && strlen(repository) > KEY_MAX)
        return cx_fail(err, EINVAL, "credentials: repository name too long");
    char *files[3] = { 0 };
    const char *home = env("HOME"), *xdg = env("XDG_CONFIG_HOME"), *dc = env("DOCKER_CONFIG");
    files[0] = authfile ? cx_strdup(authfile) : cx_auth_default_path();
    if (!authfile && !env("REGISTRY_AUTH_FILE") && (xdg || home))
        files[1] = xdg ? cx_asprintf("%s/containers/auth.json", xdg)
                       : cx_asprintf("%s/.config/containers/auth.json", home);
    if (dc || home)
        files[2] = dc ? cx_asprintf("%s/config.json", dc)
                      : cx_asprintf("%s/.docker/config.json", home);
    int r = 0;
    for (size_t i = 0; i < 3 && r == 0 && !*found; i++)
        if (files[i])
            r = lookup_file(files[i], host, repository, user, pass, found, err);
    for (size_t i = 0; i < 3; i++)
        free(files[i]);
    return r;
}

/* ---- login and logout ---- */

static int check_key(const char *key, cx_error *err)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > KEY_MAX)
        return cx_fail(err, EINVAL, "credentials: the registry key must be 1 to %d characters",
                       KEY_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) key[i] <= 0x20 || key[i] == 0x7f)
            return cx_fail(err, EINVAL, "credentials: registry key \"%.100s\" has a space or "
                                        "control character", key);
    return 0;
}

int cx_auth_store(const char *authfile, const char *key, const char *user, const char *pass,
                  cx_error *err)
{
    if (check_key(key, err) < 0)
        return -1;
    if (user == NULL || user[0] == '\0' || strchr(user, ':'))
        return cx_fail(err, EINVAL, "credentials for %s: the user name must be non-empty and "
                                    "must not contain ':'", key);
    if (pass == NULL || strlen(user) + strlen(pass) > KEY_MAX * 64)
        return cx_fail(err, EINVAL, "credentials for %s: missing or oversized password", key);
    _cleanup_free_ char *path = authfile ? cx_strdup(authfile) : cx_auth_default_path();
    json_auto_t *root = NULL;
    if (read_json(path, &root, err) < 0)
        return -1;
    if (root == NULL)
        root = json_object();
    json_t *auths = json_object_get(root, "auths");
    if (auths == NULL) {
        auths = json_object();
        json_object_set_new(root, "auths", auths);
    }
    _cleanup_free_ char *plain = cx_asprintf("%s:%s", user, pass);
    _cleanup_free_ char *b64 = b64_encode(plain, strlen(plain));
    json_t *entry = json_pack("{s:s}", "auth", b64);
    OPENSSL_cleanse(plain, strlen(plain));
    OPENSSL_cleanse(b64, strlen(b64));
    if (entry == NULL || json_object_set_new(auths, key, entry) < 0)
        return cx_fail(err, EINVAL, "credentials for %.100s: the key is not valid UTF-8", key);
    return write_json(path, root, err);
}

int cx_auth_remove(const char *authfile, const char *key, bool *found, cx_error *err)
{
    *found = false;
    if (check_key(key, err) < 0)
        return -1;
    _cleanup_free_ char *path = authfile ? cx_strdup(authfile) : cx_auth_default_path();
    json_auto_t *root = NULL;
    if (read_json(path, &root, err) < 0)
        return -1;
    json_t *auths = root ? json_object_get(root, "auths") : NULL;
    if (auths == NULL)
        return 0;
    if (json_object_del(auths, key) == 0) {
        *found = true;
    } else {
        _cleanup_free_ char *norm = norm_key(key);
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(auths, tmp, k, v) {
            if (same_location(k, norm)) {
                json_object_del(auths, k);
                *found = true;
            }
        }
    }
    return *found ? write_json(path, root, err) : 0;
}

int cx_auth_remove_all(const char *authfile, cx_error *err)
{
    _cleanup_free_ char *path = authfile ? cx_strdup(authfile) : cx_auth_default_path();
    json_auto_t *root = NULL;
    if (read_json(path, &root, err) < 0)
        return -1;
    if (root == NULL)
        return 0;
    json_object_set_new(root, "auths", json_object());
    return write_json(path, root, err);
}
