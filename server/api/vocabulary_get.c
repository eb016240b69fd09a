/*
 * GET /api/v1/vocabulary: every enumeration, for clients (web/app.js reads
 * its select lists from here). Public: the values are not secret.
 * {"<name>": [codes in order], ..., "company_finding_status": [codes],
 * "threat_model": [codes]} (names, descriptions: GET /api/v1/threat-models).
 * Served from util/vocab.h, which lockstepd checked against the
 * vocabulary table when it started, plus "framework": the security
 * frameworks a company may commit to, read from the frameworks table
 * (0018: data, each with its source), [{code, name, publisher, versions,
 * levels, source, url}].
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/vocab.h"

/* A JSON array of list's codes. New reference or NULL. */
static json_t *
vocabulary_array(const char *const *list)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && list[i] != NULL; i++)
		if (json_array_append_new(a, json_string(list[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int
vocabulary_tx(struct db_conn *c, void *arg)
{
	json_t **fw = arg;

	json_decref(*fw);
	*fw = NULL;
	return store_frameworks(c, fw);
}

int
api_vocabulary_get(struct http_request *r)
{
	json_t *frameworks = NULL;
	const char *hdr[] = {"Cache-Control", "public, max-age=300", NULL};
	json_t *body = json_object();
	char *text = NULL;
	int rc;

	for (const struct vocab *v = vocab_all; body != NULL && v->name != NULL; v++)
		if (json_object_set_new(body, v->name, vocabulary_array(v->codes)) != 0) {
			json_decref(body);
			body = NULL;
		}
	if (body != NULL &&
	    json_object_set_new(body, "company_finding_status",
	                        vocabulary_array(vocab_find("finding_status")->company_may)) != 0) {
		json_decref(body);
		body = NULL;
	}
	if (body != NULL &&
	    json_object_set_new(body, "threat_model", vocabulary_array(vocab_threat_models)) != 0) {
		json_decref(body);
		body = NULL;
	}
	if (body != NULL && db_tx(NULL, "vocabulary", vocabulary_tx, &frameworks) != DB_OK) {
		json_decref(frameworks);
		json_decref(body);
		body = NULL;
	} else if (body != NULL && json_object_set_new(body, "framework", frameworks) != 0) {
		json_decref(body);
		body = NULL;
	}
	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return http_reply_problem(r, PROBLEM_INTERNAL, NULL);
	rc = http_reply_bytes(r, 200, "application/json", text, strlen(text), hdr);
	free(text);
	return rc;
}
