/* wm_serve: `wiremeter serve`, the daemon — start-up, signals and an
 * orderly shutdown around the store, the job pool and the HTTP API. Takes
 * the arguments after "serve"; returns the process exit status. */
#ifndef WM_SERVE_H
#define WM_SERVE_H

int wm_serve_main(int argc, char **argv);

#endif
