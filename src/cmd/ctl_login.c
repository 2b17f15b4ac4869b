/* ctl_login.c: `capsactl login` and `capsactl logout` (podman's flags and
 * words).  login checks the credentials against the registry and only
 * then writes them to the auth file (--authfile, else $REGISTRY_AUTH_FILE,
 * else ${XDG_RUNTIME_DIR}/containers/auth.json), under the registry as
 * typed ("host[:port]" or "host[:port]/namespace"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "image/authfile.h"
#include "image/reference.h"
#include "image/registry.h"

#define SECRET_MAX 4096

struct login_args {
    const char *user, *pass;
    struct ctl_registry_flags reg;   /* --authfile, --tls-verify */
    bool password_stdin, get_login;
};

/* ---- the registry argument ---- */

/* "https://quay.io/ns/" -> key "quay.io/ns", host "quay.io"; without an
 * argument the first unqualified-search registry. */
static int registry_key(const struct ctl_global *g, const char *arg, char **key, char **host,
                        bool *insecure, cx_error *err)
{
    _cleanup_(cx_regconf_free) struct cx_regconf rc = { 0 };
    if (ctl_regconf(g, &rc, err) < 0)
        return -1;
    if (arg == NULL && rc.nsearch == 0)
        return cx_fail(err, 0, "no registry given and none in registries.conf's "
                       "unqualified-search-registries");
    const char *s = arg ? arg : rc.search[0];
    static const char *const schemes[] = { "https://", "http://", "docker://" };
    for (size_t i = 0; i < 3; i++)
        if (cx_str_has_prefix(s, schemes[i]))
            s += strlen(schemes[i]);
    _cleanup_free_ char *k = cx_strdup(s);
    size_t n = strlen(k);
    while (n > 0 && k[n - 1] == '/')
        k[--n] = '\0';
    size_t hl = strcspn(k, "/");
    if (hl == 0 || !cx_ref_domain_valid(k, hl) ||
        (k[hl] == '/' && !cx_ref_path_valid(k + hl + 1, n - hl - 1)))
        return cx_fail(err, 0, "%s: not a registry (want host[:port][/namespace])", s);
    const struct cx_regconf_registry *reg = cx_regconf_find(&rc, k);
    *insecure = reg && reg->insecure;
    *host = strndup(k, hl);
    *key = TAKE_PTR(k);
    return 0;
}

/* ---- reading secrets ---- */

static void chomp(char *s)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '\n')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '\r')
        s[--n] = '\0';
}

/* One line from the terminal on stdin; echo off when secret. */
static int prompt(const char *what, bool secret, char *buf, size_t len, cx_error *err)
{
    struct termios old, quiet;
    bool restore = false;
    /* echo goes off before the prompt shows: nothing typed after it echoes */
    if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t) ECHO;
        quiet.c_lflag |= ECHONL;
        restore = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
    }
    printf("%s: ", what);
    fflush(stdout);
    bool ok = fgets(buf, (int) len, stdin) != NULL;
    if (restore)
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
    if (!ok)
        return cx_fail(err, 0, "login: no %s read from the terminal", what);
    chomp(buf);
    return 0;
}

static int password_from_stdin(char **out, cx_error *err)
{
    char *buf = NULL;
    size_t len;
    if (cx_read_fd(STDIN_FILENO, "stdin", SECRET_MAX, &buf, &len, err) < 0)
        return cx_error_prefix(err, "--password-stdin");
    if (strlen(buf) != len) {
        explicit_bzero(buf, len);
        free(buf);
        return cx_fail(err, 0, "--password-stdin: the password holds a NUL byte");
    }
    chomp(buf);
    *out = buf;
    return 0;
}

/* The user name and password from the flags, stdin or the terminal. */
static int read_creds(const struct login_args *a, char **user, char **pass, cx_error *err)
{
    char buf[SECRET_MAX];
    bool tty = isatty(STDIN_FILENO);
    if (a->pass && a->password_stdin)
        return cx_fail(err, 0, "login: --password and --password-stdin exclude each other");
    if ((a->pass || a->password_stdin) && !a->user)
        return cx_fail(err, 0, "login: a password needs a user name (-u USER)");
    if (a->user)
        *user = cx_strdup(a->user);
    else if (!tty)
        return cx_fail(err, 0, "login: no user name: give -u USER (no terminal to ask)");
    else if (prompt("Username", false, buf, sizeof buf, err) < 0)
        return -1;
    else
        *user = cx_strdup(buf);
    if (**user == '\0')
        return cx_fail(err, 0, "login: the user name is empty");
    if (a->pass)
        return *pass = cx_strdup(a->pass), 0;
    if (a->password_stdin)
        return password_from_stdin(pass, err);
    if (!tty)
        return cx_fail(err, 0, "login: no password: give -p PASSWORD or "
                       "--password-stdin (no terminal to ask)");
    int rc = prompt("Password", true, buf, sizeof buf, err);
    if (rc == 0)
        *pass = cx_strdup(buf);
    explicit_bzero(buf, sizeof buf);
    return rc;
}

static void secret_free(char **p)
{
    if (*p) {
        explicit_bzero(*p, strlen(*p));
        free(*p);
    }
}

/* ---- login ---- */

static bool refused(const cx_error *e)
{
    return strstr(e->msg, "401 unauthorized") || strstr(e->msg, "credentials were refused") ||
           strstr(e->msg, "403 denied");
}

static int check(const char *key, const struct cx_registry_endpoint *ep, const char *user,
                 const char *pass, cx_error *err)
{
    struct cx_registry_creds creds = { user, pass };
    if (cx_registry_check_login(ep, &creds, err) == 0)
        return 0;
    if (refused(err))
        return cx_fail(err, 0, "logging into \"%s\": invalid "
                       "username/password", key);
    return cx_error_prefix(err, "logging into \"%s\"", key);
}

/* Without -u/-p: credentials already stored and still good are enough. */
static int try_existing(const struct login_args *a, const char *key, const char *host,
                        const struct cx_registry_endpoint *ep, bool *done, cx_error *err)
{
    _cleanup_(secret_free) char *user = NULL, *pass = NULL;
    const char *slash = strchr(key, '/');
    bool found;
    *done = false;
    if (a->user || a->pass || a->password_stdin)
        return 0;
    if (cx_auth_lookup(a->reg.authfile, host, slash ? slash + 1 : NULL, &user, &pass, &found,
                       err) < 0 || !found)
        return found ? -1 : 0;
    printf("Authenticating with existing credentials for %s\n", key);
    cx_error e = { 0 };
    if (check(key, ep, user, pass, &e) == 0) {
        printf("Existing credentials are valid. Already logged in to %s\n", key);
        return *done = true, 0;
    }
    printf("Existing credentials are invalid, please enter valid username and password\n");
    return 0;
}

static int get_login(const struct login_args *a, const char *key, const char *host,
                     cx_error *err)
{
    _cleanup_(secret_free) char *user = NULL, *pass = NULL;
    const char *slash = strchr(key, '/');
    bool found;
    if (cx_auth_lookup(a->reg.authfile, host, slash ? slash + 1 : NULL, &user, &pass, &found,
                       err) < 0)
        return -1;
    if (!found)
        return cx_fail(err, 0, "not logged into %s", key);
    printf("%s\n", user);
    return 0;
}

enum { OPT_AUTHFILE = 1000, OPT_STDIN, OPT_GET };

static int login_flags(int argc, char **argv, struct login_args *a, cx_error *err)
{
    static const struct option opts[] = {
        { "username", required_argument, NULL, 'u' },
        { "password", required_argument, NULL, 'p' },
        { "password-stdin", no_argument, NULL, OPT_STDIN },
        { "authfile", required_argument, NULL, CTL_OPT_AUTHFILE },
        { "tls-verify", optional_argument, NULL, CTL_OPT_TLS },
        { "get-login", no_argument, NULL, OPT_GET },
        { "verbose", no_argument, NULL, 'v' },
        { 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "+u:p:v", opts, NULL)) != -1) {
        int taken = ctl_registry_flag(c, optarg, &a->reg, err);
        if (taken < 0)
            return -1;
        if (taken)
            continue;
        switch (c) {
        case 'u': a->user = optarg; break;
        case 'p': a->pass = optarg; break;
        case 'v': break;
        case OPT_STDIN: a->password_stdin = true; break;
        case OPT_GET: a->get_login = true; break;
        default:
            return cx_fail(err, 0, "login: unknown flag %s", argv[optind - 1]);
        }
    }
    return optind;
}

int ctl_login(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    struct login_args a = { 0 };
    _cleanup_free_ char *key = NULL, *host = NULL;
    _cleanup_(secret_free) char *user = NULL, *pass = NULL;
    bool insecure = false, done = false;
    int first = login_flags(argc, argv, &a, err);
    if (first < 0)
        return -1;
    if (argc - first > 1)
        return cx_fail(err, 0, "usage: capsactl login [options] [REGISTRY]");
    if (registry_key(g, argc > first ? argv[first] : NULL, &key, &host, &insecure, err) < 0)
        return -1;
    if (a.get_login)
        return get_login(&a, key, host, err);
    struct cx_registry_endpoint ep = { .host = host, .insecure = insecure };
    if (a.reg.tls_verify_set)
        ep.insecure = !a.reg.tls_verify;
    if (try_existing(&a, key, host, &ep, &done, err) < 0)
        return -1;
    if (done)
        return 0;
    if (read_creds(&a, &user, &pass, err) < 0 || check(key, &ep, user, pass, err) < 0 ||
        cx_auth_store(a.reg.authfile, key, user, pass, err) < 0)
        return -1;
    printf("Login Succeeded!\n");
    return 0;
}

/* ---- logout ---- */

int ctl_logout(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "authfile", required_argument, NULL, OPT_AUTHFILE },
        { "all", no_argument, NULL, 'a' },
        { 0 },
    };
    const char *authfile = NULL;
    bool all = false, found = false, insecure;
    int c;
    while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
        switch (c) {
        case 'a': all = true; break;
        case OPT_AUTHFILE: authfile = optarg; break;
        default:
            return cx_fail(err, 0, "logout: unknown flag %s", argv[optind - 1]);
        }
    }
    if (argc - optind > 1 || (all && argc - optind > 0))
        return cx_fail(err, 0, "usage: capsactl logout [--authfile F] {--all | REGISTRY}");
    if (all) {
        if (cx_auth_remove_all(authfile, err) < 0)
            return -1;
        printf("Removed login credentials for all registries\n");
        return 0;
    }
    _cleanup_free_ char *key = NULL, *host = NULL;
    if (registry_key(g, argc > optind ? argv[optind] : NULL, &key, &host, &insecure, err) < 0 ||
        cx_auth_remove(authfile, key, &found, err) < 0)
        return -1;
    if (!found)
        return cx_fail(err, 0, "not logged into %s", key);
    printf("Removed login credentials for %s\n", key);
    return 0;
}
