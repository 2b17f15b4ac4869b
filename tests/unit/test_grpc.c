/* test_grpc.c: the pure gRPC pieces: message deframing across any split of
 * the bytes, the limits and refusals, grpc-timeout, grpc-message encoding,
 * the status mapping; and the call arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/arena.h"
#include "cri/grpc.h"

/* prefix + body of len bytes (byte i = i % 251) */
static uint8_t *framed(size_t len, uint8_t flag, size_t *total)
{
    uint8_t *b = malloc(len + 5);
    grpc_frame_head(b, len);
    b[0] = flag;
    for (size_t i = 0; i < len; i++)
        b[5 + i] = (uint8_t) (i % 251);
    *total = len + 5;
    return b;
}

static void test_deframe_any_split(void **state)
{
    (void) state;
    size_t total;
    uint8_t *b = framed(1000, 0, &total);
    for (size_t step = 1; step <= total; step = step * 3 + 1) {
        struct grpc_deframer d;
        grpc_deframer_init(&d);
        enum grpc_code code;
        cx_error err = { 0 };
        for (size_t off = 0; off < total; off += step) {
            size_t n = total - off < step ? total - off : step;
            assert_int_equal(grpc_deframe(&d, b + off, n, &code, &err), 0);
        }
        assert_int_equal(d.nmsgs, 1);
        assert_int_equal(d.len, 1000);
        assert_memory_equal(d.msg, b + 5, 1000);
        grpc_deframer_free(&d);
    }
    free(b);
}

static void test_deframe_empty_message(void **state)
{
    (void) state;
    struct grpc_deframer d;
    grpc_deframer_init(&d);
    uint8_t head[5];
    grpc_frame_head(head, 0);
    enum grpc_code code;
    cx_error err = { 0 };
    assert_int_equal(grpc_deframe(&d, head, 3, &code, &err), 0);
    assert_int_equal(d.nmsgs, 0);
    assert_int_equal(grpc_deframe(&d, head + 3, 2, &code, &err), 0);
    assert_int_equal(d.nmsgs, 1);
    assert_int_equal(d.len, 0);
    grpc_deframer_free(&d);
}

static void expect_refusal(const uint8_t *b, size_t n, size_t max, enum grpc_code want,
                           const char *msg)
{
    struct grpc_deframer d;
    grpc_deframer_init(&d);
    if (max)
        d.max = max;
    enum grpc_code code = GRPC_OK;
    cx_error err = { 0 };
    assert_int_equal(grpc_deframe(&d, b, n, &code, &err), -1);
    assert_int_equal(code, want);
    if (!strstr(err.msg, msg))
        fail_msg("\"%s\" lacks \"%s\"", err.msg, msg);
    /* after a refusal, the rest is ignored */
    unsigned before = d.nmsgs;
    assert_int_equal(grpc_deframe(&d, b, n, &code, &err), 0);
    assert_true(d.failed);
    assert_int_equal(d.nmsgs, before);
    grpc_deframer_free(&d);
}

static void test_deframe_refusals(void **state)
{
    (void) state;
    /* over the limit: refused from the prefix alone, nothing buffered */
    uint8_t big[5];
    grpc_frame_head(big, GRPC_MAX_MESSAGE + 1);
    expect_refusal(big, 5, 0, GRPC_RESOURCE_EXHAUSTED, "larger than the limit");
    size_t total;
    uint8_t *b = framed(10, 1, &total);
    expect_refusal(b, total, 0, GRPC_UNIMPLEMENTED, "compressed messages");
    b[0] = 7;
    expect_refusal(b, total, 0, GRPC_INTERNAL, "bad message flags");
    b[0] = 0;
    expect_refusal(b, total, 9, GRPC_RESOURCE_EXHAUSTED, "10 bytes");
    /* two messages on a unary call */
    uint8_t two[30];
    memcpy(two, b, 15);
    memcpy(two + 15, b, 15);
    expect_refusal(two, 30, 0, GRPC_INTERNAL, "more than one");
    free(b);
}

static void test_timeout(void **state)
{
    (void) state;
    static const struct { const char *in; int64_t ms; } good[] = {
        { "1H", 3600000 }, { "2M", 120000 }, { "30S", 30000 }, { "250m", 250 },
        { "1500u", 2 }, { "1n", 1 }, { "99999999m", 99999999 }, { "0S", 0 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ms = -7;
        assert_int_equal(grpc_timeout_parse(good[i].in, &ms), 0);
        assert_int_equal(ms, good[i].ms);
    }
    static const char *const bad[] = { "", "S", "100", "123456789S", "1s", "-1S", "1.5S",
                                       " 1S", "1S ", "1x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms;
        if (grpc_timeout_parse(bad[i], &ms) != -1)
            fail_msg("\"%s\" accepted", bad[i]);
    }
}

static void test_message_encode(void **state)
{
    (void) state;
    char *s = grpc_message_encode("pod \"a\" 100% gone\n\xc3\xa9");
    assert_string_equal(s, "pod \"a\" 100%25 gone%0A%C3%A9");
    free(s);
}

static void test_codes(void **state)
{
    (void) state;
    static const struct { int e; enum grpc_code c; } map[] = {
        { ENOENT, GRPC_NOT_FOUND }, { EINVAL, GRPC_INVALID_ARGUMENT },
        { EEXIST, GRPC_ALREADY_EXISTS }, { ETIMEDOUT, GRPC_DEADLINE_EXCEEDED },
        { EBUSY, GRPC_FAILED_PRECONDITION }, { ENOSYS, GRPC_UNIMPLEMENTED },
        { ECANCELED, GRPC_CANCELLED }, { E2BIG, GRPC_RESOURCE_EXHAUSTED },
        { EIO, GRPC_UNKNOWN }, { 0, GRPC_UNKNOWN },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        cx_error err = { .errnum = map[i].e };
        assert_int_equal(grpc_code_of(&err), map[i].c);
    }
    assert_string_equal(grpc_code_name(GRPC_NOT_FOUND), "NotFound");
    assert_string_equal(grpc_code_name(99), "Unknown");
}

static void test_arena(void **state)
{
    (void) state;
    struct arena a = { 0 };
    char *small[100];
    for (int i = 0; i < 100; i++) {
        small[i] = arena_printf(&a, "item %d", i);
        assert_int_equal(((uintptr_t) small[i]) % sizeof(max_align_t), 0);
    }
    uint8_t *big = arena_alloc(&a, 100000);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(big[i], 0);
    memset(big, 0xff, 100000);
    char *after = arena_strdup(&a, "after");
    for (int i = 0; i < 100; i++) {
        char want[16];
        snprintf(want, sizeof want, "item %d", i);
        assert_string_equal(small[i], want);
    }
    assert_string_equal(after, "after");
    assert_null(arena_strdup(&a, NULL));
    arena_free(&a);
    assert_null(a.head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deframe_any_split),
        cmocka_unit_test(test_deframe_empty_message),
        cmocka_unit_test(test_deframe_refusals),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_message_encode),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
