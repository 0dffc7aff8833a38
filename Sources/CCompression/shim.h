// zlib and brotli's decoders, for request bodies sent with Content-Encoding gzip,
// deflate or br (Sentry's SDKs compress envelopes). zlib's inflateInit2 is a macro.
#include <zlib.h>
#include <brotli/decode.h>

/// inflateInit2 with the window that takes gzip and zlib streams both (15 + 32).
static inline int opsdeck_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

/// Raw deflate, for "Content-Encoding: deflate" bodies without a zlib header.
static inline int opsdeck_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -15);
}
