/*
 * store/event.c: the participant-facing events of the workflow (issue 11):
 * a stage change, a review opened, a draft changed, a review answered, a
 * hold (with whose text), a decision, a release published. Every one goes
 * through store_event, which for now records it as an audit event (action
 * "event.<type>", object the engagement or campaign, the orgs it concerns
 * so that their admins read it); the inbox and webhooks (issue 11, parts 4
 * and 5) hook in here. Details carry ids, stages, hashes and field names,
 * never confidential text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

int
store_event(struct db_conn *c, const char *type, const char *object_type, const char *object_id,
            const char *org1, const char *org2, json_t *detail, const char *addr)
{
	char action[80];
	char *text;
	int rc;

	if (detail == NULL)
		detail = json_object();
	text = json_dumps(detail, JSON_COMPACT);
	json_decref(detail);
	if (text == NULL)
		return DB_ERROR;
	snprintf(action, sizeof(action), "event.%s", type);
	rc = store_audit_append(c, action, object_type, object_id, org1, org2, text, addr);
	free(text);
	return rc;
}
