/* gotmpl.c: the template interpreter (see gotmpl.h): the lexer, pipelines,
 * actions and blocks; values print in gotmpl_values.c and the functions are
 * in gotmpl_funcs.c.
 *
 * One pass: each action is parsed where it stands and executed at once,
 * unless `skip` (a branch not taken, a range with nothing to range over:
 * still parsed, so its errors show); a range body is read again for each
 * element.  A value is a counted jansson reference; NULL is Go's "no value"
 * (a missing key).
 */
#include "engine/gotmpl.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/gotmpl_internal.h"

#define TMPL_MAX (1 << 20)      /* template bytes */
#define DEPTH_MAX 64            /* nested blocks and parentheses */
#define ARGS_MAX 16             /* words in one command */
#define VARS_MAX 32             /* variables in scope */

/* "template: LINE:COL: msg", control characters of the template blanked. */
static int __attribute__((format(printf, 4, 5)))
tfail(cx_error *err, const char *src, size_t at, const char *fmt, ...)
{
    int line = 1;
    size_t ls = 0;
    for (const char *nl = src; (nl = memchr(nl, '\n', at - (size_t) (nl - src))) != NULL; nl++)
        line++, ls = (size_t) (nl - src) + 1;
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *c = msg; *c; c++)
        if ((unsigned char) *c < 0x20)
            *c = ' ';
    return cx_fail(err, 0, "template: %d:%zu: %s", line, at - ls + 1, msg);
}

/* ---- the interpreter -------------------------------------------------- */

/* the first three end a command */
enum tk { T_CLOSE, T_RPAR, T_PIPE, T_DOT, T_FIELD, T_VAR, T_IDENT, T_CONST, T_STR, T_NUM,
          T_LPAR, T_DECL, T_COMMA };
enum term { TM_EOF, TM_END, TM_ELSE, TM_ELSEIF };
enum kind { K_IF, K_RANGE, K_WITH };

struct tok {
    enum tk k;
    size_t from, at, end; /* from: before the blanks that precede it */
    bool trim;            /* T_CLOSE of " -}}" */
};

struct var { const char *name; size_t len; json_t *v; };

struct tp {
    const char *src;
    size_t len, pos, act_at; /* act_at: the "{{" being read */
    bool trim_next;          /* it ended with " -}}" */
    int depth, nvars;
    struct gt_sbuf out;
    cx_error *err;
    struct var vars[VARS_MAX]; /* [0] is "$", the document (not counted) */
};

/* "<...>" of an error: the source from a to b, at most 80 bytes. */
#define SPAN(t, a, b) (int) ((b) - (a) < 80 ? (b) - (a) : 80), (t)->src + (a)

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static bool is_word(char c) { return isalnum((unsigned char) c) || c == '_' || c & 0x80; }

/* The end of a word (number: with its '.', and signs after 'e'). */
static size_t word_end(const char *s, size_t i, bool number)
{
    while (is_word(s[i]) || (number && (s[i] == '.' || ((s[i] == '-' || s[i] == '+') &&
                                                       (s[i - 1] == 'e' || s[i - 1] == 'E')))))
        i++;
    return i;
}

static size_t quote_end(const char *s, size_t i)
{
    char q = s[i++];
    while (s[i] && s[i] != q && !(q == '"' && s[i] == '\n'))
        i += (q == '"' && s[i] == '\\' && s[i + 1]) ? 2 : 1;
    return s[i] == q ? i + 1 : 0;
}

static bool tok_is(const struct tp *t, const struct tok *k, const char *word)
{
    return (k->k == T_IDENT || k->k == T_CONST) && k->end - k->at == strlen(word) &&
           memcmp(t->src + k->at, word, k->end - k->at) == 0;
}

static int lex(struct tp *t, struct tok *k)
{
    const char *s = t->src, *single;
    size_t i = t->pos;
    *k = (struct tok) { .from = i };
    while (is_space(s[i]))
        i++;
    char c = s[i], c1 = c ? s[i + 1] : 0;
    k->at = i;
    k->end = i + 1;
    if (c == '\0')
        return tfail(t->err, s, t->act_at, "unclosed action");
    if (c == '}' && c1 == '}')
        k->k = T_CLOSE, k->end = i + 2;
    else if (c == '-' && c1 == '}' && s[i + 2] == '}' && i > k->from)
        k->k = T_CLOSE, k->trim = true, k->end = i + 3;
    else if (c == '.' || c == '$')
        k->end = word_end(s, i + 1, false),
        k->k = c == '$' ? T_VAR : k->end > i + 1 ? T_FIELD : T_DOT;
    else if (c == ':' && c1 == '=')
        k->k = T_DECL, k->end = i + 2;
    else if ((single = strchr("()|,", c)) != NULL)
        k->k = (enum tk[]) { T_LPAR, T_RPAR, T_PIPE, T_COMMA }[single - "()|,"];
    else if (c == '"' || c == '`')
        k->k = T_STR, k->end = quote_end(s, i);
    else if ((c >= '0' && c <= '9') || ((c == '-' || c == '+') && c1 >= '0' && c1 <= '9'))
        k->k = T_NUM, k->end = word_end(s, i + 1, true);
    else if (is_word(c))
        k->end = word_end(s, i, false), k->k = T_IDENT;
    else
        return tfail(t->err, s, i, "unexpected \"%c\" in action", c);
    if (k->end == 0)
        return tfail(t->err, s, i, "unterminated quoted string");
    t->pos = k->end;
    if (tok_is(t, k, "true") || tok_is(t, k, "false") || tok_is(t, k, "nil"))
        k->k = T_CONST;
    return 0;
}

/* A Go string literal: "..." with \a \b \f \n \r \t \v \\ \", or `raw`. */
static int unquote(struct tp *t, const struct tok *k, json_t **out)
{
    const char *s = t->src + k->at + 1, *end = t->src + k->end - 1, *e;
    _cleanup_free_ char *buf = cx_calloc((size_t) (end - s) + 1, 1);
    static const char from[] = "abfnrtv\\\"", to[] = "\a\b\f\n\r\t\v\\\"";
    char *o = buf;
    for (; s < end; o++) {
        if (*s != '\\' || t->src[k->at] == '`')
            *o = *s++;
        else if (s[1] && (e = strchr(from, s[1])) != NULL)
            *o = to[e - from], s += 2;
        else
            return tfail(t->err, t->src, (size_t) (s - t->src),
                         "unknown escape sequence in string");
    }
    *out = gt_jstr(buf, (size_t) (o - buf));
    return 0;
}

/* An integer (decimal, 0x hex or 0 octal), else a floating-point number. */
static int number(struct tp *t, const struct tok *k, json_t **out)
{
    _cleanup_free_ char *txt = cx_asprintf("%.*s", SPAN(t, k->at, k->end));
    char *end;
    long long i = (errno = 0, strtoll(txt, &end, 0));
    if (*end == '\0' && errno == 0)
        return *out = gt_jnew(json_integer(i)), 0;
    double d = (errno = 0, strtod(txt, &end));
    if (*end == '\0' && errno == 0 && isfinite(d))
        return *out = gt_jnew(json_real(d)), 0;
    return tfail(t->err, t->src, k->at, "bad number syntax: %s", txt);
}

/* The ".A.B" right after an operand, walked from v (taken). */
static int walk(struct tp *t, size_t at, json_t *v, bool skip, json_t **out)
{
    struct tok k;
    for (size_t save = t->pos;; save = t->pos) {
        if (lex(t, &k) < 0)
            return json_decref(v), -1;
        if (k.k != T_FIELD || k.at != save) {
            t->pos = save;
            break;
        }
        if (!skip && v && !json_is_null(v) && !json_is_object(v)) {
            int rc = tfail(t->err, t->src, k.at,
                           "executing <%.*s>: can't evaluate field %.*s in %s",
                           SPAN(t, at, k.end), SPAN(t, k.at + 1, k.end), gt_type_name(v));
            return json_decref(v), rc;
        }
        json_t *m = json_is_object(v)
                  ? json_object_getn(v, t->src + k.at + 1, k.end - k.at - 1) : NULL;
        json_incref(m);
        json_decref(v);
        v = m;
    }
    *out = v;
    return 0;
}

static int pipeline(struct tp *t, json_t *dot, bool skip, struct var *decl, int *ndecl,
                    enum tk close, json_t **out);

static int operand(struct tp *t, const struct tok *k, json_t *dot, bool skip, json_t **out)
{
    const char *s = t->src + k->at;
    int len = (int) (k->end - k->at);
    *out = NULL;
    switch (k->k) {
    case T_DOT: *out = skip ? NULL : json_incref(dot); return 0;
    case T_FIELD: t->pos = k->at; return walk(t, k->at, skip ? NULL : json_incref(dot), skip, out);
    case T_STR: return unquote(t, k, out);
    case T_NUM: return number(t, k, out);
    case T_VAR:
        for (int i = t->nvars - 1; i >= 0; i--)
            if (t->vars[i].len == (size_t) len && memcmp(t->vars[i].name, s, (size_t) len) == 0)
                return walk(t, k->at, skip ? NULL : json_incref(t->vars[i].v), skip, out);
        return tfail(t->err, t->src, k->at, "undefined variable \"%.*s\"", len, s);
    case T_LPAR:
        if (++t->depth > DEPTH_MAX)
            return tfail(t->err, t->src, k->at, "nested too deeply");
        if (pipeline(t, dot, skip, NULL, NULL, T_RPAR, out) < 0)
            return -1;
        t->depth--;
        return walk(t, k->at, TAKE_PTR(*out), skip, out);
    case T_CONST:
        *out = tok_is(t, k, "nil") ? json_null() : json_boolean(tok_is(t, k, "true"));
        return 0;
    case T_IDENT:
        return tfail(t->err, t->src, k->at, gt_fn_find(s, (size_t) len)
                     ? "%.*s needs arguments: call it first in a command or in parentheses"
                     : "function \"%.*s\" not defined", len, s);
    default:
        return tfail(t->err, t->src, k->at, "unexpected \"%.*s\" in command", len, s);
    }
}

typedef json_t *argv_t[ARGS_MAX + 1];
static void argv_free(argv_t *a)
{
    for (int i = 0; i <= ARGS_MAX; i++)
        json_decref((*a)[i]);
}

static bool ends_cmd(const struct tok *k) { return k->k <= T_PIPE; }

/* One command: a function and its arguments (prev, piped in, the last), or
 * a single operand. */
static int command(struct tp *t, json_t *dot, bool skip, json_t *prev, bool piped, json_t **out)
{
    _cleanup_(argv_free) argv_t av = { prev };
    int n = 1;
    struct tok k, first;
    const struct gt_fn *fn = NULL;
    size_t end, op_end = 0;
    *out = NULL;
    if (lex(t, &first) < 0)
        return -1;
    if (first.k == T_IDENT && (fn = gt_fn_find(t->src + first.at, first.end - first.at)) == NULL)
        return tfail(t->err, t->src, first.at, "function \"%.*s\" not defined",
                     SPAN(t, first.at, first.end));
    if (ends_cmd(&first))
        return tfail(t->err, t->src, first.at, "missing value for command");
    t->pos = fn ? first.end : first.from;
    for (end = t->pos;; end = t->pos) {
        if (lex(t, &k) < 0)
            return -1;
        if (ends_cmd(&k))
            break;
        if (n == ARGS_MAX)
            return tfail(t->err, t->src, k.at, "more than %d arguments", ARGS_MAX - 1);
        if (operand(t, &k, dot, skip, &av[n++]) < 0)
            return -1;
        op_end = op_end ? op_end : t->pos;
    }
    t->pos = k.from;
    if (skip)
        return 0;
    if (fn == NULL && (n > 2 || piped))
        return tfail(t->err, t->src, first.at, "executing <%.*s>: %.*s is not a function",
                     SPAN(t, first.at, end), SPAN(t, first.at, op_end));
    if (fn == NULL)
        return *out = TAKE_PTR(av[1]), 0;
    /* the arguments, then the piped value */
    memmove(av, av + 1, sizeof av[0] * (size_t) (n - 1));
    av[n - 1] = prev;
    n -= !piped;
    char why[GT_WHY];
    if (gt_fn_check(fn, av, n, why) == 0 && fn->call(fn, av, n, out, why) == 0)
        return 0;
    return tfail(t->err, t->src, first.at, "executing <%.*s>: error calling %s: %s",
                 SPAN(t, first.at, end), fn->name, why);
}

/* [$a[, $b] :=] command | command ... close. */
static int pipeline(struct tp *t, json_t *dot, bool skip, struct var *decl, int *ndecl,
                    enum tk close, json_t **out)
{
    struct tok k, k2;
    size_t save = t->pos;
    while (decl && *ndecl < 2 && lex(t, &k) == 0 && k.k == T_VAR && lex(t, &k2) == 0 &&
           (k2.k == T_DECL || k2.k == T_COMMA)) {
        decl[*ndecl].name = t->src + k.at;
        decl[(*ndecl)++].len = k.end - k.at;
        save = t->pos;
        if (k2.k == T_DECL)
            break;
    }
    t->pos = save;
    json_t *v = NULL;
    for (bool piped = false;; piped = true) {
        if (command(t, dot, skip, v, piped, &v) < 0 || lex(t, &k) < 0)
            return json_decref(v), -1;
        if (k.k == close)
            break;
        if (k.k != T_PIPE) {
            json_decref(v);
            return tfail(t->err, t->src, k.at, "unexpected \"%.*s\" in %s", SPAN(t, k.at, k.end),
                         close == T_RPAR ? "parenthesized pipeline" : "command");
        }
    }
    t->trim_next = k.trim;
    *out = v;
    return 0;
}

static bool text_esc(const char *s, size_t i, size_t to)
{
    return s[i] == '\\' && i + 1 < to && (s[i + 1] == 't' || s[i + 1] == 'n');
}

/* Literal text from..to: podman's "\t" and "\n" as tab and newline, the
 * blanks that " -}}" before it and "{{- " after it ask to trim dropped. */
static void text(struct tp *t, size_t from, size_t to, bool rtrim, bool skip)
{
    const char *s = t->src;
    while (t->trim_next && from < to && (is_space(s[from]) || text_esc(s, from, to)))
        from += text_esc(s, from, to) ? 2 : 1;
    while (rtrim && to > from &&
           (is_space(s[to - 1]) || (to - from >= 2 && text_esc(s, to - 2, to))))
        to -= is_space(s[to - 1]) ? 1 : 2;
    t->trim_next = false;
    for (size_t i = from, j; !skip && i < to; i = j + 2) {
        for (j = i; j < to && !text_esc(s, j, to); j++)
            ;
        gt_sb_add(&t->out, s + i, j - i);
        if (j < to)
            gt_sb_add(&t->out, s[j + 1] == 't' ? "\t" : "\n", 1);
    }
}

static int exec_list(struct tp *t, json_t *dot, bool skip, enum term *term);

/* The body of {{range}} once per element of v (sorted keys for a map),
 * or once skipped when there is none. */
static int range_body(struct tp *t, json_t *v, const struct var *decl, int ndecl, bool skip,
                      bool *ran, enum term *term)
{
    size_t body = t->pos, n = 0;
    bool trim = t->trim_next, arr = json_is_array(v);
    if (!skip && v && !json_is_null(v) && !arr && !json_is_object(v))
        return tfail(t->err, t->src, t->act_at, "range can't iterate over %s", gt_type_name(v));
    if (t->nvars + ndecl > VARS_MAX)
        return tfail(t->err, t->src, t->act_at, "more than %d variables", VARS_MAX);
    if (!skip && v)
        n = arr ? json_array_size(v) : json_object_size(v);
    _cleanup_free_ const char **keys = n && !arr ? gt_keys_of(v, true) : NULL;
    *ran = n > 0;
    for (size_t i = 0; i < (n ? n : 1); i++) {
        json_t *elem = !n ? NULL : arr ? json_array_get(v, i) : json_object_get(v, keys[i]);
        json_t *key = !n ? NULL : arr ? gt_jnew(json_integer((json_int_t) i))
                                      : gt_jstr(keys[i], strlen(keys[i]));
        int base = t->nvars;
        for (int d = 0; d < ndecl; d++) {
            t->vars[t->nvars] = decl[d];
            t->vars[t->nvars++].v = json_incref(d == 0 && ndecl == 2 ? key : elem);
        }
        t->pos = body;
        t->trim_next = trim;
        int rc = exec_list(t, elem, !n, term);
        while (t->nvars > base)
            json_decref(t->vars[--t->nvars].v);
        json_decref(key);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static const char *const kind_names[] = { "if", "range", "with" };

/* {{if}}, {{range}}, {{with}}: the pipeline, the body, {{else [if]}}, {{end}}. */
static int control(struct tp *t, enum kind kind, json_t *dot, bool skip)
{
    size_t at = t->act_at;
    struct var decl[2];
    int ndecl = 0;
    enum term term, term2 = TM_END;
    bool ran = false;
    _cleanup_(json_decrefp) json_t *v = NULL;
    if (++t->depth > DEPTH_MAX)
        return tfail(t->err, t->src, at, "nested too deeply");
    if (pipeline(t, dot, skip, kind == K_RANGE ? decl : NULL, &ndecl, T_CLOSE, &v) < 0)
        return -1;
    if (kind == K_RANGE && range_body(t, v, decl, ndecl, skip, &ran, &term) < 0)
        return -1;
    ran = kind == K_RANGE ? ran : !skip && gt_truth(v);
    if (kind != K_RANGE && exec_list(t, kind == K_WITH ? v : dot, !ran, &term) < 0)
        return -1;
    if ((term == TM_ELSEIF && control(t, K_IF, dot, skip || ran) < 0) ||
        (term == TM_ELSE && exec_list(t, dot, skip || ran, &term2) < 0))
        return -1;
    if (term == TM_EOF || term2 != TM_END)
        return tfail(t->err, t->src, at, "{{%s}} has no matching {{end}}", kind_names[kind]);
    t->depth--;
    return 0;
}

static int close_action(struct tp *t, const char *what)
{
    struct tok k;
    if (lex(t, &k) < 0)
        return -1;
    if (k.k != T_CLOSE)
        return tfail(t->err, t->src, k.at, "unexpected \"%.*s\" in %s", SPAN(t, k.at, k.end), what);
    t->trim_next = k.trim;
    return 0;
}

/* One action after "{{": 1 when it is {{end}} or {{else [if]}} (*term). */
static int action(struct tp *t, json_t *dot, bool skip, enum term *term)
{
    struct tok k;
    if (lex(t, &k) < 0)
        return -1;
    if (tok_is(t, &k, "end") || tok_is(t, &k, "else")) {
        size_t save = t->pos;
        *term = tok_is(t, &k, "end") ? TM_END : TM_ELSE;
        if (*term == TM_ELSE && lex(t, &k) == 0 && tok_is(t, &k, "if"))
            return *term = TM_ELSEIF, 1;
        t->pos = save;
        return close_action(t, *term == TM_END ? "{{end}}" : "{{else}}") < 0 ? -1 : 1;
    }
    for (enum kind kind = K_IF; kind <= K_WITH; kind++)
        if (tok_is(t, &k, kind_names[kind]))
            return control(t, kind, dot, skip);
    t->pos = k.from;
    _cleanup_(json_decrefp) json_t *v = NULL;
    if (pipeline(t, dot, skip, NULL, NULL, T_CLOSE, &v) < 0)
        return -1;
    if (!skip)
        gt_put(&t->out, v, 0, false);
    if (t->out.deep)
        return tfail(t->err, t->src, t->act_at, "value nested more than %d deep", PRINT_DEPTH_MAX);
    return 0;
}

static int exec_list(struct tp *t, json_t *dot, bool skip, enum term *term)
{
    for (;;) {
        const char *lb = strstr(t->src + t->pos, "{{");
        size_t stop = lb ? (size_t) (lb - t->src) : t->len;
        bool ltrim = lb && lb[2] == '-' && is_space(lb[3]);
        int rc = 0;
        text(t, t->pos, stop, ltrim, skip);
        if (lb) {
            t->act_at = stop;
            t->pos = stop + 2 + ltrim;
            rc = action(t, dot, skip, term);
        }
        if (rc == 0 && t->out.over)
            return tfail(t->err, t->src, stop, "output longer than %d bytes", OUT_MAX);
        if (lb == NULL)
            *term = TM_EOF;
        if (rc != 0 || lb == NULL)
            return rc < 0 ? -1 : 0;
    }
}

int cx_gotmpl_render(const char *tmpl, json_t *doc, char **out, cx_error *err)
{
    struct tp t = { .src = tmpl, .len = strlen(tmpl), .err = err, .nvars = 1 };
    enum term term;
    t.vars[0] = (struct var) { "$", 1, doc };
    if (t.len > TMPL_MAX)
        return cx_fail(err, 0, "template: longer than %d bytes", TMPL_MAX);
    int rc = exec_list(&t, doc, false, &term);
    if (rc == 0 && term != TM_EOF)
        rc = tfail(err, tmpl, t.act_at, "unexpected {{%s}}", term == TM_END ? "end" : "else");
    if (rc < 0)
        return free(t.out.p), -1;
    *out = t.out.p ? t.out.p : cx_strdup("");
    return 0;
}
