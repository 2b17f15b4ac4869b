/* platform.c: see platform.h. */
#include "image/platform.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

static const struct { const char *from, *arch, *variant; } arch_aliases[] = {
    { "x86_64", "amd64", "" }, { "x86-64", "amd64", "" }, { "aarch64", "arm64", "" },
    { "armhf", "arm", "v7" }, { "armel", "arm", "v6" }, { "i386", "386", "" },
    { "i686", "386", "" }, { "ppc64el", "ppc64le", "" },
};

static void set(char *dst, size_t len, const char *s)
{
    snprintf(dst, len, "%s", s);
}

void cx_platform_normalize(struct cx_platform *p)
{
    for (size_t i = 0; i < sizeof arch_aliases / sizeof arch_aliases[0]; i++)
        if (strcmp(p->arch, arch_aliases[i].from) == 0) {
            set(p->arch, sizeof p->arch, arch_aliases[i].arch);
            if (!p->variant[0])
                set(p->variant, sizeof p->variant, arch_aliases[i].variant);
        }
    for (char *c = p->os; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char) (*c - 'A' + 'a');
    if (strcmp(p->arch, "arm64") == 0 && !p->variant[0])
        set(p->variant, sizeof p->variant, "v8");
    if (strcmp(p->arch, "arm") == 0 && !p->variant[0])
        set(p->variant, sizeof p->variant, "v7");
    if (strcmp(p->arch, "arm") == 0 && strcmp(p->variant, "8") == 0)
        set(p->variant, sizeof p->variant, "v8");
}

void cx_platform_host(struct cx_platform *out)
{
    struct utsname u;
    memset(out, 0, sizeof *out);
    set(out->os, sizeof out->os, "linux");
    set(out->arch, sizeof out->arch, uname(&u) == 0 ? u.machine : "amd64");
    if (strncmp(out->arch, "armv7", 5) == 0)
        set(out->arch, sizeof out->arch, "armhf");
    cx_platform_normalize(out);
}

int cx_platform_parse(const char *s, struct cx_platform *out, cx_error *err)
{
    char part[3][32] = { "", "", "" };
    int n = 0;
    for (const char *c = s; ; c++) {
        size_t len = strlen(part[n]);
        if (*c == '/' || !*c) {
            if (!len)
                return cx_fail(err, EINVAL, "invalid platform \"%s\": want os/arch[/variant]", s);
            if (!*c)
                break;
            if (++n == 3)
                return cx_fail(err, EINVAL, "invalid platform \"%s\": want os/arch[/variant]", s);
            continue;
        }
        if (len + 1 >= sizeof part[n] ||
            !((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            return cx_fail(err, EINVAL, "invalid platform \"%s\": want os/arch[/variant]", s);
        part[n][len] = *c;
    }
    memset(out, 0, sizeof *out);
    if (n == 0) {
        set(out->os, sizeof out->os, "linux");
        set(out->arch, sizeof out->arch, part[0]);
    } else {
        set(out->os, sizeof out->os, part[0]);
        set(out->arch, sizeof out->arch, part[1]);
        set(out->variant, sizeof out->variant, part[2]);
    }
    cx_platform_normalize(out);
    return 0;
}

int cx_platform_score(const struct cx_platform *want, const struct cx_platform *candidate)
{
    struct cx_platform c = *candidate;
    cx_platform_normalize(&c);
    if (strcmp(want->os, c.os) != 0 || strcmp(want->arch, c.arch) != 0)
        return -1;
    if (strcmp(want->variant, c.variant) == 0)
        return 2;
    /* an arm/v7 host runs v6 and v5 images too; an unnamed variant is a guess */
    if (!c.variant[0])
        return 1;
    if (strcmp(c.arch, "arm") == 0 && c.variant[0] == 'v' && want->variant[0] == 'v' &&
        c.variant[1] < want->variant[1])
        return 0;
    return -1;
}

void cx_platform_format(const struct cx_platform *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
}
