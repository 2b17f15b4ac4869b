/* cmd_update.c: `capsa update` with runc's flags, or `-r FILE` / `-r -`
 * holding the resources JSON (as go-runc and CRI-O send it). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"

enum { OPT_MEMORY = 1000, OPT_SWAP, OPT_RESERVATION, OPT_KMEM, OPT_KMEM_TCP, OPT_SHARES,
       OPT_QUOTA, OPT_PERIOD, OPT_RT_PERIOD, OPT_RT_RUNTIME, OPT_CPUS, OPT_MEMS, OPT_PIDS,
       OPT_BLKIO, OPT_L3, OPT_MEMBW };

/* "512m", "1G", "-1": bytes, as runc reads them */
static int parse_bytes(const char *s, json_int_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s)
        return -1;
    long long mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1LL << 10; end++; break;
    case 'm': case 'M': mult = 1LL << 20; end++; break;
    case 'g': case 'G': mult = 1LL << 30; end++; break;
    case 't': case 'T': mult = 1LL << 40; end++; break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end != '\0' || (v > 0 && v > INT64_MAX / mult) || (v < 0 && v < INT64_MIN / mult))
        return -1;
    *out = v * mult;
    return 0;
}

static json_t *section(json_t *res, const char *name)
{
    json_t *s = json_object_get(res, name);
    if (s == NULL)
        json_object_set_new(res, name, s = json_object());
    return s;
}

static int set_flag(json_t *res, int opt, const char *arg, cx_error *err)
{
    static const struct { int opt; const char *sect, *key; bool bytes; } map[] = {
        { OPT_MEMORY, "memory", "limit", true }, { OPT_SWAP, "memory", "swap", true },
        { OPT_RESERVATION, "memory", "reservation", true },
        { OPT_KMEM, "memory", "kernel", true }, { OPT_KMEM_TCP, "memory", "kernelTCP", true },
        { OPT_SHARES, "cpu", "shares", false }, { OPT_QUOTA, "cpu", "quota", false },
        { OPT_PERIOD, "cpu", "period", false }, { OPT_RT_PERIOD, "cpu", "realtimePeriod", false },
        { OPT_RT_RUNTIME, "cpu", "realtimeRuntime", false }, { OPT_PIDS, "pids", "limit", false },
        { OPT_BLKIO, "blockIO", "weight", false },
    };
    if (opt == OPT_CPUS || opt == OPT_MEMS) {
        json_object_set_new(section(res, "cpu"), opt == OPT_CPUS ? "cpus" : "mems",
                            json_string(arg));
        return 0;
    }
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].opt != opt)
            continue;
        json_int_t v;
        int64_t plain;
        if (map[i].bytes ? parse_bytes(arg, &v) < 0 : (cx_parse_i64(arg, &plain) < 0))
            return cx_fail(err, 0, "update: \"%s\" is not a %s", arg,
                           map[i].bytes ? "size (e.g. 512m)" : "number");
        if (!map[i].bytes)
            v = plain;
        json_object_set_new(section(res, map[i].sect), map[i].key, json_integer(v));
        return 0;
    }
    return cx_fail(err, 0, "update: this option is not supported (Intel RDT)");
}

static json_t *read_resources(const char *path, cx_error *err)
{
    json_error_t je;
    json_t *r = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &je) : json_load_file(path, 0, &je);
    if (r == NULL)
        cx_fail(err, 0, "update: %s: line %d: %s", strcmp(path, "-") ? path : "stdin",
                je.line, je.text);
    return r;
}

static const struct option update_opts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "memory-swap", required_argument, NULL, OPT_SWAP },
    { "memory-reservation", required_argument, NULL, OPT_RESERVATION },
    { "kernel-memory", required_argument, NULL, OPT_KMEM },
    { "kernel-memory-tcp", required_argument, NULL, OPT_KMEM_TCP },
    { "cpu-shares", required_argument, NULL, OPT_SHARES },
    { "cpu-quota", required_argument, NULL, OPT_QUOTA },
    { "cpu-period", required_argument, NULL, OPT_PERIOD },
    { "cpu-rt-period", required_argument, NULL, OPT_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, OPT_RT_RUNTIME },
    { "cpuset-cpus", required_argument, NULL, OPT_CPUS },
    { "cpuset-mems", required_argument, NULL, OPT_MEMS },
    { "pids-limit", required_argument, NULL, OPT_PIDS },
    { "blkio-weight", required_argument, NULL, OPT_BLKIO },
    { "l3-cache-schema", required_argument, NULL, OPT_L3 },
    { "mem-bw-schema", required_argument, NULL, OPT_MEMBW },
    { 0 },
};

/* The resources to apply: the -r file whole (runc ignores the other flags
 * then), else what the flags say.  Returns the JSON or NULL. */
static json_t *parse_update(int argc, char **argv, cx_error *err)
{
    json_t *flags = json_object(), *file = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "r:", update_opts, NULL)) != -1) {
        if (c == '?') {
            cx_fail(err, 0, "update: unknown option %s", argv[optind - 1]);
            break;
        }
        if (c == 'r' && file == NULL && (file = read_resources(optarg, err)) == NULL)
            break;
        if (c != 'r' && set_flag(flags, c, optarg, err) < 0)
            break;
    }
    if (c == -1 && cmd_need_args(argc - optind, 1, "capsa update [options] <container-id>",
                                 err) == 0) {
        json_t *res = file ? file : flags;
        json_incref(res);
        json_decref(flags);
        json_decref(file);
        return res;
    }
    json_decref(flags);
    json_decref(file);
    return NULL;
}

int cmd_update(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    json_t *res = parse_update(argc, argv, err);
    if (res == NULL)
        return -1;
    int rc = cx_update(g->root, argv[argc - 1], res, err);
    json_decref(res);
    return rc;
}
