/* path_setup: how long making and tearing down a link takes
 * (wm_path_open, wm_path_close), repeated, for bench/path-setup.sh.
 *
 * Teardown is closing the namespaces' descriptors: the kernel frees them
 * afterwards in its own worker, which no caller waits for. So beside the
 * two medians this prints the whole loop's time per link: were the
 * kernel's cleanup slower than the loop, it would show there, as setups
 * waiting on it.
 *
 * usage: path_setup [ROUNDS] [RATE_KBIT] [LOSS_CENTI] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wm_path.h"

#define MAX_ROUNDS 10000

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void print(const char *what, int64_t *ns, int n)
{
    qsort(ns, (size_t)n, sizeof *ns, by_value);
    printf("%-9s median %8.3f ms   p90 %8.3f ms   max %8.3f ms\n", what,
           ns[n / 2] / 1e6, ns[n * 9 / 10] / 1e6, ns[n - 1] / 1e6);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 50;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "path_setup: ROUNDS is 1 to %d\n", MAX_ROUNDS);
        return 2;
    }
    wm_path_options o;
    wm_path_options_default(&o);
    o.kind = WM_PATH_LINK;
    o.rate_kbit = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 0;
    o.loss_centi = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 0;
    wm_error err = {0};
    if (wm_path_validate(&o, false, &err) != 0) {
        fprintf(stderr, "path_setup: %s\n", err.message);
        return 2;
    }
    int64_t *setup = calloc((size_t)rounds, sizeof *setup);
    int64_t *teardown = calloc((size_t)rounds, sizeof *teardown);
    if (!setup || !teardown)
        return 1;
    int64_t start = now_ns();
    for (int i = 0; i < rounds; i++) {
        wm_path *path;
        int64_t t = now_ns();
        if (wm_path_open(&o, false, &path, &err) != 0) {
            fprintf(stderr, "path_setup: %s\n", err.message);
            return 1;
        }
        setup[i] = now_ns() - t;
        teardown[i] = wm_path_close(path);
    }
    int64_t per_link = (now_ns() - start) / rounds;
    printf("rate=%ukbit loss=%u.%02u%%, %d links:\n", o.rate_kbit,
           o.loss_centi / 100, o.loss_centi % 100, rounds);
    print("setup", setup, rounds);
    print("teardown", teardown, rounds);
    printf("%-9s %8.3f ms per link, setup and teardown, the loop's whole "
           "time\n", "loop", per_link / 1e6);
    free(setup);
    free(teardown);
    return 0;
}
