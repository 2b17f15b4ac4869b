/* spdy_dict.c: the SPDY/3 header compression dictionary.
 *
 * A protocol constant (SPDY Protocol Draft 3, section 2.6.10.1): both zlib
 * streams of a session start from it, and zlib writes its Adler-32 into
 * the stream header, so a single wrong byte makes the peer reject our
 * first header block (and us, theirs).  tests/unit/test_spdy.c checks its
 * length and Adler-32.
 *
 * The first part is a list of 32-bit big-endian lengths each followed by
 * a common header name or value; the rest is plain text: the HTTP status
 * codes and phrases, date words and frequent values, with no separators.
 */
#include "cri/stream/spdy_hdr.h"

static const unsigned char dict[] =
    /* length-prefixed names and values */
    "\0\0\0\x07" "options"
    "\0\0\0\x04" "head"
    "\0\0\0\x04" "post"
    "\0\0\0\x03" "put"
    "\0\0\0\x06" "delete"
    "\0\0\0\x05" "trace"
    "\0\0\0\x06" "accept"
    "\0\0\0\x0e" "accept-charset"
    "\0\0\0\x0f" "accept-encoding"
    "\0\0\0\x0f" "accept-language"
    "\0\0\0\x0d" "accept-ranges"
    "\0\0\0\x03" "age"
    "\0\0\0\x05" "allow"
    "\0\0\0\x0d" "authorization"
    "\0\0\0\x0d" "cache-control"
    "\0\0\0\x0a" "connection"
    "\0\0\0\x0c" "content-base"
    "\0\0\0\x10" "content-encoding"
    "\0\0\0\x10" "content-language"
    "\0\0\0\x0e" "content-length"
    "\0\0\0\x10" "content-location"
    "\0\0\0\x0b" "content-md5"
    "\0\0\0\x0d" "content-range"
    "\0\0\0\x0c" "content-type"
    "\0\0\0\x04" "date"
    "\0\0\0\x04" "etag"
    "\0\0\0\x06" "expect"
    "\0\0\0\x07" "expires"
    "\0\0\0\x04" "from"
    "\0\0\0\x04" "host"
    "\0\0\0\x08" "if-match"
    "\0\0\0\x11" "if-modified-since"
    "\0\0\0\x0d" "if-none-match"
    "\0\0\0\x08" "if-range"
    "\0\0\0\x13" "if-unmodified-since"
    "\0\0\0\x0d" "last-modified"
    "\0\0\0\x08" "location"
    "\0\0\0\x0c" "max-forwards"
    "\0\0\0\x06" "pragma"
    "\0\0\0\x12" "proxy-authenticate"
    "\0\0\0\x13" "proxy-authorization"
    "\0\0\0\x05" "range"
    "\0\0\0\x07" "referer"
    "\0\0\0\x0b" "retry-after"
    "\0\0\0\x06" "server"
    "\0\0\0\x02" "te"
    "\0\0\0\x07" "trailer"
    "\0\0\0\x11" "transfer-encoding"
    "\0\0\0\x07" "upgrade"
    "\0\0\0\x0a" "user-agent"
    "\0\0\0\x04" "vary"
    "\0\0\0\x03" "via"
    "\0\0\0\x07" "warning"
    "\0\0\0\x10" "www-authenticate"
    "\0\0\0\x06" "method"
    "\0\0\0\x03" "get"
    "\0\0\0\x06" "status"
    "\0\0\0\x06" "200 OK"
    "\0\0\0\x07" "version"
    "\0\0\0\x08" "HTTP/1.1"
    "\0\0\0\x03" "url"
    "\0\0\0\x06" "public"
    "\0\0\0\x0a" "set-cookie"
    "\0\0\0\x0a" "keep-alive"
    "\0\0\0\x06" "origin"
    /* status codes, reason phrases, dates, media types, cache and coding words, run together */
    "100" "101" "201" "202" "205" "206" "300" "302" "303" "304"
    "305" "306" "307" "402" "405" "406" "407" "408" "409" "410"
    "411" "412" "413" "414" "415" "416" "417" "502" "504" "505"
    "203 Non-Authoritative Information"
    "204 No Content"
    "301 Moved Permanently"
    "400 Bad Request"
    "401 Unauthorized"
    "403 Forbidden"
    "404 Not Found"
    "500 Internal Server Error"
    "501 Not Implemented"
    "503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec "
    "00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,"
    "application/xhtml+xml,text/plain,text/javascript,"
    "publicprivatemax-age="
    "gzip,deflate,sdch"
    "charset=utf-8"
    "charset=iso-8859-1,utf-,*,enq=0."
    ;

/* without the NUL that ends the string literal */
const unsigned char *const spdy_dict = dict;
const size_t spdy_dict_len = sizeof dict - 1;
