/* tokens.c: see tokens.h.  The table is small (1000 entries at most) and
 * each request touches it once, so a plain array scanned under the mutex
 * is enough. */
#include "cri/stream/tokens.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/util.h"
#include "cri/stream/b64.h"

struct entry {
    char token[STREAM_TOKEN_LEN + 1];
    json_t *desc;
    int64_t expires;
};

struct stream_tokens {
    pthread_mutex_t mu;
    size_t max, n;
    int64_t ttl;
    struct entry *v;
};

struct stream_tokens *stream_tokens_new(size_t max, int64_t ttl_ms)
{
    struct stream_tokens *t = cx_calloc(1, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    t->max = max;
    t->ttl = ttl_ms;
    t->v = cx_calloc(max ? max : 1, sizeof *t->v);
    return t;
}

void stream_tokens_free(struct stream_tokens *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        json_decref(t->v[i].desc);
    free(t->v);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* Remove entry i (order does not matter: the last one takes its place). */
static void drop(struct stream_tokens *t, size_t i)
{
    json_decref(t->v[i].desc);
    t->v[i] = t->v[--t->n];
}

static void drop_expired(struct stream_tokens *t, int64_t now)
{
    for (size_t i = 0; i < t->n;) {
        if (t->v[i].expires <= now)
            drop(t, i);
        else
            i++;
    }
}

static int new_token(char token[STREAM_TOKEN_LEN + 1], cx_error *err)
{
    uint8_t raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno != EINTR)
            return cx_fail_errno(err, "getrandom");
        if (n > 0)
            got += (size_t) n;
    }
    cx_b64_encode(raw, sizeof raw, true, token);
    return 0;
}

int stream_token_put(struct stream_tokens *t, json_t *desc, int64_t now,
                     char token[STREAM_TOKEN_LEN + 1], cx_error *err)
{
    if (new_token(token, err) < 0) {
        json_decref(desc);
        return -1;
    }
    pthread_mutex_lock(&t->mu);
    drop_expired(t, now);
    bool full = t->n >= t->max;
    if (!full) {
        struct entry *e = &t->v[t->n++];
        memcpy(e->token, token, STREAM_TOKEN_LEN + 1);
        e->desc = desc;
        e->expires = now + t->ttl;
    }
    pthread_mutex_unlock(&t->mu);
    if (full) {
        json_decref(desc);
        return cx_fail(err, EAGAIN, "too many pending streaming requests (%zu): try again "
                       "later", t->max);
    }
    return 0;
}

/* Compared in constant time: how much of a guess matched says nothing. */
static bool same_token(const char *a, const char *b)
{
    unsigned diff = 0;
    for (size_t i = 0; i < STREAM_TOKEN_LEN; i++)
        diff |= (unsigned char) a[i] ^ (unsigned char) b[i];
    return diff == 0;
}

static bool well_formed(const char *s)
{
    size_t i = 0;
    for (; s[i] && i <= STREAM_TOKEN_LEN; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return i == STREAM_TOKEN_LEN;
}

json_t *stream_token_take(struct stream_tokens *t, const char *token, int64_t now)
{
    if (token == NULL || !well_formed(token))
        return NULL;
    json_t *found = NULL;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->n; i++) {
        if (!same_token(t->v[i].token, token))
            continue;
        if (t->v[i].expires > now) {
            found = t->v[i].desc;
            t->v[i].desc = NULL;
        }
        drop(t, i);
        break;
    }
    pthread_mutex_unlock(&t->mu);
    return found;
}

size_t stream_tokens_pending(struct stream_tokens *t, int64_t now)
{
    size_t n = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->n; i++)
        n += t->v[i].expires > now;
    pthread_mutex_unlock(&t->mu);
    return n;
}
