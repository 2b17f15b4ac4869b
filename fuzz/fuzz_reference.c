/* fuzz_reference: image references through cx_ref_parse (and
 * cx_ref_parse_in when the input is "DOMAIN\nREFERENCE"); what parses must
 * print (cx_ref_string) as a reference that parses to the same fields. */
#include "fuzz.h"
#include "image/reference.h"

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void check(const char *s, const char *domain)
{
    struct cx_ref r = { 0 }, r2 = { 0 };
    cx_error err = { 0 };
    if (cx_ref_parse_in(s, domain, &r, &err) < 0) {
        fz_failed(&err);
        FZ_CHECK(r.domain == NULL);
        return;
    }
    FZ_CHECK(r.domain && r.path && (r.tag || r.digest));
    char *str = cx_ref_string(&r), *name = cx_ref_name(&r);
    FZ_CHECK(strlen(name) <= CX_REF_NAME_MAX);
    FZ_CHECK(cx_ref_is_qualified(str));
    if (cx_ref_parse(str, &r2, &err) < 0) {
        fprintf(stderr, "%s -> %s: %s\n", s, str, err.msg);
        FZ_CHECK(!"the printed reference parses");
    }
    FZ_CHECK(same(r.domain, r2.domain) && same(r.path, r2.path) && same(r.tag, r2.tag) &&
             same(r.digest, r2.digest));
    free(str);
    free(name);
    cx_ref_free(&r);
    cx_ref_free(&r2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v[3], *buf;
    if (fz_split(data, size, '\n', v, 2, &buf) == 2)
        check(v[1], v[0]);
    else
        check(v[0], NULL);
    free(buf);
    return 0;
}
