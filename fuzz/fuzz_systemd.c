/* fuzz_systemd: the systemd driver's parsers (runtime/cgroup/systemd.c):
 * linux.cgroupsPath "slice:prefix:name" with a container id, and a cpuset
 * list turned into AllowedCPUs' mask.  Input: cgroupsPath NUL id NUL cpus. */
#include "fuzz.h"
#include "runtime/cgroup/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v[4], *buf;
    size_t n = fz_split(data, size, '\0', v, 3, &buf);
    struct cg_sd_unit u;
    cx_error err = { 0 };
    if (cg_systemd_unit(v[0], n > 1 ? v[1] : "fz", &u, &err) < 0) {
        fz_failed(&err);
    } else {
        FZ_CHECK(memchr(u.slice, '\0', sizeof u.slice) && memchr(u.unit, '\0', sizeof u.unit));
        FZ_CHECK(memchr(u.path, '\0', sizeof u.path) != NULL);
    }
    uint8_t mask[128];
    size_t len = 99999;
    if (cg_cpuset_mask(n > 2 ? v[2] : v[0], mask, sizeof mask, &len) == 0)
        FZ_CHECK(len <= sizeof mask);
    free(buf);
    return 0;
}
