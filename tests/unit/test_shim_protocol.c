/* test_shim_protocol.c: capsa-shim's wire formats: attach framing, ctl
 * fifo messages, sync pipe messages (src/shim/attach.c, ctl.c, sync.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim/shim.h"
#include "shim/sync.h"

static void test_attach_frame(void **state)
{
    (void) state;
    char out[SHIM_BUF + 1];
    assert_int_equal(attach_frame(out, sizeof out, SHIM_STDOUT, "hi", 2), 3);
    assert_memory_equal(out, "\x02hi", 3);
    assert_int_equal(attach_frame(out, sizeof out, SHIM_STDERR, "", 0), 1);
    assert_int_equal(out[0], 3);
    /* a full read fills one 8193-byte message, as podman's buffer expects */
    char big[SHIM_BUF];
    memset(big, 'x', sizeof big);
    assert_int_equal(attach_frame(out, sizeof out, SHIM_STDOUT, big, sizeof big), SHIM_BUF + 1);
    assert_int_equal(attach_frame(out, 4, SHIM_STDOUT, big, sizeof big), 4);
    assert_int_equal(attach_frame(out, 0, SHIM_STDOUT, big, 1), 0);
}

static void test_ctl_lines(void **state)
{
    (void) state;
    struct ctl_msg m;
    assert_int_equal(ctl_parse_line("1 24 80", &m), 0);
    assert_int_equal(m.type, CTL_RESIZE);
    assert_int_equal(m.height, 24);
    assert_int_equal(m.width, 80);
    assert_int_equal(ctl_parse_line("2 0 0", &m), 0);
    assert_int_equal(m.type, CTL_REOPEN_LOG);
    assert_int_equal(ctl_parse_line("2", &m), 0);
    assert_int_equal(m.type, CTL_REOPEN_LOG);
    assert_int_equal(ctl_parse_line("1 24", &m), -1);
    assert_int_equal(ctl_parse_line("3 1 1", &m), -1);
    assert_int_equal(ctl_parse_line("1 -1 80", &m), -1);
    assert_int_equal(ctl_parse_line("1 70000 80", &m), -1);
    assert_int_equal(ctl_parse_line("1 24 80 junk", &m), -1);
    assert_int_equal(ctl_parse_line("", &m), -1);
}

static void test_sync_messages(void **state)
{
    (void) state;
    char *s = shim_sync_format("data", 4242, NULL);
    assert_string_equal(s, "{\"data\":4242}\n");
    free(s);
    s = shim_sync_format("data", -1, "runc create failed: \"x\"\n\tno such file");
    assert_string_equal(s, "{\"data\":-1,\"message\":\"runc create failed: \\\"x\\\"\\n\\tno "
                           "such file\"}\n");
    free(s);
    s = shim_sync_format("exit_code", 3, NULL);
    assert_string_equal(s, "{\"exit_code\":3}\n");
    free(s);
    s = shim_sync_format("data", -1, "bad \xff utf8");
    assert_non_null(strstr(s, "\"data\":-1"));
    free(s);
}

static void test_sync_send_is_one_datagram(void **state)
{
    (void) state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    assert_int_equal(shim_sync_send(sv[0], "data", 7, NULL), 0);
    assert_int_equal(shim_sync_send(sv[0], "data", 0, "done"), 0);
    char buf[256];
    ssize_t n = recv(sv[1], buf, sizeof buf, 0);
    assert_int_equal(n, 11);
    assert_memory_equal(buf, "{\"data\":7}\n", 11);
    n = recv(sv[1], buf, sizeof buf, 0);
    buf[n] = '\0';
    assert_string_equal(buf, "{\"data\":0,\"message\":\"done\"}\n");
    close(sv[1]);
    assert_int_equal(shim_sync_send(sv[0], "data", 1, NULL), -EPIPE);  /* no SIGPIPE */
    close(sv[0]);
}

static void test_pipe_from_env(void **state)
{
    (void) state;
    cx_error err = { 0 };
    unsetenv("_T_PIPE");
    assert_int_equal(shim_pipe_from_env("_T_PIPE", &err), -1);
    setenv("_T_PIPE", "x1", 1);
    assert_int_equal(shim_pipe_from_env("_T_PIPE", &err), -2);
    assert_non_null(strstr(err.msg, "_T_PIPE=x1 is not a file descriptor number"));
    setenv("_T_PIPE", "987", 1);
    assert_int_equal(shim_pipe_from_env("_T_PIPE", &err), -2);
    int fd = dup(0);
    char v[16];
    snprintf(v, sizeof v, "%d", fd);
    setenv("_T_PIPE", v, 1);
    assert_int_equal(shim_pipe_from_env("_T_PIPE", &err), fd);
    assert_null(getenv("_T_PIPE"));
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attach_frame),
        cmocka_unit_test(test_ctl_lines),
        cmocka_unit_test(test_sync_messages),
        cmocka_unit_test(test_sync_send_is_one_datagram),
        cmocka_unit_test(test_pipe_from_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
