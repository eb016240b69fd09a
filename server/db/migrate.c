/*
 * db/migrate.c: apply numbered migrations sql/NNNN_name.sql in order.
 *
 * Each file runs in its own transaction together with the row that records
 * its version, so a migration is either wholly applied and recorded or not
 * at all. A transaction-level advisory lock serialises concurrent
 * migrators (several replicas starting at once).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "db/locks.h"
#include "util/log.h"
#include "util/util.h"

#define MIGRATE_MAX_FILES 1000
#define MIGRATE_MAX_BYTES (4 * 1024 * 1024)
#define MIGRATE_LOCK DB_LOCK_MIGRATE

/* Version of a file name "NNNN_name.sql", or -1 if it is not one. */
static int
migrate_version_of(const char *name)
{
	size_t len = strlen(name);
	char digits[5];
	long long v;

	if (len < 10 || strcmp(name + len - 4, ".sql") != 0 || name[4] != '_')
		return -1;
	memcpy(digits, name, 4);
	digits[4] = '\0';
	if (util_strnum(digits, 1, 9999, &v) != 0)
		return -1;
	return (int)v;
}

struct migrate_file {
	int version;
	char name[256];
};

static int
migrate_cmp(const void *a, const void *b)
{
	return ((const struct migrate_file *)a)->version -
	       ((const struct migrate_file *)b)->version;
}

/* List migration files of dir sorted by version. Returns the count or -1. */
static int
migrate_list(const char *dir, struct migrate_file *files, int cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		int v = migrate_version_of(de->d_name);

		if (v < 0 || strlen(de->d_name) >= sizeof(files[0].name))
			continue;
		if (n == cap) {
			closedir(d);
			return -1;
		}
		files[n].version = v;
		snprintf(files[n].name, sizeof(files[n].name), "%s", de->d_name);
		n++;
	}
	closedir(d);
	qsort(files, (size_t)n, sizeof(files[0]), migrate_cmp);
	for (int i = 1; i < n; i++)
		if (files[i].version == files[i - 1].version)
			return -1;
	return n;
}

int
db_migrations_latest(const char *dir)
{
	struct migrate_file *files = calloc(MIGRATE_MAX_FILES, sizeof(*files));
	int n, latest = -1;

	if (files == NULL)
		return -1;
	n = migrate_list(dir, files, MIGRATE_MAX_FILES);
	if (n > 0)
		latest = files[n - 1].version;
	free(files);
	return latest;
}

/* Read a whole file (bounded). Returns a malloc'd NUL-terminated string or NULL. */
static char *
migrate_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(MIGRATE_MAX_BYTES + 1);
	if (buf != NULL) {
		n = fread(buf, 1, MIGRATE_MAX_BYTES + 1, f);
		if (n > MIGRATE_MAX_BYTES || ferror(f)) {
			free(buf);
			buf = NULL;
		} else
			buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

static int
migrate_exec(PGconn *pg, const char *sql, int nparams, const char *const *params, const char *what)
{
	PGresult *res =
	    nparams ? PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0) : PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		log_event(
		    LOG_LEVEL_ERROR, "migrate_failed",
		    json_pack("{s:s, s:s}", "step", what, "error", PQresultErrorMessage(res)));
	PQclear(res);
	return ok ? 0 : -1;
}

int
db_migrate(const char *conninfo, const char *dir)
{
	struct migrate_file *files = NULL;
	PGconn *pg = NULL;
	PGresult *res = NULL;
	char *sql = NULL;
	char path[4096];
	long long current = 0;
	int n, ret = -1, applied = 0;

	files = calloc(MIGRATE_MAX_FILES, sizeof(*files));
	if (files == NULL)
		goto done;
	n = migrate_list(dir, files, MIGRATE_MAX_FILES);
	if (n <= 0) {
		log_event(LOG_LEVEL_ERROR, "migrate_failed",
		          json_pack("{s:s, s:s}", "dir", dir, "error",
		                    "no migration files, or duplicate versions"));
		goto done;
	}
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		log_event(LOG_LEVEL_ERROR, "migrate_failed",
		          json_pack("{s:s}", "error", PQerrorMessage(pg)));
		goto done;
	}
	if (migrate_exec(pg, "SET client_min_messages = warning", 0, NULL, "settings") != 0 ||
	    migrate_exec(pg, "BEGIN", 0, NULL, "begin") != 0 ||
	    migrate_exec(pg, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", 0, NULL, "lock") !=
	        0 ||
	    migrate_exec(pg,
	                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                 " version integer PRIMARY KEY, name text NOT NULL,"
	                 " applied_at timestamptz NOT NULL DEFAULT now())",
	                 0, NULL, "version table") != 0 ||
	    migrate_exec(pg, "GRANT SELECT ON schema_migrations TO lockstep_app", 0, NULL,
	                 "grant") != 0 ||
	    migrate_exec(pg, "COMMIT", 0, NULL, "commit") != 0)
		goto done;

	for (int i = 0; i < n; i++) {
		char version[16];
		const char *params[2];

		if (migrate_exec(pg, "BEGIN", 0, NULL, "begin") != 0 ||
		    migrate_exec(pg, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", 0, NULL,
		                 "lock") != 0)
			goto done;
		/* applied already? (by version, not "below the highest": a migration
		 * merged with a lower number than one applied before still runs) */
		snprintf(version, sizeof(version), "%d", files[i].version);
		params[0] = version;
		res = PQexecParams(pg,
		                   "SELECT count(*) FROM schema_migrations WHERE version = $1::int",
		                   1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    util_strnum(PQgetvalue(res, 0, 0), 0, 1, &current) != 0)
			goto done;
		PQclear(res);
		res = NULL;
		if (current == 1) {
			if (migrate_exec(pg, "COMMIT", 0, NULL, "commit") != 0)
				goto done;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		free(sql);
		if ((sql = migrate_read(path)) == NULL) {
			log_event(LOG_LEVEL_ERROR, "migrate_failed",
			          json_pack("{s:s, s:s}", "file", path, "error", "cannot read"));
			goto done;
		}
		params[1] = files[i].name;
		if (migrate_exec(pg, sql, 0, NULL, files[i].name) != 0 ||
		    migrate_exec(pg,
		                 "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
		                 params, "record version") != 0 ||
		    migrate_exec(pg, "COMMIT", 0, NULL, "commit") != 0)
			goto done;
		log_event(
		    LOG_LEVEL_INFO, "migration_applied",
		    json_pack("{s:i, s:s}", "version", files[i].version, "file", files[i].name));
		applied++;
	}
	log_event(LOG_LEVEL_INFO, "migrations_current",
	          json_pack("{s:i, s:i}", "applied", applied, "version", files[n - 1].version));
	ret = 0;
done:
	PQclear(res);
	free(sql);
	free(files);
	PQfinish(pg);
	return ret;
}
