/* test_authfile.c: credentials in auth.json and docker's config.json, in
 * temporary directories with HOME and the XDG variables pointed there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "image/authfile.h"

static char tmp[64];

static char *tpath(const char *rel)
{
    return cx_asprintf("%s/%s", tmp, rel);
}

static void put(const char *rel, const char *text)
{
    char *p = tpath(rel);
    char *dir = cx_strdup(p);
    *strrchr(dir, '/') = '\0';
    cx_error err = { 0 };
    assert_int_equal(cx_mkdir_p(dir, 0700, &err), 0);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(dir);
    free(p);
}

static json_t *load(const char *rel)
{
    char *p = tpath(rel);
    json_error_t jerr;
    json_t *j = json_load_file(p, 0, &jerr);
    if (j == NULL)
        fail_msg("%s: %s", p, jerr.text);
    free(p);
    return j;
}

static int setup(void **state)
{
    (void) state;
    snprintf(tmp, sizeof tmp, "/tmp/test_authfile.XXXXXX");
    assert_non_null(mkdtemp(tmp));
    char *home = tpath("home"), *run = tpath("run");
    setenv("HOME", home, 1);
    setenv("XDG_RUNTIME_DIR", run, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("DOCKER_CONFIG");
    unsetenv("REGISTRY_AUTH_FILE");
    free(home);
    free(run);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    cx_rm_rf_at(AT_FDCWD, tmp);
    return 0;
}

/* Look up and compare; want_user NULL: nothing found. */
static void expect(const char *authfile, const char *host, const char *repo,
                   const char *want_user, const char *want_pass)
{
    char *user = NULL, *pass = NULL;
    bool found = true;
    cx_error err = { 0 };
    if (cx_auth_lookup(authfile, host, repo, &user, &pass, &found, &err) != 0)
        fail_msg("lookup %s %s: %s", host, repo ? repo : "", err.msg);
    if (want_user == NULL) {
        assert_false(found);
        assert_null(user);
        return;
    }
    assert_true(found);
    assert_string_equal(user, want_user);
    assert_string_equal(pass, want_pass);
    free(user);
    free(pass);
}

static void expect_error(const char *authfile, const char *host, const char *msg)
{
    char *user = NULL, *pass = NULL;
    bool found = true;
    cx_error err = { 0 };
    assert_int_equal(cx_auth_lookup(authfile, host, NULL, &user, &pass, &found, &err), -1);
    assert_false(found);
    char *want = cx_asprintf(msg, tmp);
    assert_string_equal(err.msg, want);
    free(want);
}

static void test_default_path(void **state)
{
    (void) state;
    char *p = cx_auth_default_path(), *want = tpath("run/containers/auth.json");
    assert_string_equal(p, want);
    free(p);
    free(want);
    setenv("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
    p = cx_auth_default_path();
    assert_string_equal(p, "/x/auth.json");
    free(p);
    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("XDG_RUNTIME_DIR");
    p = cx_auth_default_path();
    want = cx_asprintf("/run/containers/%u/auth.json", (unsigned) getuid());
    assert_string_equal(p, want);
    free(p);
    free(want);
}

static void test_store_lookup(void **state)
{
    (void) state;
    cx_error err = { 0 };
    expect(NULL, "quay.io", NULL, NULL, NULL); /* no files at all */
    assert_int_equal(cx_auth_store(NULL, "quay.io", "alice", "pa:ss", &err), 0);
    char *file = tpath("run/containers/auth.json"), *dir = tpath("run/containers");
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    json_t *j = load("run/containers/auth.json");
    assert_string_equal(json_string_value(json_object_get(json_object_get(
        json_object_get(j, "auths"), "quay.io"), "auth")), "YWxpY2U6cGE6c3M=");
    json_decref(j);
    expect(NULL, "quay.io", "a/b", "alice", "pa:ss");
    expect(file, "quay.io", NULL, "alice", "pa:ss");
    expect(NULL, "quay.io:443", NULL, NULL, NULL);
    /* every padding length reads back */
    static const char *users[] = { "u", "us", "usr", "user" };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(cx_auth_store(file, "pad.io", users[i], "p", &err), 0);
        expect(file, "pad.io", NULL, users[i], "p");
    }
    assert_int_equal(cx_auth_store(file, "empty.io", "e", "", &err), 0);
    expect(file, "empty.io", NULL, "e", "");
    free(file);
    free(dir);
}

static void test_specific_key_wins(void **state)
{
    (void) state;
    cx_error err = { 0 };
    char *file = tpath("a/auth.json");
    assert_int_equal(cx_auth_store(file, "quay.io", "u1", "p1", &err), 0);
    assert_int_equal(cx_auth_store(file, "quay.io/ns/repo", "u3", "p3", &err), 0);
    assert_int_equal(cx_auth_store(file, "quay.io/ns", "u2", "p2", &err), 0);
    expect(file, "quay.io", "ns/repo", "u3", "p3");
    expect(file, "quay.io", "ns/repo/sub", "u3", "p3");
    expect(file, "quay.io", "ns/other", "u2", "p2");
    expect(file, "quay.io", "nsx/other", "u1", "p1");
    expect(file, "quay.io", "other", "u1", "p1");
    expect(file, "quay.io", NULL, "u1", "p1");
    expect(file, "quay.io", "", "u1", "p1");
    free(file);
}

static void test_docker_config(void **state)
{
    (void) state;
    put("home/.docker/config.json",
        "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"Ym9iOng=\"},"
        "\"ghcr.io\":{\"auth\":\"dTpw\"}},\"credsStore\":\"none\"}");
    expect(NULL, "docker.io", "library/busybox", "bob", "x");
    expect(NULL, "registry-1.docker.io", NULL, "bob", "x");
    expect(NULL, "index.docker.io", NULL, "bob", "x");
    expect(NULL, "ghcr.io", NULL, "u", "p");
    /* the auth file is read first; its match wins over docker's */
    cx_error err = { 0 };
    assert_int_equal(cx_auth_store(NULL, "ghcr.io", "mine", "pw", &err), 0);
    expect(NULL, "ghcr.io", "x/y", "mine", "pw");
    /* podman's legacy ~/.config/containers/auth.json is between the two */
    put("home/.config/containers/auth.json", "{\"auths\":{\"docker.io\":{\"auth\":\"dTpw\"}}}");
    expect(NULL, "docker.io", NULL, "u", "p");
    /* DOCKER_CONFIG moves docker's file */
    char *dc = tpath("dc");
    setenv("DOCKER_CONFIG", dc, 1);
    put("dc/config.json", "{\"auths\":{\"http://reg.local:5000\":{\"auth\":\"dTpw\"}}}");
    expect(NULL, "reg.local:5000", NULL, "u", "p");
    expect(NULL, "ghcr.io", NULL, "mine", "pw");
    unsetenv("DOCKER_CONFIG");
    free(dc);
}

static void test_malformed(void **state)
{
    (void) state;
    char *file = tpath("bad.json");
    put("bad.json", "{\"auths\":{\"quay.io\":{\"auth\":\"!!!\"}}}");
    expect_error(file, "quay.io", "%s/bad.json: auths.\"quay.io\".auth: invalid base64");
    put("bad.json", "{\"auths\":{\"quay.io\":{\"auth\":\"dXNlcjpiYWQA\"}}}");
    expect_error(file, "quay.io", "%s/bad.json: auths.\"quay.io\".auth: not the base64 of "
                                  "user:password");
    put("bad.json", "{\"auths\":{\"quay.io\":{\"auth\":\"dXNy\"}}}"); /* "usr" */
    expect_error(file, "quay.io", "%s/bad.json: auths.\"quay.io\".auth: not the base64 of "
                                  "user:password");
    put("bad.json", "{\"auths\":{\"quay.io\":{\"auth\":\"dTpw=\"}}}");
    expect_error(file, "quay.io", "%s/bad.json: auths.\"quay.io\".auth: invalid base64");
    put("bad.json", "{\"auths\":{\"quay.io\":{\"auth\":\"d=pw\"}}}");
    expect_error(file, "quay.io", "%s/bad.json: auths.\"quay.io\".auth: invalid base64");
    put("bad.json", "{\"auths\":{\"quay.io\":{\"auth\":7}}}");
    expect_error(file, "quay.io", "%s/bad.json: auths.\"quay.io\".auth: not a string");
    put("bad.json", "{\"auths\":{\"quay.io\":[]}}");
    expect_error(file, "quay.io", "%s/bad.json: auths.\"quay.io\": not an object");
    put("bad.json", "{\"auths\":[]}");
    expect_error(file, "quay.io", "%s/bad.json: \"auths\" is not a JSON object");
    put("bad.json", "[]");
    expect_error(file, "quay.io", "%s/bad.json: the file is not a JSON object");
    put("bad.json", "{\"auths\":{}");
    expect_error(file, "quay.io", "%s/bad.json: invalid JSON at line 1: '}' expected near "
                                  "end of file");
    /* an entry for another registry is not read; one without auth is skipped */
    put("bad.json", "{\"auths\":{\"other.io\":{\"auth\":\"!!!\"},\"quay.io\":{}}}");
    expect(file, "quay.io", NULL, NULL, NULL);
    /* the store refuses to overwrite a file it cannot read */
    cx_error err = { 0 };
    put("bad.json", "{");
    assert_int_equal(cx_auth_store(file, "quay.io", "u", "p", &err), -1);
    /* more than 1 MiB */
    char *big = malloc(CX_AUTH_MAX_SIZE + 2);
    memset(big, ' ', CX_AUTH_MAX_SIZE + 1);
    big[CX_AUTH_MAX_SIZE + 1] = '\0';
    put("bad.json", big);
    free(big);
    expect_error(file, "quay.io", "read %s/bad.json: larger than 1048576 bytes");
    free(file);
}

static void test_store_rules(void **state)
{
    (void) state;
    cx_error err = { 0 };
    char *file = tpath("s/auth.json");
    assert_int_equal(cx_auth_store(file, "quay.io", "a:b", "p", &err), -1);
    assert_string_equal(err.msg, "credentials for quay.io: the user name must be non-empty "
                                 "and must not contain ':'");
    assert_int_equal(cx_auth_store(file, "quay.io", "", "p", &err), -1);
    assert_int_equal(cx_auth_store(file, "", "u", "p", &err), -1);
    assert_string_equal(err.msg, "credentials: the registry key must be 1 to 1024 characters");
    assert_int_equal(cx_auth_store(file, "quay io", "u", "p", &err), -1);
    assert_int_equal(access(file, F_OK), -1); /* nothing written */
    /* other entries and top-level keys are kept */
    put("s/auth.json", "{\"auths\":{\"a.io\":{\"auth\":\"dTpw\"}},\"credHelpers\":{\"x\":\"y\"}}");
    chmod(file, 0644);
    assert_int_equal(cx_auth_store(file, "b.io", "u2", "p2", &err), 0);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    json_t *j = load("s/auth.json");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "credHelpers"),
                                                          "x")), "y");
    assert_int_equal(json_object_size(json_object_get(j, "auths")), 2);
    json_decref(j);
    expect(file, "a.io", NULL, "u", "p");
    expect(file, "b.io", NULL, "u2", "p2");
    free(file);
}

static void test_logout(void **state)
{
    (void) state;
    cx_error err = { 0 };
    bool found = true;
    char *file = tpath("l/auth.json");
    assert_int_equal(cx_auth_remove(file, "quay.io", &found, &err), 0);
    assert_false(found);
    assert_int_equal(access(file, F_OK), -1);
    put("l/auth.json", "{\"auths\":{\"quay.io\":{\"auth\":\"dTpw\"},"
                       "\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"},"
                       "\"ghcr.io\":{\"auth\":\"dTpw\"}},\"other\":1}");
    assert_int_equal(cx_auth_remove(file, "quay.io", &found, &err), 0);
    assert_true(found);
    expect(file, "quay.io", NULL, NULL, NULL);
    assert_int_equal(cx_auth_remove(file, "quay.io", &found, &err), 0);
    assert_false(found);
    /* docker.io names docker's key */
    assert_int_equal(cx_auth_remove(file, "docker.io", &found, &err), 0);
    assert_true(found);
    json_t *j = load("l/auth.json");
    assert_int_equal(json_object_size(json_object_get(j, "auths")), 1);
    json_decref(j);
    expect(file, "ghcr.io", NULL, "u", "p");
    assert_int_equal(cx_auth_remove_all(file, &err), 0);
    j = load("l/auth.json");
    assert_int_equal(json_object_size(json_object_get(j, "auths")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "other")), 1);
    json_decref(j);
    expect(file, "ghcr.io", NULL, NULL, NULL);
    char *none = tpath("none/auth.json");
    assert_int_equal(cx_auth_remove_all(none, &err), 0);
    assert_int_equal(access(none, F_OK), -1);
    free(none);
    free(file);
}

/* the CRI's AuthConfig.auth is decoded the same way */
static void test_decode(void **state)
{
    (void) state;
    cx_error err = { 0 };
    char *user = NULL, *pass = NULL;
    assert_int_equal(cx_auth_decode("dXNlcjpwOmFzcw==", &user, &pass, &err), 0); /* user:p:ass */
    assert_string_equal(user, "user");
    assert_string_equal(pass, "p:ass");
    free(user);
    free(pass);
    assert_int_equal(cx_auth_decode("dTo=", &user, &pass, &err), 0);    /* "u:" */
    assert_string_equal(pass, "");
    free(user);
    free(pass);
    static const char *const bad[] = { "", "dXNy", "dTpw=", "!!!!", "dXNlcjpiYWQA" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        user = pass = NULL;
        assert_int_equal(cx_auth_decode(bad[i], &user, &pass, &err), -1);
        assert_int_equal(err.errnum, EINVAL);
        assert_null(user);
        assert_null(pass);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_specific_key_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docker_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
        cmocka_unit_test(test_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
