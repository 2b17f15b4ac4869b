/* cgroup_tree_util.h: fake cgroup directories for the tests of
 * cgroup_stats() and of what capsad maps from it: a container's v1
 * hierarchies (memory, cpuacct, cpu, pids, blkio) or its one v2
 * directory, holding the files the kernel shows (names and formats from
 * the kernel's cgroup-v1/memory.rst, cpuacct.rst and cgroup-v2.rst), with
 * the numbers below.  Include after <cmocka.h>. */
#ifndef CAPSA_CGROUP_TREE_UTIL_H
#define CAPSA_CGROUP_TREE_UTIL_H

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024ull * 1024)
/* what v1 shows for "no limit": PAGE_COUNTER_MAX pages of 4 KiB */
#define V1_UNLIMITED "9223372036854771712"

static inline void ct_write(const char *dir, const char *file, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static inline char *ct_mkdir(const char *base, const char *name)
{
    char *p = malloc(strlen(base) + strlen(name) + 2);
    sprintf(p, "%s/%s", base, name);
    assert_int_equal(mkdir(p, 0755), 0);
    return p;
}

static inline char *ct_base(void)
{
    char tmpl[] = "/tmp/capsa-cgtree.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return strdup(tmpl);
}

/* v1: 25 MiB used of which 1 MiB inactive file pages, 20 MiB rss, 1 MiB
 * in swap (memsw 26 MiB); limit: NULL for none, else memory and memsw
 * limits as the files hold them; 123456789 ns of CPU; 3 pids. */
static inline json_t *ct_v1(const char *base, const char *mem_limit, const char *memsw_limit)
{
    char *mem = ct_mkdir(base, "memory"), *acct = ct_mkdir(base, "cpuacct"),
         *cpu = ct_mkdir(base, "cpu"), *pids = ct_mkdir(base, "pids"),
         *blkio = ct_mkdir(base, "blkio");
    ct_write(mem, "memory.usage_in_bytes", "26214400\n");
    ct_write(mem, "memory.limit_in_bytes", mem_limit ? mem_limit : V1_UNLIMITED "\n");
    ct_write(mem, "memory.max_usage_in_bytes", "30000000\n");
    ct_write(mem, "memory.failcnt", "0\n");
    ct_write(mem, "memory.memsw.usage_in_bytes", "27262976\n");
    ct_write(mem, "memory.memsw.limit_in_bytes", memsw_limit ? memsw_limit : V1_UNLIMITED "\n");
    ct_write(mem, "memory.kmem.usage_in_bytes", "1000000\n");
    ct_write(mem, "memory.stat",
             "cache 5242880\nrss 20971520\nrss_huge 0\nshmem 0\nmapped_file 0\n"
             "pgfault 4000\npgmajfault 5\ninactive_anon 0\nactive_anon 20971520\n"
             "inactive_file 1048576\nactive_file 4194304\nunevictable 0\n"
             "hierarchical_memory_limit " V1_UNLIMITED "\n"
             "hierarchical_memsw_limit " V1_UNLIMITED "\n"
             "total_cache 5242880\ntotal_rss 20971520\ntotal_pgfault 5000\n"
             "total_pgmajfault 7\ntotal_inactive_anon 0\ntotal_active_anon 20971520\n"
             "total_inactive_file 1048576\ntotal_active_file 4194304\n");
    ct_write(acct, "cpuacct.usage", "123456789\n");
    ct_write(acct, "cpuacct.usage_percpu", "100000000 23456789 \n");
    ct_write(acct, "cpuacct.stat", "user 8\nsystem 2\n");
    ct_write(cpu, "cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 3000000\n");
    ct_write(pids, "pids.current", "3\n");
    ct_write(pids, "pids.max", "max\n");
    ct_write(blkio, "blkio.throttle.io_service_bytes_recursive",
             "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n");
    ct_write(blkio, "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");
    json_t *cg = json_pack("{s:[s,s,s,s,s]}", "dirs", mem, acct, cpu, pids, blkio);
    free(mem);
    free(acct);
    free(cpu);
    free(pids);
    free(blkio);
    return cg;
}

/* v2: 40 MiB current of which 2 MiB inactive file pages, 30 MiB anon,
 * 3 MiB swapped; max, swap_max: the files' text ("max\n" for none);
 * 2500 us of CPU; 5 pids. */
static inline json_t *ct_v2(const char *base, const char *max, const char *swap_max)
{
    char *d = ct_mkdir(base, "ctr");
    ct_write(d, "cgroup.controllers", "cpu io memory pids\n");
    ct_write(d, "memory.current", "41943040\n");
    ct_write(d, "memory.max", max);
    ct_write(d, "memory.peak", "50000000\n");
    ct_write(d, "memory.swap.current", "3145728\n");
    ct_write(d, "memory.swap.max", swap_max);
    ct_write(d, "memory.stat",
             "anon 31457280\nfile 8388608\nkernel 1048576\nkernel_stack 16384\n"
             "pagetables 65536\nsock 0\nshmem 0\nfile_mapped 0\nfile_dirty 0\n"
             "inactive_anon 0\nactive_anon 31457280\ninactive_file 2097152\n"
             "active_file 6291456\nunevictable 0\nslab 500000\n"
             "workingset_refault_anon 0\npgfault 9000\npgmajfault 11\n");
    ct_write(d, "cpu.stat",
             "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 4\n"
             "nr_throttled 2\nthrottled_usec 7\nnr_bursts 0\nburst_usec 0\n");
    ct_write(d, "pids.current", "5\n");
    ct_write(d, "pids.max", "100\n");
    ct_write(d, "io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n");
    json_t *cg = json_pack("{s:[s]}", "dirs", d);
    free(d);
    return cg;
}

static inline void ct_remove(const char *base)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    assert_int_equal(system(cmd), 0);
}

#endif
