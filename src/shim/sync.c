/* sync.c: see sync.h. */
#include "shim/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"

int shim_pipe_from_env(const char *name, cx_error *err)
{
    const char *v = getenv(name);
    int fd;
    if (v == NULL)
        return -1;
    if (cx_parse_int(v, &fd) < 0 || fd < 0) {
        cx_fail(err, 0, "%s=%s is not a file descriptor number", name, v);
        return -2;
    }
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        cx_fail_errno(err, "%s=%d", name, fd);
        return -2;
    }
    unsetenv(name);
    return fd;
}

char *shim_sync_format(const char *key, int value, const char *message)
{
    json_t *o = json_object();
    json_object_set_new(o, key, json_integer(value));
    if (message)
        json_object_set_new(o, "message", json_string(message));
    char *body = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(o);
    if (body == NULL) {  /* invalid UTF-8 in message: keep the number */
        return cx_asprintf("{\"%s\":%d,\"message\":\"(message not valid UTF-8)\"}\n",
                           key, value);
    }
    char *line = cx_asprintf("%s\n", body);
    free(body);
    return line;
}

int shim_sync_send(int fd, const char *key, int value, const char *message)
{
    if (fd < 0)
        return 0;
    char *line = shim_sync_format(key, value, message);
    size_t len = strlen(line);
    ssize_t w = send(fd, line, len, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK)
        w = cx_write_all(fd, line, len) == 0 ? (ssize_t) len : -1;
    int e = w < 0 ? errno : EIO;
    free(line);
    return w == (ssize_t) len ? 0 : -e;
}

int shim_start_wait(int fd, cx_error *err)
{
    char buf[256];
    ssize_t n;
    do
        n = read(fd, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return cx_fail_errno(err, "read start pipe");
    return (int) n;
}
