/* wm_presets: links with plain names ("ethernet-1g", "bufferbloat"...),
 * the one table of them.
 *
 * A preset is a list of run parameters in their text forms, exactly as a
 * caller would write them (path=link, rate=100mbit...), so that each is
 * read by the parameter table's own parsers and limits (wm_params.h): a
 * preset can ask for nothing a caller could not. The run parameter
 * "preset" names one; wm_params_finish fills the settings it lists that
 * the caller did not give, so that explicit parameters always win,
 * whatever order they came in. */
#ifndef WM_PRESETS_H
#define WM_PRESETS_H

#include "wm_error.h"

#define WM_PRESET_NONE "none"      /* the default: no preset */
#define WM_PRESET_NAME_MAX 24      /* bytes of a name, NUL included */
#define WM_PRESET_MAX_SETTINGS 8

typedef struct wm_preset_setting {
    const char *name;  /* a run parameter's */
    const char *value; /* its text form */
} wm_preset_setting;

typedef struct wm_preset {
    const char *name;        /* what "preset" takes */
    const char *title;       /* for people: "Ethernet 1 Gbit/s" */
    const char *description; /* one sentence: what it models */
    wm_preset_setting settings[WM_PRESET_MAX_SETTINGS]; /* {NULL}-ended */
} wm_preset;

/* The table, ended by an entry whose name is NULL. */
const wm_preset *wm_presets(void);

/* The preset of this name, or NULL (also for WM_PRESET_NONE). */
const wm_preset *wm_presets_find(const char *name);

/* WM_PRESET_NONE then every preset's name, NULL-ended: what "preset"
 * allows. */
const char *const *wm_presets_names(void);

#endif
