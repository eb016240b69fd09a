/*
 * api/display_names.c: display names beside ids. Every JSON object an answer holds
 * with a user-id member F (uploaded_by, changed_by, by, author, actor_user,
 * user_id, ...) gains F_name, and one with an org-id member G (org_id,
 * actor_org, requested_org, ...) gains G_name: the name when the caller may
 * see it (sql/0017_names.sql for users, orgs_read for orgs), else null.
 *
 * Signed or hashed objects (members "receipt", "document", "detail",
 * "payload": names_verbatim) are never changed: a signature or a hash chain
 * covers their exact members; an answer names their people beside them.
 *
 * One place for every route: api_finish() calls api_names_add() on a
 * successful body, so a new field named after the convention is named
 * without touching its handler. The lookup is one statement in its own
 * read-only transaction, after the handler's has committed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http/http.h"
#include "util/log.h"
#include "util/util.h"

/* Bounds: a page holds at most 200 rows, each with a handful of ids. */
#define NAMES_MAX_IDS 1000
#define NAMES_MAX_DEPTH 12
#define NAMES_KEY_MAX 64

enum names_kind { NAMES_NONE, NAMES_USER, NAMES_ORG };

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
api_names_kind(const char *key)
{
	static const char *const users[] = {"by",   "author",   "actor_user",  "user_id",
	                                    "user", "uploader", "author_user", NULL};
	static const char *const orgs[] = {"org_id", "actor_org", "org", "author_org", NULL};

	if (strlen(key) + sizeof("_name") > NAMES_KEY_MAX)
		return NAMES_NONE;
	for (size_t i = 0; users[i] != NULL; i++)
		if (strcmp(key, users[i]) == 0)
			return NAMES_USER;
	for (size_t i = 0; orgs[i] != NULL; i++)
		if (strcmp(key, orgs[i]) == 0)
			return NAMES_ORG;
	if (ends_with(key, "_by") || ends_with(key, "_user"))
		return NAMES_USER;
	if (ends_with(key, "_org"))
		return NAMES_ORG;
	return NAMES_NONE;
}

/*
 * Members whose value is answered exactly as signed or hashed, never
 * changed: an evidence receipt and a correction's document (signed), an
 * audit event's detail (its hashed text encodes it: lockstep verify-audit
 * compares the two), a notification's payload (signed for webhooks).
 */
static int
names_verbatim(const char *key)
{
	static const char *const keys[] = {"receipt", "document", "detail", "payload", NULL};

	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* Is v an id value of a named member: a UUID string, or null. */
static int
names_value(const json_t *v)
{
	return json_is_null(v) || (json_is_string(v) && util_uuid_valid(json_string_value(v)));
}

/*
 * Walk v; collect (users, orgs non-NULL) the ids of named members, or fill
 * (names non-NULL) their _name members from names. Returns the number of
 * named members seen.
 */
static int
names_walk(json_t *v, int depth, json_t *users, json_t *orgs, const json_t *names)
{
	const char *key;
	json_t *m;
	size_t i;
	int n = 0;

	if (depth > NAMES_MAX_DEPTH)
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, m) n += names_walk(m, depth + 1, users, orgs, names);
		return n;
	}
	if (!json_is_object(v))
		return 0;
	{
		/* keys copied first: members are added only after the walk */
		char keys[32][NAMES_KEY_MAX];
		size_t nk = 0;

		json_object_foreach(v, key, m)
		{
			if (json_is_object(m) || json_is_array(m)) {
				/* signed or hashed content is answered exactly as it
				 * was signed or hashed: a receipt's names go beside
				 * it (evidence_view.c) */
				if (!names_verbatim(key))
					n += names_walk(m, depth + 1, users, orgs, names);
				continue;
			}
			if (nk < sizeof(keys) / sizeof(keys[0]) &&
			    api_names_kind(key) != NAMES_NONE && names_value(m))
				snprintf(keys[nk++], NAMES_KEY_MAX, "%s", key);
		}
		for (size_t k = 0; k < nk; k++) {
			enum names_kind kind = api_names_kind(keys[k]);
			const json_t *table, *name;
			const char *id;
			char nk_name[NAMES_KEY_MAX + 8];

			snprintf(nk_name, sizeof(nk_name), "%s_name", keys[k]);
			if (json_object_get(v, nk_name) != NULL)
				continue; /* the handler named it already */
			n++;
			id = json_string_value(json_object_get(v, keys[k]));
			if (names == NULL) {
				json_t *to = kind == NAMES_USER ? users : orgs;

				if (id != NULL && json_array_size(to) < NAMES_MAX_IDS)
					json_array_append_new(to, json_string(id));
				continue;
			}
			table = json_object_get(names, kind == NAMES_USER ? "users" : "orgs");
			name = id != NULL ? json_object_get(table, id) : NULL;
			json_object_set_new(v, nk_name,
			                    json_is_string(name)
			                        ? json_string(json_string_value(name))
			                        : json_null());
		}
	}
	return n;
}

struct names_ctx {
	const char *users, *orgs;
	json_t *names;
};

static int
names_tx(struct db_conn *c, void *arg)
{
	struct names_ctx *k = arg;

	json_decref(k->names);
	k->names = NULL;
	return store_names_resolve(c, k->users, k->orgs, &k->names);
}

void
api_names_add(const struct http_request *r, json_t *body)
{
	struct names_ctx k = {0};
	json_t *users = json_array(), *orgs = json_array(), *none = json_object();
	char *u = NULL, *o = NULL;
	int rc;

	if (body == NULL || users == NULL || orgs == NULL || none == NULL)
		goto done;
	if (names_walk(body, 0, users, orgs, NULL) == 0)
		goto done;
	if (r->who.user_id[0] != '\0' &&
	    (json_array_size(users) > 0 || json_array_size(orgs) > 0)) {
		u = json_dumps(users, JSON_COMPACT);
		o = json_dumps(orgs, JSON_COMPACT);
		if (u != NULL && o != NULL) {
			k.users = u;
			k.orgs = o;
			rc = db_tx(&r->who, "names_resolve", names_tx, &k);
			if (rc != DB_OK) {
				/* the answer still goes out, with null names */
				log_event(LOG_LEVEL_WARN, "names_failed",
				          json_pack("{s:i}", "status", rc));
				json_decref(k.names);
				k.names = NULL;
			}
		}
	}
	names_walk(body, 0, NULL, NULL, k.names != NULL ? k.names : none);
done:
	free(u);
	free(o);
	json_decref(k.names);
	json_decref(users);
	json_decref(orgs);
	json_decref(none);
}
