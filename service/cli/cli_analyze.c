/* `wiremeter analyze FILE`: every TCP connection of a pcap or pcapng file,
 * through the same dissector, analyser and report as a live run, so that
 * the analysis of a run's pcap reads exactly like the run. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "wm_cli.h"
#include "wm_cli_text.h"
#include "wm_engine.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wiremeter analyze FILE [--json] [--packets]\n"
            "\n"
            "Analyses every TCP connection of a pcap or pcapng file\n"
            "(Ethernet, Linux cooked, raw IP or BSD loopback): endpoints,\n"
            "handshake, closure, totals, timing, average packet size.\n"
            "\n"
            "  --json      print the result as JSON (docs/result.md)\n"
            "  --packets   include each connection's packet list\n"
            "  -h, --help  this help\n"
            "\n"
            "Exit status: 0 done, 1 the file could not be read, 2 bad "
            "arguments.\n");
}

enum { OPT_JSON = 256, OPT_PACKETS };

static const struct option analyze_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"packets", no_argument, NULL, OPT_PACKETS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int wm_cli_analyze(int argc, char **argv)
{
    bool json = false;
    unsigned flags = 0;
    int code;
    optind = 0; /* glibc: a full reset, so a second call parses afresh */
    /* getopt names argv[0] in its messages: make it the command. */
    argv[0] = (char *)"wiremeter analyze";
    while ((code = getopt_long(argc, argv, "h", analyze_options, NULL)) != -1) {
        if (code == 'h')
            return usage(stdout), 0;
        if (code == OPT_JSON)
            json = true;
        else if (code == OPT_PACKETS)
            flags |= WM_ENGINE_PACKETS;
        else
            return usage(stderr), 2;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "wiremeter analyze: %s\n",
                argc - optind ? "one FILE at a time" : "FILE is required");
        usage(stderr);
        return 2;
    }
    wm_error err = {0};
    json_t *doc = wm_engine_analyze_file(argv[optind], flags, &err);
    if (!doc) {
        fprintf(stderr, "wiremeter analyze: %s\n", err.message);
        return 1;
    }
    if (json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        wm_cli_text_file(doc, stdout);
    }
    json_decref(doc);
    return fflush(stdout) == 0 ? 0 : 1;
}
