/* wm_size: see wm_size.h.
 *
 * The number is split into an integer part and a fraction, each applied to
 * the unit's multiplier in integers. The fraction is worked from its last
 * digit to its first (v = (digit * unit + v) / 10): every step must divide
 * exactly when the whole does, and no step exceeds the unit, so "1.5kB" is
 * 1500 with no rounding anywhere and "1.5B" is found to be half a byte. */
#include "wm_size.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct size_unit {
    const char *name;    /* canonical spelling, matched case-insensitively */
    uint64_t multiplier; /* bytes per unit */
} size_unit;

/* Largest first: wm_size_format prefers the larger unit on equal length. */
static const size_unit units[] = {
    {"GiB", 1ULL << 30}, {"GB", 1000000000ULL}, {"MiB", 1ULL << 20},
    {"MB", 1000000ULL},  {"KiB", 1ULL << 10},   {"kB", 1000ULL},
    {"B", 1ULL},
};
#define UNIT_COUNT (sizeof units / sizeof units[0])

/* Shows the user what they wrote, cut short and with control bytes masked,
 * since it ends up in terminals and JSON. */
static void quote_input(const char *text, char *buf, size_t buflen)
{
    size_t out = 0, in = 0;
    const size_t shown = 40;
    while (text[in] && in < shown && out + 1 < buflen) {
        unsigned char c = (unsigned char)text[in++];
        buf[out++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (text[in] && out + 4 < buflen) {
        memcpy(buf + out, "...", 3);
        out += 3;
    }
    buf[out] = '\0';
}

static int invalid(const char *text, const char *why, wm_error *err)
{
    char shown[48];
    quote_input(text, shown, sizeof shown);
    return wm_error_param(err, WM_ERR_INVALID, "size",
                          "size \"%s\" %s; expected %s", shown, why,
                          WM_SIZE_FORMS);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The unit named by text (the whole rest of the input), or NULL. An empty
 * unit means bytes. */
static const size_unit *find_unit(const char *text)
{
    if (*text == '\0')
        return &units[UNIT_COUNT - 1];
    for (size_t i = 0; i < UNIT_COUNT; i++)
        if (strcasecmp(text, units[i].name) == 0)
            return &units[i];
    return NULL;
}

/* Integer digits [begin, end) into *value; false on overflow. */
static bool parse_integer(const char *begin, const char *end, uint64_t *value)
{
    uint64_t v = 0;
    for (const char *p = begin; p < end; p++) {
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
            return false;
    }
    *value = v;
    return true;
}

/* Fraction digits [begin, end) times multiplier into *bytes; false when
 * they do not come to whole bytes. The result is below the multiplier. */
static bool scale_fraction(const char *begin, const char *end,
                           uint64_t multiplier, uint64_t *bytes)
{
    uint64_t v = 0; /* always < multiplier <= 2^30: no overflow below */
    for (const char *p = end; p > begin; p--) {
        uint64_t sum = (uint64_t)(p[-1] - '0') * multiplier + v;
        if (sum % 10 != 0)
            return false;
        v = sum / 10;
    }
    *bytes = v;
    return true;
}

typedef struct size_syntax {
    const char *int_begin, *int_end;   /* digits before the point */
    const char *frac_begin, *frac_end; /* digits after it, maybe none */
    const char *unit;                  /* the rest, "" when none */
} size_syntax;

/* Splits text into number and unit; NULL on success, else why not. */
static const char *split(const char *text, size_syntax *syn)
{
    const char *p = text;
    syn->int_begin = p;
    while (is_digit(*p))
        p++;
    syn->int_end = p;
    if (syn->int_begin == syn->int_end)
        return "does not start with a digit";
    syn->frac_begin = syn->frac_end = p;
    if (*p == '.') {
        syn->frac_begin = ++p;
        while (is_digit(*p))
            p++;
        syn->frac_end = p;
        if (syn->frac_begin == syn->frac_end)
            return "has a decimal point with no digits after it";
    }
    if (*p == ' ') {
        p++;
        if (*p == '\0' || *p == ' ')
            return "has a space not followed by a unit";
    }
    syn->unit = p;
    return NULL;
}

int wm_size_parse(const char *text, uint64_t max_bytes, uint64_t *bytes,
                  wm_error *err)
{
    if (text == NULL)
        return wm_error_param(err, WM_ERR_INVALID, "size",
                              "size is missing; expected %s", WM_SIZE_FORMS);
    if (*text == '\0')
        return invalid(text, "is empty", err);
    size_syntax syn;
    const char *why = split(text, &syn);
    if (why)
        return invalid(text, why, err);
    const size_unit *unit = find_unit(syn.unit);
    if (!unit)
        return invalid(text, "has an unknown unit", err);

    uint64_t whole, fraction, total;
    if (!parse_integer(syn.int_begin, syn.int_end, &whole) ||
        __builtin_mul_overflow(whole, unit->multiplier, &total))
        return invalid(text, "is too large to count", err);
    if (!scale_fraction(syn.frac_begin, syn.frac_end, unit->multiplier,
                        &fraction))
        return invalid(text, "is not a whole number of bytes", err);
    if (__builtin_add_overflow(total, fraction, &total))
        return invalid(text, "is too large to count", err);

    if (total > max_bytes) {
        char shown[48], limit[64];
        quote_input(text, shown, sizeof shown);
        wm_size_format(max_bytes, limit, sizeof limit);
        return wm_error_param(err, WM_ERR_TOO_LARGE, "size",
                              "size \"%s\" (%llu bytes) is over the limit "
                              "of %s (%llu bytes)",
                              shown, (unsigned long long)total, limit,
                              (unsigned long long)max_bytes);
    }
    *bytes = total;
    return 0;
}

/* bytes in one unit, as an exact decimal: the division always terminates
 * since every multiplier is a power of 2 or of 10. */
static void format_in_unit(uint64_t bytes, const size_unit *unit, char *buf,
                           size_t buflen)
{
    uint64_t whole = bytes / unit->multiplier;
    uint64_t rest = bytes % unit->multiplier;
    int len = snprintf(buf, buflen, "%llu", (unsigned long long)whole);
    size_t at = len > 0 ? (size_t)len : 0;
    if (rest && at + 1 < buflen)
        buf[at++] = '.';
    while (rest && at + 1 < buflen) {
        rest *= 10; /* rest < 2^30: cannot overflow */
        buf[at++] = (char)('0' + rest / unit->multiplier);
        rest %= unit->multiplier;
    }
    snprintf(buf + at, buflen - at, "%s", unit->name);
}

void wm_size_format(uint64_t bytes, char *buf, size_t buflen)
{
    /* 20 integer digits, 30 fraction digits (2^-30), point, unit */
    char best[64] = "", candidate[64];
    size_t best_len = SIZE_MAX;
    for (size_t i = 0; i < UNIT_COUNT; i++) {
        format_in_unit(bytes, &units[i], candidate, sizeof candidate);
        size_t len = strlen(candidate);
        if (len < best_len) {
            memcpy(best, candidate, len + 1);
            best_len = len;
        }
    }
    if (buflen > 0)
        snprintf(buf, buflen, "%s", best);
}
