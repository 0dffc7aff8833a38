// C shim over libcurl. curl_easy_setopt and curl_easy_getinfo are variadic, which
// Swift cannot call; these typed wrappers give each argument kind its own function
// (the approach swift-corelibs-foundation takes).
#ifndef OPSDECK_CCURL_SHIM_H
#define OPSDECK_CCURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*opsdeck_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*opsdeck_curl_xferinfo_cb)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                        curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode opsdeck_curl_setopt_long(CURL *h, CURLoption o, long v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode opsdeck_curl_setopt_ptr(CURL *h, CURLoption o, void *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode opsdeck_curl_setopt_str(CURL *h, CURLoption o, const char *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode opsdeck_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode opsdeck_curl_setopt_data_cb(CURL *h, CURLoption o, opsdeck_curl_data_cb v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode opsdeck_curl_setopt_xferinfo_cb(CURL *h, opsdeck_curl_xferinfo_cb v) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v);
}
static inline CURLcode opsdeck_curl_getinfo_long(CURL *h, CURLINFO i, long *out) {
    return curl_easy_getinfo(h, i, out);
}
static inline CURLcode opsdeck_curl_getinfo_double(CURL *h, CURLINFO i, double *out) {
    return curl_easy_getinfo(h, i, out);
}
static inline CURLcode opsdeck_curl_getinfo_str(CURL *h, CURLINFO i, char **out) {
    return curl_easy_getinfo(h, i, out);
}

#endif
