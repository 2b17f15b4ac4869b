/* b64.h: base64 (RFC 4648) for the streaming server: the tokens in its
 * URLs use the URL-safe alphabet without padding (section 5); the bytes
 * capsad read past a request's head travel to capsad-stream in its JSON
 * description with the standard alphabet and padding (section 4). */
#ifndef CAPSA_CRI_STREAM_B64_H
#define CAPSA_CRI_STREAM_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters cx_b64_encode() writes for n bytes (without the NUL). */
size_t cx_b64_len(size_t n, bool url);
/* Encode in[0..n) into out (cx_b64_len(n, url) + 1 bytes, NUL-ended). */
void cx_b64_encode(const void *in, size_t n, bool url, char *out);
/* Decode the standard form in[0..len) (padding required, no white
 * space) into out (at least len / 4 * 3 bytes); -1 on anything else. */
int cx_b64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len);

#endif
