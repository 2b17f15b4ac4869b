/* test_run_opts_mounts.c: `capsactl run/create` mount flags (-v, --mount,
 * --tmpfs), as podman reads them; the rest is test_run_opts.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "run_opts_util.h"

static const struct cx_mount_req *mount_at(const struct cx_run_opts *o, const char *dest)
{
    for (size_t i = 0; i < o->nmounts; i++)
        if (strcmp(o->mounts[i].dest, dest) == 0)
            return &o->mounts[i];
    fail_msg("no mount at %s", dest);
    return NULL;
}

static void test_volume_binds(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "-v", "/h:/data", "-v", "/h:/ro:ro,z", "-v", "/h:/p:rshared,nosuid,noexec",
       "--volume", "/h:/b//c/../d/:bind,Z,rw", "img", NULL);
    assert_int_equal(o.nmounts, 4);
    const struct cx_mount_req *m = mount_at(&o, "/data");
    assert_int_equal(m->kind, CX_MOUNT_BIND);
    assert_string_equal(m->source, "/h");
    strv_is(m->options, "rw", "rprivate", "rbind", NULL);
    strv_is(mount_at(&o, "/ro")->options, "ro", "rprivate", "rbind", NULL);
    strv_is(mount_at(&o, "/p")->options, "rshared", "nosuid", "noexec", "rw", "rbind", NULL);
    strv_is(mount_at(&o, "/b/d")->options, "bind", "rw", "rprivate", NULL);
    cx_run_opts_free(&o);
}

static void test_volume_named_and_anonymous(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "-v", "data:/v", "-v", "/anon", "-v", "/anon2:ro", "-v", "cache:/c:suid,exec", "img",
       NULL);
    const struct cx_mount_req *m = mount_at(&o, "/v");
    assert_int_equal(m->kind, CX_MOUNT_VOLUME);
    assert_string_equal(m->source, "data");
    strv_is(m->options, "rw", "rprivate", "nosuid", "nodev", "rbind", NULL);
    m = mount_at(&o, "/anon");
    assert_int_equal(m->kind, CX_MOUNT_VOLUME);
    assert_null(m->source);
    strv_is(m->options, "rw", "rprivate", "nosuid", "nodev", "rbind", NULL);
    strv_is(mount_at(&o, "/anon2")->options, "ro", "rprivate", "nosuid", "nodev", "rbind", NULL);
    strv_is(mount_at(&o, "/c")->options, "suid", "exec", "rw", "rprivate", "nodev", "rbind",
            NULL);
    cx_run_opts_free(&o);
}

static void test_volume_errors(void **state)
{
    (void) state;
    static const struct bad_case cases[] = {
        { "-v|/h:/x:U|img", "--volume: option U (chown to the container's user) is not supported" },
        { "-v|/h:/x:bogus|img", "--volume: invalid option \"bogus\"" },
        { "-v|/h:/x:ro,rw|img", "--volume: only one of ro and rw may be given" },
        { "-v|/h:/x:shared,rslave|img", "--volume: only one propagation option may be given" },
        { "-v|/h:rel:ro|img", "--volume: the destination \"rel\" is not an absolute path" },
        { "-v|a b:/x|img", "--volume: \"a b\" is neither an absolute path nor a volume name "
          "([a-zA-Z0-9][a-zA-Z0-9_.-]*)" },
        { "-v|/a:/b:ro:x|img", "--volume: \"/a:/b:ro:x\": expected [SOURCE:]DEST[:OPTIONS]" },
        { "-v|/h:/|img", "--volume: cannot mount over /" },
        { "-v|/h:/x|-v|/g:/x/|img", "--volume: /x: duplicate mount destination" },
        { "-v|/h:/x|--tmpfs|/x|img", "--tmpfs: /x: duplicate mount destination" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_tmpfs(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--tmpfs", "/scratch", "--tmpfs", "/t2:rw,size=64m,mode=1700,noexec",
       "--tmpfs", "/t3:notmpcopyup,suid,dev,ro,uid=1000,nr_inodes=100k", "img", NULL);
    const struct cx_mount_req *m = mount_at(&o, "/scratch");
    assert_int_equal(m->kind, CX_MOUNT_TMPFS);
    assert_null(m->source);
    strv_is(m->options, "rw", "rprivate", "nosuid", "nodev", "tmpcopyup", NULL);
    strv_is(mount_at(&o, "/t2")->options, "rw", "size=64m", "mode=1700", "noexec", "rprivate",
            "nosuid", "nodev", "tmpcopyup", NULL);
    strv_is(mount_at(&o, "/t3")->options, "suid", "dev", "ro", "uid=1000", "nr_inodes=100k",
            "rprivate", NULL);
    cx_run_opts_free(&o);
    bad("--tmpfs|/t:size=lots|img", "--tmpfs: invalid option \"size=lots\"");
    bad("--tmpfs|/t:mode=999|img", "--tmpfs: invalid option \"mode=999\"");
    bad("--tmpfs|/t:rbind|img", "--tmpfs: invalid option \"rbind\"");
    bad("--tmpfs|t|img", "--tmpfs: the destination \"t\" is not an absolute path");
}

static void test_mount_flag(void **state)
{
    (void) state;
    struct cx_run_opts o;
    ok(&o, "--mount", "type=bind,src=/h,dst=/m1,ro",
       "--mount", "type=tmpfs,destination=/m2,tmpfs-size=1m,tmpfs-mode=0700",
       "--mount", "type=bind,source=/h,target=/m3,bind-propagation=rslave,readonly=false",
       "--mount", "type=volume,src=vol,dst=/m4,readonly=1,nodev",
       "--mount", "type=volume,dst=/m5",
       "--mount", "type=bind,src=/h,dst=/m6,bind-nonrecursive,relabel=shared", "img", NULL);
    assert_int_equal(o.nmounts, 6);
    strv_is(mount_at(&o, "/m1")->options, "ro", "rprivate", "rbind", NULL);
    strv_is(mount_at(&o, "/m2")->options, "size=1m", "mode=0700", "rw", "rprivate", "nosuid",
            "nodev", "tmpcopyup", NULL);
    assert_int_equal(mount_at(&o, "/m2")->kind, CX_MOUNT_TMPFS);
    strv_is(mount_at(&o, "/m3")->options, "rslave", "rw", "rbind", NULL);
    const struct cx_mount_req *m = mount_at(&o, "/m4");
    assert_int_equal(m->kind, CX_MOUNT_VOLUME);
    assert_string_equal(m->source, "vol");
    strv_is(m->options, "ro", "nodev", "rprivate", "nosuid", "rbind", NULL);
    assert_null(mount_at(&o, "/m5")->source);
    strv_is(mount_at(&o, "/m6")->options, "bind", "rw", "rprivate", NULL);
    cx_run_opts_free(&o);
}

static void test_mount_flag_errors(void **state)
{
    (void) state;
    static const struct bad_case cases[] = {
        { "--mount|dst=/x|img", "--mount: type= is required (bind, volume or tmpfs)" },
        { "--mount|type=foo,dst=/x|img", "--mount: unknown type \"foo\" (bind, volume or tmpfs)" },
        { "--mount|type=bind,src=/h|img", "--mount: destination= is required" },
        { "--mount|type=bind,dst=/x|img", "--mount: type=bind needs source=" },
        { "--mount|type=volume,dst=/x,volume-opt=a=b|img", "--mount: volume-opt is not supported "
          "(volume drivers come later)" },
        { "--mount|type=bind,src=/h,dst=/x,bind-propagation=nosuid|img",
          "--mount: bind-propagation=nosuid: not a propagation ([r]private, [r]shared, [r]slave, "
          "[r]unbindable)" },
        { "--mount|type=bind,src=/h,dst=/x,tmpfs-size=1m|img", "--mount: tmpfs-size needs "
          "type=tmpfs" },
        { "--mount|type=volume,dst=/x,tmpfs-mode=700|img", "--mount: tmpfs-mode needs type=tmpfs" },
        { "--mount|type=tmpfs,dst=/x,bind-propagation=shared|img", "--mount: bind-propagation "
          "needs type=bind" },
        { "--mount|type=tmpfs,dst=/x,bind|img", "--mount: bind needs type=bind" },
        { "--mount|type=volume,dst=/x,bind-nonrecursive|img", "--mount: bind-nonrecursive needs "
          "type=bind" },
        { "--mount|type=tmpfs,src=/h,dst=/x|img", "--mount: type=tmpfs takes no source=" },
        { "--mount|type=volume,src=/h,dst=/x|img", "--mount: source \"/h\" is a path, not a volume "
          "name for type=volume" },
        { "--mount|type=bind,src=/h,dst=/x,colour=red|img", "--mount: unknown option \"colour\"" },
        { "--mount|type=bind,src=/h,dst=/x,U|img", "--mount: option U (chown to the container's "
          "user) is not supported" },
        { "--mount|type=bind,src=/h,dst=/x,ro=maybe|img", "--mount ro: invalid value \"maybe\" "
          "(true or false)" },
    };
    bad_table(cases, sizeof cases / sizeof cases[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_volume_binds),
        cmocka_unit_test(test_volume_named_and_anonymous),
        cmocka_unit_test(test_volume_errors),
        cmocka_unit_test(test_tmpfs),
        cmocka_unit_test(test_mount_flag),
        cmocka_unit_test(test_mount_flag_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
