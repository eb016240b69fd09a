/*
 * store/event.c: the participant-facing events of the workflow (issue 11):
 * a stage change, a review opened, a draft changed, a review answered, a
 * hold (with whose text), a decision, a release published. Every one goes
 * through store_event, which records it as an audit event (action
 * "event.<type>", object the engagement or campaign, the orgs it concerns
 * so that their admins read it) and tells the participants through the
 * notification module (store_notify_event: the inbox of the company's and
 * the assessor firm's users, their webhooks; for a campaign-wide event,
 * those of every engagement of the campaign, and the coordinator for a
 * hold or a release). Details carry ids, stages, hashes and field names,
 * never confidential text; notifications carry only ids and the type.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	if (rc == DB_OK) {
		int campaign_wide = strcmp(object_type, "campaign") == 0;
		unsigned audience = STORE_NOTIFY_COMPANY | STORE_NOTIFY_ASSESSOR;

		if (strncmp(type, "release.", 8) == 0)
			audience |= STORE_NOTIFY_COORDINATOR;
		rc = store_notify_event(c, type, campaign_wide ? object_id : NULL,
		                        campaign_wide ? NULL : object_id, object_type, object_id,
		                        audience, NULL);
	}
	return rc;
}
