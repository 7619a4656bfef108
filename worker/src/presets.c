/* wm_presets: see wm_presets.h.
 *
 * The settings are what a student would meet, not a vendor's sheet: a
 * switched gigabit LAN with a switch port's modest buffer, a home line
 * with a provider's big one, a radio link that loses and jitters, and a
 * line whose buffer holds two seconds, the textbook bufferbloat. A
 * setting is each direction's unless an override (rate_to_server...)
 * says otherwise: a home line is slower up than down. */
#include "wm_presets.h"

#include <assert.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

static const wm_preset presets[] = {
    {"ethernet-1g", "Ethernet 1 Gbit/s",
     "A switched gigabit LAN: 1500-byte frames, 1 Gbit/s, a switch port's "
     "buffer of 256 KiB (about 2 ms at the rate).",
     {{"path", "link"}, {"mtu", "1500"}, {"rate", "1gbit"},
      {"queue", "256KiB"}, {NULL, NULL}}},
    {"home-broadband", "Home broadband",
     "A home line: 100 Mbit/s down, 20 Mbit/s up, 10 ms each way to the "
     "server, and a provider's buffer of 1 MB (80 ms at 100 Mbit/s).",
     {{"path", "link"}, {"mtu", "1500"}, {"rate", "100mbit"},
      {"rate_to_server", "20mbit"}, {"queue", "1MB"}, {"delay", "10"},
      {NULL, NULL}}},
    {"lossy-wifi", "Lossy Wi-Fi",
     "A busy radio link: 50 Mbit/s, 2 % of frames lost, 5 ms each way "
     "spread by 2 ms.",
     {{"path", "link"}, {"mtu", "1500"}, {"rate", "50mbit"},
      {"loss", "2"}, {"delay", "5"}, {"jitter", "2"}, {NULL, NULL}}},
    {"bufferbloat", "Bufferbloat",
     "A 20 Mbit/s line whose buffer holds 2 s of traffic (5 MB): a bulk "
     "transfer fills it, and every round trip waits behind it.",
     {{"path", "link"}, {"mtu", "1500"}, {"rate", "20mbit"},
      {"queue", "5MB"}, {NULL, NULL}}},
    {NULL, NULL, NULL, {{NULL, NULL}}},
};

#define PRESET_COUNT (sizeof presets / sizeof presets[0] - 1)

static const char *names[PRESET_COUNT + 2];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void build_names(void)
{
    names[0] = WM_PRESET_NONE;
    for (size_t i = 0; i < PRESET_COUNT; i++) {
        /* A name is stored in a run's request: it must fit there. */
        assert(strlen(presets[i].name) < WM_PRESET_NAME_MAX);
        names[i + 1] = presets[i].name;
    }
    names[PRESET_COUNT + 1] = NULL;
}

const wm_preset *wm_presets(void)
{
    return presets;
}

const wm_preset *wm_presets_find(const char *name)
{
    for (size_t i = 0; i < PRESET_COUNT; i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

const char *const *wm_presets_names(void)
{
    pthread_once(&names_once, build_names);
    return names;
}
