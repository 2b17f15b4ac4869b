/* config.c: see config.h.  The table of keys first, then one setter that
 * checks a value whatever its origin, then the file, then the flags. */
#include "cri/config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/toml.h"
#include "common/util.h"
#include "engine/engine.h"
#include "image/regconf.h"

#define CONFIG_MAX_SIZE (1024 * 1024)
#define LISTEN_DEFAULT "unix:///run/capsad/capsad.sock"

enum kind {
    K_STRING,   /* any text (may_be_empty says whether "" is allowed: then NULL) */
    K_PATH,     /* an absolute path */
    K_DIRS,     /* absolute paths separated by ':' */
    K_LISTEN,   /* unix:///PATH or /PATH */
    K_CHOICE,   /* one of choices */
    K_ADDRESS,  /* an IPv4 or IPv6 address */
    K_INT,      /* 0..max */
};

static const char *const cgroup_managers[] = { "cgroupfs", "systemd", NULL };
static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };

static const struct key {
    const char *name;       /* the file's key; the flag is --name with '-' for '_' */
    const char *arg;        /* the value's name in --help */
    const char *def;        /* the default, as it would be written */
    const char *meaning;    /* --help's line */
    enum kind kind;
    size_t off;             /* char * (int for K_INT) in struct cri_config */
    bool may_be_empty;
    const char *const *choices;
    int max;
} keys[] = {
#define F(f) offsetof(struct cri_config, f)
    { "listen", "unix:///PATH", LISTEN_DEFAULT,
      "the socket the kubelet and crictl connect to (unix:///PATH or /PATH)",
      K_LISTEN, F(listen_path), false, NULL, 0 },
    { "root", "DIR", CX_ENGINE_ROOT, "the engine's store of images, containers and pods "
      "(capsactl's --root)", K_PATH, F(root), false, NULL, 0 },
    { "runroot", "DIR", CX_ENGINE_RUNROOT, "the engine's run-time state (capsactl's --runroot)",
      K_PATH, F(runroot), false, NULL, 0 },
    { "registries_conf", "FILE", CX_REGCONF_PATH,
      "registries.conf(5): mirrors, search registries, aliases (may be missing)",
      K_PATH, F(registries_conf), false, NULL, 0 },
    { "cni_conf_dir", "DIR", "/etc/cni/net.d", "CNI network configurations (the pods': the "
      "first by file name)", K_PATH, F(cni_conf_dir), false, NULL, 0 },
    { "cni_bin_dir", "DIRS", "/usr/lib/cni:/opt/cni/bin",
      "where CNI plugins are looked for, ':'-separated", K_DIRS, F(cni_bin_dir), false, NULL, 0 },
    { "cni_conf_template", "FILE", "", "a template of the pods' CNI configuration, "
      "filled with the pod CIDR the kubelet gives (empty: none)", K_PATH,
      F(cni_conf_template), true, NULL, 0 },
    { "cgroup_manager", "NAME", "cgroupfs", "cgroupfs or systemd, as the kubelet's "
      "--cgroup-driver", K_CHOICE, F(cgroup_manager), false,
      cgroup_managers, 0 },
    { "pause_image", "IMAGE", "", "the pods' infra image (empty: capsa's "
      "localhost/capsa-pause:VERSION)", K_STRING, F(pause_image), true, NULL, 0 },
    { "default_runtime", "NAME", CRI_RUNTIME_BUILTIN, "the runtime handler of pods that "
      "name none", K_STRING, F(default_runtime), false, NULL, 0 },
    { "stream_address", "IP", "127.0.0.1", "the address of the streaming server (exec, "
      "attach, port-forward)", K_ADDRESS, F(stream_address), false, NULL, 0 },
    { "stream_port", "PORT", "0", "the streaming server's port (0: a free one, picked "
      "at start)",
      K_INT, F(stream_port), false, NULL, 65535 },
    { "stream_idle_timeout", "SECONDS", "14400", "a streaming session idle that long is "
      "closed (0: never)", K_INT, F(stream_idle_timeout), false, NULL, INT_MAX },
    { "log_level", "LEVEL", "info", "error, warn, info or debug", K_CHOICE, F(log_level),
      false, log_levels, 0 },
#undef F
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* ---- one value, wherever it came from ---- */

/* what: "capsad.conf:3: stream_port" or "--stream-port"; the message says
 * what, the value quoted and why it is refused */
static int bad(cx_error *err, const char *what, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(cx_error *err, const char *what, const char *value, const char *fmt, ...)
{
    char why[512], b[112];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return cx_fail(err, EINVAL, "%s \"%s\": %s", what, cx_printable(value, b), why);
}

static bool absolute(const char *s)
{
    return s[0] == '/';
}

static int check_dirs(const char *what, const char *v, cx_error *err)
{
    const char *p = v;
    for (;;) {
        size_t n = strcspn(p, ":");
        if (n == 0 || p[0] != '/')
            return bad(err, what, v, "each directory must be an absolute path");
        if (p[n] == '\0')
            return 0;
        p += n + 1;
    }
}

static int check_choice(const struct key *k, const char *what, const char *v, cx_error *err)
{
    char want[128] = "";
    for (size_t i = 0; k->choices[i]; i++) {
        if (strcmp(v, k->choices[i]) == 0)
            return 0;
        size_t o = strlen(want);
        snprintf(want + o, sizeof want - o, "%s%s", i ? (k->choices[i + 1] ? ", " : " or ") : "",
                 k->choices[i]);
    }
    return bad(err, what, v, "want %s", want);
}

/* The stored form of v: the listen path without its scheme; NULL for an
 * empty value that may be empty. */
static int check(const struct key *k, const char *what, const char *v, const char **stored,
                 cx_error *err)
{
    unsigned char addr[16];
    *stored = v;
    if (v[0] == '\0') {
        if (k->may_be_empty) {
            *stored = NULL;
            return 0;
        }
        return bad(err, what, v, "must not be empty");
    }
    switch (k->kind) {
    case K_STRING:
    case K_INT:
        return 0;
    case K_PATH:
        return absolute(v) ? 0 : bad(err, what, v, "not an absolute path");
    case K_DIRS:
        return check_dirs(what, v, err);
    case K_LISTEN:
        if (cx_str_has_prefix(v, "unix://"))
            *stored = v + strlen("unix://");
        return absolute(*stored) ? 0 : bad(err, what, v, "only unix:///PATH or an absolute "
                                                         "PATH (a unix socket) is supported");
    case K_CHOICE:
        return check_choice(k, what, v, err);
    case K_ADDRESS:
        if (inet_pton(AF_INET, v, addr) == 1 || inet_pton(AF_INET6, v, addr) == 1)
            return 0;
        return bad(err, what, v, "not an IPv4 or IPv6 address");
    }
    return 0;
}

static int set_int(const struct key *k, struct cri_config *c, const char *what, const char *v,
                   cx_error *err)
{
    int64_t n;
    if (cx_parse_i64(v, &n) < 0)
        return bad(err, what, v, "not an integer");
    if (n < 0 || n > k->max)
        return bad(err, what, v, "not in 0..%d", k->max);
    *(int *) ((char *) c + k->off) = (int) n;
    return 0;
}

static int set_key(const struct key *k, struct cri_config *c, const char *what, const char *v,
                   cx_error *err)
{
    if (k->kind == K_INT)
        return set_int(k, c, what, v, err);
    const char *stored;
    if (check(k, what, v, &stored, err) < 0)
        return -1;
    char **dst = (char **) ((char *) c + k->off);
    free(*dst);
    *dst = stored ? cx_strdup(stored) : NULL;
    return 0;
}

/* ---- runtime handlers ---- */

static bool handler_name_ok(const char *s)
{
    if (s[0] == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* Add or replace (a flag's over the file's) handler name. */
static int add_runtime(struct cri_config *c, const char *what, const char *name,
                       const char *path, const char *root, cx_error *err)
{
    if (!handler_name_ok(name))
        return bad(err, what, name, "a handler name is letters, digits, '-', '_' and '.'");
    if (strcmp(name, CRI_RUNTIME_BUILTIN) == 0)
        return bad(err, what, name, "the built-in handler cannot be redefined");
    if (path == NULL)
        return cx_fail(err, EINVAL, "%s: no path (the runtime's binary)", what);
    if (!absolute(path))
        return bad(err, what, path, "the runtime's path must be absolute");
    if (root && !absolute(root))
        return bad(err, what, root, "the runtime's root must be an absolute path");
    struct cri_runtime *r = NULL;
    for (size_t i = 0; i < c->nruntimes && r == NULL; i++)
        if (strcmp(c->runtimes[i].name, name) == 0)
            r = &c->runtimes[i];
    if (r == NULL) {
        c->runtimes = cx_realloc(c->runtimes, (c->nruntimes + 1) * sizeof *c->runtimes);
        r = &c->runtimes[c->nruntimes++];
        *r = (struct cri_runtime) { .name = cx_strdup(name) };
    }
    free(r->path);
    free(r->root);
    r->path = cx_strdup(path);
    r->root = root ? cx_strdup(root) : NULL;
    return 0;
}

/* --runtime NAME=PATH[:ROOT] */
static int runtime_flag(struct cri_config *c, const char *v, cx_error *err)
{
    _cleanup_free_ char *copy = cx_strdup(v);
    char *eq = strchr(copy, '=');
    if (eq == NULL)
        return bad(err, "--runtime", v, "want NAME=PATH or NAME=PATH:ROOT");
    *eq = '\0';
    char *path = eq + 1, *colon = strchr(path, ':');
    if (colon)
        *colon = '\0';
    return add_runtime(c, "--runtime", copy, path, colon ? colon + 1 : NULL, err);
}

const struct cri_runtime *cri_config_runtime(const struct cri_config *c, const char *handler)
{
    if (handler == NULL || handler[0] == '\0')
        handler = c->default_runtime;
    for (size_t i = 0; i < c->nruntimes; i++)
        if (strcmp(c->runtimes[i].name, handler) == 0)
            return &c->runtimes[i];
    return NULL;
}

/* ---- the file ---- */

struct loader {
    struct cri_config *c;
    const char *file;
    const struct cx_toml *t;
    cx_error *err;
    char default_runtime_at[300];   /* where it was set: checked once all handlers are known */
};

static int file_fail(struct loader *L, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int file_fail(struct loader *L, unsigned line, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return cx_fail(L->err, EINVAL, "%s:%u: %s", L->file, line, why);
}

/* [runtimes.NAME]: path = "...", root = "..." */
static int file_runtime(struct loader *L, const char *name, json_t *rt, unsigned line)
{
    char what[300], b[112], n[112];
    cx_printable(name, n);
    if (!json_is_object(rt))
        return file_fail(L, line, "runtimes.%s must be a table: [runtimes.%s] with path and "
                         "root", n, n);
    const char *key;
    json_t *v;
    json_object_foreach(rt, key, v) {
        unsigned l = cx_toml_line(L->t, rt, key);
        if (strcmp(key, "path") != 0 && strcmp(key, "root") != 0)
            return file_fail(L, l, "unknown key \"%s\" in [runtimes.%s] (path, root)",
                             cx_printable(key, b), n);
        if (!json_is_string(v))
            return file_fail(L, l, "runtimes.%s.%s must be a string", n, key);
    }
    v = json_object_get(rt, "path");
    snprintf(what, sizeof what, "%s:%u: runtimes.%s", L->file,
             v ? cx_toml_line(L->t, rt, "path") : line, n);
    return add_runtime(L->c, what, name, json_string_value(v),
                       json_string_value(json_object_get(rt, "root")), L->err);
}

static int file_runtimes(struct loader *L, json_t *v, unsigned line)
{
    if (!json_is_object(v))
        return file_fail(L, line, "runtimes must be tables: [runtimes.NAME] with path and root");
    const char *name;
    json_t *rt;
    json_object_foreach(v, name, rt)
        if (file_runtime(L, name, rt, cx_toml_line(L->t, v, name)) < 0)
            return -1;
    return 0;
}

static const struct key *key_named(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int file_key(struct loader *L, const char *name, json_t *v, unsigned line)
{
    char b[112], what[300], num[32];
    if (strcmp(name, "runtimes") == 0)
        return file_runtimes(L, v, line);
    const struct key *k = key_named(name);
    if (k == NULL)
        return file_fail(L, line, "unknown key \"%s\" (see capsad --help)",
                         cx_printable(name, b));
    if (k->kind == K_INT && !json_is_integer(v))
        return file_fail(L, line, "%s must be an integer", name);
    if (k->kind != K_INT && !json_is_string(v))
        return file_fail(L, line, "%s must be a string", name);
    snprintf(what, sizeof what, "%s:%u: %s", L->file, line, name);
    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (strcmp(name, "default_runtime") == 0)
        snprintf(L->default_runtime_at, sizeof L->default_runtime_at, "%s", what);
    return set_key(k, L->c, what, k->kind == K_INT ? num : json_string_value(v), L->err);
}

/* The file at path; missing_ok: a missing file is no error. */
static int load_file(struct loader *L, const char *path, bool missing_ok)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (cx_read_file_at(AT_FDCWD, path, CONFIG_MAX_SIZE, &text, &len, L->err) < 0) {
        if (missing_ok && L->err->errnum == ENOENT) {
            cx_error_clear(L->err);
            return 0;
        }
        return -1;
    }
    _cleanup_(cx_toml_free) struct cx_toml t = { 0 };
    if (cx_toml_parse(text, len, path, &t, L->err) < 0)
        return -1;
    L->file = path;
    L->t = &t;
    const char *name;
    json_t *v;
    int r = 0;
    json_object_foreach(t.root, name, v)
        if (r == 0)
            r = file_key(L, name, v, cx_toml_line(&t, t.root, name));
    L->t = NULL;
    return r;
}

/* ---- the flags ---- */

/* "--stream-port" matches key stream_port ('-' and '_' alike) */
static bool flag_is(const char *flag, size_t n, const char *name)
{
    if (strlen(name) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (flag[i] != name[i] && !(flag[i] == '-' && name[i] == '_'))
            return false;
    return true;
}

enum flag_id { FL_KEY, FL_CONFIG, FL_RUNTIME, FL_HELP, FL_VERSION };

struct flag {
    enum flag_id id;
    const struct key *key;      /* FL_KEY */
    const char *value;          /* NULL for help and version */
    char name[64];              /* as written, without "=value" */
};

/* argv[*i] (and its value, argv[*i + 1] or after '=') into f. */
static int next_flag(int argc, char **argv, int *i, struct flag *f, cx_error *err)
{
    char b[112];
    const char *a = argv[*i];
    bool help = strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
    if (help || strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
        *f = (struct flag) { .id = help ? FL_HELP : FL_VERSION };
        return 0;
    }
    if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
        return cx_fail(err, EINVAL, "unexpected argument \"%s\" (see capsad --help)",
                       cx_printable(a, b));
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t n = eq ? (size_t) (eq - name) : strlen(name);
    *f = (struct flag) { .id = FL_KEY };
    snprintf(f->name, sizeof f->name, "--%.*s", (int) (n > 50 ? 50 : n), name);
    if (flag_is(name, n, "config"))
        f->id = FL_CONFIG;
    else if (flag_is(name, n, "runtime"))
        f->id = FL_RUNTIME;
    else
        for (size_t k = 0; k < NKEYS && f->key == NULL; k++)
            if (flag_is(name, n, keys[k].name))
                f->key = &keys[k];
    if (f->id == FL_KEY && f->key == NULL)
        return cx_fail(err, EINVAL, "unknown flag %s (see capsad --help)", cx_printable(a, b));
    if (eq)
        f->value = eq + 1;
    else if (*i + 1 < argc)
        f->value = argv[++*i];
    else
        return cx_fail(err, EINVAL, "%s needs a value", f->name);
    return 0;
}

/* Pass 1 (apply false): the syntax, --config, --help, --version.  Pass 2:
 * every value, over the file's. */
static int flags(struct loader *L, int argc, char **argv, bool apply, const char **config)
{
    struct cri_config *c = L->c;
    for (int i = 1; i < argc; i++) {
        struct flag f;
        if (next_flag(argc, argv, &i, &f, L->err) < 0)
            return -1;
        if (!apply) {
            c->help = c->help || f.id == FL_HELP;
            c->version = c->version || f.id == FL_VERSION;
            if (f.id == FL_CONFIG)
                *config = f.value;
            continue;
        }
        if (f.id == FL_RUNTIME && runtime_flag(c, f.value, L->err) < 0)
            return -1;
        if (f.id != FL_KEY)
            continue;
        if (f.key->off == offsetof(struct cri_config, default_runtime))
            snprintf(L->default_runtime_at, sizeof L->default_runtime_at, "%s", f.name);
        if (set_key(f.key, c, f.name, f.value, L->err) < 0)
            return -1;
    }
    if (!apply && *config && (*config)[0] == '\0')
        return cx_fail(L->err, EINVAL, "--config needs a path");
    return 0;
}

/* ---- together ---- */

static void defaults(struct cri_config *c)
{
    cx_error ignored = { 0 };
    for (size_t i = 0; i < NKEYS; i++)
        set_key(&keys[i], c, keys[i].name, keys[i].def, &ignored);
    c->runtimes = cx_calloc(1, sizeof *c->runtimes);
    c->runtimes[0] = (struct cri_runtime) { .name = cx_strdup(CRI_RUNTIME_BUILTIN) };
    c->nruntimes = 1;
}

int cri_config_load_from(struct cri_config *c, int argc, char **argv, const char *default_file,
                         cx_error *err)
{
    struct loader L = { .c = c, .err = err };
    const char *config = NULL;
    *c = (struct cri_config) { 0 };
    defaults(c);
    snprintf(L.default_runtime_at, sizeof L.default_runtime_at, "default_runtime");
    if (flags(&L, argc, argv, false, &config) < 0)
        goto fail;
    if (c->help || c->version)
        return 0;
    if (load_file(&L, config ? config : default_file, config == NULL) < 0 ||
        flags(&L, argc, argv, true, NULL) < 0)
        goto fail;
    if (cri_config_runtime(c, NULL) == NULL) {
        bad(err, L.default_runtime_at, c->default_runtime, "no runtime handler has that name");
        goto fail;
    }
    return 0;
fail:
    cri_config_free(c);
    return -1;
}

int cri_config_load(struct cri_config *c, int argc, char **argv, cx_error *err)
{
    return cri_config_load_from(c, argc, argv, CRI_CONFIG_PATH, err);
}

void cri_config_free(struct cri_config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].kind != K_INT)
            free(*(char **) ((char *) c + keys[i].off));
    for (size_t i = 0; i < c->nruntimes; i++) {
        free(c->runtimes[i].name);
        free(c->runtimes[i].path);
        free(c->runtimes[i].root);
    }
    free(c->runtimes);
    *c = (struct cri_config) { 0 };
}

void cri_config_usage(FILE *f)
{
    fprintf(f, "usage: capsad [flags]\n\n"
               "capsad is capsa's CRI server.  Each flag is also a key of the configuration\n"
               "file (TOML; the key has '_' where the flag has '-'); flags win over the file.\n\n"
               "  --config FILE\n"
               "      the configuration file (default " CRI_CONFIG_PATH ", which may be\n"
               "      missing; a --config file must exist)\n");
    for (size_t i = 0; i < NKEYS; i++) {
        const struct key *k = &keys[i];
        char flag[64];
        snprintf(flag, sizeof flag, "%s", k->name);
        for (char *p = flag; *p; p++)
            *p = *p == '_' ? '-' : *p;
        if (k->kind == K_INT)
            fprintf(f, "  --%s %s  (%s = %s)\n", flag, k->arg, k->name, k->def);
        else
            fprintf(f, "  --%s %s  (%s = \"%s\")\n", flag, k->arg, k->name, k->def);
        fprintf(f, "      %s\n", k->meaning);
    }
    fprintf(f, "  --runtime NAME=PATH[:ROOT]  "
               "([runtimes.NAME] path = \"PATH\", root = \"ROOT\")\n"
               "      a runtime handler: the OCI runtime at PATH (runc, crun: --root ROOT, else\n"
               "      RUNROOT/runtimes/<its file name>) for pods whose RuntimeClass names NAME;\n"
               "      repeatable; \"" CRI_RUNTIME_BUILTIN "\" is built in\n"
               "  --help, --version\n");
}

json_t *cri_config_json(const struct cri_config *c)
{
    json_t *j = json_object();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const void *field = (const char *) c + keys[i].off;
        if (keys[i].kind == K_INT) {
            json_object_set_new(j, keys[i].name, json_integer(*(const int *) field));
            continue;
        }
        const char *s = *(char *const *) field;
        json_object_set_new(j, keys[i].name, json_string(s ? s : ""));
    }
    json_t *rt = json_object();
    for (size_t i = 0; i < c->nruntimes; i++)
        json_object_set_new(rt, c->runtimes[i].name,
                            json_pack("{s:s, s:s}", "path", c->runtimes[i].path
                                      ? c->runtimes[i].path : "", "root",
                                      c->runtimes[i].root ? c->runtimes[i].root : ""));
    json_object_set_new(j, "runtimes", rt);
    return j;
}
