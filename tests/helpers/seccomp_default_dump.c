/* seccomp_default_dump: print capsa's default seccomp profile, as the
 * engine writes it into config.json, for the capabilities on the command
 * line (tests/engine/test_seccomp_profile.py compares it with podman's).
 *
 *   seccomp_default_dump [--machine=M] [CAP_...]...
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "engine/seccomp_default.h"

int main(int argc, char **argv)
{
    const char *machine = NULL;
    char **caps = argv + 1;
    cx_error err = { 0 };
    json_t *out = NULL;
    if (argc > 1 && cx_str_has_prefix(argv[1], "--machine=")) {
        machine = argv[1] + strlen("--machine=");
        caps++;
    }
    const char *const *c = (const char *const *) caps;
    int rc = machine ? cx_seccomp_default_for(c, machine, &out, &err)
                     : cx_seccomp_default(c, &out, &err);
    if (rc < 0) {
        char line[CX_ERROR_MAX + 128];
        cx_error_format(&err, line, sizeof line);
        fprintf(stderr, "seccomp_default_dump: %s\n", line);
        return 1;
    }
    rc = json_dumpf(out, stdout, JSON_INDENT(1));
    json_decref(out);
    if (rc < 0 || puts("") == EOF || fflush(stdout) == EOF) {
        perror("seccomp_default_dump: stdout");
        return 1;
    }
    return 0;
}
