/* wm_store: the daemon's memory of runs and sweeps — SQLite in the data
 * directory, pcaps as files beside it.
 *
 * Why SQLite: a run must outlive the process that ran it (a restart keeps
 * the history and says which runs were cut short), and the HTTP layer needs
 * lists by id with a cursor, counts by status and retention, all of which a
 * table with an index does in one statement. The database is
 * <data>/wiremeter.db in WAL mode (readers never block the writer),
 * synchronous=NORMAL (a power cut may lose the last commits, never corrupt),
 * foreign_keys=ON. Captures are plain files, <data>/pcaps/<id>.pcap, so
 * they are streamed from disk and opened in Wireshark as they are; a
 * small run's pcap, rows and series are BLOBs instead (run_outputs,
 * store_outputs.c), which spares it three inodes and two fsyncs.
 *
 * Schema: versioned with PRAGMA user_version; migrations are an ordered
 * list, each applied in its own transaction together with the new version
 * number, so a crash leaves the old schema or the new one, never half. A
 * database written by a newer wiremeter (a user_version above what this
 * binary knows) is refused with a message saying so: it is never
 * "migrated" downwards. A file that is not a SQLite database is refused
 * with a message naming it.
 *
 * Threads: one wm_store is shared by the HTTP threads and the workers. It
 * holds one connection guarded by a mutex: every function takes the mutex
 * for the few statements it runs and never across anything slow (no
 * network, no run), so a GET never waits on a run, only on another short
 * statement. Every statement is prepared with bound parameters.
 *
 * Ownership: what a getter returns is a copy the caller frees
 * (wm_store_run_free, wm_store_run_list_free, wm_store_sweep_free); no
 * pointer into the store escapes.
 *
 * State changes are guarded: mark_running applies only to a queued run,
 * finish_run only to a running one, fail_run only to a queued or running
 * one; a run already finished (for instance marked "interrupted by
 * shutdown" while its worker was still busy) keeps its final state and the
 * late call fails with WM_ERR_INVALID.
 *
 * A full disk or a read-only data directory (store_state.c): the store
 * opens read-only when it cannot open for writing, and stays so when its
 * start-up recovery cannot be written; a write that fails for lack of
 * space or access marks it degraded. Then requests' writes are refused
 * (wm_store_check_room, wm_store_delete_run: WM_ERR_READ_ONLY), a run's
 * failure or a sweep's end that cannot be written is kept in memory and
 * shown by every read as if stored, and wm_store_retry writes it later.
 * Below the free-space reserve (min_free_bytes), new runs are refused with
 * WM_ERR_NO_SPACE. */
#ifndef WM_STORE_H
#define WM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_error.h"
#include "wm_params.h"

/* The schema version this binary writes (PRAGMA user_version). */
#define WM_STORE_SCHEMA_VERSION 4

#define WM_STORE_DB_NAME "wiremeter.db"
#define WM_STORE_PCAP_DIR "pcaps"
#define WM_STORE_CAPTURE_DIR "captures"
#define WM_STORE_DEFAULT_BUSY_TIMEOUT_MS 5000u

/* Error codes stored for interrupted runs. */
#define WM_STORE_CODE_INTERRUPTED "interrupted"
#define WM_STORE_MSG_RESTART "interrupted by restart"
#define WM_STORE_MSG_SHUTDOWN "interrupted by shutdown"
/* A done run whose pcap was found missing at start-up (wm_store_recover):
 * failed, so that "done" always means "its capture is there, whole". */
#define WM_STORE_CODE_CAPTURE_LOST "capture_lost"
#define WM_STORE_MSG_CAPTURE_LOST \
    "the capture file of this run was found missing at start-up"
#define WM_STORE_DEFAULT_MIN_FREE (64u * 1024u * 1024u)

typedef enum wm_store_status {
    WM_STORE_QUEUED = 0,
    WM_STORE_RUNNING = 1,
    WM_STORE_DONE = 2,
    WM_STORE_FAILED = 3,
} wm_store_status;
#define WM_STORE_STATUS_COUNT 4

/* "queued", "running", "done", "failed". */
const char *wm_store_status_name(wm_store_status status);

/* The reverse; -1 for any other text. */
int wm_store_status_parse(const char *name, wm_store_status *out);

/* true for done and failed. */
bool wm_store_status_final(wm_store_status status);

typedef struct wm_store_options {
    const char *data_dir;     /* created 0700 when missing; required */
    unsigned busy_timeout_ms; /* SQLite busy_timeout (another process
                                 holding the file) */
    uint64_t min_free_bytes;  /* free-space reserve: below it new runs are
                                 refused (wm_store_check_room); 0: none */
} wm_store_options;

/* Whether the store takes writes, for /healthz and the request paths. */
typedef struct wm_store_health {
    bool writable;            /* runs may be started and deleted */
    bool read_only;           /* opened read-only, or recovery unstored */
    wm_error_kind kind;       /* why not: WM_ERR_READ_ONLY (cannot write)
                                 or WM_ERR_NO_SPACE (below the reserve,
                                 or a write found the disk full) */
    char reason[256];         /* for people, no path; "" when all is well */
    uint64_t free_bytes;      /* on the data directory's disk */
    uint64_t min_free_bytes;
    size_t unsaved;           /* states kept in memory, not yet written */
} wm_store_health;

/* One stored run, copied out. */
typedef struct wm_store_run {
    int64_t id;
    wm_store_status status;
    char label[WM_LABEL_MAX + 1];
    uint64_t size_bytes;
    char *params_json;          /* never NULL ("{}" at least) */
    char *result_json;          /* NULL unless done (and asked for) */
    char error_code[32];        /* "" unless failed */
    char error_message[480];    /* "" unless failed */
    int64_t created_ns;         /* wall clock, ns since the epoch */
    int64_t started_ns;         /* 0 while queued */
    int64_t finished_ns;        /* 0 until done or failed */
    int64_t sweep_id;           /* 0 when not part of a sweep */
} wm_store_run;

typedef struct wm_store_run_list {
    wm_store_run *runs;         /* newest first */
    size_t count;
    int64_t next_before;        /* pass as before_id for the next page; 0
                                   when this page was the last */
} wm_store_run_list;

/* One stored sweep, with the ids of its runs. */
typedef struct wm_store_sweep {
    int64_t id;
    wm_store_status status;     /* running until all its runs ended, then
                                   done (failed runs included) or failed
                                   (interrupted) */
    char *params_json;          /* never NULL */
    int64_t created_ns, finished_ns; /* finished_ns 0 until it ends */
    int64_t *run_ids;           /* in submission order (ascending id) */
    size_t run_count;
} wm_store_sweep;

enum wm_store_list_flags {
    WM_STORE_LIST_RESULTS = 1u << 0, /* copy result_json too (heavier) */
};

typedef struct wm_store wm_store;

void wm_store_options_default(wm_store_options *opts);

/* Creates the data directory and pcaps/ (0700) when missing, opens or
 * creates the database, applies pending migrations. Refuses (WM_ERR_IO,
 * message naming the file) a file that is not a database and a database
 * whose schema is newer than WM_STORE_SCHEMA_VERSION. */
int wm_store_open(const wm_store_options *opts, wm_store **out,
                  wm_error *err);

/* Closes the connection (checkpointing the WAL). NULL is fine. */
void wm_store_close(wm_store *store);

/* The schema version of the open database (after migrations). */
int wm_store_schema_version(wm_store *store);

/* Data directory as given to open. */
const char *wm_store_data_dir(const wm_store *store);

/* Whether the database answers a trivial query (for /healthz). */
bool wm_store_ping(wm_store *store);

/* At start-up: every run left queued or running (by a process that died)
 * becomes failed with code "interrupted" and message
 * "interrupted by restart"; their partial pcaps are removed; unfinished
 * sweeps become failed. Then the files and the rows agree again (a kill
 * between a deletion's commit and its unlink leaves a file): every
 * <id>.pcap without a done run and every <id>.pcap.tmp is removed, and a
 * done run whose pcap is missing becomes failed, code "capture_lost"
 * (its result stays in the row). *count (may be NULL) gets the runs
 * changed. When this cannot be written (disk full, read-only), the store
 * stays read-only, the runs are shown failed from memory, and 0 is
 * returned: reads must go on; wm_store_retry tries again. No run may be
 * executing. */
int wm_store_recover(wm_store *store, uint64_t *count, wm_error *err);

/* Writes what could not be written (the recovery, kept states) and, when
 * that works, takes writes again. Cheap when all is well; the daemon calls
 * it every few seconds. *writable (may be NULL) says whether writes are
 * taken now. */
int wm_store_retry(wm_store *store, bool *writable, wm_error *err);

void wm_store_health_get(wm_store *store, wm_store_health *out);

/* Whether a new run may be stored now: WM_ERR_READ_ONLY when writes fail
 * or the store is read-only, WM_ERR_NO_SPACE below the reserve; the
 * message says why, without paths. */
int wm_store_check_room(wm_store *store, wm_error *err);

/* The same for any reason (shutdown uses WM_STORE_MSG_SHUTDOWN): every
 * queued or running run becomes failed with this code and message. */
int wm_store_fail_unfinished(wm_store *store, const char *code,
                             const char *message, uint64_t *count,
                             wm_error *err);

/* Stores a new run as queued, created now; *id gets its id. label may be
 * NULL (""); params_json may be NULL ("{}"); sweep_id 0 for none. */
int wm_store_insert_run(wm_store *store, const char *label,
                        uint64_t size_bytes, const char *params_json,
                        int64_t sweep_id, int64_t *id, wm_error *err);

/* wm_store_insert_run, created at created_ns (wall clock): for a caller
 * that keeps what it stored, to render the run without reading it back. */
int wm_store_insert_run_at(wm_store *store, const char *label,
                           uint64_t size_bytes, const char *params_json,
                           int64_t sweep_id, int64_t created_ns, int64_t *id,
                           wm_error *err);

/* queued -> running, started now. Kept in memory, not written (every
 * read shows it; finish_run or fail_run writes the start with the end):
 * one commit a run fewer, and recovery fails a run left queued as it
 * fails one left running. */
int wm_store_mark_running(wm_store *store, int64_t id, wm_error *err);

/* running -> done with its result (a JSON text), finished now. */
int wm_store_finish_run(wm_store *store, int64_t id, const char *result_json,
                        wm_error *err);

/* A run's outputs that may be kept in the database instead of in pcaps/
 * (a small run's: no inode, no fsync, and never a done run without them:
 * they are written in the commit that says done). */
typedef enum wm_store_output {
    WM_STORE_OUTPUT_PCAP,    /* what <id>.pcap holds otherwise */
    WM_STORE_OUTPUT_ROWS,    /* <id>.rows */
    WM_STORE_OUTPUT_SERIES,  /* <id>.series.json */
    WM_STORE_OUTPUT_COUNT
} wm_store_output;

typedef struct wm_store_bytes {
    const void *data;  /* NULL: this output is a file, if anything */
    size_t len;
} wm_store_bytes;

/* What the store wrote besides the caller's own when it marked a run
 * done: with the run's insert and result, the whole row (GET /runs/{id}
 * renders it without reading it back under the store's lock). */
typedef struct wm_store_finished {
    int64_t started_ns, finished_ns;
    uint64_t deletions;  /* wm_store_deletions while the run was unfinished
                            (none could delete it): a cache of its
                            document keys on it (wm_run_cache) */
} wm_store_finished;

/* wm_store_finish_run, with held[k].data (when not NULL) stored as the
 * run's output k in the same commit; *done (may be NULL) gets what was
 * written. */
int wm_store_finish_run_held(wm_store *store, int64_t id,
                             const char *result_json,
                             const wm_store_bytes held[WM_STORE_OUTPUT_COUNT],
                             wm_store_finished *done, wm_error *err);

/* A run stored only once it ended done, in one commit: its row, with
 * created_ns and started_ns as the caller kept them and finished now, and
 * held[k].data (when not NULL) as its output k. For a run whose outputs
 * all came back in memory (none to rename into place by its id), which
 * nobody could see before it ended: a small run on a request's thread,
 * whose client learns its id with its end. One commit instead of an
 * insert's and a finish's. *id gets its id, *done what was written. */
int wm_store_insert_done_run(wm_store *store, const char *label,
                             uint64_t size_bytes, const char *params_json,
                             int64_t created_ns, int64_t started_ns,
                             const char *result_json,
                             const wm_store_bytes held[WM_STORE_OUTPUT_COUNT],
                             int64_t *id, wm_store_finished *done,
                             wm_error *err);

/* wm_store_mark_running of a run inserted after it started: started at
 * started_ns (wall clock). */
int wm_store_mark_running_at(wm_store *store, int64_t id, int64_t started_ns,
                             wm_error *err);

/* An id no run has or will have, to name the temporary files (the
 * *_tmp_path functions) of a run not yet stored: recovery removes them
 * as any run's partial files. */
int64_t wm_store_scratch_id(wm_store *store);

/* A copy of run id's output kept in the database (*data malloc'd, free
 * it; *len bytes). WM_ERR_NOT_FOUND when it has none there: look for its
 * file. */
int wm_store_read_output(wm_store *store, int64_t id, wm_store_output kind,
                         void **data, size_t *len, wm_error *err);

/* Whether run id's output kind is kept in the database. */
bool wm_store_has_output(wm_store *store, int64_t id, wm_store_output kind);

/* queued or running -> failed with a machine code (wm_error_code's, or
 * "interrupted") and a message for people, finished now. When the store
 * cannot be written, the failure is kept in memory (every read shows it)
 * and written by wm_store_retry: 0 all the same. */
int wm_store_fail_run(wm_store *store, int64_t id, const char *code,
                      const char *message, wm_error *err);

/* One run with its result; WM_ERR_NOT_FOUND when there is none. Free
 * with wm_store_run_free. */
int wm_store_get_run(wm_store *store, int64_t id, wm_store_run *out,
                     wm_error *err);

/* Frees what a run holds (not the struct itself); zeroed after. */
void wm_store_run_free(wm_store_run *run);

/* Up to limit runs with id < before_id (0: from the newest), newest
 * first. flags: enum wm_store_list_flags. Free with
 * wm_store_run_list_free. */
int wm_store_list_runs(wm_store *store, int64_t before_id, size_t limit,
                       unsigned flags, wm_store_run_list *out,
                       wm_error *err);

void wm_store_run_list_free(wm_store_run_list *list);

/* Removes a finished run's row and its pcap file. WM_ERR_NOT_FOUND when
 * there is none; WM_ERR_INVALID (parameter "id") while it is queued or
 * running: its worker still owns it; WM_ERR_READ_ONLY when the store
 * cannot be written (a run failed only in memory is written first). */
int wm_store_delete_run(wm_store *store, int64_t id, wm_error *err);

/* How many runs were deleted (wm_store_delete_run, wm_store_prune) since
 * the store was opened; it only grows. A reader that notes it before
 * reading a run knows, by noting it again, whether the run may have been
 * deleted since (wm_run_cache). It is counted before the lock is let go,
 * so a reader that sees a run gone also sees the new count. */
uint64_t wm_store_deletions(wm_store *store);

/* Retention: keeps the keep newest finished (done or failed) runs and
 * deletes older finished ones with their pcaps, then sweeps left with no
 * run. With keep of 64 or more, it waits until a 64th of keep more (at
 * most 16) have ended, then deletes them together (store_prune.c says
 * why): up to keep + min(keep / 64, 16) finished runs are kept. Queued
 * and running runs are never touched. A sweep's runs go together or not
 * at all: none while the sweep is unfinished, and all
 * once every one of them is older than the keep newest; so more than keep
 * runs may stay, never fewer. *deleted (may be NULL) gets the runs
 * removed. Before any other caller of the store runs, the commit is
 * followed by the files' rename to their partial (.tmp) names: whoever
 * sees a run gone (a GET, a list) finds its files gone too; they are
 * unlinked after, the store free again (freeing a GiB takes 0.3 s). A
 * crash between leaves partial files or files of no run, which
 * wm_store_recover removes (never a run without its pcap). Also so for
 * wm_store_delete_run and the captures'. */
int wm_store_prune(wm_store *store, uint64_t keep, uint64_t *deleted,
                   wm_error *err);

/* wm_store_prune in two halves, for a caller that must not wait for the
 * disk to free a pruned run's files before it goes on (a worker whose
 * run's answer waits): the rows deleted and the files renamed, their
 * list into *later; then the files unlinked, *later freed. Files a
 * pruned run never had (its outputs were held in the database) are
 * neither renamed nor unlinked. wm_store_prune_files must follow every
 * wm_store_prune_rows, whatever it returned.
 *
 * locked (may be NULL) is called once, with arg, as soon as the store's
 * lock is held, before anything is pruned: a run's worker wakes its
 * waiters there, so that their answer does not wait for retention, yet
 * whoever reads the store after it finds the history already bounded.
 * It must not call the store. */
typedef struct wm_store_pruned {
    int64_t *ids;
    unsigned *held;  /* per id: the outputs the database held */
    size_t count;
} wm_store_pruned;
int wm_store_prune_rows(wm_store *store, uint64_t keep,
                        void (*locked)(void *arg), void *arg,
                        wm_store_pruned *later, wm_error *err);
int wm_store_prune_files(wm_store *store, wm_store_pruned *later,
                         wm_error *err);

/* Runs by status, indexed by wm_store_status (for /metrics). */
int wm_store_count_by_status(wm_store *store,
                             uint64_t counts[WM_STORE_STATUS_COUNT],
                             wm_error *err);

/* <data>/pcaps/<id>.pcap, where a run's capture lives once complete.
 * -1 (WM_ERR_INTERNAL) when buf is too small. */
int wm_store_pcap_path(const wm_store *store, int64_t id, char *buf,
                       size_t buflen, wm_error *err);

/* Makes the renames done in <data>/pcaps durable (fsync of the
 * directory, held open since the store opened). -1 with WM_ERR_NO_SPACE
 * or WM_ERR_IO; the message names no path. */
int wm_store_sync_pcap_dir(wm_store *store, wm_error *err);

/* <data>/pcaps/<id>.pcap.tmp, where a worker writes it before renaming,
 * so that a reader never sees half a file. */
int wm_store_pcap_tmp_path(const wm_store *store, int64_t id, char *buf,
                           size_t buflen, wm_error *err);

/* <data>/pcaps/<id>.rows, the run's packet list as the engine wrote it
 * (wm_engine_packets reads a page of it), and <id>.rows.tmp, where it is
 * written before renaming. Removed with the run, like its pcap. */
int wm_store_rows_path(const wm_store *store, int64_t id, char *buf,
                       size_t buflen, wm_error *err);
int wm_store_rows_tmp_path(const wm_store *store, int64_t id, char *buf,
                           size_t buflen, wm_error *err);

/* <data>/pcaps/<id>.sender.pcap (and .tmp): a link run's capture at the
 * sender's end of the link, beside the receiver's <id>.pcap. */
int wm_store_sender_pcap_path(const wm_store *store, int64_t id, char *buf,
                              size_t buflen, wm_error *err);
int wm_store_sender_pcap_tmp_path(const wm_store *store, int64_t id,
                                  char *buf, size_t buflen, wm_error *err);

/* <data>/pcaps/<id>.ends (and .tmp): a link run's both-ends table
 * (wm_engine_ends). */
int wm_store_ends_path(const wm_store *store, int64_t id, char *buf,
                       size_t buflen, wm_error *err);
int wm_store_ends_tmp_path(const wm_store *store, int64_t id, char *buf,
                           size_t buflen, wm_error *err);

/* <data>/pcaps/<id>.series.json (and .tmp): the run's time series
 * (wm_series.h), written by the engine, removed with the run. */
int wm_store_series_path(const wm_store *store, int64_t id, char *buf,
                         size_t buflen, wm_error *err);
int wm_store_series_tmp_path(const wm_store *store, int64_t id, char *buf,
                             size_t buflen, wm_error *err);

/* A new sweep, status running, created now. */
int wm_store_insert_sweep(wm_store *store, const char *params_json,
                          int64_t *id, wm_error *err);

/* Ends a sweep (done or failed), finished now. */
int wm_store_finish_sweep(wm_store *store, int64_t id,
                          wm_store_status status, wm_error *err);

/* When no run of the sweep is queued or running any more, marks it done
 * and sets *ended (may be NULL); otherwise leaves it. Workers call it
 * after each run of a sweep. */
int wm_store_settle_sweep(wm_store *store, int64_t id, bool *ended,
                          wm_error *err);

/* One sweep with its run ids; WM_ERR_NOT_FOUND when there is none. */
int wm_store_get_sweep(wm_store *store, int64_t id, wm_store_sweep *out,
                       wm_error *err);

void wm_store_sweep_free(wm_store_sweep *sweep);

/* A sweep as a list shows it: its row and how its runs stand. */
typedef struct wm_store_sweep_item {
    wm_store_sweep sweep;       /* run_ids included */
    size_t runs_done, runs_failed; /* the rest are queued or running */
} wm_store_sweep_item;

typedef struct wm_store_sweep_list {
    wm_store_sweep_item *items; /* newest first */
    size_t count;
    int64_t next_before;        /* as wm_store_run_list's */
} wm_store_sweep_list;

/* Up to limit sweeps with ids below before_id (0: from the newest). */
int wm_store_list_sweeps(wm_store *store, int64_t before_id, size_t limit,
                         wm_store_sweep_list *out, wm_error *err);

void wm_store_sweep_list_free(wm_store_sweep_list *list);

/* Captures uploaded to be analysed (store_captures.c): a row in table
 * captures and the file <data>/captures/<id>.pcap. An upload is written
 * under another name in that directory (wm_store_capture_dir) and becomes
 * a capture only by wm_store_add_capture, which renames it; at start-up
 * (wm_store_recover) the leftovers of uploads ("upload-*.tmp"), the
 * running rows whose file never arrived, and the files of no row, of a
 * failed one or retired ("<id>.pcap.tmp"...: a deletion or a failure cut
 * by a crash) are removed:
 * the store never keeps half a capture. A running row with its file is
 * an analysis cut by a crash; it stays running, for the daemon to analyse
 * again (wm_store_unfinished_captures). */
typedef struct wm_store_capture {
    int64_t id;
    wm_store_status status;     /* running (being analysed), done, failed */
    char label[WM_LABEL_MAX + 1];
    uint64_t size_bytes;        /* of the file as stored */
    char *analysis_json;        /* NULL unless done */
    char error_code[32];        /* "" unless failed */
    char error_message[480];
    int64_t created_ns, finished_ns; /* finished_ns 0 while running */
} wm_store_capture;

typedef struct wm_store_capture_list {
    wm_store_capture *captures; /* newest first */
    size_t count;
    int64_t next_before;        /* 0 when this page was the last */
} wm_store_capture_list;

/* <data>/captures, where uploads are written before they are added. */
const char *wm_store_capture_dir(const wm_store *store);

/* <data>/captures/<id>.pcap. */
int wm_store_capture_path(const wm_store *store, int64_t id, char *buf,
                          size_t buflen, wm_error *err);

/* <data>/captures/<id><suffix>: the files a capture's analysis keeps
 * beside it (".rows", ".index"), removed with it. */
int wm_store_capture_file(const wm_store *store, int64_t id,
                          const char *suffix, char *buf, size_t buflen,
                          wm_error *err);

/* Makes the uploaded file tmp_path (in wm_store_capture_dir, fsynced by
 * this call) a capture: a row, running, and the file renamed to its
 * capture path, the directory fsynced. On failure nothing is left of it
 * but tmp_path, which the caller removes. */
int wm_store_add_capture(wm_store *store, const char *tmp_path,
                         const char *label, uint64_t size_bytes, int64_t *id,
                         wm_error *err);

/* running -> done with its analysis (a JSON text), or failed (code and
 * message say why; the file and what its analysis kept beside it are
 * removed: only the row stays, to tell why). */
int wm_store_finish_capture(wm_store *store, int64_t id,
                            const char *analysis_json, wm_error *err);
int wm_store_fail_capture(wm_store *store, int64_t id, const char *code,
                          const char *message, wm_error *err);

/* One capture (with its analysis); WM_ERR_NOT_FOUND when there is none.
 * Free with wm_store_capture_free. */
int wm_store_get_capture(wm_store *store, int64_t id, wm_store_capture *out,
                         wm_error *err);
void wm_store_capture_free(wm_store_capture *capture);

/* Up to limit captures with id < before_id (0: from the newest), newest
 * first, without their analyses. */
int wm_store_list_captures(wm_store *store, int64_t before_id, size_t limit,
                           wm_store_capture_list *out, wm_error *err);
void wm_store_capture_list_free(wm_store_capture_list *list);

/* Removes a capture that is not being analysed, row and file.
 * WM_ERR_NOT_FOUND when there is none; WM_ERR_INVALID while running. */
int wm_store_delete_capture(wm_store *store, int64_t id, wm_error *err);

/* The ids of the captures still running (oldest first): after start-up,
 * those whose analysis the last process did not finish. *ids is malloc'd
 * (NULL when there are none). */
int wm_store_unfinished_captures(wm_store *store, int64_t **ids,
                                 size_t *count, wm_error *err);

/* Retention: keeps the keep newest finished (done or failed) captures and
 * removes older finished ones, row and files, as wm_store_prune does
 * (files renamed <id>.pcap.tmp... when the row goes, then unlinked; a
 * crash between leaves those or files of no row, removed at start-up).
 * Running ones are never touched. *deleted (may be NULL) gets how many
 * went. */
int wm_store_prune_captures(wm_store *store, uint64_t keep,
                            uint64_t *deleted, wm_error *err);

#endif
