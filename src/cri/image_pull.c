/* image_pull.c: PullImage.  The pull itself runs in a child,
 * `capsactl-full ... pull --quiet REF` (child.h says why), bounded by the
 * call's deadline; capsad then looks the image up in the store it shares
 * with capsactl and answers its id.  Credentials of the request reach the
 * child in an auth file of its own (0600, in a fresh 0700 directory of the
 * runroot), never on its command line, and are removed when the call
 * ends.  A registry's "no such image" is NOT_FOUND, any other failure
 * UNKNOWN. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "cri/child.h"
#include "cri/handlers.h"
#include "cri/images.h"
#include "engine/engine.h"
#include "image/authfile.h"
#include "image/reference.h"

/* pulls with no deadline still end: capsactl gives up on a registry that
 * stalls (CAPSACTL_STALL_TIMEOUT) */
#define NO_DEADLINE (-1)

struct auth_dir {
    char *dir, *file;
};

/* the directory as a whole: a temporary file of a failed write goes too */
static void auth_dir_remove(struct auth_dir *a)
{
    if (a->dir)
        cx_rm_rf_at(AT_FDCWD, a->dir);
    free(a->file);
    free(a->dir);
    a->file = a->dir = NULL;
}

static void wipe(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
}

/* user and pass from the AuthConfig: username/password, else auth
 * (base64 of user:password); *user NULL when it holds neither */
static int credentials(struct cri_ctx *ctx, const Runtime__V1__AuthConfig *a, char **user,
                       char **pass, cx_error *err)
{
    *user = *pass = NULL;
    /* bearer and refresh tokens need registry_auth.c to take them */
    if (a->registry_token[0])
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "auth.registry_token is not supported "
                        "yet: give username and password (or auth)");
    if (a->identity_token[0])
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "auth.identity_token is not supported "
                        "yet: give username and password (or auth)");
    if (a->username[0] || a->password[0]) {
        *user = cx_strdup(a->username);
        *pass = cx_strdup(a->password);
    } else if (a->auth[0] && cx_auth_decode(a->auth, user, pass, err) < 0) {
        char msg[CX_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "auth.auth: %s", msg);
    }
    return 0;
}

/* <runroot>/capsad-auth-XXXXXX/auth.json with user:pass for registry */
static int auth_file(const char *runroot, const char *registry, const char *user,
                     const char *pass, struct auth_dir *out, cx_error *err)
{
    out->dir = cx_asprintf("%s/capsad-auth-XXXXXX", runroot);
    if (mkdtemp(out->dir) == NULL) {
        int rc = cx_fail_errno(err, "make a directory for the credentials in %s", runroot);
        free(out->dir);
        out->dir = NULL;
        return rc;
    }
    out->file = cx_asprintf("%s/auth.json", out->dir);
    return cx_auth_store(out->file, registry, user, pass, err);
}

/* The auth file, when the request has credentials (out->file stays NULL
 * otherwise).  They are keyed by the image's registry, as the kubelet
 * means them: a mirror registries.conf sends the pull to does not get
 * them. */
static int write_auth(struct cri_ctx *ctx, const Runtime__V1__AuthConfig *a,
                      const struct cx_ref *ref, struct auth_dir *out, cx_error *err)
{
    struct capsad *d = ctx->app;
    _cleanup_free_ char *user = NULL, *pass = NULL;
    if (a == NULL)
        return 0;
    if (credentials(ctx, a, &user, &pass, err) < 0)
        return -1;
    if (user == NULL)
        return 0;
    int rc = ref ? auth_file(d->cfg->runroot, ref->domain, user, pass, out, err)
                 : cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "credentials are only for an "
                            "image of a registry");
    wipe(user);
    wipe(pass);
    return rc;
}

/* The image id capsactl printed (its last line), else the one the store
 * has under name. */
static int pulled_id(struct cx_store *s, char *output, const char *name, char id[65],
                     cx_error *err)
{
    size_t len = output ? strlen(output) : 0;
    while (len > 0 && (output[len - 1] == '\n' || output[len - 1] == ' '))
        output[--len] = '\0';
    const char *last = len ? strrchr(output, '\n') : NULL;
    last = last ? last + 1 : output;
    struct cx_image_rec r = { 0 };
    bool found = false;
    const char *key = last && strlen(last) == 64 ? last : name;
    if (cri_image_find(s, key, &r, &found, err) < 0)
        return -1;
    if (!found)
        return cx_fail(err, ENOENT, "%s was pulled but the store does not have it", name);
    memcpy(id, r.id, 65);
    cx_image_rec_free(&r);
    return 0;
}

static int run_pull(struct cri_ctx *ctx, const char *image, const char *authfile,
                    char **output, cx_error *err)
{
    struct capsad *d = ctx->app;
    _cleanup_free_ char *full = cx_find_helper("CAPSAD_CAPSACTL_FULL", "capsactl-full");
    char *argv[16] = { full, "--root", d->cfg->root, "--runroot", d->cfg->runroot };
    int n = 5;
    if (d->cfg->registries_conf && d->cfg->registries_conf[0]) {
        argv[n++] = "--registries-conf";
        argv[n++] = d->cfg->registries_conf;
    }
    argv[n++] = "pull";
    argv[n++] = "--quiet";
    if (authfile) {
        argv[n++] = "--authfile";
        argv[n++] = (char *) authfile;
    }
    argv[n++] = (char *) image;
    int64_t left = cri_time_left(ctx);
    if (cri_child_run(argv, left == INT64_MAX ? NO_DEADLINE : left, output, err) < 0)
        return cx_error_prefix(err, "pull %s", image);
    return 0;
}

bool cri_pull_not_found(const char *msg)
{
    /* registry.c's words: the distribution spec's error codes in
     * parentheses, or the bare status when the body had none */
    static const char *const marks[] = { "(MANIFEST_UNKNOWN)", "(NAME_UNKNOWN)",
                                         "not found (HTTP 404)" };
    for (size_t i = 0; msg && i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(msg, marks[i]))
            return true;
    return false;
}

CRI_HANDLER(cri_pull_image)
{
    const Runtime__V1__PullImageRequest *req = (const void *) in;
    const char *image = req->image ? req->image->image : "";
    if (image[0] == '\0')
        return cri_fail(ctx, err, GRPC_INVALID_ARGUMENT, "image.image is empty");
    struct cx_engine *e = cri_engine(ctx, err);
    if (e == NULL)
        return -1;
    /* a reference is pulled by its normalized name ("busybox" is
     * docker.io/library/busybox:latest, as ImageStatus will look for it),
     * not through registries.conf's short names; anything else (oci:DIR)
     * goes to capsactl as it is */
    struct cx_ref ref;
    cx_error perr = { 0 };
    bool is_ref = cx_ref_parse(image, &ref, &perr) == 0;
    _cleanup_free_ char *name = is_ref ? cx_ref_string(&ref) : cx_strdup(image);
    _cleanup_(auth_dir_remove) struct auth_dir auth = { 0 };
    int rc = write_auth(ctx, req->auth, is_ref ? &ref : NULL, &auth, err);
    if (is_ref)
        cx_ref_free(&ref);
    if (rc < 0)
        return -1;
    _cleanup_free_ char *output = NULL;
    char id[65];
    if (run_pull(ctx, name, auth.file, &output, err) < 0) {
        if (cri_pull_not_found(err->msg))
            ctx->code = GRPC_NOT_FOUND;
        return -1;
    }
    if (pulled_id(&e->store, output, name, id, err) < 0)
        return -1;
    Runtime__V1__PullImageResponse *r =
        CRI_NEW(ctx, Runtime__V1__PullImageResponse, runtime__v1__pull_image_response__init);
    r->image_ref = arena_printf(&ctx->arena, "sha256:%s", id);
    *out = &r->base;
    return 0;
}
