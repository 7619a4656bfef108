/* wm_http: the request head, held to RFC 9112 before libmicrohttpd sees it.
 *
 * libmicrohttpd 0.9.75 joins obs-fold lines, takes the first of two
 * Content-Lengths, serves HTTP/1.1 without Host and answers malformed or
 * oversized heads with HTML of its own. The gate (http_gate.c) runs
 * wm_http_head_scan over a connection's first head while it is still in
 * the kernel's buffer, so every such head is refused here, in JSON, and
 * libmicrohttpd only ever parses heads that passed. Later requests on a
 * kept-alive connection get wm_http_head_rules from the access handler,
 * over the headers libmicrohttpd parsed. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"

/* Room on the request line besides the target: method and version. */
#define REQUEST_LINE_EXTRA 64u
#define MAX_LENGTH_DIGITS 19u

__attribute__((format(printf, 5, 6)))
static int refuse(wm_head_verdict *v, unsigned status, const char *code,
                  const char *parameter, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(v->message, sizeof v->message, fmt, args);
    va_end(args);
    v->status = status;
    v->code = code;
    v->parameter = parameter;
    return -1;
}

/* RFC 9110 5.6.2: the characters of a token (method, header name). */
static bool is_tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

void wm_http_head_note(wm_head_facts *f, const char *name, size_t name_len,
                       const char *value, size_t value_len)
{
    if (name_is(name, name_len, "Host")) {
        f->hosts++;
    } else if (name_is(name, name_len, "Content-Length")) {
        if (f->lengths++ == 0)
            f->length = value, f->length_len = value_len;
    } else if (name_is(name, name_len, "Transfer-Encoding")) {
        if (f->encodings++ == 0)
            f->encoding = value, f->encoding_len = value_len;
    }
}

static int length_rules(const wm_head_facts *f, size_t max_body,
                        const char *flag, wm_head_verdict *v)
{
    char quoted[64];
    bool digits = f->length_len > 0 && f->length_len <= MAX_LENGTH_DIGITS;
    for (size_t i = 0; digits && i < f->length_len; i++)
        digits = f->length[i] >= '0' && f->length[i] <= '9';
    if (!digits)
        return refuse(v, 400, "bad_request", "Content-Length",
                      "Content-Length \"%s\" is not a number of bytes",
                      wm_http_quote(quoted, sizeof quoted, f->length,
                                    f->length_len));
    unsigned long long n = strtoull(f->length, NULL, 10);
    if (n > max_body)
        return refuse(v, 413, "body_too_large", NULL,
                      "the request body is %llu bytes; allowed: up to %zu "
                      "(%s)", n, max_body, flag);
    return 0;
}

size_t wm_http_body_limit(const wm_http_options *o, const char *method,
                          size_t method_len, const char *path,
                          size_t path_len, const char **flag)
{
    if (o->streams && o->streams(method, method_len, path, path_len)) {
        *flag = "--max-upload";
        return o->max_upload_bytes;
    }
    *flag = "--max-body";
    return o->max_body_bytes;
}

int wm_http_head_rules(const wm_head_facts *f, size_t max_body,
                       const char *flag, wm_head_verdict *v)
{
    char quoted[64];
    if (f->hosts > 1)
        return refuse(v, 400, "bad_request", "Host",
                      "the request has %u Host headers; one is allowed",
                      f->hosts);
    if (f->http11 && f->hosts == 0)
        return refuse(v, 400, "bad_request", "Host",
                      "an HTTP/1.1 request needs a Host header");
    if (f->lengths > 1)
        return refuse(v, 400, "bad_request", "Content-Length",
                      "the request has %u Content-Length headers; one is "
                      "allowed", f->lengths);
    if (f->encodings && f->lengths)
        return refuse(v, 400, "bad_request", "Transfer-Encoding",
                      "the request has both Content-Length and "
                      "Transfer-Encoding; one is allowed (RFC 9112 6.3)");
    if (f->encodings > 1 || (f->encodings && !f->http11))
        return refuse(v, 400, "bad_request", "Transfer-Encoding",
                      "Transfer-Encoding is allowed once, in HTTP/1.1");
    if (f->encodings && !name_is(f->encoding, f->encoding_len, "chunked"))
        return refuse(v, 501, "not_implemented", "Transfer-Encoding",
                      "Transfer-Encoding \"%s\" is not supported",
                      wm_http_quote(quoted, sizeof quoted, f->encoding,
                                    f->encoding_len));
    /* Bodies here are small documents: a length up front lets --max-body
     * refuse them before any is read, and leaves no chunk syntax for
     * libmicrohttpd to answer in HTML. */
    if (f->encodings)
        return refuse(v, 411, "length_required", "Content-Length",
                      "a request body needs a Content-Length; chunked "
                      "bodies are not accepted");
    return f->lengths ? length_rules(f, max_body, flag, v) : 0;
}

static int bad_line(wm_head_verdict *v, const char *what)
{
    return refuse(v, 400, "bad_request", NULL, "%s", what);
}

static int request_line(const char *s, size_t n, size_t max_url,
                        wm_head_facts *f, wm_head_verdict *v)
{
    static const char *form = "the request line is not METHOD SP TARGET SP "
                              "HTTP-VERSION (RFC 9112 3)";
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != ' ')
        return bad_line(v, form);
    f->method = s, f->method_len = i;
    size_t start = ++i;
    while (i < n && s[i] > 0x20 && s[i] < 0x7f)
        i++;
    if (i - start > max_url)
        return refuse(v, 414, "uri_too_long", NULL,
                      "the request target is %zu bytes; allowed: up to %zu "
                      "(--max-url)", i - start, max_url);
    if (i == start || i >= n || s[i] != ' ')
        return bad_line(v, form);
    f->target = s + start, f->target_len = i - start;
    const char *ver = s + i + 1;
    if (n - i - 1 != 8 || memcmp(ver, "HTTP/", 5) != 0 ||
        !isdigit((unsigned char)ver[5]) || ver[6] != '.' ||
        !isdigit((unsigned char)ver[7]))
        return bad_line(v, form);
    if (ver[5] != '1' || (ver[7] != '0' && ver[7] != '1'))
        return refuse(v, 505, "http_version_not_supported", NULL,
                      "HTTP/%c.%c is not supported; this server speaks "
                      "HTTP/1.0 and HTTP/1.1", ver[5], ver[7]);
    f->http11 = ver[7] == '1';
    return 0;
}

static int header_line(const char *s, size_t n, wm_head_facts *f,
                       wm_head_verdict *v)
{
    if (s[0] == ' ' || s[0] == '\t')
        return bad_line(v, "a header line starts with whitespace (obs-fold, "
                           "RFC 9112 5.2); it is not accepted");
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != ':')
        return bad_line(v, "a header line is not NAME: VALUE, with no space "
                           "before the colon (RFC 9112 5)");
    for (size_t k = i + 1; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return bad_line(v, "a header value has a control byte");
    }
    size_t start = i + 1, end = n;
    while (start < end && (s[start] == ' ' || s[start] == '\t'))
        start++;
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    wm_http_head_note(f, s, i, s + start, end - start);
    return 0;
}

/* A line too long to end within the limits: the request line's limit is
 * the target's (414), a header line's the head's (431). */
static int too_long(wm_head_verdict *v, bool request_line, size_t max_url,
                    size_t max_head)
{
    if (request_line)
        return refuse(v, 414, "uri_too_long", NULL,
                      "the request target is over %zu bytes (--max-url)",
                      max_url);
    return refuse(v, 431, "header_too_large", NULL,
                  "the request head is over %zu bytes: headers may take up "
                  "to %zu bytes besides the target (--max-url)", max_head,
                  max_head - max_url);
}

int wm_http_head_scan(const char *buf, size_t len, const wm_http_options *o,
                      size_t max_head, size_t *head_len, wm_head_verdict *v)
{
    wm_head_facts f = {0};
    bool seen_request = false;
    size_t pos = 0;
    for (;;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        if (!seen_request && end - pos > o->max_url_bytes + REQUEST_LINE_EXTRA)
            return too_long(v, true, o->max_url_bytes, max_head);
        if (end >= max_head)
            return too_long(v, !seen_request, o->max_url_bytes, max_head);
        if (!nl)
            return 0;
        size_t n = end - pos;
        if (n > 0 && buf[end - 1] == '\r')
            n--; /* CRLF; a bare LF ends a line too (RFC 9112 2.2) */
        const char *line = buf + pos;
        pos = end + 1;
        if (!seen_request) {
            if (n == 0)
                continue; /* empty lines before the request line */
            if (request_line(line, n, o->max_url_bytes, &f, v) != 0)
                return -1;
            seen_request = true;
        } else if (n == 0) {
            *head_len = pos;
            const char *flag = NULL;
            const char *query = memchr(f.target, '?', f.target_len);
            size_t limit = wm_http_body_limit(
                o, f.method, f.method_len, f.target,
                query ? (size_t)(query - f.target) : f.target_len, &flag);
            return wm_http_head_rules(&f, limit, flag, v) ? -1 : 1;
        } else if (header_line(line, n, &f, v) != 0) {
            return -1;
        }
    }
}
