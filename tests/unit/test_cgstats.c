/* test_cgstats.c: capsad's stats numbers (src/cri/cgstats.c) from canned
 * cgroup_stats() documents of both cgroup versions (and from the runtime
 * reading fake cgroup directories, so the two agree on the document); the
 * messages; net/dev; the per-container cache of samples and layer usages
 * (stats_cache.c); the writable layer's walk (dir_usage.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "cgroup_tree_util.h"
#include "cri/cgstats.h"
#include "cri/dir_usage.h"
#include "cri/stats_cache.h"
#include "runtime/cgroup/cgroup.h"

#define SEC INT64_C(1000000000)

/* The documents as cgroup_stats() makes them (keys capsad does not read
 * left out). */
static const char V1_DOC[] =
    "{\"cpu\": {\"usage\": {\"total\": 123456789, \"kernel\": 20000000, \"user\": 80000000,"
    "  \"percpu\": [100000000, 23456789]}},"
    " \"memory\": {\"usage\": {\"usage\": 26214400, \"limit\": %s, \"max\": 0, \"failcnt\": 0},"
    "  \"swap\": {\"usage\": %s, \"limit\": %s, \"max\": 0, \"failcnt\": 0},"
    "  \"kernel\": {\"usage\": 1000000, \"limit\": 0, \"max\": 0, \"failcnt\": 0},"
    "  \"cache\": 5242880,"
    "  \"raw\": {\"cache\": 5242880, \"rss\": 20971520, \"inactive_file\": 1048576,"
    "   \"pgfault\": 4000, \"total_rss\": 20971520, \"total_inactive_file\": 1048576,"
    "   \"total_pgfault\": 5000, \"total_pgmajfault\": 7}},"
    " \"pids\": {\"current\": 3, \"limit\": 0}}";

static const char V2_DOC[] =
    "{\"cpu\": {\"usage\": {\"total\": 2500000, \"kernel\": 500000, \"user\": 2000000,"
    "  \"percpu\": []}},"
    " \"memory\": {\"usage\": {\"usage\": 41943040, \"limit\": %s, \"max\": 0, \"failcnt\": 0},"
    "  \"swap\": {\"usage\": 3145728, \"limit\": %s},"
    "  \"cache\": 8388608,"
    "  \"raw\": {\"anon\": 31457280, \"file\": 8388608, \"inactive_file\": 2097152,"
    "   \"active_file\": 6291456, \"pgfault\": 9000, \"pgmajfault\": 11}},"
    " \"pids\": {\"current\": 5, \"limit\": 100}}";

static void sample_v1(const char *limit, const char *memsw, const char *memsw_limit,
                      struct cri_cg_sample *s)
{
    char text[2048];
    snprintf(text, sizeof text, V1_DOC, limit, memsw, memsw_limit);
    json_error_t jerr;
    json_t *cg = json_loads(text, 0, &jerr);
    if (cg == NULL)
        fail_msg("%s", jerr.text);
    cri_cg_sample_of(cg, 1700000000 * SEC, 5 * SEC, s);
    json_decref(cg);
}

static void sample_v2(const char *limit, const char *swap_limit, struct cri_cg_sample *s)
{
    char text[2048];
    snprintf(text, sizeof text, V2_DOC, limit, swap_limit);
    json_t *cg = json_loads(text, 0, NULL);
    assert_non_null(cg);
    cri_cg_sample_of(cg, 1700000000 * SEC, 5 * SEC, s);
    json_decref(cg);
}

static void test_v1_unlimited(void **state)
{
    (void) state;
    struct cri_cg_sample s;
    sample_v1("9223372036854771712", "27262976", "9223372036854771712", &s);
    assert_int_equal(s.timestamp, 1700000000 * SEC);
    assert_int_equal(s.cpu_ns, 123456789);
    assert_int_equal(s.usage, 25 * MIB);
    assert_int_equal(s.working_set, 24 * MIB);   /* less total_inactive_file */
    assert_int_equal(s.rss, 20 * MIB);            /* total_rss */
    assert_int_equal(s.page_faults, 5000);        /* the total_ ones: hierarchical */
    assert_int_equal(s.major_page_faults, 7);
    assert_int_equal(s.limit, 0);
    assert_true(s.has_swap);
    assert_int_equal(s.swap_usage, 1 * MIB);      /* memsw - usage */
    assert_int_equal(s.swap_limit, 0);
    assert_int_equal(s.pids, 3);

    struct arena a = { 0 };
    Runtime__V1__MemoryUsage *m = cri_cg_memory(&a, &s);
    assert_int_equal(m->timestamp, 1700000000 * SEC);
    assert_int_equal(m->usage_bytes->value, 25 * MIB);
    assert_int_equal(m->working_set_bytes->value, 24 * MIB);
    assert_null(m->available_bytes);              /* no limit: nothing to measure from */
    assert_int_equal(m->rss_bytes->value, 20 * MIB);
    assert_int_equal(m->page_faults->value, 5000);
    assert_int_equal(m->major_page_faults->value, 7);
    Runtime__V1__SwapUsage *sw = cri_cg_swap(&a, &s);
    assert_non_null(sw);
    assert_int_equal(sw->swap_usage_bytes->value, 1 * MIB);
    assert_null(sw->swap_available_bytes);
    arena_free(&a);
}

static void test_v1_limited(void **state)
{
    (void) state;
    struct cri_cg_sample s;
    sample_v1("67108864", "27262976", "134217728", &s);   /* 64 MiB, memsw 128 MiB */
    assert_int_equal(s.limit, 64 * MIB);
    assert_int_equal(s.swap_limit, 64 * MIB);             /* memsw's room beyond memory's */
    struct arena a = { 0 };
    Runtime__V1__MemoryUsage *m = cri_cg_memory(&a, &s);
    assert_non_null(m->available_bytes);
    assert_int_equal(m->available_bytes->value, 40 * MIB);    /* 64 - 24 */
    Runtime__V1__SwapUsage *sw = cri_cg_swap(&a, &s);
    assert_int_equal(sw->swap_available_bytes->value, 63 * MIB);
    arena_free(&a);

    /* a working set over the limit (a moment before reclaim): none left */
    sample_v1("10485760", "27262976", "10485760", &s);
    a = (struct arena){ 0 };
    m = cri_cg_memory(&a, &s);
    assert_int_equal(m->available_bytes->value, 0);
    assert_int_equal(s.swap_limit, 0);    /* memsw == memory: no swap allowed, no limit read */
    arena_free(&a);
}

static void test_v1_no_swap_accounting(void **state)
{
    (void) state;
    struct cri_cg_sample s;
    sample_v1("9223372036854771712", "0", "0", &s);   /* memsw files missing */
    assert_false(s.has_swap);
    struct arena a = { 0 };
    assert_null(cri_cg_swap(&a, &s));
    arena_free(&a);
}

static void test_v2_unlimited(void **state)
{
    (void) state;
    struct cri_cg_sample s;
    sample_v2("0", "0", &s);   /* "max" reads 0 */
    assert_int_equal(s.cpu_ns, 2500000);
    assert_int_equal(s.usage, 40 * MIB);
    assert_int_equal(s.working_set, 38 * MIB);   /* less inactive_file */
    assert_int_equal(s.rss, 30 * MIB);            /* anon */
    assert_int_equal(s.page_faults, 9000);
    assert_int_equal(s.major_page_faults, 11);
    assert_int_equal(s.limit, 0);
    assert_true(s.has_swap);
    assert_int_equal(s.swap_usage, 3 * MIB);      /* memory.swap.current itself */
    assert_int_equal(s.swap_limit, 0);
    assert_int_equal(s.pids, 5);
    struct arena a = { 0 };
    assert_null(cri_cg_memory(&a, &s)->available_bytes);
    assert_null(cri_cg_swap(&a, &s)->swap_available_bytes);
    arena_free(&a);
}

static void test_v2_limited(void **state)
{
    (void) state;
    struct cri_cg_sample s;
    sample_v2("104857600", "52428800", &s);
    assert_int_equal(s.limit, 100 * MIB);
    assert_int_equal(s.swap_limit, 50 * MIB);
    struct arena a = { 0 };
    assert_int_equal(cri_cg_memory(&a, &s)->available_bytes->value, 62 * MIB);
    assert_int_equal(cri_cg_swap(&a, &s)->swap_available_bytes->value, 47 * MIB);
    arena_free(&a);
}

static void test_working_set_floor(void **state)
{
    (void) state;
    json_t *cg = json_loads("{\"memory\": {\"usage\": {\"usage\": 100},"
                            " \"raw\": {\"inactive_file\": 4096}}}", 0, NULL);
    struct cri_cg_sample s;
    cri_cg_sample_of(cg, 1, 1, &s);
    assert_int_equal(s.working_set, 0);
    json_decref(cg);
    /* an empty document: zeros */
    cg = json_object();
    cri_cg_sample_of(cg, 1, 1, &s);
    assert_int_equal(s.cpu_ns + s.usage + s.rss + s.pids, 0);
    json_decref(cg);
}

/* The runtime's document from fake directories, into the mapping: the
 * two sides agree on the keys. */
static void test_from_runtime(void **state)
{
    (void) state;
    struct cri_cg_sample s;
    char *base = ct_base();
    json_t *dirs = ct_v1(base, "67108864\n", "134217728\n");
    json_t *cg = cgroup_stats(dirs);
    cri_cg_sample_of(cg, 1, 1, &s);
    assert_int_equal(s.cpu_ns, 123456789);
    assert_int_equal(s.working_set, 24 * MIB);
    assert_int_equal(s.rss, 20 * MIB);
    assert_int_equal(s.page_faults, 5000);
    assert_int_equal(s.limit, 64 * MIB);
    assert_int_equal(s.swap_usage, 1 * MIB);
    assert_int_equal(s.swap_limit, 64 * MIB);
    assert_int_equal(s.pids, 3);
    json_decref(cg);
    json_decref(dirs);
    ct_remove(base);
    free(base);

    base = ct_base();
    dirs = ct_v2(base, "max\n", "max\n");
    cg = cgroup_stats(dirs);
    cri_cg_sample_of(cg, 1, 1, &s);
    assert_int_equal(s.cpu_ns, 2500000);
    assert_int_equal(s.working_set, 38 * MIB);
    assert_int_equal(s.rss, 30 * MIB);
    assert_int_equal(s.major_page_faults, 11);
    assert_int_equal(s.limit, 0);
    assert_int_equal(s.swap_usage, 3 * MIB);
    assert_int_equal(s.pids, 5);
    json_decref(cg);
    json_decref(dirs);
    ct_remove(base);
    free(base);
}

static void test_nano_cores(void **state)
{
    (void) state;
    struct cri_cg_sample a = { .mono = 10 * SEC, .cpu_ns = 4 * SEC };
    struct cri_cg_sample b = { .mono = 11 * SEC, .cpu_ns = 4 * SEC + SEC / 2 };
    assert_int_equal(cri_cg_nano_cores(NULL, &b), 0);
    assert_int_equal(cri_cg_nano_cores(&a, &b), 500000000);   /* half a core */
    assert_int_equal(cri_cg_nano_cores(&b, &a), 0);           /* not newer */
    assert_int_equal(cri_cg_nano_cores(&b, &b), 0);           /* no time passed */
    struct cri_cg_sample restarted = { .mono = 12 * SEC, .cpu_ns = 1000 };
    assert_int_equal(cri_cg_nano_cores(&b, &restarted), 0);
    /* 100 s of CPU in 50 s: 2 cores, no overflow of 100e9 * 1e9 */
    struct cri_cg_sample c = { .mono = 61 * SEC, .cpu_ns = b.cpu_ns + 100 * SEC };
    assert_int_equal(cri_cg_nano_cores(&b, &c), 2000000000);
}

static void test_pod_sum(void **state)
{
    (void) state;
    struct cri_cg_sample sum = { .timestamp = 7 };
    struct cri_cg_sample a = { .cpu_ns = 10, .nano_cores = 3, .usage = 100, .working_set = 90,
                               .rss = 50, .page_faults = 4, .major_page_faults = 1,
                               .limit = 1000, .has_swap = true, .swap_usage = 9, .pids = 2 };
    struct cri_cg_sample b = a;
    b.pids = 1;
    cri_cg_sample_add(&sum, &a);
    cri_cg_sample_add(&sum, &b);
    assert_int_equal(sum.timestamp, 7);
    assert_int_equal(sum.cpu_ns, 20);
    assert_int_equal(sum.nano_cores, 6);
    assert_int_equal(sum.usage, 200);
    assert_int_equal(sum.working_set, 180);
    assert_int_equal(sum.rss, 100);
    assert_int_equal(sum.page_faults, 8);
    assert_int_equal(sum.major_page_faults, 2);
    assert_int_equal(sum.pids, 3);
    assert_int_equal(sum.limit, 0);
    assert_false(sum.has_swap);
    struct arena ar = { 0 };
    assert_null(cri_cg_memory(&ar, &sum)->available_bytes);
    Runtime__V1__ProcessUsage *p = cri_cg_process(&ar, &sum);
    assert_int_equal(p->timestamp, 7);
    assert_int_equal(p->process_count->value, 3);
    Runtime__V1__CpuUsage *cpu = cri_cg_cpu(&ar, &sum);
    assert_int_equal(cpu->timestamp, 7);
    assert_int_equal(cpu->usage_core_nano_seconds->value, 20);
    assert_int_equal(cpu->usage_nano_cores->value, 6);
    arena_free(&ar);
}

static const char NET_DEV[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
    "errs drop fifo colls carrier compressed\n"
    "    lo:    1000      10    0    0    0     0          0         0     1000      10 "
    "   0    0    0     0       0          0\n"
    "  eth0:  123456     100    3    0    0     0          0         0    65432      90 "
    "   4    0    0     0       0          0\n"
    "  net1: 7 1 0 0 0 0 0 0 8 1 0 0 0 0 0 0\n"
    "  averyveryveryverylonginterfacename0123: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n"
    "  bad: 1 2 3\n";

static void test_net_dev(void **state)
{
    (void) state;
    struct cri_netif v[8];
    size_t n = cri_net_dev_ifaces(NET_DEV, v, 8);
    assert_int_equal(n, 2);   /* lo, the unnamable and the short line left out */
    assert_string_equal(v[0].name, "eth0");
    assert_int_equal(v[0].rx_bytes, 123456);
    assert_int_equal(v[0].rx_errors, 3);
    assert_int_equal(v[0].tx_bytes, 65432);
    assert_int_equal(v[0].tx_errors, 4);
    assert_string_equal(v[1].name, "net1");
    assert_int_equal(v[1].tx_bytes, 8);
    assert_int_equal(cri_net_dev_ifaces(NET_DEV, v, 1), 1);
    assert_int_equal(cri_net_dev_ifaces("", v, 8), 0);

    struct arena a = { 0 };
    Runtime__V1__NetworkUsage *m = cri_net_usage(&a, v, n, 42);
    assert_int_equal(m->timestamp, 42);
    assert_non_null(m->default_interface);
    assert_string_equal(m->default_interface->name, "eth0");
    assert_int_equal(m->default_interface->rx_bytes->value, 123456);
    assert_int_equal(m->default_interface->tx_errors->value, 4);
    assert_int_equal(m->n_interfaces, 2);
    assert_string_equal(m->interfaces[1]->name, "net1");
    /* without eth0: no default */
    m = cri_net_usage(&a, &v[1], 1, 42);
    assert_null(m->default_interface);
    assert_int_equal(m->n_interfaces, 1);
    /* packs */
    size_t len = protobuf_c_message_get_packed_size(&m->base);
    assert_true(len > 0);
    arena_free(&a);
}

static void test_fs_usage(void **state)
{
    (void) state;
    struct arena a = { 0 };
    Runtime__V1__FilesystemUsage *f = cri_fs_usage(&a, "/var/lib/capsa/containers", 8192, 3, 9);
    assert_int_equal(f->timestamp, 9);
    assert_string_equal(f->fs_id->mountpoint, "/var/lib/capsa/containers");
    assert_int_equal(f->used_bytes->value, 8192);
    assert_int_equal(f->inodes_used->value, 3);
    arena_free(&a);
}

/* ---- stats_cache.c ---- */

static void test_cache_samples(void **state)
{
    (void) state;
    struct cri_stats_cache c = CRI_STATS_CACHE_INIT;
    struct cri_cg_sample s = { .mono = 100 * SEC, .cpu_ns = 1 * SEC, .nano_cores = 99 }, out;
    assert_false(cri_stats_cached(&c, "a", 100 * SEC, &out));
    cri_stats_keep(&c, "a", &s);
    assert_int_equal(s.nano_cores, 0);                 /* the first: no rate */
    assert_true(cri_stats_cached(&c, "a", 100 * SEC + SEC / 2, &out));
    assert_int_equal(out.cpu_ns, 1 * SEC);
    assert_false(cri_stats_cached(&c, "a", 101 * SEC, &out));   /* a second old: stale */
    assert_false(cri_stats_cached(&c, "b", 100 * SEC, &out));

    struct cri_cg_sample t = { .mono = 102 * SEC, .cpu_ns = 2 * SEC };
    cri_stats_keep(&c, "a", &t);
    assert_int_equal(t.nano_cores, 500000000);         /* 1 s of CPU in 2 s */
    /* a slower thread's older sample: it gets the newer one */
    struct cri_cg_sample old = { .mono = 101 * SEC, .cpu_ns = 1 * SEC + 1 };
    cri_stats_keep(&c, "a", &old);
    assert_int_equal(old.mono, 102 * SEC);
    assert_int_equal(old.nano_cores, 500000000);
    assert_int_equal(cri_stats_cache_size(&c), 1);
    cri_stats_cache_clear(&c);
    assert_int_equal(cri_stats_cache_size(&c), 0);
}

static void test_cache_layer(void **state)
{
    (void) state;
    struct cri_stats_cache c = CRI_STATS_CACHE_INIT;
    struct cri_layer_usage u;
    bool have;
    assert_true(cri_stats_layer_due(&c, "a", 10 * SEC, &u, &have));
    assert_false(have);
    /* walking: another caller does not walk it again */
    assert_false(cri_stats_layer_due(&c, "a", 10 * SEC + 1, &u, &have));
    assert_false(have);
    struct cri_layer_usage m = { .timestamp = 5, .bytes = 4096, .inodes = 2 };
    cri_stats_layer_done(&c, "a", 10 * SEC, &m);
    assert_false(cri_stats_layer_due(&c, "a", 19 * SEC, &u, &have));
    assert_true(have);
    assert_int_equal(u.bytes, 4096);
    assert_int_equal(u.inodes, 2);
    /* 10 s later: due again, the old measure given meanwhile */
    assert_true(cri_stats_layer_due(&c, "a", 20 * SEC, &u, &have));
    assert_true(have);
    cri_stats_layer_done(&c, "a", 20 * SEC, NULL);     /* failed: the old one stays */
    assert_false(cri_stats_layer_due(&c, "a", 21 * SEC, &u, &have));
    assert_true(have);
    assert_int_equal(u.bytes, 4096);
    /* a failed first walk is not retried at once either */
    assert_true(cri_stats_layer_due(&c, "b", 21 * SEC, &u, &have));
    cri_stats_layer_done(&c, "b", 21 * SEC, NULL);
    assert_false(cri_stats_layer_due(&c, "b", 22 * SEC, &u, &have));
    assert_false(have);
    cri_stats_cache_clear(&c);
}

static void test_cache_forgets(void **state)
{
    (void) state;
    struct cri_stats_cache c = CRI_STATS_CACHE_INIT;
    char id[16];
    for (int i = 0; i < 100; i++) {
        struct cri_cg_sample s = { .mono = SEC + i };
        snprintf(id, sizeof id, "c%d", i);
        cri_stats_keep(&c, id, &s);
    }
    struct cri_layer_usage u;
    bool have;
    assert_true(cri_stats_layer_due(&c, "walking", SEC, &u, &have));
    assert_int_equal(cri_stats_cache_size(&c), 101);
    /* c5 asked for again later; then a new container 10 minutes on: the
     * others go, but not one being walked */
    struct cri_cg_sample s = { .mono = 300 * SEC };
    cri_stats_keep(&c, "c5", &s);
    struct cri_cg_sample n = { .mono = 2 * SEC + CRI_STATS_FORGET_NS };
    cri_stats_keep(&c, "new", &n);
    assert_int_equal(cri_stats_cache_size(&c), 3);
    struct cri_cg_sample out;
    assert_false(cri_stats_cached(&c, "c1", 2 * SEC, &out));
    cri_stats_layer_done(&c, "walking", SEC + CRI_STATS_FORGET_NS, NULL);
    cri_stats_cache_clear(&c);
}

/* ---- dir_usage.c ---- */

static void test_dir_usage(void **state)
{
    (void) state;
    char *base = ct_base();
    char *up = ct_mkdir(base, "upper"), *out = ct_mkdir(base, "outside");
    char *sub = ct_mkdir(up, "sub");
    char path[600];
    /* 3 inodes below upper: sub, file (2 links, both inside), link */
    char data[10000];
    memset(data, 'x', sizeof data);
    snprintf(path, sizeof path, "%s/file", sub);
    FILE *f = fopen(path, "w");
    fwrite(data, 1, sizeof data, f);
    fclose(f);
    char path2[600];
    snprintf(path2, sizeof path2, "%s/hard", up);
    assert_int_equal(link(path, path2), 0);
    snprintf(path2, sizeof path2, "%s/escape", up);
    assert_int_equal(symlink(out, path2), 0);
    /* what the symlink points to is not counted */
    snprintf(path, sizeof path, "%s/big", out);
    f = fopen(path, "w");
    for (int i = 0; i < 100; i++)
        fwrite(data, 1, sizeof data, f);
    fclose(f);

    struct stat st_up, st_sub, st_file, st_link;
    snprintf(path, sizeof path, "%s/file", sub);
    assert_int_equal(lstat(up, &st_up), 0);
    assert_int_equal(lstat(sub, &st_sub), 0);
    assert_int_equal(lstat(path, &st_file), 0);
    assert_int_equal(lstat(path2, &st_link), 0);
    uint64_t want = (uint64_t) (st_up.st_blocks + st_sub.st_blocks + st_file.st_blocks +
                                st_link.st_blocks) * 512;
    uint64_t bytes, inodes;
    cx_error err = { 0 };
    assert_int_equal(cri_dir_usage(AT_FDCWD, up, &bytes, &inodes, &err), 0);
    assert_int_equal(inodes, 4);   /* upper, sub, the file once, the link */
    assert_int_equal(bytes, want);

    /* relative to a directory fd; a missing one fails with its errno */
    int fd = open(base, O_RDONLY | O_DIRECTORY);
    assert_int_equal(cri_dir_usage(fd, "upper", &bytes, &inodes, &err), 0);
    assert_int_equal(inodes, 4);
    assert_int_equal(cri_dir_usage(fd, "nothing", &bytes, &inodes, &err), -1);
    assert_int_equal(err.errnum, ENOENT);
    /* the layer itself a symlink: refused */
    int upfd = open(up, O_RDONLY | O_DIRECTORY);
    assert_int_equal(cri_dir_usage(upfd, "escape", &bytes, &inodes, &err), -1);
    close(upfd);
    close(fd);
    free(sub);
    free(up);
    free(out);
    ct_remove(base);
    free(base);
}

/* A tree deeper than CRI_DU_MAX_DEPTH: walked to the bound, no more. */
static void test_dir_usage_deep(void **state)
{
    (void) state;
    char *base = ct_base();
    int fd = open(base, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    int depth = CRI_DU_MAX_DEPTH + 20;
    for (int i = 0; i < depth; i++) {
        assert_int_equal(mkdirat(fd, "d", 0755), 0);
        int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = next;
    }
    close(fd);
    uint64_t bytes, inodes;
    cx_error err = { 0 };
    assert_int_equal(cri_dir_usage(AT_FDCWD, base, &bytes, &inodes, &err), 0);
    /* the top, and one entry per open level: the last level's entry is
     * counted without being entered */
    assert_int_equal(inodes, CRI_DU_MAX_DEPTH + 1);
    ct_remove(base);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_unlimited),
        cmocka_unit_test(test_v1_limited),
        cmocka_unit_test(test_v1_no_swap_accounting),
        cmocka_unit_test(test_v2_unlimited),
        cmocka_unit_test(test_v2_limited),
        cmocka_unit_test(test_working_set_floor),
        cmocka_unit_test(test_from_runtime),
        cmocka_unit_test(test_nano_cores),
        cmocka_unit_test(test_pod_sum),
        cmocka_unit_test(test_net_dev),
        cmocka_unit_test(test_fs_usage),
        cmocka_unit_test(test_cache_samples),
        cmocka_unit_test(test_cache_layer),
        cmocka_unit_test(test_cache_forgets),
        cmocka_unit_test(test_dir_usage),
        cmocka_unit_test(test_dir_usage_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
