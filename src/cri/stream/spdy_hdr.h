/* spdy_hdr.h: SPDY/3 name/value header blocks.
 *
 * A block is a 32-bit pair count, then for each pair a 32-bit length and
 * the name, a 32-bit length and the value (big-endian).  A value may hold
 * several values separated by single NULs.  Names are lower-case and not
 * empty, and appear once.  On the wire every block is zlib-compressed;
 * each direction of a session is ONE zlib stream (the blocks of all its
 * frames in order), primed with the SPDY/3 dictionary and ended block by
 * block with Z_SYNC_FLUSH.  So a session must decode every block it
 * receives, in order, even those it does not care about, and a decoding
 * error breaks the session.
 *
 * Limits on what we accept: an inflated block of at most 256 KiB, at most
 * 100 pairs, every length checked against the bytes that remain.
 */
#ifndef CAPSA_CRI_STREAM_SPDY_HDR_H
#define CAPSA_CRI_STREAM_SPDY_HDR_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "cri/stream/buf.h"

#define SPDY_HDR_PAIRS_MAX 100
#define SPDY_HDR_BLOCK_MAX (256 * 1024)

/* The dictionary (spdy_dict.c): 1423 bytes, Adler-32 0xe3c6a7c2. */
extern const unsigned char *const spdy_dict;
extern const size_t spdy_dict_len;

struct spdy_header {
    const char *name;   /* NUL-terminated */
    const char *value;  /* NUL-terminated after value_len bytes; the bytes
                         * may hold NULs that separate several values */
    size_t value_len;
};

/* A decoded block; the strings live in text (one allocation). */
struct spdy_headers {
    size_t n;
    struct spdy_header v[SPDY_HDR_PAIRS_MAX];
    char *text;
};

/* Free the strings of h and empty it (h itself is the caller's). */
void spdy_headers_clear(struct spdy_headers *h);

/* The value of the header called name (exact, names are lower-case),
 * with its length in *len when len is not NULL; NULL when absent. */
const char *spdy_header_get(const struct spdy_headers *h, const char *name, size_t *len);

/* The uncompressed layer, for the codec below, the tests and the fuzzer.
 * spdy_hdr_parse() decodes the raw block in[0..len) into out (cleared
 * first; left empty on error). */
int spdy_hdr_parse(const uint8_t *in, size_t len, struct spdy_headers *out, cx_error *err);
/* Append the raw block of v[0..n) to out; fails on a name that is empty,
 * not lower-case or repeated, or on more than SPDY_HDR_PAIRS_MAX pairs or
 * SPDY_HDR_BLOCK_MAX bytes (out is then unchanged). */
int spdy_hdr_build(const struct spdy_header *v, size_t n, struct cx_buf *out, cx_error *err);

/* The zlib streams of one session: one to inflate what the peer sends,
 * one to deflate what we send. */
struct spdy_hdr_codec;

int spdy_hdr_codec_new(struct spdy_hdr_codec **out, cx_error *err);
void spdy_hdr_codec_free(struct spdy_hdr_codec *c);

/* Inflate the next compressed block in[0..len) (all of it: a frame's
 * block ends at a flush point) and parse it into out.  After an error
 * every later call fails: the stream has lost its place. */
int spdy_hdr_decode(struct spdy_hdr_codec *c, const uint8_t *in, size_t len,
                    struct spdy_headers *out, cx_error *err);
/* Append the compressed block of v[0..n) to out (checked as by
 * spdy_hdr_build() first, so a bad pair leaves the stream intact). */
int spdy_hdr_encode(struct spdy_hdr_codec *c, const struct spdy_header *v, size_t n,
                    struct cx_buf *out, cx_error *err);

#endif
