/* test_top.c: `capsactl top`'s table from a /proc tree written by the
 * test (fixed clock, boot time and tick rate), every descriptor's cell as
 * podman 4.3 (psgo) prints it; Go's durations; names read inside the
 * container's root only.  `capsactl stats`' numbers from cgroup
 * statistics, its percentages, sizes and JSON as podman 4.3 gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/stats.h"
#include "engine/top.h"

struct tree {
    char dir[64];
    struct cx_top_src src;
};

static void put(const struct tree *t, const char *rel, const char *data, size_t len)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", t->dir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}
#define PUT(t, rel, lit) put(t, rel, lit, sizeof(lit) - 1)

static void mk(const struct tree *t, const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", t->dir, rel);
    assert_int_equal(cx_mkdir_p(p, 0755, NULL), 0);
}

static int open_dir(const struct tree *t, const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", t->dir, rel);
    int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

/* pid 500: sleep, the container's 1, started 20 s after boot, 3 s of CPU,
 * on pts/3; pid 501: container pid 7, its child, an odd name, no cmdline,
 * uid 1000 (effective 1001), nice -5; pid 502: gone. */
static void write_procs(const struct tree *t)
{
    mk(t, "proc/500/attr");
    mk(t, "proc/501/attr");
    PUT(t, "proc/500/stat", "500 (sleep) S 400 500 500 34819 500 4194560 100 0 0 0 250 50 0 0 "
        "20 0 1 0 2000 4194304 376 18446744073709551615\n");
    PUT(t, "proc/500/status", "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\n"
        "Tgid:\t500\nNgid:\t0\nPid:\t500\nPPid:\t400\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
        "Groups:\t0 10 \nNSpid:\t500\t1\nVmRSS:\t    1504 kB\nCapInh:\t0000000000000000\n"
        "CapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t000001ffffffffff\n"
        "CapAmb:\t0000000000000000\nSeccomp:\t2\n");
    PUT(t, "proc/500/cmdline", "sleep\0" "1000\0");
    PUT(t, "proc/501/stat", "501 (my (odd) name) R 500 500 500 0 -1 4194560 0 0 0 0 0 0 0 0 "
        "25 -5 1 0 4000 0 0 18446744073709551615\n");
    PUT(t, "proc/501/status", "Name:\tmy (odd) name\nState:\tR (running)\nPPid:\t500\n"
        "Uid:\t1000\t1001\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t\n"
        "NSpid:\t501\t7\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000401\n"
        "CapEff:\t0000000000000401\nCapBnd:\t0000000000000401\nCapAmb:\t0000020000000000\n"
        "Seccomp:\t0\n");
    PUT(t, "proc/501/cmdline", "");
    PUT(t, "proc/501/attr/current", "unconfined\n");
}

static int setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    strcpy(t->dir, "/tmp/h5-top-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    mk(t, "root/etc");
    mk(t, "host/etc");
    PUT(t, "root/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nbad line\n"
        "user:x:1000:1000:user:/home/user:/bin/sh\n");
    PUT(t, "root/etc/group", "root:x:0:\nwheel:x:10:user\nuser:x:1000:\n");
    PUT(t, "host/etc/passwd", "root:x:0:0::/root:/bin/bash\nhostie:x:1001:1001::/:/bin/sh\n");
    write_procs(t);
    setenv("TZ", "UTC", 1);
    tzset();
    t->src = (struct cx_top_src){ .procfd = open_dir(t, "proc"), .rootfd = open_dir(t, "root"),
                                  .hostfd = open_dir(t, "host"),
                                  .now_ns = 1050250000000LL, .boot_s = 1000, .ticks = 100 };
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    close(t->src.procfd);
    close(t->src.rootfd);
    close(t->src.hostfd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
    assert_int_equal(system(cmd), 0);
    free(t);
    return 0;
}

/* The table of pids 502 (gone), 501, 500 for the descriptors of one
 * argument, each row a string of cells joined by '|'. */
static void rows(const struct tree *t, const char *descs, const char *want[3])
{
    char *args[] = { (char *) descs };
    size_t *idx = NULL, n = 0;
    cx_error err = { 0 };
    assert_int_equal(cx_top_descriptors(args, 1, &idx, &n, &err), 0);
    pid_t pids[] = { 502, 501, 500 };
    struct cx_top_table tab;
    assert_int_equal(cx_top_table(&t->src, pids, 3, idx, n, &tab, &err), 0);
    assert_int_equal(tab.nrows, 3);
    assert_int_equal(tab.ncols, n);
    for (size_t r = 0; r < 3; r++) {
        char line[1024] = "";
        for (size_t c = 0; c < n; c++) {
            strcat(line, c ? "|" : "");
            strcat(line, cx_top_cell(&tab, r, c));
        }
        assert_string_equal(line, want[r]);
    }
    cx_top_table_free(&tab);
    free(idx);
}

static void test_default_columns(void **state)
{
    const char *want[] = { "USER|PID|PPID|%CPU|ELAPSED|TTY|TIME|COMMAND",
                           "root|1|0|9.917|30.25s|pts/3|3s|sleep 1000 ",
                           "1001|7|1|0.000|10.25s|?|0s|[my (odd) name]" };
    rows(*state, "", want);
}

static void test_ids_names_and_codes(void **state)
{
    const char *want[] = { "PID|HPID|PPID|PGID|USER|RUSER|GROUP|RGROUP|GROUPS|HUSER|HGROUP",
                           "1|500|0|1|root|root|root|root|root,wheel|root|0",
                           "7|501|1|1|1001|user|user|user||hostie|1000" };
    rows(*state, "pid,hpid,ppid,pgid,user,ruser,group,rgroup,groups,huser,hgroup", want);
    const char *codes[] = { "%CPU|GROUP|PPID|USER|COMMAND|COMMAND|RGROUP|NI|PID|PGID|ELAPSED|"
                            "RUSER|TIME|TTY|VSZ",
                            "9.917|root|0|root|sleep 1000 |sleep|root|0|1|1|30.25s|root|3s|"
                            "pts/3|4096",
                            "0.000|user|1|1001|[my (odd) name]|my (odd) name|user|-5|7|1|"
                            "10.25s|user|0s|?|0" };
    rows(*state, " %C,%G,%P,%U,%a,%c,%g,%n,%p,%r,%t,%u,%x,%y,%z ", codes);
}

static void test_process_details(void **state)
{
    /* (long rows in parentheses: one element each, not a missing comma) */
    const char *want[] = {
        "STATE|RSS|SECCOMP|LABEL|STIME|BOUNDING CAPS|AMBIENT CAPS|EFFECTIVE CAPS",
        ("S|1504|filter|?|1970-01-01 00:17:00 +0000 UTC|full|none|AUDIT_WRITE,CHOWN,"
         "DAC_OVERRIDE,FOWNER,FSETID,KILL,MKNOD,NET_BIND_SERVICE,NET_RAW,SETFCAP,SETGID,"
         "SETPCAP,SETUID,SYS_CHROOT"),
        ("R|0|disabled|unconfined|1970-01-01 00:17:20 +0000 UTC|CHOWN,NET_BIND_SERVICE|"
         "unknown|CHOWN,NET_BIND_SERVICE") };
    rows(*state, "state,rss,seccomp,label,stime,capbnd,capamb,capeff", want);
}

/* The container's /etc/passwd is read inside its root: a symlink out of
 * it reaches nothing, so uids stay numbers. */
static void test_names_never_from_outside_the_root(void **state)
{
    struct tree *t = *state;
    char p[256], target[256];
    snprintf(p, sizeof p, "%s/root/etc/passwd", t->dir);
    snprintf(target, sizeof target, "%s/host/etc/passwd", t->dir);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink("../../host/etc/passwd", p), 0);
    const char *want[] = { "USER|HUSER", "0|root", "1001|hostie" };
    rows(t, "user,huser", want);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink(target, p), 0);
    rows(t, "user,huser", want);
}

static void test_descriptor_parsing(void **state)
{
    (void) state;
    char *args[] = { "pid,,user", " args ", "," };
    size_t *idx = NULL, n = 0, m = 0;
    cx_error err = { 0 };
    assert_int_equal(cx_top_descriptors(args, 3, &idx, &n, &err), 0);
    assert_int_equal(n, 3);
    free(idx);
    idx = NULL;
    assert_int_equal(cx_top_descriptors(args + 2, 1, &idx, &n, &err), 0);
    assert_int_equal(n, 8);   /* nothing but commas: the defaults */
    free(idx);
    idx = NULL;
    char *bad[] = { "pid", "user,-eo" };
    assert_int_equal(cx_top_descriptors(bad, 2, &idx, &n, &err), -1);
    assert_null(idx);
    assert_string_equal(err.msg, "top: unknown format descriptor '-eo' (see `capsactl top "
                        "--list-descriptors`)");
    assert_int_equal(err.errnum, 0);
    const char *const *names = cx_top_descriptor_names(&m);
    assert_int_equal(m, 30);
    assert_string_equal(names[0], "args");
    assert_string_equal(names[m - 1], "vsz");
    for (size_t i = 1; i < m; i++)
        assert_true(strcmp(names[i - 1], names[i]) < 0);
}

static void check_duration(int64_t ns, const char *want)
{
    char buf[64];
    cx_go_duration(ns, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_go_durations(void **state)
{
    (void) state;
    check_duration(0, "0s");
    check_duration(999, "999ns");
    check_duration(1500, "1.5µs");
    check_duration(1000000, "1ms");
    check_duration(8698040, "8.69804ms");
    check_duration(1000000000, "1s");
    check_duration(20386825206LL, "20.386825206s");
    check_duration(61000000000LL, "1m1s");
    check_duration(120000000000LL, "2m0s");
    check_duration(3600000000000LL, "1h0m0s");
    check_duration(3732497061672LL, "1h2m12.497061672s");
    check_duration(-1500000000LL, "-1.5s");
    check_duration(INT64_MIN, "-2562047h47m16.854775808s");
}

/* ---- stats ---- */

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad JSON in test: %s", jerr.text);
    return j;
}

static void test_stats_from_cgroup(void **state)
{
    (void) state;
    json_t *v1 = parse("{\"cpu\":{\"usage\":{\"total\":3000000000,\"kernel\":500000000,"
                       "\"percpu\":[1000,2000]}},\"memory\":{\"usage\":{\"usage\":1048576},"
                       "\"kernel\":{\"usage\":0},\"raw\":{\"anon\":5}},\"pids\":{\"current\":3},"
                       "\"blkio\":{\"ioServiceBytesRecursive\":[{\"op\":\"Read\",\"value\":100},"
                       "{\"op\":\"Write\",\"value\":50},{\"op\":\"Total\",\"value\":150},"
                       "{\"op\":\"read\",\"value\":1}]}}");
    struct cx_stats s = { 0 };
    cx_stats_from_cgroup(v1, &s);
    assert_int_equal(s.cpu_nano, 3000000000u);
    assert_int_equal(s.cpu_system_nano, 500000000u);
    assert_int_equal(json_array_size(s.percpu), 2);
    assert_int_equal(s.mem_usage, 1048576);
    assert_int_equal(s.pids, 3);
    assert_int_equal(s.block_input, 101);
    assert_int_equal(s.block_output, 50);
    /* v2 has no kernel memory counters: podman counts anonymous memory */
    json_t *v2 = parse("{\"cpu\":{\"usage\":{\"total\":7,\"kernel\":1,\"percpu\":[]}},"
                       "\"memory\":{\"usage\":{\"usage\":900},\"raw\":{\"anon\":4096}},"
                       "\"pids\":{\"current\":1},\"blkio\":{\"ioServiceBytesRecursive\":[]}}");
    cx_stats_from_cgroup(v2, &s);
    assert_int_equal(s.mem_usage, 4096);
    assert_null(s.percpu);
    assert_int_equal(s.block_input + s.block_output, 0);
    json_decref(v1);
    json_decref(v2);
    cx_stats_free(&s);
}

static void test_stats_percentages(void **state)
{
    (void) state;
    struct cx_stats s = { .cpu_nano = 3000000000u, .system_nano = 10000000000u,
                          .mem_usage = 1048576, .mem_limit = 4194304 };
    cx_stats_percentages(&s, NULL, 4000000000);   /* the first: since it started */
    assert_float_equal(s.cpu, 50.0, 1e-9);
    assert_float_equal(s.avg_cpu, 50.0, 1e-9);
    assert_float_equal(s.mem_perc, 25.0, 1e-9);
    struct cx_stats prev = { .cpu_nano = 1000000000u, .system_nano = 8000000000u };
    cx_stats_percentages(&s, &prev, 4000000000);
    assert_float_equal(s.cpu, 100.0, 1e-9);
    assert_float_equal(s.avg_cpu, 50.0, 1e-9);
    prev.cpu_nano = 5000000000u;                  /* restarted: a new cgroup */
    cx_stats_percentages(&s, &prev, 4000000000);
    assert_float_equal(s.cpu, 30.0, 1e-9);
    s.cpu_nano = 1000000000u;                     /* nothing used since prev */
    prev.cpu_nano = 1000000000u;
    cx_stats_percentages(&s, &prev, 4000000000);
    assert_float_equal(s.cpu, 0.0, 0);
    assert_int_equal(cx_stats_mem_limit(67108864, 8000000000u), 67108864);
    assert_int_equal(cx_stats_mem_limit(0, 8000000000u), 8000000000u);
    assert_int_equal(cx_stats_mem_limit(-1, 8000000000u), 8000000000u);
    assert_int_equal(cx_stats_mem_limit(16000000000, 8000000000u), 8000000000u);
}

static void test_net_dev(void **state)
{
    (void) state;
    const char *text =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
        "errs drop fifo colls carrier compressed\n"
        "    lo:   11000     110    0    0    0     0          0         0    11000     110"
        "    0    0    0     0       0          0\n"
        "  eth0:    1500      10    0    0    0     0          0         0      700       7"
        "    0    0    0     0       0          0\n"
        "eth1:25 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0";
    uint64_t rx, tx;
    assert_int_equal(cx_net_dev_parse(text, &rx, &tx), 2);
    assert_int_equal(rx, 1525);
    assert_int_equal(tx, 705);
    assert_int_equal(cx_net_dev_parse("", &rx, &tx), 0);
    assert_int_equal(rx + tx, 0);
}

static void check_size(double v, bool binary, const char *want)
{
    char buf[32];
    (binary ? cx_bytes_size : cx_human_size)(v, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_sizes_and_percent(void **state)
{
    (void) state;
    check_size(0, false, "0B");
    check_size(999, false, "999B");
    check_size(1000, false, "1kB");
    check_size(344064, false, "344.1kB");
    check_size(67108864, false, "67.11MB");
    check_size(25276166144.0, false, "25.28GB");
    check_size(67108864, true, "64MiB");
    check_size(1536, true, "1.5KiB");
    check_size(0, true, "0B");
    char buf[32];
    cx_stats_percent(33.84208627075632, buf, sizeof buf);
    assert_string_equal(buf, "33.84%");
    cx_stats_percent(0, buf, sizeof buf);
    assert_string_equal(buf, "0.00%");
}

static void test_stats_json_and_view(void **state)
{
    (void) state;
    struct cx_stats s = { .name = strdup("web"), .cpu = 12.5, .avg_cpu = 3.25,
                          .cpu_nano = 1500000000u, .mem_usage = 344064, .mem_limit = 67108864,
                          .mem_perc = 0.5126953125, .net_input = 1000, .net_output = 2500,
                          .block_input = 4096, .pids = 2 };
    memset(s.id, 'a', 64);
    json_t *j = cx_stats_json(&s, false);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(text, "{\"id\":\"aaaaaaaaaaaa\",\"name\":\"web\",\"cpu_time\":\"1.5s\","
                        "\"cpu_percent\":\"12.50%\",\"avg_cpu\":\"3.25%\","
                        "\"mem_usage\":\"344.1kB / 67.11MB\",\"mem_percent\":\"0.51%\","
                        "\"net_io\":\"1kB / 2.5kB\",\"block_io\":\"4.096kB / 0B\","
                        "\"pids\":\"2\"}");
    free(text);
    json_decref(j);
    j = cx_stats_view(&s, true);
    assert_int_equal(strlen(json_string_value(json_object_get(j, "ID"))), 64);
    assert_string_equal(json_string_value(json_object_get(j, "MemUsage")),
                        "344.1kB / 67.11MB");
    assert_string_equal(json_string_value(json_object_get(j, "MemUsageBytes")),
                        "336KiB / 64MiB");
    assert_string_equal(json_string_value(json_object_get(j, "UpTime")), "1.5s");
    assert_string_equal(json_string_value(json_object_get(j, "PIDS")), "2");
    assert_int_equal(json_integer_value(json_object_get(j, "PIDs")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "MemLimit")), 67108864);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "ContainerStats"),
                                                        "MemUsage")), 344064);
    assert_true(json_is_array(json_object_get(j, "PerCPU")));
    json_decref(j);
    j = cx_stats_headers();
    assert_string_equal(json_string_value(json_object_get(j, "AVGCPU")), "AVG CPU %");
    assert_string_equal(json_string_value(json_object_get(j, "PIDs")), "PI DS");
    json_decref(j);
    cx_stats_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_names_and_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_process_details, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_never_from_outside_the_root, setup,
                                        teardown),
        cmocka_unit_test(test_descriptor_parsing),
        cmocka_unit_test(test_go_durations),
        cmocka_unit_test(test_stats_from_cgroup),
        cmocka_unit_test(test_stats_percentages),
        cmocka_unit_test(test_net_dev),
        cmocka_unit_test(test_sizes_and_percent),
        cmocka_unit_test(test_stats_json_and_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
