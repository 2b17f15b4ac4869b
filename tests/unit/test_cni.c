/* test_cni.c: capsa as a CNI runtime: network configurations read
 * strictly, the request each plugin gets (SPEC section 3), and plugins run
 * for real (small shell scripts written here): environment and stdin, an
 * error result made one line, a plugin that hangs killed at the time-out
 * with its children, ADD/DEL/CHECK chains, prevResult and the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "net/cni.h"

/* ---- configurations ---- */

static int parse(const char *text, struct cx_cni_conf *c, cx_error *err)
{
    return cx_cni_conf_parse(text, strlen(text), "t.conflist", c, err);
}

static void test_conf_list_and_single(void **state)
{
    (void) state;
    struct cx_cni_conf c;
    cx_error err = { 0 };
    assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"disableCheck\":true,"
                           "\"plugins\":[{\"type\":\"bridge\",\"bridge\":\"b0\",\"ipam\":"
                           "{\"type\":\"host-local\"}},{\"type\":\"portmap\",\"capabilities\":"
                           "{\"portMappings\":true}}]}", &c, &err), 0);
    assert_string_equal(c.name, "net1");
    assert_string_equal(c.version, "1.0.0");
    assert_true(c.disable_check);
    assert_int_equal(json_array_size(c.plugins), 2);
    cx_cni_conf_free(&c);
    /* a .conf of one plugin: a list of one, name and version moved up */
    assert_int_equal(parse("{\"cniVersion\":\"0.4.0\",\"name\":\"one\",\"type\":\"loopback\"}",
                           &c, &err), 0);
    assert_int_equal(json_array_size(c.plugins), 1);
    json_t *p = json_array_get(c.plugins, 0);
    assert_string_equal(json_string_value(json_object_get(p, "type")), "loopback");
    assert_null(json_object_get(p, "name"));
    cx_cni_conf_free(&c);
}

static void test_conf_refused(void **state)
{
    (void) state;
    static const struct { const char *text, *msg; } cases[] = {
        { "[]", "not a JSON object" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[]}", "at least one" },
        { "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"bridge\"}]}", "no \"name\"" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"-x\",\"plugins\":[{\"type\":\"b\"}]}",
          "network name" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\",\"plugins\":[{\"type\":\"b\"}]}",
          "network name" },
        { "{\"cniVersion\":\"2.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":\"b\"}]}",
          "cniVersion \"2.0.0\"" },
        { "{\"name\":\"x\",\"plugins\":[{\"type\":\"b\"}]}", "cniVersion \"\"" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":\"../sbin/x\"}]}",
          "\"type\" must name" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"bridge\":\"b0\"}]}",
          "\"type\" must name" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":\"b\","
          "\"capabilities\":[]}]}", "\"capabilities\" must" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":\"b\","
          "\"ipam\":{\"type\":\"/bin/sh\"}}]}", "\"ipam\" must" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"disableCheck\":\"yes\","
          "\"plugins\":[{\"type\":\"b\"}]}", "disableCheck" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"name\":\"y\","
          "\"plugins\":[{\"type\":\"b\"}]}", "duplicate" },
        { "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":\"b\"}", "line 1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cx_cni_conf c;
        cx_error err = { 0 };
        assert_int_equal(parse(cases[i].text, &c, &err), -1);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].msg);
    }
}

static void test_request_derivation(void **state)
{
    (void) state;
    struct cx_cni_conf c;
    cx_error err = { 0 };
    assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":"
                           "\"portmap\",\"snat\":true,\"capabilities\":{\"portMappings\":true,"
                           "\"bandwidth\":true,\"ips\":false}}]}", &c, &err), 0);
    json_t *caps = json_pack("{s:[{s:i}], s:[s], s:s}", "portMappings", "hostPort", 8080,
                             "ips", "10.0.0.5/24", "mac", "aa:bb");
    struct cx_cni_attach a = { .container_id = "c1", .capability_args = caps };
    json_t *prev = json_pack("{s:s}", "cniVersion", "1.0.0");
    json_t *req = cx_cni_request(&c, json_array_get(c.plugins, 0), &a, prev);
    assert_string_equal(json_string_value(json_object_get(req, "cniVersion")), "1.0.0");
    assert_string_equal(json_string_value(json_object_get(req, "name")), "n");
    assert_true(json_is_true(json_object_get(req, "snat")));
    assert_null(json_object_get(req, "capabilities"));
    json_t *rc = json_object_get(req, "runtimeConfig");
    /* only what the plugin declares and the runtime gives */
    assert_int_equal(json_object_size(rc), 1);
    assert_non_null(json_object_get(rc, "portMappings"));
    assert_ptr_equal(json_object_get(req, "prevResult"), prev);
    json_decref(req);
    /* no capability arguments, no previous result: neither key */
    req = cx_cni_request(&c, json_array_get(c.plugins, 0), NULL, NULL);
    assert_null(json_object_get(req, "runtimeConfig"));
    assert_null(json_object_get(req, "prevResult"));
    json_decref(req);
    json_decref(prev);
    json_decref(caps);
    cx_cni_conf_free(&c);
}

/* ---- plugins run for real ---- */

struct fx {
    char dir[64];
    char log[128];
    const char *dirs[3];
    struct cx_cni_rt rt;
};

static void plugin(struct fx *f, const char *name, const char *body)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "#!/bin/sh\nLOG=%s\n%s\n", f->log, body);
    fclose(fp);
    chmod(path, 0755);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/capsa-cni-test.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->log, sizeof f->log, "%s/log", f->dir);
    f->dirs[0] = "/nonexistent-cni-dir";
    f->dirs[1] = f->dir;
    f->rt = (struct cx_cni_rt){ .dirs = f->dirs, .timeout_ms = 5000 };
    /* each call: its type and command, its request kept; prints a result
       naming itself, with the prevResult it got inside */
    static const char rec[] =
        "req=$(cat); n=$(basename $0)\n"
        "echo \"$n $CNI_COMMAND $CNI_CONTAINERID $CNI_IFNAME $CNI_NETNS $CNI_ARGS\" >> $LOG\n"
        "printf '%s' \"$req\" > $LOG.$n.$CNI_COMMAND\n"
        "[ \"$CNI_COMMAND\" = ADD ] && printf '{\"cniVersion\":\"1.0.0\",\"by\":\"%s\"}' $n\n"
        "exit 0";
    plugin(f, "rec", rec);
    plugin(f, "rec2", rec);
    plugin(f, "fail", "cat >/dev/null; echo '{\"cniVersion\":\"1.0.0\",\"code\":7,"
           "\"msg\":\"Invalid Configuration\",\"details\":\"subnet too small\"}'; exit 1");
    plugin(f, "stderr", "cat >/dev/null; echo 'first' >&2; echo 'the last line' >&2; exit 3");
    plugin(f, "hang", "sleep 100 & sleep 100");
    plugin(f, "daemon", "cat >/dev/null; sleep 5 & echo '{\"cniVersion\":\"1.0.0\"}'");
    plugin(f, "garbage", "cat >/dev/null; echo 'not json'");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    cx_error err = { 0 };
    return cx_read_file_at(AT_FDCWD, path, 1 << 20, &text, &len, &err) == 0 ? text : NULL;
}

static void test_plugin_env_stdin_result(void **state)
{
    struct fx *f = *state;
    cx_error err = { 0 };
    struct cx_cni_attach a = { .container_id = "abc", .netns = "/run/netns/x",
                               .ifname = "eth3", .args = "K=V;IgnoreUnknown=1" };
    json_t *req = json_pack("{s:s, s:s, s:s}", "cniVersion", "1.0.0", "name", "n",
                            "type", "rec"), *r = NULL;
    assert_int_equal(cx_cni_plugin_run(&f->rt, "ADD", "rec", &a, req, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r, "by")), "rec");
    _cleanup_free_ char *log = slurp(f->log);
    assert_string_equal(log, "rec ADD abc eth3 /run/netns/x K=V;IgnoreUnknown=1\n");
    char p[160];
    snprintf(p, sizeof p, "%s.rec.ADD", f->log);
    _cleanup_free_ char *in = slurp(p);
    json_t *got = json_loads(in, 0, NULL);
    assert_true(json_equal(got, req));
    json_decref(got);
    json_decref(r);
    json_decref(req);
}

static void test_plugin_errors(void **state)
{
    struct fx *f = *state;
    struct cx_cni_attach a = { .container_id = "abc", .netns = "/x", .ifname = "eth0" };
    json_t *req = json_pack("{s:s}", "cniVersion", "1.0.0"), *r = NULL;
    cx_error err = { 0 };
    assert_int_equal(cx_cni_plugin_run(&f->rt, "ADD", "fail", &a, req, &r, &err), -1);
    assert_string_equal(err.msg, "CNI plugin fail (ADD): Invalid Configuration: subnet too "
                                 "small (code 7)");
    cx_error_clear(&err);
    assert_int_equal(cx_cni_plugin_run(&f->rt, "DEL", "stderr", &a, req, &r, &err), -1);
    assert_string_equal(err.msg, "CNI plugin stderr (DEL): the last line");
    cx_error_clear(&err);
    assert_int_equal(cx_cni_plugin_run(&f->rt, "ADD", "garbage", &a, req, &r, &err), -1);
    assert_non_null(strstr(err.msg, "not a JSON object"));
    cx_error_clear(&err);
    assert_int_equal(cx_cni_plugin_run(&f->rt, "ADD", "nosuch", &a, req, &r, &err), -1);
    assert_non_null(strstr(err.msg, "\"nosuch\" not found in /nonexistent-cni-dir:"));
    json_decref(req);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_plugin_timeout_and_lingering_children(void **state)
{
    struct fx *f = *state;
    struct cx_cni_attach a = { .container_id = "abc", .netns = "/x", .ifname = "eth0" };
    json_t *req = json_pack("{s:s}", "cniVersion", "1.0.0"), *r = NULL;
    cx_error err = { 0 };
    struct cx_cni_rt rt = f->rt;
    rt.timeout_ms = 300;
    double t = now_s();
    assert_int_equal(cx_cni_plugin_run(&rt, "ADD", "hang", &a, req, &r, &err), -1);
    assert_true(now_s() - t < 3);
    assert_int_equal(err.errnum, ETIMEDOUT);
    assert_non_null(strstr(err.msg, "hang (ADD): no answer"));
    /* a child left holding stdout does not hold the answer back */
    cx_error_clear(&err);
    t = now_s();
    assert_int_equal(cx_cni_plugin_run(&f->rt, "ADD", "daemon", &a, req, &r, &err), 0);
    assert_true(now_s() - t < 3);
    json_decref(r);
    json_decref(req);
}

static void test_chain_add_check_del(void **state)
{
    struct fx *f = *state;
    cx_error err = { 0 };
    struct cx_cni_conf c;
    assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"chain\",\"plugins\":["
                           "{\"type\":\"rec\"},{\"type\":\"rec2\",\"capabilities\":"
                           "{\"portMappings\":true}}]}", &c, &err), 0);
    json_t *caps = json_pack("{s:[{s:i}]}", "portMappings", "hostPort", 80);
    struct cx_cni_attach a = { .container_id = "ctr1", .netns = "/x", .ifname = "eth0",
                               .capability_args = caps };
    char cache[128];
    snprintf(cache, sizeof cache, "%s/cache", f->dir);
    json_t *r = NULL;
    assert_int_equal(cx_cni_add(&f->rt, &c, &a, cache, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(r, "by")), "rec2");
    /* the second got the first's result as prevResult */
    char p[192];
    snprintf(p, sizeof p, "%s.rec2.ADD", f->log);
    _cleanup_free_ char *in = slurp(p);
    json_t *req2 = json_loads(in, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(req2, "prevResult"),
                                                          "by")), "rec");
    assert_non_null(json_object_get(json_object_get(req2, "runtimeConfig"), "portMappings"));
    json_decref(req2);
    /* kept for DEL and CHECK */
    snprintf(p, sizeof p, "%s/chain-ctr1-eth0.json", cache);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(cx_cni_check(&f->rt, &c, &a, cache, &err), 0);
    /* DEL: reverse order, prevResult the final result, capability
       arguments as ADD had them even if not given again */
    struct cx_cni_attach again = { .container_id = "ctr1", .netns = "/x", .ifname = "eth0" };
    assert_int_equal(cx_cni_del(&f->rt, NULL, &again, "chain", cache, &err), 0);
    assert_int_equal(access(p, F_OK), -1);
    _cleanup_free_ char *log = slurp(f->log);
    assert_non_null(strstr(log, "rec ADD ctr1 eth0 /x \nrec2 ADD ctr1 eth0 /x \n"
                                "rec CHECK ctr1 eth0 /x \nrec2 CHECK ctr1 eth0 /x \n"
                                "rec2 DEL ctr1 eth0 /x \nrec DEL ctr1 eth0 /x \n"));
    snprintf(p, sizeof p, "%s.rec.DEL", f->log);
    _cleanup_free_ char *del = slurp(p);
    json_t *dreq = json_loads(del, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(dreq, "prevResult"),
                                                          "by")), "rec2");
    json_decref(dreq);
    snprintf(p, sizeof p, "%s.rec2.DEL", f->log);
    _cleanup_free_ char *del2 = slurp(p);
    assert_non_null(strstr(del2, "portMappings"));
    /* nothing kept and no configuration: nothing to do */
    assert_int_equal(cx_cni_del(&f->rt, NULL, &again, "chain", cache, &err), 0);
    json_decref(r);
    json_decref(caps);
    cx_cni_conf_free(&c);
}

static void test_chain_add_fails_midway_and_del_undoes(void **state)
{
    struct fx *f = *state;
    cx_error err = { 0 };
    struct cx_cni_conf c;
    assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"half\",\"plugins\":["
                           "{\"type\":\"rec\"},{\"type\":\"fail\"}]}", &c, &err), 0);
    struct cx_cni_attach a = { .container_id = "ctr2", .netns = "/x", .ifname = "eth0" };
    char cache[128], p[192];
    snprintf(cache, sizeof cache, "%s/cache", f->dir);
    json_t *r = NULL;
    assert_int_equal(cx_cni_add(&f->rt, &c, &a, cache, &r, &err), -1);
    assert_non_null(strstr(err.msg, "network half: CNI plugin fail (ADD)"));
    /* the attachment is kept (without a result): DEL runs the chain */
    snprintf(p, sizeof p, "%s/half-ctr2-eth0.json", cache);
    assert_int_equal(access(p, F_OK), 0);
    cx_error_clear(&err);
    assert_int_equal(cx_cni_del(&f->rt, NULL, &a, "half", cache, &err), -1);
    /* fail fails DEL too: the attachment stays for the next try */
    assert_int_equal(access(p, F_OK), 0);
    cx_cni_conf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_list_and_single),
        cmocka_unit_test(test_conf_refused),
        cmocka_unit_test(test_request_derivation),
        cmocka_unit_test_setup_teardown(test_plugin_env_stdin_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugin_timeout_and_lingering_children, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_chain_add_check_del, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_add_fails_midway_and_del_undoes, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
