/* wm_cli: the command line's subcommands, `wiremeter run`, `sweep`,
 * `analyze` and `presets`. Each takes the arguments after its own name and returns the
 * process exit status: 0 success, 1 the work failed (message on stderr),
 * 2 bad usage. They call the engine (worker/include) and nothing of the
 * daemon: the command line needs no store, pool or HTTP. */
#ifndef WM_CLI_H
#define WM_CLI_H

int wm_cli_run(int argc, char **argv);
int wm_cli_sweep(int argc, char **argv);
int wm_cli_analyze(int argc, char **argv);
int wm_cli_presets(int argc, char **argv);

#endif
