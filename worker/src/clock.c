/* wm_clock: see wm_clock.h. */
#include "wm_clock.h"

#include <assert.h>

static int64_t read_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t wm_clock_wall_ns(void)
{
    return read_ns(CLOCK_REALTIME);
}

int64_t wm_clock_monotonic_ns(void)
{
    return read_ns(CLOCK_MONOTONIC);
}

void wm_clock_deadline(struct timespec *deadline, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, deadline);
    deadline->tv_sec += ms / 1000;
    deadline->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline->tv_nsec >= 1000000000L) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000L;
    }
}

/* The proleptic Gregorian date of a day count from 1970-01-01 (Howard
 * Hinnant's days_from_civil, inverted): exact for every int64 of ns. */
static void civil_of(int64_t days, int64_t *year, unsigned *month,
                     unsigned *day)
{
    days += 719468; /* from 0000-03-01: leap days end each 400-year era */
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);          /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);   /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                        /* [0, 11] */
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int64_t)yoe + era * 400 + (*month <= 2);
}

/* Writes v as exactly width digits, from the right. */
static char *digits(char *at, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        at[i] = (char)('0' + v % 10);
    return at + width;
}

/* By arithmetic rather than gmtime_r and snprintf: it stamps every packet
 * row of a result and every run document, and those two took most of a
 * small run's time in here (gmtime_r takes glibc's time-zone lock). */
void wm_clock_rfc3339(int64_t ns, char out[WM_CLOCK_RFC3339_SIZE])
{
    /* Floor division: a time before the epoch still has a fraction in
     * [0, 1 s), as RFC 3339 writes it. */
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0)
        sec--, frac += 1000000000;
    int64_t days = sec / 86400, in_day = sec % 86400;
    if (in_day < 0)
        days--, in_day += 86400;
    int64_t year;
    unsigned month, day;
    civil_of(days, &year, &month, &day);
    /* An int64 of ns spans 1677..2262: always four digits, 30 bytes. */
    assert(year >= 1000 && year <= 9999);
    char *p = digits(out, (uint64_t)year, 4);
    *p++ = '-';
    p = digits(p, month, 2);
    *p++ = '-';
    p = digits(p, day, 2);
    *p++ = 'T';
    p = digits(p, (uint64_t)in_day / 3600, 2);
    *p++ = ':';
    p = digits(p, (uint64_t)in_day / 60 % 60, 2);
    *p++ = ':';
    p = digits(p, (uint64_t)in_day % 60, 2);
    *p++ = '.';
    p = digits(p, (uint64_t)frac, 9);
    *p++ = 'Z';
    *p = '\0';
    assert(p - out < WM_CLOCK_RFC3339_SIZE);
}
