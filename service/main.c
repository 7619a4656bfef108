/* wiremeter: one binary, its subcommands. The daemon (`serve`) and the
 * command line (`run`, `sweep`, `analyze`, `presets`) share the same engine. */
#include <stdio.h>
#include <string.h>

#include "wm_cli.h"
#include "wm_serve.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wiremeter COMMAND [options]\n"
            "\n"
            "  serve                 the HTTP/JSON service (default 127.0.0.1:8080)\n"
            "  run --size SIZE       one captured TCP transfer, reported\n"
            "  sweep SIZE...         the lab's tables for several sizes\n"
            "  analyze FILE          analyse every TCP connection of a pcap/pcapng\n"
            "  presets               the links with plain names (run --preset NAME)\n"
            "  version               print the version\n"
            "\n"
            "`wiremeter COMMAND --help` describes each command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *command = argv[1];
    if (strcmp(command, "serve") == 0)
        return wm_serve_main(argc - 1, argv + 1);
    if (strcmp(command, "run") == 0)
        return wm_cli_run(argc - 1, argv + 1);
    if (strcmp(command, "sweep") == 0)
        return wm_cli_sweep(argc - 1, argv + 1);
    if (strcmp(command, "analyze") == 0)
        return wm_cli_analyze(argc - 1, argv + 1);
    if (strcmp(command, "presets") == 0)
        return wm_cli_presets(argc - 1, argv + 1);
    if (strcmp(command, "version") == 0 || strcmp(command, "--version") == 0) {
        printf("wiremeter %s\n", WM_VERSION);
        return 0;
    }
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 ||
        strcmp(command, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "wiremeter: unknown command '%s'\n\n", command);
    usage(stderr);
    return 2;
}
