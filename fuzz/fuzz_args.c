/* fuzz_args: the small parsers of command-line values and names: checked
 * numbers (common/util.c), signal names (`kill`, cmd/common.c), container
 * ids (runtime/container.c) and capsa-init's command line (init/reaper.c).
 * The first byte picks the parser; the rest is its input (NUL-separated
 * argv for capsa-init). */
#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "common/util.h"
#include "fuzz.h"
#include "init/reaper.h"
#include "runtime/container.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    /* capsa-init's --help and --version print */
    if (freopen("/dev/null", "w", stdout) == NULL)
        abort();
    return 0;
}

static void numbers(const char *s)
{
    uint64_t u;
    int64_t i;
    int n;
    if (cx_parse_u64(s, &u) == 0) {
        char back[32];
        snprintf(back, sizeof back, "%llu", (unsigned long long) u);
        FZ_CHECK(s[0] != '\0');
    }
    if (cx_parse_i64(s, &i) == 0 && cx_parse_int(s, &n) == 0)
        FZ_CHECK(i == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *s = fz_str(data + 1, size - 1);
    cx_error err = { 0 };
    switch (data[0] % 4) {
    case 0:
        numbers(s);
        break;
    case 1: {
        int sig = cmd_parse_signal(s, &err);
        if (sig < 0)
            fz_failed(&err);
        else
            FZ_CHECK(sig <= SIGRTMAX);
        break;
    }
    case 2:
        if (cx_id_check(s, &err) < 0)
            fz_failed(&err);
        else
            FZ_CHECK(s[0] && strchr(s, '/') == NULL && strcmp(s, ".") && strcmp(s, ".."));
        break;
    default: {
        char *v[65], *buf;
        size_t n = fz_split(data + 1, size - 1, '\0', v + 1, 63, &buf);
        v[0] = "capsa-init";
        struct init_opts o;
        char msg[256] = "";
        int r = init_parse((int) n + 1, v, &o, msg, sizeof msg);
        if (r < 0)
            FZ_CHECK(msg[0] != '\0');
        else if (r == 0)
            FZ_CHECK(o.argv && o.argv[0] && o.pdeath_sig >= 0 && o.pdeath_sig < NSIG);
        free(buf);
        break;
    }
    }
    free(s);
    return 0;
}
