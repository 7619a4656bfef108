/* `wiremeter presets`: the links with plain names (wm_presets.h), the
 * settings each sets, and whether this host can run it — the words of
 * GET /presets, for the command line. Whether it can is asked where
 * `wiremeter run` would run it: in a user namespace too (wm_cli_run_rights). */
#include <stdio.h>
#include <string.h>

#include "wm_cli.h"
#include "wm_cli_run.h"
#include "wm_params.h"
#include "wm_presets.h"

static int usage(FILE *out, int status)
{
    fprintf(out, "usage: wiremeter presets [--user-namespace POLICY]\n\n"
                 "Lists the presets `wiremeter run --preset NAME` and `sweep "
                 "--preset NAME` take;\nparameters given beside a preset "
                 "override its own. --user-namespace as for run.\n");
    return status;
}

int wm_cli_presets(int argc, char **argv)
{
    wm_cli_run_args args;
    wm_cli_run_args_init(&args);
    wm_error err;
    wm_error_clear(&err);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return usage(stdout, 0);
        if (strcmp(argv[i], "--user-namespace") != 0 || i + 1 == argc)
            return usage(stderr, 2);
        if (wm_cli_run_option(&args, WM_OPT_USER_NAMESPACE, argv[++i],
                              &err) != 0)
            return wm_cli_run_usage_error("presets", &err);
    }
    if (wm_cli_run_rights(&args, "presets", &err) != 0) {
        fprintf(stderr, "wiremeter presets: %s\n", err.message);
        return 1;
    }
    for (const wm_preset *p = wm_presets(); p->name; p++) {
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
