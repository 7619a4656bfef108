/* wm_json_text: see wm_json_text.h; and json_emit.h's writer, which
 * shares its formats. The formats of numbers and the escapes are jansson
 * 2.14's (dump.c, strconv.c), so that text written here and text written
 * by json_dumps are interchangeable. */
#include "wm_json_text.h"

#include "json_emit.h"

#include <assert.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the 7 KB document of a small run without growing. */
#define FIRST_CAPACITY 8192u

typedef emit_text text;

static bool reserve(text *t, size_t more)
{
    if (t->failed)
        return false;
    if (t->cap - t->len > more)
        return true;
    size_t cap = t->cap;
    while (cap - t->len <= more) {
        if (cap > SIZE_MAX / 2) {
            t->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *bytes = realloc(t->bytes, cap);
    if (!bytes) {
        t->failed = true;
        return false;
    }
    t->bytes = bytes;
    t->cap = cap;
    return true;
}

static void put(text *t, const char *s, size_t n)
{
    if (reserve(t, n)) {
        memcpy(t->bytes + t->len, s, n);
        t->len += n;
    }
}

static void put_char(text *t, char c)
{
    if (reserve(t, 1))
        t->bytes[t->len++] = c;
}

static void put_integer(text *t, json_int_t v)
{
    char digits[24];
    size_t n = 0;
    /* Unsigned: INT64_MIN has no positive counterpart. */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                                 : (unsigned long long)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[n++] = '-';
    if (!reserve(t, n))
        return;
    while (n)
        t->bytes[t->len++] = digits[--n];
}

/* jansson's jsonp_dtostr at its default precision, 17. */
static void put_real(text *t, double v)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    if (n < 0 || (size_t)n >= sizeof buf - 3) {
        t->failed = true;
        return;
    }
    size_t len = (size_t)n;
    const char *point = localeconv()->decimal_point;
    if (point[0] != '.') {
        char *p = strchr(buf, point[0]);
        if (p)
            *p = '.';
    }
    /* A dot or an exponent, or the number reads back as an integer. */
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    char *start = strchr(buf, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - buf));
            len -= (size_t)(end - start);
        }
    }
    put(t, buf, len);
}

/* Length of the UTF-8 sequence at s (left bytes there), 0 when it is not
 * one jansson accepts: no overlong forms, surrogates or code points past
 * U+10FFFF. */
static size_t utf8_length(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        n = 2;
        cp = c & 0x1F;
    } else if (c < 0xF0) {
        n = 3;
        cp = c & 0x0F;
    } else if (c < 0xF5) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
        (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000))
        return 0;
    return n;
}

static void put_string(text *t, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    /* Every byte may become \u00XX: reserve once, the worst case. */
    if (len > (SIZE_MAX - 2) / 6 || !reserve(t, 6 * len + 2))
        return;
    char *out = t->bytes + t->len;
    *out++ = '"';
    for (size_t i = 0; i < len;) {
        unsigned c = p[i];
        if (c >= 0x80) {
            size_t n = utf8_length(p + i, len - i);
            if (n == 0) {
                t->failed = true;
                return;
            }
            memcpy(out, p + i, n);
            out += n;
            i += n;
            continue;
        }
        i++;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        default:
            memcpy(out, "u00", 3);
            out[3] = hex[c >> 4];
            out[4] = hex[c & 0xF];
            out += 5;
        }
    }
    *out++ = '"';
    t->len = (size_t)(out - t->bytes);
    assert(t->len < t->cap);
}

static void put_value(text *t, const json_t *v, unsigned depth)
{
    if (depth > WM_JSON_TEXT_MAX_DEPTH) {
        t->failed = true;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        put_char(t, '{');
        bool first = true;
        /* The iteration order is the insertion order json_dumps keeps. */
        for (void *it = json_object_iter((json_t *)v); it && !t->failed;
             it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                put_char(t, ',');
            first = false;
            put_string(t, json_object_iter_key(it),
                       json_object_iter_key_len(it));
            put_char(t, ':');
            put_value(t, json_object_iter_value(it), depth + 1);
        }
        put_char(t, '}');
        break;
    }
    case JSON_ARRAY: {
        put_char(t, '[');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n && !t->failed; i++) {
            if (i)
                put_char(t, ',');
            put_value(t, json_array_get(v, i), depth + 1);
        }
        put_char(t, ']');
        break;
    }
    case JSON_STRING:
        put_string(t, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put_integer(t, json_integer_value(v));
        break;
    case JSON_REAL:
        put_real(t, json_real_value(v));
        break;
    case JSON_TRUE:
        put(t, "true", 4);
        break;
    case JSON_FALSE:
        put(t, "false", 5);
        break;
    case JSON_NULL:
        put(t, "null", 4);
        break;
    }
}

char *wm_json_text(const json_t *value, size_t *len)
{
    if (!value)
        return NULL;
    text t = {.bytes = malloc(FIRST_CAPACITY), .cap = FIRST_CAPACITY};
    if (!t.bytes)
        return NULL;
    put_value(&t, value, 0);
    if (t.failed) {
        free(t.bytes);
        return NULL;
    }
    assert(t.len < t.cap);
    t.bytes[t.len] = '\0';
    if (len)
        *len = t.len;
    return t.bytes;
}

/* json_emit.h's writer. */

void emit_start(emit *e, bool tree)
{
    memset(e, 0, sizeof *e);
    e->tree = tree;
    if (!tree) {
        e->text.bytes = malloc(FIRST_CAPACITY);
        e->text.cap = FIRST_CAPACITY;
        e->failed = e->text.bytes == NULL;
    }
}

/* Text: the comma before a value that is not its container's first, and
 * its key in an object. */
static void text_key(emit *e, const char *key)
{
    if (e->more[e->depth])
        put_char(&e->text, ',');
    e->more[e->depth] = true;
    if (key) {
        /* The keys are the builders' [a-z_] literals: nothing to escape. */
        size_t n = strlen(key);
        if (reserve(&e->text, n + 3)) {
            char *out = e->text.bytes + e->text.len;
            out[0] = '"';
            memcpy(out + 1, key, n);
            out[n + 1] = '"';
            out[n + 2] = ':';
            e->text.len += n + 3;
        }
    }
}

/* Tree: value into the container open (its reference taken). */
static void tree_add(emit *e, const char *key, json_t *value)
{
    if (!value) {
        e->failed = true;
        return;
    }
    if (e->depth == 0) {
        assert(!e->root); /* one document */
        e->root = value;
        return;
    }
    json_t *top = e->open[e->depth - 1];
    assert(json_is_object(top) == (key != NULL));
    if ((key ? json_object_set_new_nocheck(top, key, value)
             : json_array_append_new(top, value)) != 0)
        e->failed = true;
}

static bool going(emit *e)
{
    if (e->text.failed)
        e->failed = true;
    return !e->failed;
}

static void open_container(emit *e, const char *key, bool object)
{
    if (!going(e))
        return;
    if (e->depth == EMIT_MAX_DEPTH) {
        e->failed = true;
        return;
    }
    if (e->tree) {
        json_t *c = object ? json_object() : json_array();
        tree_add(e, key, c);
        if (e->failed)
            return;
        e->open[e->depth] = c; /* borrowed: its parent holds it */
    } else {
        text_key(e, key);
        put_char(&e->text, object ? '{' : '[');
    }
    e->object[e->depth] = object;
    e->depth++;
    e->more[e->depth] = false;
}

void emit_object(emit *e, const char *key)
{
    open_container(e, key, true);
}

void emit_array(emit *e, const char *key)
{
    open_container(e, key, false);
}

void emit_end(emit *e)
{
    if (!going(e))
        return;
    assert(e->depth > 0);
    e->depth--;
    if (!e->tree)
        put_char(&e->text, e->object[e->depth] ? '}' : ']');
}

void emit_int(emit *e, const char *key, json_int_t value)
{
    if (!going(e))
        return;
    if (e->tree) {
        tree_add(e, key, json_integer(value));
        return;
    }
    text_key(e, key);
    put_integer(&e->text, value);
}

void emit_real(emit *e, const char *key, double value)
{
    if (!going(e))
        return;
    if (e->tree) {
        tree_add(e, key, json_real(value));
        return;
    }
    text_key(e, key);
    put_real(&e->text, value);
}

void emit_bool(emit *e, const char *key, bool value)
{
    if (!going(e))
        return;
    if (e->tree) {
        tree_add(e, key, json_boolean(value));
        return;
    }
    text_key(e, key);
    if (value)
        put(&e->text, "true", 4);
    else
        put(&e->text, "false", 5);
}

void emit_null(emit *e, const char *key)
{
    if (!going(e))
        return;
    if (e->tree) {
        tree_add(e, key, json_null());
        return;
    }
    text_key(e, key);
    put(&e->text, "null", 4);
}

static void emit_text_string(emit *e, const char *key, const char *value)
{
    text_key(e, key);
    put_string(&e->text, value, strlen(value));
}

void emit_string(emit *e, const char *key, const char *value)
{
    if (!going(e))
        return;
    if (e->tree)
        tree_add(e, key, json_string(value));
    else
        emit_text_string(e, key, value);
}

void emit_ascii(emit *e, const char *key, const char *value)
{
    if (!going(e))
        return;
    if (e->tree)
        tree_add(e, key, json_string_nocheck(value));
    else
        emit_text_string(e, key, value);
}

json_t *emit_tree(emit *e)
{
    assert(e->tree);
    if (!going(e) || !e->root) {
        json_decref(e->root);
        return NULL;
    }
    assert(e->depth == 0);
    return e->root;
}

char *emit_finish_text(emit *e, size_t *len)
{
    assert(!e->tree);
    if (!going(e) || e->text.len == 0) {
        free(e->text.bytes);
        return NULL;
    }
    assert(e->depth == 0);
    assert(e->text.len < e->text.cap);
    e->text.bytes[e->text.len] = '\0';
    if (len)
        *len = e->text.len;
    return e->text.bytes;
}
