/* store_files: where a run's files live — <data>/pcaps/<id>.pcap, its
 * packet rows <id>.rows, a link run's sender's end <id>.sender.pcap and
 * both-ends table <id>.ends, its time series <id>.series.json, and the .tmp names they are written under — and
 * their removal. Apart from the connection's code so that every part of
 * the store (deletion, retention, recovery) can remove a run's files
 * without depending on how the store is opened. */
#include "store_internal.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int pcap_path(const wm_store *store, int64_t id, const char *suffix,
                     char *buf, size_t buflen, wm_error *err)
{
    int n = snprintf(buf, buflen, "%s/%lld%s", store->pcap_dir,
                     (long long)id, suffix);
    if (n < 0 || (size_t)n >= buflen)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "store: pcap path too long for its buffer");
    return 0;
}

int wm_store_pcap_path(const wm_store *store, int64_t id, char *buf,
                       size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".pcap", buf, buflen, err);
}

int wm_store_pcap_tmp_path(const wm_store *store, int64_t id, char *buf,
                           size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".pcap.tmp", buf, buflen, err);
}

int wm_store_rows_path(const wm_store *store, int64_t id, char *buf,
                       size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".rows", buf, buflen, err);
}

int wm_store_rows_tmp_path(const wm_store *store, int64_t id, char *buf,
                           size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".rows.tmp", buf, buflen, err);
}

int wm_store_sender_pcap_path(const wm_store *store, int64_t id, char *buf,
                              size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".sender.pcap", buf, buflen, err);
}

int wm_store_sender_pcap_tmp_path(const wm_store *store, int64_t id,
                                  char *buf, size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".sender.pcap.tmp", buf, buflen, err);
}

int wm_store_ends_path(const wm_store *store, int64_t id, char *buf,
                       size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".ends", buf, buflen, err);
}

int wm_store_ends_tmp_path(const wm_store *store, int64_t id, char *buf,
                           size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".ends.tmp", buf, buflen, err);
}

int wm_store_series_path(const wm_store *store, int64_t id, char *buf,
                         size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".series.json", buf, buflen, err);
}

int wm_store_series_tmp_path(const wm_store *store, int64_t id, char *buf,
                             size_t buflen, wm_error *err)
{
    return pcap_path(store, id, ".series.json.tmp", buf, buflen, err);
}

int wm_store_sync_pcap_dir(wm_store *store, wm_error *err)
{
    assert(store->pcap_dir_fd >= 0);
    if (fsync(store->pcap_dir_fd) == 0)
        return 0;
    int errnum = errno;
    return wm_error_set(err, errnum == ENOSPC ? WM_ERR_NO_SPACE : WM_ERR_IO,
                        "storing the pcap: %s", strerror(errnum));
}

int store_unlink(const char *path, wm_error *err)
{
    if (unlink(path) != 0 && errno != ENOENT)
        return wm_error_set(err, WM_ERR_IO, "removing %s: %s", path,
                            strerror(errno));
    return 0;
}

typedef int (*path_fn)(const wm_store *, int64_t, char *, size_t,
                       wm_error *);

/* Every file of a run: its final name, the partial one it is written
 * under (also the name it is retired to), and the output whose presence
 * in the database means the run never had this file: a link run keeps
 * all its outputs in files (wm_engine), so a held pcap also rules out
 * the sender's pcap and the both-ends table. */
static const struct {
    path_fn final, partial;
    wm_store_output held_instead;
} run_files[] = {
    {wm_store_pcap_path, wm_store_pcap_tmp_path, WM_STORE_OUTPUT_PCAP},
    {wm_store_rows_path, wm_store_rows_tmp_path, WM_STORE_OUTPUT_ROWS},
    {wm_store_sender_pcap_path, wm_store_sender_pcap_tmp_path,
     WM_STORE_OUTPUT_PCAP},
    {wm_store_ends_path, wm_store_ends_tmp_path, WM_STORE_OUTPUT_PCAP},
    {wm_store_series_path, wm_store_series_tmp_path, WM_STORE_OUTPUT_SERIES},
};

/* Whether run i of list may have file f. */
static bool may_have(const id_list *list, size_t i, size_t f)
{
    return !list->held ||
           !(list->held[i] & (1u << run_files[f].held_instead));
}

/* A rename, not an unlink: unlinking a GiB pcap frees its blocks there
 * and then (0.3 s on ext4, measured), which must not hold the store's
 * lock; a rename takes microseconds. A file that cannot be renamed is
 * unlinked instead: no final name may stay. All are tried, the first
 * failure is reported. */
int store_retire_files(wm_store *store, const id_list *list, wm_error *err)
{
    int rc = 0;
    char final[PATH_MAX + 64], partial[PATH_MAX + 64];
    for (size_t i = 0; i < list->count; i++)
        for (size_t f = 0; f < sizeof run_files / sizeof *run_files; f++) {
            wm_error local;
            if (!may_have(list, i, f))
                continue;
            if (run_files[f].final(store, list->ids[i], final, sizeof final,
                                   &local) != 0 ||
                run_files[f].partial(store, list->ids[i], partial,
                                     sizeof partial, &local) != 0 ||
                ((rename(final, partial) != 0 && errno != ENOENT) &&
                 store_unlink(final, &local) != 0)) {
                if (rc == 0 && err)
                    *err = local;
                rc = -1;
            }
        }
    return rc;
}

/* All are tried, the first failure is reported. */
int store_remove_pcaps(wm_store *store, const id_list *list, wm_error *err)
{
    int rc = 0;
    char path[PATH_MAX + 64];
    for (size_t i = 0; i < list->count; i++)
        for (size_t f = 0; f < sizeof run_files / sizeof *run_files; f++) {
            wm_error local;
            if (!may_have(list, i, f))
                continue;
            if (run_files[f].final(store, list->ids[i], path, sizeof path,
                                   &local) != 0 ||
                store_unlink(path, &local) != 0 ||
                run_files[f].partial(store, list->ids[i], path, sizeof path,
                                     &local) != 0 ||
                store_unlink(path, &local) != 0) {
                if (rc == 0 && err)
                    *err = local;
                rc = -1;
            }
        }
    return rc;
}
