/* desc.c: see desc.h. */
#include "cri/stream/desc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "cri/stream/b64.h"

static const char *const kind_names[] = { "exec", "attach", "portforward" };

const char *stream_kind_name(enum stream_kind k)
{
    return kind_names[k];
}

static const char *str(json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s && *s ? s : NULL;
}

static int parse_cmd(json_t *j, struct stream_desc *d, cx_error *err)
{
    json_t *cmd = json_object_get(j, "cmd");
    size_t n = json_array_size(cmd);
    if (n == 0)
        return cx_fail(err, EINVAL, "stream description: exec without a command");
    d->cmd = cx_calloc(n + 1, sizeof *d->cmd);
    for (size_t i = 0; i < n; i++) {
        d->cmd[i] = (char *) json_string_value(json_array_get(cmd, i));
        if (d->cmd[i] == NULL)
            return cx_fail(err, EINVAL, "stream description: cmd[%zu] is not a string", i);
    }
    return 0;
}

static int parse_rest(json_t *j, struct stream_desc *d, cx_error *err)
{
    const char *rest = json_string_value(json_object_get(j, "rest"));
    size_t len = rest ? strlen(rest) : 0;
    if (len == 0)
        return 0;
    d->rest = malloc(len / 4 * 3 + 1);
    if (d->rest == NULL || cx_b64_decode(rest, len, d->rest, &d->rest_len) < 0)
        return cx_fail(err, EINVAL, "stream description: rest is not base64");
    return 0;
}

int stream_desc_parse(json_t *j, struct stream_desc *d, cx_error *err)
{
    memset(d, 0, sizeof *d);
    const char *kind = str(j, "kind");
    size_t k = 0;
    while (k < 3 && (kind == NULL || strcmp(kind, kind_names[k]) != 0))
        k++;
    if (k == 3)
        return cx_fail(err, EINVAL, "stream description: unknown kind \"%s\"",
                       kind ? kind : "");
    d->kind = (enum stream_kind) k;
    d->protocol = str(j, "protocol");
    d->container = str(j, "container");
    d->sandbox = str(j, "sandbox");
    d->netns = str(j, "netns");
    d->root = str(j, "root");
    d->runroot = str(j, "runroot");
    d->tty = json_is_true(json_object_get(j, "tty"));
    d->in = json_is_true(json_object_get(j, "stdin"));
    d->out = json_is_true(json_object_get(j, "stdout"));
    d->err = json_is_true(json_object_get(j, "stderr"));
    json_int_t idle = json_integer_value(json_object_get(j, "idle_timeout"));
    d->idle_timeout = idle > 0 && idle < 1 << 30 ? (int) idle : 0;
    if (d->protocol == NULL)
        return cx_fail(err, EINVAL, "stream description: no protocol");
    if (d->kind == STREAM_PORTFORWARD && d->netns == NULL)
        return cx_fail(err, EINVAL, "stream description: port-forward without a network "
                       "namespace");
    if (d->kind != STREAM_PORTFORWARD && (!d->container || !d->root || !d->runroot))
        return cx_fail(err, EINVAL, "stream description: no container or store");
    if (d->kind == STREAM_EXEC && parse_cmd(j, d, err) < 0)
        return -1;
    return parse_rest(j, d, err);
}

void stream_desc_free(struct stream_desc *d)
{
    free(d->cmd);
    free(d->rest);
    memset(d, 0, sizeof *d);
}
