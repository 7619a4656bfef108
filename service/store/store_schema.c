/* store_schema: the database's identity (PRAGMA application_id) and its
 * schema, as an ordered list of migrations. Kept apart so that the one
 * place a table is defined is easy to find, and a new migration is a diff
 * of this file alone. See "Schema" in wm_store.h. */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

/* PRAGMA application_id: tells our database from any other SQLite file
 * ("WMTR"). */
#define STORE_APPLICATION_ID 0x574d5452

/* Migrations, in order: migrations[i] takes the schema from version i to
 * i + 1. Append only; a released entry is never edited. */
static const char *const migrations[] = {
    /* v1: runs and the sweeps that group them. */
    "CREATE TABLE sweeps ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " params_json TEXT NOT NULL,"
    " status TEXT NOT NULL"
    "  CHECK (status IN ('queued','running','done','failed')),"
    " created_ns INTEGER NOT NULL,"
    " finished_ns INTEGER);"
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " status TEXT NOT NULL"
    "  CHECK (status IN ('queued','running','done','failed')),"
    " label TEXT NOT NULL DEFAULT '',"
    " size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),"
    " params_json TEXT NOT NULL,"
    " result_json TEXT,"
    " error_code TEXT,"
    " error_message TEXT,"
    " created_ns INTEGER NOT NULL,"
    " started_ns INTEGER,"
    " finished_ns INTEGER,"
    " sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL);"
    "CREATE INDEX runs_by_status ON runs(status);"
    "CREATE INDEX runs_by_sweep ON runs(sweep_id);",
    /* v2: captures uploaded to be analysed (POST /captures); the file is
     * <data>/captures/<id>.pcap, the analysis (without packet rows) is
     * analysis_json once done. */
    "CREATE TABLE captures ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " status TEXT NOT NULL CHECK (status IN ('running','done','failed')),"
    " label TEXT NOT NULL DEFAULT '',"
    " size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),"
    " analysis_json TEXT,"
    " error_code TEXT,"
    " error_message TEXT,"
    " created_ns INTEGER NOT NULL,"
    " finished_ns INTEGER);",
    /* v3: a small run's outputs (its pcap, packet rows, time series) in
     * the database rather than in pcaps/, written in the commit that
     * marks the run done (wm_store_finish_run_held); gone with the run. */
    "CREATE TABLE run_outputs ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL CHECK (kind IN ('pcap','rows','series')),"
    " data BLOB NOT NULL,"
    " PRIMARY KEY (run_id, kind));",
    /* v4: runs_by_sweep holds only the runs of a sweep. Every run outside
     * one wrote a NULL entry into it at its insert and at its deletion,
     * one WAL page of the insert's four (measured on a copy of a store of
     * 1000 runs: 4.35 -> 3.15 pages an insert, 15 -> 14 a pruned run);
     * every query of it asks for sweep_id = ?, which the partial index
     * answers. */
    ("DROP INDEX runs_by_sweep;"
     "CREATE INDEX runs_by_sweep ON runs(sweep_id)"
     " WHERE sweep_id IS NOT NULL;"), /* one migration, two statements */
};
#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

_Static_assert(MIGRATION_COUNT == WM_STORE_SCHEMA_VERSION,
               "one migration per schema version");

static int pragma_int(wm_store *store, const char *sql, int *out,
                      wm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return wm_error_set(err, WM_ERR_IO,
                            "%s/" WM_STORE_DB_NAME
                            " is not a wiremeter database: %s",
                            store->data_dir, sqlite3_errmsg(store->db));
    }
    *out = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return 0;
}

/* Refuses a file that is not ours before anything is written to it. */
int store_schema_check(wm_store *store, int *version, wm_error *err)
{
    int app_id = 0, tables = 0;
    if (pragma_int(store, "PRAGMA application_id", &app_id, err) != 0 ||
        pragma_int(store, "PRAGMA user_version", version, err) != 0 ||
        pragma_int(store, "SELECT count(*) FROM sqlite_master", &tables,
                   err) != 0)
        return -1;
    if (app_id != STORE_APPLICATION_ID && (app_id != 0 || tables != 0))
        return wm_error_set(err, WM_ERR_IO,
                            "%s/" WM_STORE_DB_NAME " is a SQLite database "
                            "of another program, not wiremeter's",
                            store->data_dir);
    if (*version > WM_STORE_SCHEMA_VERSION)
        return wm_error_set(err, WM_ERR_IO,
                            "%s/" WM_STORE_DB_NAME " has schema version %d, "
                            "newer than the %d this wiremeter knows; use a "
                            "newer wiremeter or another data directory",
                            store->data_dir, *version,
                            WM_STORE_SCHEMA_VERSION);
    return 0;
}

int store_schema_migrate(wm_store *store, int from, wm_error *err)
{
    for (int v = from; v < MIGRATION_COUNT; v++) {
        char set_version[96];
        /* PRAGMA takes no bound parameter; these are our own constants. */
        snprintf(set_version, sizeof set_version,
                 "PRAGMA user_version=%d; PRAGMA application_id=%d;", v + 1,
                 STORE_APPLICATION_ID);
        if (store_exec(store, "BEGIN IMMEDIATE", err) != 0)
            return -1;
        if (store_exec(store, migrations[v], err) != 0 ||
            store_exec(store, set_version, err) != 0 ||
            store_exec(store, "COMMIT", err) != 0) {
            store_exec(store, "ROLLBACK", NULL);
            return wm_error_prefix(err, "migrating the schema: ");
        }
    }
    store->version = MIGRATION_COUNT;
    return 0;
}
