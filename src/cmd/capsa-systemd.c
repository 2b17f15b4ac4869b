/* capsa-systemd: capsa's systemd cgroup driver talks to systemd through
 * this helper (see sdbus/sdbus.h for why it is a program of its own).
 *
 *   capsa-systemd start UNIT    properties (JSON) on stdin
 *   capsa-systemd set UNIT      properties (JSON) on stdin
 *   capsa-systemd stop UNIT
 *
 * Exit 0 when the job is done; otherwise one line on stderr, exit 1. */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "sdbus/sdbus.h"

static int run(int argc, char **argv, cx_error *err)
{
    if (argc != 3 || (strcmp(argv[1], "start") && strcmp(argv[1], "set") &&
                      strcmp(argv[1], "stop")))
        return cx_fail(err, 0, "usage: capsa-systemd start|set|stop UNIT (properties on stdin)");
    json_t *props = NULL;
    if (strcmp(argv[1], "stop") != 0) {
        json_error_t je;
        props = json_loadf(stdin, 0, &je);
        if (!json_is_array(props)) {
            json_decref(props);
            return cx_fail(err, 0, "properties on stdin: line %d: %s", je.line,
                           props ? "not an array" : je.text);
        }
    }
    struct sdb *b = NULL;
    int rc = sdb_open(&b, err);
    if (rc == 0)
        rc = strcmp(argv[1], "start") == 0 ? sdb_start_unit(b, argv[2], props, err)
             : strcmp(argv[1], "set") == 0 ? sdb_set_props(b, argv[2], props, err)
                                           : sdb_stop_unit(b, argv[2], err);
    sdb_close(b);
    json_decref(props);
    return rc;
}

int main(int argc, char **argv)
{
    cx_error err = { 0 };
    if (run(argc, argv, &err) == 0)
        return 0;
    char line[CX_ERROR_MAX + 64];
    cx_error_format(&err, line, sizeof line);
    fprintf(stderr, "%s\n", line);
    return 1;
}
