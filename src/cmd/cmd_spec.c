/* cmd_spec.c: `capsa spec [--bundle DIR] [--rootless]`. */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "oci/default_spec.h"

int cmd_spec(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "bundle", required_argument, NULL, 'b' },
        { "rootless", no_argument, NULL, 'r' },
        { 0 },
    };
    const char *bundle = ".";
    bool rootless = false;
    int c;
    (void) g;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
        if (c == 'b')
            bundle = optarg;
        else if (c == 'r')
            rootless = true;
        else
            return cx_fail(err, 0, "spec: unknown option %s", argv[optind - 1]);
    }
    if (cmd_need_args(argc - optind, 0, "capsa spec [--bundle DIR] [--rootless]", err) < 0)
        return -1;
    _cleanup_close_ int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return cx_fail_errno(err, "bundle %s", bundle);
    if (faccessat(dfd, "config.json", F_OK, 0) == 0)
        return cx_fail(err, 0, "%s/config.json exists: remove it first", bundle);
    json_t *spec = oci_default_spec(rootless, geteuid(), getegid());
    char *text = json_dumps(spec, JSON_INDENT(2));
    json_decref(spec);
    if (text == NULL)
        return cx_fail(err, ENOMEM, "serialize config.json");
    size_t n = strlen(text);
    text[n] = '\n';
    int rc = cx_write_file_atomic_at(dfd, "config.json", text, n + 1, 0644, err);
    free(text);
    return rc < 0 ? -1 : 0;
}
