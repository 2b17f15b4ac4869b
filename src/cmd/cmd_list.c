/* cmd_list.c: `capsa list [--format table|json] [-q]`.  A container whose
 * record cannot be read is reported on stderr and skipped; the others are
 * listed. */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "runtime/container.h"

static void table_widths(json_t *rows, size_t w[6], const char *const keys[6])
{
    size_t i;
    json_t *r;
    for (int k = 0; k < 6; k++)
        w[k] = strlen(keys[k]) + 3 > 12 ? strlen(keys[k]) + 3 : 12;
    json_array_foreach(rows, i, r) {
        for (int k = 0; k < 5; k++) {
            json_t *v = json_array_get(r, (size_t) k);
            size_t len = strlen(json_string_value(v)) + 3;
            if (len > w[k])
                w[k] = len;
        }
    }
}

/* Like Go's tabwriter with minwidth 12 and padding 3, as runc prints. */
static void print_table(json_t *rows)
{
    static const char *const keys[6] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
    size_t w[6], i;
    json_t *r;
    table_widths(rows, w, keys);
    for (int k = 0; k < 5; k++)
        printf("%-*s", (int) w[k], keys[k]);
    printf("%s\n", keys[5]);
    json_array_foreach(rows, i, r) {
        for (int k = 0; k < 5; k++)
            printf("%-*s", (int) w[k], json_string_value(json_array_get(r, (size_t) k)));
        printf("%s\n", json_string_value(json_array_get(r, 5)));
    }
}

static json_t *table_row(json_t *st)
{
    char pid[16];
    snprintf(pid, sizeof pid, "%lld", (long long) json_integer_value(json_object_get(st, "pid")));
    return json_pack("[s,s,s,s,s,s]", json_string_value(json_object_get(st, "id")), pid,
                     json_string_value(json_object_get(st, "status")),
                     json_string_value(json_object_get(st, "bundle")),
                     json_string_value(json_object_get(st, "created")),
                     json_string_value(json_object_get(st, "owner")));
}

static int collect(const char *root, json_t *states, cx_error *err)
{
    _cleanup_close_ int fd = cx_root_open(root, true, err); /* runc creates it too */
    if (fd < 0)
        return -1;
    _cleanup_closedir_ DIR *d = fdopendir(fd);
    struct dirent *de;
    if (d == NULL)
        return cx_fail_errno(err, "open runtime root %s", root);
    fd = -1; /* owned by d now */
    while ((de = readdir(d)) != NULL) {
        _cleanup_container_ struct cx_container *c = NULL;
        cx_error e = { 0 };
        if (de->d_name[0] == '.' || cx_id_check(de->d_name, NULL) < 0)
            continue;
        if (cx_container_load(root, de->d_name, false, &c, &e) < 0) {
            cx_log_error(&e);
            continue;
        }
        json_t *o = cx_state_to_oci(c->st, true);
        json_array_append_new(states, o);
    }
    return 0;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *) a, "id")),
                  json_string_value(json_object_get(*(json_t *const *) b, "id")));
}

int cmd_list(const struct capsa_global *g, int argc, char **argv, cx_error *err)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "quiet", no_argument, NULL, 'q' },
        { 0 },
    };
    const char *format = "table";
    bool quiet = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:q", opts, NULL)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 'q')
            quiet = true;
        else
            return cx_fail(err, 0, "list: unknown option %s", argv[optind - 1]);
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return cx_fail(err, 0, "invalid format option \"%s\" (table or json)", format);
    if (cmd_need_args(argc - optind, 0, "capsa list [--format table|json] [-q]", err) < 0)
        return -1;
    json_t *states = json_array();
    if (collect(g->root, states, err) < 0) {
        json_decref(states);
        return -1;
    }
    size_t n = json_array_size(states), i;
    json_t **items = n ? calloc(n, sizeof *items) : NULL;
    for (i = 0; i < n; i++)
        items[i] = json_array_get(states, i);
    if (n)
        qsort(items, n, sizeof *items, by_id);
    json_t *sorted = json_array(), *rows = json_array();
    for (i = 0; i < n; i++) {
        json_array_append(sorted, items[i]);
        json_array_append_new(rows, table_row(items[i]));
    }
    free(items);
    if (quiet) {
        for (i = 0; i < n; i++)
            printf("%s\n", json_string_value(json_object_get(json_array_get(sorted, i), "id")));
    } else if (strcmp(format, "json") == 0) {
        if (n == 0)
            fputs("null", stdout); /* what runc prints for none */
        else
            cmd_print_json(sorted, false, false);
        fputc('\n', stdout);
    } else {
        print_table(rows);
    }
    json_decref(states);
    json_decref(sorted);
    json_decref(rows);
    return 0;
}
