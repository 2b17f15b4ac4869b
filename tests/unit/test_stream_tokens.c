/* test_stream_tokens.c: the streaming server's pure parts
 * (src/cri/stream): base64 both ways (b64.c), the one-time tokens
 * (tokens.c: once only, expiry on a clock of our own, the bound, threads
 * at once) and the session description capsad-stream reads (desc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/stream/b64.h"
#include "cri/stream/desc.h"
#include "cri/stream/tokens.h"

/* ---- base64 -------------------------------------------------------------- */

static void test_b64_vectors(void **state)
{
    (void) state;
    /* RFC 4648 section 10 */
    static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    static const char *const std[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                       "Zm9vYmFy" };
    static const char *const url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
    for (size_t i = 0; i < 7; i++) {
        char out[16];
        size_t n = strlen(in[i]);
        assert_int_equal(cx_b64_len(n, false), strlen(std[i]));
        assert_int_equal(cx_b64_len(n, true), strlen(url[i]));
        cx_b64_encode(in[i], n, false, out);
        assert_string_equal(out, std[i]);
        cx_b64_encode(in[i], n, true, out);
        assert_string_equal(out, url[i]);
        uint8_t back[16];
        size_t len;
        assert_int_equal(cx_b64_decode(std[i], strlen(std[i]), back, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(back, in[i], n);
    }
    /* the alphabets differ in two places */
    const uint8_t hi[] = { 0xfb, 0xff, 0xbf };
    char out[8];
    cx_b64_encode(hi, 3, false, out);
    assert_string_equal(out, "+/+/");
    cx_b64_encode(hi, 3, true, out);
    assert_string_equal(out, "-_-_");
}

static void test_b64_round_trip_and_garbage(void **state)
{
    (void) state;
    uint8_t raw[300], back[300];
    char text[401];
    for (size_t n = 0; n < sizeof raw; n += 7) {
        for (size_t i = 0; i < n; i++)
            raw[i] = (uint8_t) (i * 37 + n);
        cx_b64_encode(raw, n, false, text);
        size_t len;
        assert_int_equal(cx_b64_decode(text, strlen(text), back, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(back, raw, n);
    }
    static const char *const bad[] = { "Zg=", "Z===", "Zm9v!A==", "-_-_", "Zg==Zg==", "Zm 9",
                                       "====" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len;
        assert_int_equal(cx_b64_decode(bad[i], strlen(bad[i]), back, &len), -1);
    }
}

/* ---- tokens ------------------------------------------------------------- */

static json_t *desc_named(int i)
{
    return json_pack("{s:s, s:i}", "kind", "exec", "n", i);
}

static void test_token_once(void **state)
{
    (void) state;
    struct stream_tokens *t = stream_tokens_new(10, 60000);
    char a[STREAM_TOKEN_LEN + 1], b[STREAM_TOKEN_LEN + 1];
    cx_error err = { 0 };
    assert_int_equal(stream_token_put(t, desc_named(1), 1000, a, &err), 0);
    assert_int_equal(stream_token_put(t, desc_named(2), 1000, b, &err), 0);
    assert_int_equal(strlen(a), STREAM_TOKEN_LEN);
    assert_string_not_equal(a, b);
    for (size_t i = 0; i < STREAM_TOKEN_LEN; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789-_", a[i]));
    assert_int_equal(stream_tokens_pending(t, 1000), 2);
    json_t *got = stream_token_take(t, b, 2000);
    assert_non_null(got);
    assert_int_equal(json_integer_value(json_object_get(got, "n")), 2);
    json_decref(got);
    assert_null(stream_token_take(t, b, 2000));   /* once */
    got = stream_token_take(t, a, 2000);
    assert_int_equal(json_integer_value(json_object_get(got, "n")), 1);
    json_decref(got);
    assert_int_equal(stream_tokens_pending(t, 2000), 0);
    stream_tokens_free(t);
}

static void test_token_malformed(void **state)
{
    (void) state;
    struct stream_tokens *t = stream_tokens_new(10, 60000);
    char a[STREAM_TOKEN_LEN + 1];
    cx_error err = { 0 };
    assert_int_equal(stream_token_put(t, desc_named(1), 0, a, &err), 0);
    char longer[64];
    snprintf(longer, sizeof longer, "%sA", a);
    char shorter[64];
    snprintf(shorter, sizeof shorter, "%.21s", a);
    char odd[64];
    snprintf(odd, sizeof odd, "%.21s/", a);
    static const char *const plain[] = { "", "x", "../../../../etc/passwd" };
    assert_null(stream_token_take(t, NULL, 0));
    assert_null(stream_token_take(t, longer, 0));
    assert_null(stream_token_take(t, shorter, 0));
    assert_null(stream_token_take(t, odd, 0));
    for (size_t i = 0; i < 3; i++)
        assert_null(stream_token_take(t, plain[i], 0));
    /* none of those spent it */
    json_t *got = stream_token_take(t, a, 0);
    assert_non_null(got);
    json_decref(got);
    stream_tokens_free(t);
}

static void test_token_expiry(void **state)
{
    (void) state;
    struct stream_tokens *t = stream_tokens_new(10, 60000);
    char a[STREAM_TOKEN_LEN + 1], b[STREAM_TOKEN_LEN + 1];
    cx_error err = { 0 };
    assert_int_equal(stream_token_put(t, desc_named(1), 0, a, &err), 0);
    assert_int_equal(stream_token_put(t, desc_named(2), 30000, b, &err), 0);
    assert_int_equal(stream_tokens_pending(t, 59999), 2);
    assert_int_equal(stream_tokens_pending(t, 60000), 1);
    assert_null(stream_token_take(t, a, 60000));   /* expired: gone */
    assert_null(stream_token_take(t, a, 0));        /* and dropped, not kept */
    json_t *got = stream_token_take(t, b, 89999);
    assert_non_null(got);
    json_decref(got);
    stream_tokens_free(t);
}

static void test_token_bound(void **state)
{
    (void) state;
    struct stream_tokens *t = stream_tokens_new(STREAM_TOKENS_MAX, STREAM_TOKEN_TTL_MS);
    char tok[STREAM_TOKEN_LEN + 1];
    cx_error err = { 0 };
    char kept[STREAM_TOKEN_LEN + 1];
    for (int i = 0; i < STREAM_TOKENS_MAX; i++)
        assert_int_equal(stream_token_put(t, desc_named(i), i, kept, &err), 0);
    assert_int_equal(stream_token_put(t, desc_named(-1), 1000, tok, &err), -1);
    assert_int_equal(err.errnum, EAGAIN);
    assert_non_null(strstr(err.msg, "1000"));
    /* taking one makes room */
    char last[STREAM_TOKEN_LEN + 1];
    assert_int_equal(stream_tokens_pending(t, 1000), STREAM_TOKENS_MAX);
    json_decref(stream_token_take(t, kept, 1000));
    assert_int_equal(stream_token_put(t, desc_named(-2), 1000, last, &err), 0);
    /* expiry makes room: the first 10 (put at 0..9 ms) have expired */
    for (int i = 0; i < 10; i++)
        assert_int_equal(stream_token_put(t, desc_named(i), STREAM_TOKEN_TTL_MS + 9, tok,
                                          &err), 0);
    assert_int_equal(stream_token_put(t, desc_named(0), STREAM_TOKEN_TTL_MS + 9, tok, &err),
                     -1);
    stream_tokens_free(t);   /* the descriptions still held go with it */
}

struct worker {
    struct stream_tokens *t;
    int taken;
};

static void *churn(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 2000; i++) {
        char tok[STREAM_TOKEN_LEN + 1];
        cx_error err = { 0 };
        if (stream_token_put(w->t, desc_named(i), 0, tok, &err) < 0)
            continue;
        json_t *got = stream_token_take(w->t, tok, 1);
        if (got && json_integer_value(json_object_get(got, "n")) == i)
            w->taken++;
        json_decref(got);
    }
    return NULL;
}

static void test_token_threads(void **state)
{
    (void) state;
    struct stream_tokens *t = stream_tokens_new(64, 60000);
    struct worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker) { t, 0 };
        pthread_create(&th[i], NULL, churn, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].taken, 2000);   /* each its own, never another's */
    }
    assert_int_equal(stream_tokens_pending(t, 1), 0);
    stream_tokens_free(t);
}

/* ---- the session's description -------------------------------------------- */

static int parse(const char *text, struct stream_desc *d, json_t **j, cx_error *err)
{
    *j = json_loads(text, 0, NULL);
    assert_non_null(*j);
    return stream_desc_parse(*j, d, err);
}

static void test_desc(void **state)
{
    (void) state;
    struct stream_desc d;
    json_t *j;
    cx_error err = { 0 };
    assert_int_equal(parse("{\"kind\":\"exec\",\"protocol\":\"v4.channel.k8s.io\","
                           "\"container\":\"c1\",\"cmd\":[\"sh\",\"-c\",\"exit 3\"],"
                           "\"tty\":true,\"stdin\":true,\"stdout\":true,\"stderr\":false,"
                           "\"root\":\"/r\",\"runroot\":\"/rr\",\"idle_timeout\":30,"
                           "\"rest\":\"gAMAAQ==\"}", &d, &j, &err), 0);
    assert_int_equal(d.kind, STREAM_EXEC);
    assert_string_equal(d.cmd[2], "exit 3");
    assert_null(d.cmd[3]);
    assert_true(d.tty && d.in && d.out && !d.err);
    assert_int_equal(d.idle_timeout, 30);
    assert_int_equal(d.rest_len, 4);
    assert_memory_equal(d.rest, "\x80\x03\x00\x01", 4);
    stream_desc_free(&d);
    json_decref(j);

    assert_int_equal(parse("{\"kind\":\"portforward\",\"protocol\":\"portforward.k8s.io\","
                           "\"sandbox\":\"s\",\"netns\":\"/run/x\"}", &d, &j, &err), 0);
    assert_int_equal(d.kind, STREAM_PORTFORWARD);
    assert_string_equal(stream_kind_name(d.kind), "portforward");
    assert_int_equal(d.rest_len, 0);
    stream_desc_free(&d);
    json_decref(j);

    static const char *const bad[] = {
        "{\"kind\":\"shell\",\"protocol\":\"p\"}",
        "{\"protocol\":\"p\"}",
        "{\"kind\":\"exec\",\"container\":\"c\",\"root\":\"/r\",\"runroot\":\"/rr\","
        "\"cmd\":[\"a\"]}",
        "{\"kind\":\"exec\",\"protocol\":\"p\",\"container\":\"c\",\"root\":\"/r\","
        "\"runroot\":\"/rr\",\"cmd\":[]}",
        "{\"kind\":\"exec\",\"protocol\":\"p\",\"container\":\"c\",\"root\":\"/r\","
        "\"runroot\":\"/rr\",\"cmd\":[\"a\",1]}",
        "{\"kind\":\"attach\",\"protocol\":\"p\",\"root\":\"/r\",\"runroot\":\"/rr\"}",
        "{\"kind\":\"portforward\",\"protocol\":\"p\"}",
        "{\"kind\":\"attach\",\"protocol\":\"p\",\"container\":\"c\",\"root\":\"/r\","
        "\"runroot\":\"/rr\",\"rest\":\"!!!!\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &d, &j, &err), -1);
        assert_non_null(strstr(err.msg, "stream description"));
        stream_desc_free(&d);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_vectors),
        cmocka_unit_test(test_b64_round_trip_and_garbage),
        cmocka_unit_test(test_token_once),
        cmocka_unit_test(test_token_malformed),
        cmocka_unit_test(test_token_expiry),
        cmocka_unit_test(test_token_bound),
        cmocka_unit_test(test_token_threads),
        cmocka_unit_test(test_desc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
