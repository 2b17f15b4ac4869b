/* seccomp_internal.h: the parts of seccomp.c (see seccomp.h). */
#ifndef CAPSA_SECCOMP_INTERNAL_H
#define CAPSA_SECCOMP_INTERNAL_H

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "oci/seccomp.h"

/* seccomp_compile.c: the profile as a BPF program (malloc'd), built by
 * libseccomp.  Rules whose action is the default one are left out (they
 * change nothing); unknown syscall names are skipped (logged at debug);
 * conditions on distinct arguments are ANDed in one rule, several on the
 * same argument become one rule each (ORed), as runc reads a profile. */
int seccomp_compile(const struct oci_seccomp *s, struct sock_filter **insns,
                    unsigned short *len, cx_error *err);

/* seccomp_enosys.c: put in front of the program the instructions that make
 * every syscall above the highest one the profile names (per architecture)
 * return ENOSYS, when the default action denies.  *insns is replaced. */
int seccomp_enosys_stub(const struct oci_seccomp *s, struct sock_filter **insns,
                        unsigned short *len, cx_error *err);

/* seccomp_cache.c: compiled programs under <root>/@seccomp-cache/, one file
 * per profile, named by a hash of the key but matched on the whole key:
 * the canonical profile text, capsa's and libseccomp's versions, the
 * native arch and the kernel release.  Best effort: any problem is a
 * miss (lookup) or a debug line (store), never an error. */
#define SECCOMP_CACHE_MAX 64      /* entries kept; the least recently used go */
char *seccomp_cache_key(json_t *profile);
/* 0 and a malloc'd program on a hit; -1 on a miss. */
int seccomp_cache_lookup(int dirfd, const char *key, struct sock_filter **insns,
                         unsigned short *len);
void seccomp_cache_store(int dirfd, const char *key, const struct sock_filter *insns,
                         unsigned short len);
/* <root>/@seccomp-cache, made 0700 if missing; -1 when unusable. */
int seccomp_cache_open(const char *root);
/* The file name of a key: 16 hex digits of a 64-bit FNV-1a hash. */
void seccomp_cache_name(const char *key, char out[17]);

/* seccomp_notify.c */
int seccomp_notify_connect(const char *path, cx_error *err);
/* Send the state text and the listener fd in one sendmsg. */
int seccomp_notify_send(int sock, const char *state, int listener, cx_error *err);

#endif
