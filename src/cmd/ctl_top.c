/* ctl_top.c: `capsactl top`, `stats`, `attach` and `port`, with podman
 * 4.3's flags and output: tables through Go's tabwriter as podman sets it
 * (cells at least 12 wide, 2 spaces of padding), --format templates and
 * JSON as podman's report package renders them. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/ctl.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/attach.h"
#include "engine/gotmpl.h"
#include "engine/lifecycle.h"
#include "engine/stats.h"
#include "engine/top.h"
#include "net/ports.h"
#include "engine/ctr_runtime.h"

/* ---- Go's text/tabwriter (minwidth 12, padding 2, spaces, left) ---- */

#define TW_MINWIDTH 12
#define TW_PADDING 2

struct tw_line {
    char **cells;
    size_t n;
};

static size_t utf8_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char) *s & 0xc0) != 0x80;
    return n;
}

static void tw_write(const struct tw_line *lines, size_t from, size_t to, size_t nlines,
                     const size_t *widths, size_t nw)
{
    for (size_t i = from; i < to; i++) {
        for (size_t j = 0; j < lines[i].n; j++) {
            fputs(lines[i].cells[j], stdout);
            if (j < nw)
                printf("%*s", (int) (widths[j] - utf8_width(lines[i].cells[j])), "");
        }
        if (i + 1 < nlines)
            putchar('\n');
    }
}

/* Every cell but a line's last is aligned in its column block: the run of
 * lines that have a cell there. */
static void tw_format(const struct tw_line *lines, size_t line0, size_t line1, size_t nlines,
                      size_t *widths, size_t nw)
{
    for (size_t this = line0; this < line1; this++) {
        if (nw + 1 >= lines[this].n)
            continue;
        tw_write(lines, line0, this, nlines, widths, nw);
        line0 = this;
        size_t width = TW_MINWIDTH;
        for (; this < line1 && nw + 1 < lines[this].n; this++) {
            size_t w = utf8_width(lines[this].cells[nw]) + TW_PADDING;
            width = w > width ? w : width;
        }
        widths[nw] = width;
        tw_format(lines, line0, this, nlines, widths, nw + 1);
        line0 = this;
    }
    tw_write(lines, line0, line1, nlines, widths, nw);
}

/* Print text (lines of tab-separated cells) aligned. */
void ctl_tabwrite(char *text)
{
    size_t nlines = 1, maxcells = 1;
    for (char *p = text; *p; p++)
        nlines += *p == '\n';
    _cleanup_free_ struct tw_line *lines = cx_calloc(nlines, sizeof *lines);
    char *line = text;
    for (size_t i = 0; i < nlines; i++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t n = 1;
        for (char *p = line; *p; p++)
            n += *p == '\t';
        lines[i].cells = cx_calloc(n, sizeof(char *));
        for (char *cell = line, *tab; lines[i].n < n; cell = tab + 1) {
            tab = strchr(cell, '\t');
            if (tab)
                *tab = '\0';
            lines[i].cells[lines[i].n++] = cell;
            if (!tab)
                break;
        }
        maxcells = n > maxcells ? n : maxcells;
        line = nl ? nl + 1 : line + strlen(line);
    }
    _cleanup_free_ size_t *widths = cx_calloc(maxcells, sizeof(size_t));
    tw_format(lines, 0, nlines, nlines, widths, 0);
    for (size_t i = 0; i < nlines; i++)
        free(lines[i].cells);
    fflush(stdout);
}

/* ---- finding the container ---- */

/* By name or id, or the one created last with latest. */
static int find_ctr(struct cx_engine *e, const char *what, bool latest, struct cx_ctr *out,
                    cx_error *err)
{
    if (!latest)
        return cx_ctr_lookup(&e->store.db, what, out, NULL, err);
    struct cx_ctr *list = NULL;
    size_t n = 0;
    if (cx_ctr_list(&e->store.db, &list, &n, err) < 0)
        return -1;
    if (n == 0) {
        cx_ctrs_free(list, n);
        return cx_fail(err, 0, "--latest: there is no container");
    }
    *out = list[n - 1];
    list[n - 1] = (struct cx_ctr){ 0 };
    cx_ctrs_free(list, n);
    return 0;
}

/* ---- top ---- */

static void print_top(const struct cx_top_table *t)
{
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            fprintf(f, "%s%c", cx_top_cell(t, r, c), c + 1 < t->ncols ? '\t' : '\n');
    fclose(f);
    ctl_tabwrite(text);
    free(text);
}

int ctl_top(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "latest", no_argument, NULL, 'l' }, { "list-descriptors", no_argument, NULL, 'L' },
        { 0 },
    };
    bool latest = false;
    int c;
    while ((c = getopt_long(argc, argv, "+l", opts, NULL)) != -1)
        switch (c) {
        case 'l': latest = true; break;
        case 'L': {
            size_t n;
            const char *const *names = cx_top_descriptor_names(&n);
            for (size_t i = 0; i < n; i++)
                printf("%s\n", names[i]);
            return 0;
        }
        default: return cx_fail(err, 0, "top: unknown flag %s", argv[optind - 1]);
        }
    if (optind >= argc && !latest)
        return cx_fail(err, 0, "top: give the name or ID of a running container");
    const char *name = latest ? NULL : argv[optind++];
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    struct cx_ctr ctr;
    struct cx_top_table t = { 0 };
    int rc = find_ctr(&e, name, latest, &ctr, err);
    if (rc == 0) {
        rc = cx_ctr_top(&e, &ctr, argv + optind, (size_t) (argc - optind), &t, err);
        cx_ctr_free(&ctr);
    }
    cx_engine_close(&e);
    if (rc == 0)
        print_top(&t);
    cx_top_table_free(&t);
    return rc;
}

int ctl_top_many(struct cx_engine *e, char **ids, char **descs, size_t ndescs, cx_error *err)
{
    struct cx_top_table all = { 0 };
    int rc = 0;
    for (size_t i = 0; rc == 0 && ids && ids[i]; i++) {
        struct cx_ctr c;
        struct cx_top_table t = { 0 };
        if ((rc = cx_ctr_lookup(&e->store.db, ids[i], &c, NULL, err)) < 0)
            break;
        rc = cx_ctr_top(e, &c, descs, ndescs, &t, err);
        cx_ctr_free(&c);
        /* the header once, then every container's rows */
        size_t skip = all.ncols ? 1 : 0;
        if (rc == 0 && t.nrows > skip) {
            all.ncols = t.ncols;
            size_t add = (t.nrows - skip) * t.ncols, have = all.nrows * all.ncols;
            all.cells = cx_realloc(all.cells, (have + add) * sizeof *all.cells);
            memcpy(all.cells + have, t.cells + skip * t.ncols, add * sizeof *t.cells);
            for (size_t k = 0; k < skip * t.ncols; k++)
                free(t.cells[k]);
            free(t.cells);
            all.nrows += t.nrows - skip;
        } else
            cx_top_table_free(&t);
    }
    if (rc == 0)
        print_top(&all);
    cx_top_table_free(&all);
    return rc;
}

/* ---- stats ---- */

struct stats_args {
    bool all, latest, no_reset, no_stream, no_trunc;
    const char *format;
    int interval;
    char **names;
    size_t nnames;
};

static int stats_flags(int argc, char **argv, struct stats_args *a, cx_error *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' }, { "format", required_argument, NULL, 'F' },
        { "interval", required_argument, NULL, 'i' }, { "latest", no_argument, NULL, 'l' },
        { "no-reset", no_argument, NULL, 'R' }, { "no-stream", no_argument, NULL, 'S' },
        { "no-trunc", no_argument, NULL, 'T' }, { 0 },
    };
    *a = (struct stats_args){ .interval = 5 };
    int c;
    while ((c = getopt_long(argc, argv, "+ai:l", opts, NULL)) != -1)
        switch (c) {
        case 'a': a->all = true; break;
        case 'F': a->format = optarg; break;
        case 'i':
            if (cx_parse_int(optarg, &a->interval) < 0 || a->interval < 1)
                return cx_fail(err, 0, "stats: --interval %s: give a whole number of "
                               "seconds, at least 1", optarg);
            break;
        case 'l': a->latest = true; break;
        case 'R': a->no_reset = true; break;
        case 'S': a->no_stream = true; break;
        case 'T': a->no_trunc = true; break;
        default: return cx_fail(err, 0, "stats: unknown flag %s", argv[optind - 1]);
        }
    a->names = argv + optind;
    a->nnames = (size_t) (argc - optind);
    if ((a->all ? 1 : 0) + (a->latest ? 1 : 0) + (a->nnames ? 1 : 0) > 1)
        return cx_fail(err, 0, "stats: --all, --latest and containers cannot be used "
                       "together");
    return 0;
}

/* The containers of this round: those named, the latest, or every one
 * (running or paused ones only, unless --all). */
static int stats_targets(struct cx_engine *e, const struct stats_args *a, struct cx_ctr **out,
                         size_t *n, cx_error *err)
{
    if (a->nnames || a->latest) {
        size_t count = a->latest ? 1 : a->nnames;
        *out = cx_calloc(count, sizeof **out);
        for (*n = 0; *n < count; (*n)++)
            if (find_ctr(e, a->latest ? NULL : a->names[*n], a->latest, &(*out)[*n], err) < 0)
                return -1;
        return 0;
    }
    if (cx_ctr_list(&e->store.db, out, n, err) < 0)
        return -1;
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        cx_ctr_sync(e, &(*out)[i]);
        enum cx_ctr_state st = (*out)[i].state;
        if (a->all || st == CX_CTR_RUNNING || st == CX_CTR_PAUSED)
            (*out)[kept++] = (*out)[i];
        else
            cx_ctr_free(&(*out)[i]);
    }
    *n = kept;
    return 0;
}

/* The template podman renders, as our gotmpl takes it, and whether it is
 * a table (tabwriter, headers). */
static char *stats_template(const char *format, bool *table)
{
    *table = true;
    if (!format)
        return cx_strdup("{{range .}}{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t"
                         "{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.UpTime}}\t"
                         "{{.AVGCPU}}\n{{end -}}");
    size_t len = strlen(format);
    bool nl = (len && format[len - 1] == '\n') ||
              (len > 1 && format[len - 2] == '\\' && format[len - 1] == 'n');
    if (cx_str_has_prefix(format, "table ")) {
        char *body = cx_strdup(format + 6);
        for (char *p = body; *p; p++)
            if (*p == ' ')
                *p = '\t';
        char *t = cx_asprintf("{{range .}}%s%s{{end -}}", body, nl ? "" : "\n");
        free(body);
        return t;
    }
    *table = false;
    if (strstr(format, "{{range") || strstr(format, "{{ range") || strstr(format, "{{- range"))
        return cx_asprintf("%s%s", format, nl ? "" : "\n");
    return cx_asprintf("{{range .}}%s%s{{end -}}", format, nl ? "" : "\n");
}

/* "json" or "{{json .}}" (spaces allowed), as podman's report.IsJSON */
static bool is_json(const char *f)
{
    char w[16];
    size_t n = 0;
    for (; f && *f && n < sizeof w - 1; f++)
        if (*f != ' ' && *f != '\t' && *f != '\n')
            w[n++] = *f;
    w[n] = '\0';
    return f && !*f && (strcmp(w, "json") == 0 || strcmp(w, "{{json}}") == 0 ||
                        strcmp(w, "{{json.}}") == 0);
}

static int stats_print(const struct stats_args *a, const struct cx_stats *s, size_t n,
                       cx_error *err)
{
    json_auto_t *arr = json_array();
    bool json = is_json(a->format);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json ? cx_stats_json(&s[i], a->no_trunc)
                                        : cx_stats_view(&s[i], a->no_trunc));
    if (!a->no_reset && isatty(STDOUT_FILENO))
        fputs("\033[2J\033[1;1H", stdout);   /* podman clears the screen */
    if (json) {
        _cleanup_free_ char *text = json_dumps(arr, JSON_INDENT(1));
        printf("%s\n", text ? text : "[]");
        fflush(stdout);
        return 0;
    }
    bool table;
    _cleanup_free_ char *tmpl = stats_template(a->format, &table);
    _cleanup_free_ char *head = NULL, *body = NULL;
    json_auto_t *headers = json_pack("[o]", cx_stats_headers());
    if ((table && cx_gotmpl_render(tmpl, headers, &head, err) < 0) ||
        cx_gotmpl_render(tmpl, arr, &body, err) < 0)
        return -1;
    _cleanup_free_ char *text = cx_asprintf("%s%s", head ? head : "", body);
    if (table)
        ctl_tabwrite(text);
    else
        fputs(text, stdout);
    fflush(stdout);
    return 0;
}

/* One round: sample every target against its previous sample. */
static int stats_round(struct cx_engine *e, const struct stats_args *a, struct cx_stats **prev,
                       size_t *nprev, cx_error *err)
{
    struct cx_ctr *list = NULL;
    size_t n = 0;
    int rc = stats_targets(e, a, &list, &n, err);
    struct cx_stats *now = cx_calloc(n + 1, sizeof *now);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct cx_stats *p = NULL;
        for (size_t j = 0; j < *nprev; j++)
            if (strcmp((*prev)[j].id, list[i].id) == 0)
                p = &(*prev)[j];
        rc = cx_ctr_stats(e, &list[i], p, &now[i], err);
    }
    cx_ctrs_free(list, n);
    if (rc == 0)
        rc = stats_print(a, now, n, err);
    for (size_t j = 0; j < *nprev; j++)
        cx_stats_free(&(*prev)[j]);
    free(*prev);
    *prev = now;
    *nprev = n;
    return rc;
}

int ctl_stats(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    struct stats_args a;
    if (stats_flags(argc, argv, &a, err) < 0)
        return -1;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    struct cx_stats *prev = NULL;
    size_t nprev = 0;
    int rc;
    while ((rc = stats_round(&e, &a, &prev, &nprev, err)) == 0 && !a.no_stream)
        sleep((unsigned) a.interval);   /* until interrupted, as podman */
    for (size_t i = 0; i < nprev; i++)
        cx_stats_free(&prev[i]);
    free(prev);
    cx_engine_close(&e);
    return rc;
}

/* ---- attach ---- */

/* The exit code once the container has exited; a --rm one leaves it in
 * <runroot>/exits/<id> (taken here). */
static int attach_exit_code(struct cx_engine *e, const char *id, cx_error *err)
{
    int code;
    if (cx_ctr_wait(e, id, -1, &code, err) == 0)
        return code >= 0 ? code : 125;
    if (err->errnum != ENOENT)
        return -1;
    _cleanup_free_ char *p = cx_asprintf("%s/exits/%s", e->store.runroot, id);
    _cleanup_free_ char *text = NULL;
    cx_error none = { 0 };
    if (cx_read_file_at(AT_FDCWD, p, 32, &text, NULL, &none) < 0)
        return -1;
    unlink(p);
    cx_error_clear(err);
    text[strcspn(text, "\n")] = '\0';
    return cx_parse_int(text, &code) == 0 && code >= 0 ? code : 125;
}

struct attach_args {
    const char *keys;
    bool no_stdin, latest;
};

static int attach_flags(int argc, char **argv, struct attach_args *a, cx_error *err)
{
    static const struct option opts[] = {
        { "detach-keys", required_argument, NULL, 'K' }, { "no-stdin", no_argument, NULL, 'N' },
        { "sig-proxy", optional_argument, NULL, 'P' }, { "latest", no_argument, NULL, 'l' },
        { 0 },
    };
    int c;
    bool proxy;
    while ((c = getopt_long(argc, argv, "+l", opts, NULL)) != -1)
        switch (c) {
        case 'K': a->keys = optarg; break;
        case 'N': a->no_stdin = true; break;
        case 'l': a->latest = true; break;
        case 'P':
            if (ctl_parse_bool("--sig-proxy", optarg, &proxy, err) < 0)
                return -1;
            if (!proxy)
                return cx_fail(err, 0, "attach: --sig-proxy=false is not supported: "
                               "signals always reach a container without a terminal");
            break;
        default: return cx_fail(err, 0, "attach: unknown flag %s", argv[optind - 1]);
        }
    if (argc - optind != (a->latest ? 0 : 1))
        return cx_fail(err, 0, "attach: give the name or ID of one running container "
                       "(or --latest)");
    unsigned char keys[CX_DETACH_MAX];
    size_t n;
    return cx_detach_keys_parse(a->keys, keys, &n, err);
}

/* Relay; 1 when detached, 0 when its output ended. */
static int attach_relay(struct cx_engine *e, const struct cx_ctr *c, const struct attach_args *a,
                        cx_error *err)
{
    struct cx_run_opts o;
    json_auto_t *oj = json_loads(c->opts ? c->opts : "{}", 0, NULL);
    if (!oj || cx_run_opts_from_json(oj, &o, err) < 0)
        return oj ? -1 : cx_fail(err, 0, "container %s: its options do not parse",
                                 c->name);
    bool tty = o.tty;
    cx_run_opts_free(&o);
    _cleanup_close_ int sock = cx_attach_connect(e, c->id, err);
    if (sock < 0)
        return -1;
    if (tty) {
        cx_error ignored = { 0 };
        cx_attach_resize(e, c->id);
        /* as podman: a full-screen program redraws for the newcomer */
        cx_rt_kill(e, c, SIGWINCH, false, &ignored);
    }
    struct cx_attach_opts ao = { .tty = tty, .stdin_open = !a->no_stdin,
                                 .detach_keys = a->keys, .ctr = c };
    bool detached = false;
    if (cx_attach_relay(e, sock, &ao, &detached, err) < 0)
        return -1;
    return detached ? 1 : 0;
}

int ctl_attach(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    struct attach_args a = { 0 };
    if (attach_flags(argc, argv, &a, err) < 0)
        return -1;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    struct cx_ctr c;
    int rc = find_ctr(&e, a.latest ? NULL : argv[optind], a.latest, &c, err);
    if (rc == 0) {
        cx_ctr_sync(&e, &c);
        if (c.state != CX_CTR_RUNNING)
            rc = cx_fail(err, 0, "you can only attach to running containers: %s is %s",
                         c.name, cx_ctr_state_name(c.state));
        else
            rc = attach_relay(&e, &c, &a, err);
        if (rc >= 0)
            fputs("\n", stdout);   /* podman ends an attach with a newline */
        if (rc == 0)
            rc = attach_exit_code(&e, c.id, err);
        else if (rc == 1)
            rc = 0;
        cx_ctr_free(&c);
    }
    cx_engine_close(&e);
    return rc;
}

/* ---- port ---- */

/* PORT or PORT/PROTO as podman checks it. */
static int port_check(const char *spec, cx_error *err)
{
    const char *slash = strchr(spec, '/');
    _cleanup_free_ char *num = slash ? cx_asprintf("%.*s", (int) (slash - spec), spec)
                                     : cx_strdup(spec);
    uint64_t v;
    if (slash && strchr(slash + 1, '/'))
        return cx_fail(err, 0, "port formats are port/protocol. '%s' is invalid", spec);
    if (cx_parse_u64(num, &v) < 0 || v > 65535)
        return cx_fail(err, 0, "port: \"%s\" is not a port number (0-65535)", num);
    return 0;
}

/* The container's published ports (its record's resolved -p), each
 * "80/tcp -> 0.0.0.0:8080"; with spec ("80", "80/udp") only its host side;
 * prefix: the container's ID (--all). */
static void print_ports(const struct cx_ctr *c, const char *spec, bool prefix)
{
    _cleanup_(json_decrefp) json_t *opts = json_loads(c->opts ? c->opts : "{}", 0, NULL);
    struct cx_port *v = NULL;
    size_t n = 0;
    cx_ports_of_json(json_object_get(opts, "publish"), &v, &n);
    for (size_t k = 0; k < n; k++) {
        char line[48], want[16];
        cx_port_key(&v[k], want);
        cx_port_format(&v[k], line);
        bool match = spec && (strcmp(spec, want) == 0 ||
                              (!strchr(spec, '/') && !v[k].udp &&
                               (unsigned) atoi(spec) == v[k].ctr_port));
        if (match)
            printf("%s:%u\n", v[k].host_ip[0] ? v[k].host_ip : "0.0.0.0", v[k].host_port);
        else if (!spec && prefix)
            printf("%.12s\t%s\n", c->id, line);
        else if (!spec)
            printf("%s\n", line);
    }
    free(v);
}

int ctl_port(const struct ctl_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' }, { "latest", no_argument, NULL, 'l' }, { 0 },
    };
    bool all = false, latest = false;
    int c;
    while ((c = getopt_long(argc, argv, "+al", opts, NULL)) != -1)
        switch (c) {
        case 'a': all = true; break;
        case 'l': latest = true; break;
        default: return cx_fail(err, 0, "port: unknown flag %s", argv[optind - 1]);
        }
    int nargs = argc - optind;
    if (all && latest)
        return cx_fail(err, 0, "port: --all and --latest cannot be used together");
    if (all && nargs > 0)
        return cx_fail(err, 0, "port: no arguments are needed with --all");
    if (nargs == 0 && !all && !latest)
        return cx_fail(err, 0, "port: give the name or ID of a running container");
    if (nargs > (latest ? 1 : 2))
        return cx_fail(err, 0, "port: `port` accepts at most 2 arguments");
    const char *spec = latest ? (nargs ? argv[optind] : NULL) : (nargs > 1 ? argv[optind + 1]
                                                                            : NULL);
    if (spec && port_check(spec, err) < 0)
        return -1;
    struct cx_engine e;
    if (ctl_engine_open(g, &e, err) < 0)
        return -1;
    int rc;
    if (all) {
        struct cx_ctr *list;
        size_t n;
        if ((rc = cx_ctr_list(&e.store.db, &list, &n, err)) == 0) {
            for (size_t i = 0; i < n; i++)
                print_ports(&list[i], NULL, true);
            cx_ctrs_free(list, n);
        }
    } else {
        struct cx_ctr ctr;
        rc = find_ctr(&e, latest ? NULL : argv[optind], latest, &ctr, err);
        if (rc == 0) {
            print_ports(&ctr, spec, false);
            cx_ctr_free(&ctr);
        }
    }
    cx_engine_close(&e);
    return rc;
}
