/* compress_util.h: gzip and zstd streams made in memory for the
 * decompression and unpack tests (zlib and libzstd as the reference
 * compressors).  Include after <cmocka.h>. */
#ifndef CAPSA_TEST_COMPRESS_UTIL_H
#define CAPSA_TEST_COMPRESS_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

static inline uint8_t *gzip_buf(const void *in, size_t len, size_t *outlen)
{
    z_stream z = { 0 };
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, len) + 64;
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *) in;
    z.avail_in = (uInt) len;
    z.next_out = out;
    z.avail_out = (uInt) cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *outlen = z.total_out;
    deflateEnd(&z);
    return out;
}

static inline uint8_t *zstd_buf(const void *in, size_t len, size_t *outlen)
{
    size_t cap = ZSTD_compressBound(len);
    uint8_t *out = malloc(cap);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
    *outlen = ZSTD_compress2(cc, out, cap, in, len);
    assert_false(ZSTD_isError(*outlen));
    ZSTD_freeCCtx(cc);
    return out;
}

#endif
