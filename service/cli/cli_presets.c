/* `wiremeter presets`: the links with plain names (wm_presets.h), the
 * settings each sets, and whether this host can run it — the words of
 * GET /presets, for the command line. */
#include <stdio.h>
#include <string.h>

#include "wm_cli.h"
#include "wm_params.h"
#include "wm_presets.h"

int wm_cli_presets(int argc, char **argv)
{
    if (argc > 1) {
        bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
        fprintf(help ? stdout : stderr,
                "usage: wiremeter presets\n\nLists the presets `wiremeter "
                "run --preset NAME` and `sweep --preset NAME` take;\n"
                "parameters given beside a preset override its own.\n");
        return help ? 0 : 2;
    }
    for (const wm_preset *p = wm_presets(); p->name; p++) {
        wm_error err;
        wm_error_clear(&err);
        bool available = wm_params_check_preset(p, &err) == 0;
        printf("%s — %s\n  %s\n ", p->name, p->title, p->description);
        for (const wm_preset_setting *s = p->settings; s->name; s++)
            printf(" --%s %s", s->name, s->value);
        printf("\n");
        if (!available)
            printf("  NOT on this host: %s\n", err.message);
    }
    return 0;
}
