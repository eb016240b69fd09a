/*
 * api/conversation.c: helpers of the routes about a finding's
 * conversation (comments, risk acceptances, retests) and the JSON of
 * their rows, built after commit.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

int
api_finding_load(struct db_conn *c, const struct http_request *r, const char *id, int as,
                 struct api_finding *f, struct api_res *res)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = store_finding_get(c, id, &f->row)) != DB_OK)
		return rc == STORE_NONE ? api_fail(res, PROBLEM_NOT_FOUND, NULL) : rc;
	rc = api_engagement_load(c, r, f->row.engagement_id, as, &f->e, res);
	if (rc != DB_OK) {
		store_finding_clear(&f->row);
		return rc;
	}
	f->ref.finding = f->row.id;
	f->ref.engagement = f->e.id;
	f->ref.company = f->e.company;
	f->ref.assessor = f->e.assessor;
	return DB_OK;
}

void
api_finding_clear(struct api_finding *f)
{
	store_finding_clear(&f->row);
	api_engagement_clear(&f->e);
	memset(&f->ref, 0, sizeof(f->ref));
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

json_t *
api_comment_json(const struct store_comment *k)
{
	/* O borrows body; o steals the new strings */
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:o, s:o}, s:O, s:s}", "id", k->id,
	                 "finding_id", k->finding_id, "author", "user_id", k->author_user, "org_id",
	                 k->author_org, "kind", k->author_kind, "org_name",
	                 str_or_null(k->author_org_name), "name", str_or_null(k->author_name),
	                 "body", k->body, "created_at", k->created_at);
}

json_t *
api_risk_json(const struct store_risk *k)
{
	return json_pack("{s:s, s:s, s:O, s:s, s:b, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:O}", "id",
	                 k->id, "finding_id", k->finding_id, "justification", k->justification,
	                 "expires_at", k->expires_at, "expired", k->expired, "state", k->state,
	                 "requested_by", k->requested_by, "requested_org", k->requested_org,
	                 "requested_at", k->requested_at, "decided_by", str_or_null(k->decided_by),
	                 "decided_org", str_or_null(k->decided_org), "decided_at",
	                 str_or_null(k->decided_at), "decision_note", k->decision_note);
}

json_t *
api_retest_json(const struct store_retest *k)
{
	return json_pack("{s:s, s:s, s:s, s:O, s:O, s:s, s:s, s:s}", "id", k->id, "finding_id",
	                 k->finding_id, "result", k->result, "note", k->note, "evidence",
	                 k->evidence, "performed_by", k->performed_by, "performed_org",
	                 k->performed_org, "created_at", k->created_at);
}
