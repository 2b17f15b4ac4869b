/* The log sink (common/log.c) used by several threads at once, as capsad
 * does: every record reaches the --log file whole, one JSON line each. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define THREADS 4
#define RECORDS 300

static void *writer(void *arg)
{
    char msg[900];
    /* long enough that a torn line would show; the thread's mark fills it */
    memset(msg, 'a' + (int) (intptr_t) arg, sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    for (int i = 0; i < RECORDS; i++)
        cx_log_record(CX_LOG_INFO, msg);
    return NULL;
}

static void test_records_from_threads(void **state)
{
    (void) state;
    char path[] = "/tmp/capsa-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    cx_error err;
    assert_int_equal(cx_log_init(path, CX_LOG_JSON, false, &err), 0);
    pthread_t th[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, writer, (void *) i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);

    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        assert_non_null(o);
        const char *msg = json_string_value(json_object_get(o, "msg"));
        assert_non_null(msg);
        assert_int_equal(strlen(msg), 899);
        assert_int_equal(strspn(msg, (char[]) { msg[0], '\0' }), 899);
        json_decref(o);
        n++;
    }
    fclose(f);
    unlink(path);
    assert_int_equal(n, THREADS * RECORDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_from_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
