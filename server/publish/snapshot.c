/*
 * publish/snapshot.c: the publication document of one campaign, built from
 * what release_inputs() returns (see 0003_publications.sql and
 * 0004_anonymity.sql), with the campaign's disclosure policy applied:
 *
 *   named         one row per engagement with the company's name and its
 *                 assessor firm and lead assessors;
 *   pseudonymous  one row per engagement with a label "Company A",
 *                 "Company B", ... assigned to companies by a CSPRNG
 *                 shuffle, and no assessor: a row links to no firm, since
 *                 the press may know which firm assesses which company;
 *                 rows are sorted by label, so nothing follows name or id
 *                 order;
 *   aggregate     no per-company rows at all.
 *
 * Every policy carries the assessors as a list apart (firm and lead
 * assessor names, sorted by firm) and the aggregates: per threat model,
 * how many results reached each capability level, and how many findings
 * there are per severity. Only under aggregate, where no row shows the
 * values, is a cell that describes fewer than min_cohort companies
 * (min_cohort > 1) the string "suppressed", never a number, zero cells
 * included (so the marker never tells 0 from 1); when a claim distribution
 * would have exactly one suppressed cell, its smallest other cell is
 * suppressed too, since the total is known and would give the first away.
 * Under named and pseudonymous the rows show every value, so the
 * aggregates are the real totals.
 *
 * The campaign carries its release-date history (every announced instant
 * with the time it was announced); embargo_break is true when the release
 * instant lies before an instant that was announced at some point.
 *
 * Document shape (canonical JSON is applied later by publish_canonical):
 * {
 *   "format": "lockstep-publication-v1", "sequence": n, "prev_hash": hex,
 *   "campaign": {title, slug, threat_models, release_at, planned_release_at,
 *                release_history: [{release_at, announced_at}],
 *                disclosure, min_cohort},
 *   "embargo_break": bool, "companies": n,
 *   "assessors": [{firm, lead_assessors}],
 *   "engagements": [{company, assessor:{firm, lead_assessors} (named only),
 *                    claims:{TM:{level, summary}},
 *                    findings:{TM:{severity:{status:n}}}, statement}],
 *   "aggregate": {"claims": {TM: {level: n|"suppressed"}},
 *                 "findings": {TM: {severity: n|"suppressed"}}}
 * }
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "publish/publish.h"
#include "util/util.h"
#include "util/vocab.h"

#define SNAP_NLEVELS VOCAB_NLEVELS
#define SNAP_NSEV VOCAB_NSEVERITIES

struct snap_company {
	const char *id;
	const char *name;
	const json_t *aliases;
	char label[32];
};

struct snap {
	const struct publish_campaign *c;
	struct snap_company *companies;
	size_t ncompanies;
	json_t *leaks;
	int check_names;
	int reviews;          /* rows carry their review (the publication, not a draft) */
	json_t *review_count; /* state -> number of engagements */
	int withhold;         /* the coordinator decided to withhold offending row texts */
	long long nwithheld;  /* texts withheld */
	json_t *row_withheld; /* the fields withheld in the row being built */
	json_t *levels_rows;  /* the publication's levels rows (snap_levels_row), or NULL */
	int draft;            /* review drafts: each row carries its levels as "levels" */
};

static const char *
snap_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int
snap_company_index(const struct snap *s, const char *id)
{
	for (size_t i = 0; i < s->ncompanies; i++)
		if (strcmp(s->companies[i].id, id) == 0)
			return (int)i;
	return -1;
}

/*
 * The leaks recorded since before, when the coordinator decided to
 * withhold offending texts: dropped (the text is published as
 * PUBLISH_WITHHELD instead) and counted; 1 then, 0 when there were none
 * or nothing is withheld.
 */
static int
snap_withheld(struct snap *s, size_t before)
{
	if (!s->withhold || json_array_size(s->leaks) <= before)
		return 0;
	while (json_array_size(s->leaks) > before)
		json_array_remove(s->leaks, json_array_size(s->leaks) - 1);
	s->nwithheld++;
	return 1;
}

/*
 * Record in s->leaks every company name or alias that text names (the
 * first of each company that matches). A check that cannot run (ICU or
 * memory failure) counts as a hit: the release is held, never let out
 * unchecked.
 */
static int
snap_check(struct snap *s, const char *field, const char *engagement, const char *text)
{
	struct publish_text *t;
	size_t before = json_array_size(s->leaks);

	if (!s->check_names || text == NULL)
		return 0;
	t = publish_text_new(text);
	for (size_t i = 0; i < s->ncompanies; i++) {
		const char *hit = NULL;
		size_t k;
		json_t *a;

		if (t == NULL || publish_text_find(t, s->companies[i].name, NULL, NULL) != 0)
			hit = s->companies[i].name;
		json_array_foreach(s->companies[i].aliases, k, a)
		{
			if (hit == NULL && json_is_string(a) &&
			    publish_text_find(t, json_string_value(a), NULL, NULL) != 0)
				hit = json_string_value(a);
		}
		if (hit != NULL)
			json_array_append_new(
			    s->leaks, json_pack("{s:s, s:o, s:s}", "field", field, "engagement",
			                        engagement ? json_string(engagement) : json_null(),
			                        "name", hit));
	}
	publish_text_free(t);
	/* a row text the coordinator decided to withhold: not a leak */
	if (engagement != NULL && s->row_withheld != NULL && snap_withheld(s, before)) {
		json_array_append_new(s->row_withheld, json_string(field));
		return 1;
	}
	return json_array_size(s->leaks) > before;
}

static int
snap_level_index(const char *level)
{
	return vocab_index(vocab_levels, level);
}

static int
snap_sev_index(const char *sev)
{
	return vocab_index(vocab_severities, sev);
}

static int
snap_in_scope(const struct publish_campaign *c, const char *tm)
{
	size_t i;
	json_t *v;

	json_array_foreach(c->threat_models, i, v)
	{
		if (strcmp(json_string_value(v), tm) == 0)
			return 1;
	}
	return 0;
}

/* {firm, lead_assessors} of an engagement input (new reference). */
static json_t *
snap_assessor(const json_t *e)
{
	json_t *leads = json_object_get(e, "lead_assessors");

	return json_pack("{s:s, s:O}", "firm", snap_str(e, "assessor_firm"), "lead_assessors",
	                 json_is_array(leads) ? leads : json_array());
}

int
publish_row_hash(const json_t *row, char hex[2 * CRYPTO_SHA256_LEN + 1], char **canon)
{
	unsigned char h[CRYPTO_SHA256_LEN];
	json_t *copy = json_copy((json_t *)row);
	char *text = NULL;
	size_t len = 0;
	int ret = -1;

	if (canon != NULL)
		*canon = NULL;
	if (copy == NULL)
		return -1;
	json_object_del(copy, "company");
	json_object_del(copy, "review");
	/* the transparency log's reveal is added at release, after the review */
	json_object_del(copy, "commitment");
	if ((text = publish_canonical(copy, &len)) != NULL && crypto_sha256(text, len, h) == 0) {
		util_hex_encode(h, sizeof(h), hex);
		ret = 0;
	}
	json_decref(copy);
	if (ret == 0 && canon != NULL)
		*canon = text;
	else
		free(text);
	return ret;
}

/*
 * Attach to row (the engagement's published row) its review: the hash of
 * the draft the company reviewed and what it did with it; count the state
 * in s->review_count. review is what the review scheduler found at the
 * release (store_review_release_inputs) or NULL when no draft was ever
 * frozen. A row that differs from its last draft says so.
 */
static json_t *snap_levels_reviewed(const json_t *entry);

static void
snap_review(struct snap *s, json_t *row, const char *eid, const json_t *review,
            const json_t *levels)
{
	char hex[2 * CRYPTO_SHA256_LEN + 1];
	const char *state = PUBLISH_REVIEW_NONE, *draft = NULL;
	json_t *response = json_null(), *addendum = json_null();

	if (json_is_object(review)) {
		const char *st = snap_str(review, "state");
		/* the row as its draft was: with its levels (see publish_draft_rows) */
		json_t *as_draft = json_copy(row);
		int hashed = -1;

		if (as_draft != NULL) {
			if (levels != NULL)
				json_object_set_new(as_draft, "levels", snap_levels_reviewed(levels));
			hashed = publish_row_hash(as_draft, hex, NULL);
			json_decref(as_draft);
		}
		draft = json_string_value(json_object_get(review, "draft_hash"));
		if (draft == NULL || hashed != 0 || strcmp(hex, draft) != 0)
			state = PUBLISH_REVIEW_CHANGED;
		else if (strcmp(st, "signed-off") == 0)
			state = PUBLISH_REVIEW_SIGNED;
		else if (strcmp(st, "responded") == 0)
			state = PUBLISH_REVIEW_RESPONDED;
		else
			state = PUBLISH_REVIEW_SILENT;
		if (strcmp(state, PUBLISH_REVIEW_RESPONDED) == 0) {
			json_t *r = json_object_get(review, "response");
			json_t *a = json_object_get(review, "addendum");

			if (json_is_string(r))
				response =
				    snap_check(s, "review response", eid, json_string_value(r)) &&
				            s->withhold
				        ? json_string(PUBLISH_WITHHELD)
				        : json_incref(r);
			if (json_is_string(a))
				addendum =
				    snap_check(s, "review addendum", eid, json_string_value(a)) &&
				            s->withhold
				        ? json_string(PUBLISH_WITHHELD)
				        : json_incref(a);
		}
	}
	json_object_set_new(row, "review",
	                    json_pack("{s:s, s:o, s:o, s:o}", "state", state, "draft_hash",
	                              draft ? json_string(draft) : json_null(), "response",
	                              response, "addendum", addendum));
	/* what the hash covers beside the row: its security levels, as the
	 * draft showed them (and as doc.levels.engagements has them, with the
	 * company); a reader adds them to the row to check draft_hash */
	if (levels != NULL)
		json_object_set_new(json_object_get(row, "review"), "levels",
		                    snap_levels_reviewed(levels));
	json_object_set_new(
	    s->review_count, state,
	    json_integer(json_integer_value(json_object_get(s->review_count, state)) + 1));
}

json_t *
publish_row_core(const json_t *threat_models, const json_t *e)
{
	json_t *claims_in = json_object_get(e, "claims");
	json_t *claims, *findings, *statement, *v, *f;
	size_t i;

	claims = json_object();
	findings = json_object();
	json_array_foreach(threat_models, i, v)
	{
		const char *tm = json_string_value(v);
		json_t *cl = json_object_get(claims_in, tm);
		json_t *sev = json_object();

		json_object_set_new(claims, tm,
		                    json_pack("{s:s, s:s}", "level",
		                              cl ? snap_str(cl, "level") : "not-assessed",
		                              "summary", cl ? snap_str(cl, "summary") : ""));
		for (int k = 0; k < SNAP_NSEV; k++)
			json_object_set_new(sev, vocab_severities[k], json_object());
		json_object_set_new(findings, tm, sev);
	}
	json_array_foreach(json_object_get(e, "findings"), i, f)
	{
		const char *tm = json_string_value(json_array_get(f, 0));
		const char *sv = json_string_value(json_array_get(f, 1));
		const char *st = json_string_value(json_array_get(f, 2));
		json_int_t n = json_integer_value(json_array_get(f, 3));
		json_t *cell, *w;
		int in_scope = 0;
		size_t j;

		json_array_foreach(threat_models, j, w)
		{
			if (tm != NULL && strcmp(json_string_value(w), tm) == 0)
				in_scope = 1;
		}
		if (tm == NULL || sv == NULL || st == NULL || !in_scope || snap_sev_index(sv) < 0)
			continue;
		cell = json_object_get(json_object_get(findings, tm), sv);
		json_object_set_new(
		    cell, st, json_integer(json_integer_value(json_object_get(cell, st)) + n));
	}
	statement = json_object_get(e, "statement");
	/* o steals claims and findings */
	return json_pack("{s:o, s:o, s:O}", "claims", claims, "findings", findings, "statement",
	                 json_is_string(statement) ? statement : json_null());
}

/*
 * Security levels (issue 14, sql/0018_levels.sql), from the engagement's
 * "levels" input (levels_inputs()): one entry of the document's
 * "levels.engagements" per row, beside the row rather than in it (the rows
 * are what commit-then-reveal committed before the release, and the
 * client recomputes each commitment from its row): {company (as the row),
 * emulation {capability, access, person_days} (null when none was
 * recorded; the rules of engagement never reach the scheduler), claims
 * {TM: {level, not_met_from (the lowest oc_required of the threat model's
 * refuting findings, or null), contradiction (the claim says robust up to
 * that level or higher)}}, commitments [{framework, version, level, text,
 * link, verdict, summary}]}. A commitment's words are name-checked as one text
 * with its framework's publisher and its link (a lab's own framework or
 * site names the lab), the verdict summary on its own; withheld, they
 * become PUBLISH_WITHHELD.
 */
static int
snap_contradicts(const char *from, const char *level)
{
	int f = from ? vocab_index(vocab_levels, from) : -1;
	int l = level ? vocab_index(vocab_levels, level) : -1;

	return f >= 0 && l >= 0 && strcmp(level, "not-assessed") != 0 && f <= l;
}

static json_t *
snap_levels_row(struct snap *s, const json_t *row, const json_t *e, const char *eid)
{
	const json_t *lv = json_object_get(e, "levels");
	const json_t *em = json_object_get(lv, "emulation");
	json_t *claims = json_object(), *list = json_array(), *k, *cl, *out;
	const char *tm;
	size_t i;

	/* the same company (name or label) as the row it belongs to */
	out = json_pack("{s:O}", "company", json_object_get(row, "company"));
	if (out == NULL || claims == NULL || list == NULL) {
		json_decref(out);
		json_decref(claims);
		json_decref(list);
		return NULL;
	}
	if (json_is_object(em))
		json_object_set_new(out, "emulation",
		                    json_pack("{s:O, s:O, s:O}", "capability",
		                              json_object_get(em, "capability"), "access",
		                              json_object_get(em, "access"), "person_days",
		                              json_object_get(em, "person_days")));
	else
		json_object_set_new(out, "emulation", json_null());
	json_object_foreach((json_t *)json_object_get(row, "claims"), tm, cl)
	{
		const char *from =
		    json_string_value(json_object_get(json_object_get(lv, "not_met"), tm));

		json_object_set_new(
		    claims, tm,
		    json_pack("{s:s, s:o, s:b}", "level", snap_str(cl, "level"), "not_met_from",
		              from ? json_string(from) : json_null(), "contradiction",
		              snap_contradicts(from, snap_str(cl, "level"))));
	}
	json_object_set_new(out, "claims", claims);
	json_array_foreach(json_object_get(lv, "commitments"), i, k)
	{
		const char *words[6] = {snap_str(k, "publisher"), snap_str(k, "framework_name"),
		                        snap_str(k, "version"),   snap_str(k, "level"),
		                        snap_str(k, "text"),      snap_str(k, "link")};
		const char *sum = snap_str(k, "summary");
		json_t *link = json_object_get(k, "link");
		char *joined = NULL;
		size_t len = 0;
		json_t *c;

		for (int w = 0; w < 6; w++)
			len += strlen(words[w]) + 1;
		if ((joined = malloc(len + 1)) != NULL) {
			joined[0] = '\0';
			for (int w = 0; w < 6; w++) {
				strcat(joined, words[w]);
				strcat(joined, "\n");
			}
		}
		c = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s}", "framework",
		              snap_str(k, "framework"), "version", words[2], "level", words[3],
		              "text", words[4], "link", json_is_string(link) ? link : json_null(),
		              "verdict", snap_str(k, "verdict"), "summary", sum);
		/* a failed allocation is checked as a hit: held, never let out unchecked */
		if (snap_check(s, "commitment", eid, joined ? joined : "\x01") && s->withhold) {
			json_object_set_new(c, "framework", json_string(PUBLISH_WITHHELD));
			json_object_set_new(c, "version", json_string(PUBLISH_WITHHELD));
			json_object_set_new(c, "level", json_string(PUBLISH_WITHHELD));
			json_object_set_new(c, "text", json_string(PUBLISH_WITHHELD));
			json_object_set_new(c, "link", json_null());
		}
		if (snap_check(s, "verdict summary", eid, sum) && s->withhold)
			json_object_set_new(c, "summary", json_string(PUBLISH_WITHHELD));
		free(joined);
		json_array_append_new(list, c);
	}
	json_object_set_new(out, "commitments", list);
	if (s->levels_rows != NULL)
		json_array_append(s->levels_rows, out);
	return out;
}

/*
 * The levels of a row as its review draft carries them and as its review
 * hash covers them: the entry without its company (a label drawn at the
 * release, like the row's own). New reference or NULL.
 */
static json_t *
snap_levels_reviewed(const json_t *entry)
{
	json_t *copy = entry ? json_deep_copy(entry) : NULL;

	if (copy != NULL)
		json_object_del(copy, "company");
	return copy;
}

/* One engagement's row (new reference) or NULL. */
static json_t *
snap_row(struct snap *s, const json_t *e, int company)
{
	const char *eid = snap_str(e, "id");
	json_t *claims_in = json_object_get(e, "claims");
	json_t *row, *claims, *findings, *statement, *v, *f;
	int named = strcmp(s->c->disclosure, "named") == 0;
	json_t *withheld_text = json_string(PUBLISH_WITHHELD);
	size_t i;

	json_decref(s->row_withheld);
	s->row_withheld = json_array();
	claims = json_object();
	findings = json_object();
	json_array_foreach(s->c->threat_models, i, v)
	{
		const char *tm = json_string_value(v);
		json_t *cl = json_object_get(claims_in, tm);
		json_t *sev = json_object();
		const char *summary = cl ? snap_str(cl, "summary") : "";

		if (snap_check(s, "claim summary", eid, summary) && s->withhold)
			summary = PUBLISH_WITHHELD;
		json_object_set_new(claims, tm,
		                    json_pack("{s:s, s:s}", "level",
		                              cl ? snap_str(cl, "level") : "not-assessed",
		                              "summary", summary));
		for (int k = 0; k < SNAP_NSEV; k++)
			json_object_set_new(sev, vocab_severities[k], json_object());
		json_object_set_new(findings, tm, sev);
	}
	json_array_foreach(json_object_get(e, "findings"), i, f)
	{
		const char *tm = json_string_value(json_array_get(f, 0));
		const char *sv = json_string_value(json_array_get(f, 1));
		const char *st = json_string_value(json_array_get(f, 2));
		json_int_t n = json_integer_value(json_array_get(f, 3));
		json_t *cell;

		if (tm == NULL || sv == NULL || st == NULL || !snap_in_scope(s->c, tm) ||
		    snap_sev_index(sv) < 0)
			continue;
		cell = json_object_get(json_object_get(findings, tm), sv);
		json_object_set_new(
		    cell, st, json_integer(json_integer_value(json_object_get(cell, st)) + n));
	}
	statement = json_object_get(e, "statement");
	if (json_is_string(statement) &&
	    snap_check(s, "statement", eid, json_string_value(statement)) && s->withhold)
		statement = withheld_text;
	row = json_pack("{s:s, s:o, s:o, s:O}", "company",
	                named ? s->companies[company].name : s->companies[company].label, "claims",
	                claims, "findings", findings, "statement",
	                json_is_string(statement) ? statement : json_null());
	json_t *levels = row != NULL ? snap_levels_row(s, row, e, eid) : NULL;
	/* only named rows link to the assessor; a firm known to assess one
	 * company would otherwise name the company behind its label */
	if (row != NULL && named)
		json_object_set_new(row, "assessor", snap_assessor(e));
	/* the draft shows the levels; the review hash covers them (issue 14:
	 * the company reviews what the public will read of its engagement) */
	if (row != NULL && s->draft && levels != NULL)
		json_object_set_new(row, "levels", snap_levels_reviewed(levels));
	if (row != NULL && s->reviews)
		snap_review(s, row, eid, json_object_get(e, "review"), levels);
	json_decref(levels);
	if (row != NULL && json_array_size(s->row_withheld) > 0)
		json_object_set(row, "withheld", s->row_withheld);
	/* commit-then-reveal: the salt and log index the release attached */
	if (row != NULL && json_object_get(e, "commitment") != NULL)
		json_object_set(row, "commitment", json_object_get(e, "commitment"));
	json_decref(s->row_withheld);
	s->row_withheld = NULL;
	json_decref(withheld_text);
	return row;
}

static int
snap_row_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(snap_str(x, "company"), snap_str(y, "company"));

	if (c != 0)
		return c;
	return strcmp(snap_str(json_object_get(x, "assessor"), "firm"),
	              snap_str(json_object_get(y, "assessor"), "firm"));
}

/* Order of the levels rows: by company (name or label), then by content. */
static int
snap_levels_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(snap_str(x, "company"), snap_str(y, "company"));
	char *cx, *cy;

	if (c != 0)
		return c;
	cx = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS);
	cy = json_dumps(y, JSON_COMPACT | JSON_SORT_KEYS);
	c = strcmp(cx ? cx : "", cy ? cy : "");
	free(cx);
	free(cy);
	return c;
}

static int
snap_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * snap_check for a campaign-wide name (an assessor firm, a lead assessor):
 * 1 when the name is to be published as PUBLISH_WITHHELD because the
 * coordinator withheld the offending texts (its leak is then not one).
 * Such names cannot be edited once paired, so without this a release they
 * hold could only be extended, for ever.
 */
static int
snap_check_name(struct snap *s, const char *field, const char *name)
{
	size_t before = json_array_size(s->leaks);

	snap_check(s, field, NULL, name);
	return snap_withheld(s, before);
}

/*
 * The distinct assessor firms with their lead assessors, sorted (new
 * reference); withheld names come last, so their place in the order says
 * nothing of them.
 */
static json_t *
snap_assessors(struct snap *s, const json_t *engagements)
{
	size_t n = json_array_size(engagements), nf = 0, i, j;
	const char **firms = calloc(n ? n : 1, sizeof(*firms));
	json_t *out = json_array(), *hidden = json_array(), *e;

	if (firms == NULL || hidden == NULL) {
		free(firms);
		json_decref(hidden);
		return out;
	}
	json_array_foreach(engagements, i, e)
	{
		const char *firm = snap_str(e, "assessor_firm");

		for (j = 0; j < nf; j++)
			if (strcmp(firms[j], firm) == 0)
				break;
		if (j == nf)
			firms[nf++] = firm;
	}
	qsort(firms, nf, sizeof(*firms), snap_str_cmp);
	for (j = 0; j < nf; j++) {
		const char **leads = NULL;
		size_t nl = 0, cap = 0, nhidden = 0;
		json_t *arr = json_array(), *l;
		int firm_withheld = snap_check_name(s, "assessor firm", firms[j]);
		json_array_foreach(engagements, i, e)
		{
			size_t k;

			if (strcmp(snap_str(e, "assessor_firm"), firms[j]) != 0)
				continue;
			json_array_foreach(json_object_get(e, "lead_assessors"), k, l)
			{
				const char *name = json_string_value(l);
				size_t m;

				if (name == NULL)
					continue;
				for (m = 0; m < nl; m++)
					if (strcmp(leads[m], name) == 0)
						break;
				if (m < nl)
					continue;
				if (nl == cap) {
					const char **nn =
					    realloc(leads, (cap ? cap * 2 : 8) * sizeof(*leads));

					if (nn == NULL)
						continue;
					leads = nn;
					cap = cap ? cap * 2 : 8;
				}
				leads[nl++] = name;
			}
		}
		if (nl > 0)
			qsort(leads, nl, sizeof(*leads), snap_str_cmp);
		for (size_t m = 0; m < nl; m++) {
			if (snap_check_name(s, "lead assessor", leads[m]))
				nhidden++;
			else
				json_array_append_new(arr, json_string(leads[m]));
		}
		for (size_t m = 0; m < nhidden; m++)
			json_array_append_new(arr, json_string(PUBLISH_WITHHELD));
		free(leads);
		json_array_append_new(firm_withheld ? hidden : out,
		                      json_pack("{s:s, s:o}", "firm",
		                                firm_withheld ? PUBLISH_WITHHELD : firms[j],
		                                "lead_assessors", arr));
	}
	json_array_extend(out, hidden);
	json_decref(hidden);
	free(firms);
	return out;
}

/* A cell: its number, or "suppressed" when it describes too few companies. */
static json_t *
snap_cell(long long value, size_t companies, long long k, int force)
{
	if (force || (k > 1 && (long long)companies < k))
		return json_string(PUBLISH_SUPPRESSED);
	return json_integer(value);
}

/* The aggregates across every engagement (new reference) or NULL. */
static json_t *
snap_aggregate(struct snap *s, const json_t *engagements)
{
	size_t ne = json_array_size(engagements), nc = s->ncompanies ? s->ncompanies : 1;
	unsigned char *seen = calloc(nc, 1);
	json_t *claims = json_object(), *findings = json_object(), *v, *e;
	/* suppression protects only where rows do not show the values */
	long long k = strcmp(s->c->disclosure, "aggregate") == 0 ? s->c->min_cohort : 1;
	size_t t;

	if (seen == NULL)
		return NULL;
	json_array_foreach(s->c->threat_models, t, v)
	{
		const char *tm = json_string_value(v);
		long long count[SNAP_NLEVELS] = {0}, fcount[SNAP_NSEV] = {0};
		size_t ncomp[SNAP_NLEVELS] = {0}, fcomp[SNAP_NSEV] = {0};
		int suppressed[SNAP_NLEVELS] = {0}, nsup = 0;
		json_t *dist = json_object(), *sev = json_object();

		for (int l = 0; l < SNAP_NLEVELS; l++) {
			size_t i;

			memset(seen, 0, nc);
			json_array_foreach(engagements, i, e)
			{
				json_t *cl = json_object_get(json_object_get(e, "claims"), tm);
				const char *level = cl ? snap_str(cl, "level") : "not-assessed";
				int ci = snap_company_index(s, snap_str(e, "company"));

				if (snap_level_index(level) != l)
					continue;
				count[l]++;
				if (ci >= 0 && !seen[ci]) {
					seen[ci] = 1;
					ncomp[l]++;
				}
			}
			suppressed[l] = k > 1 && (long long)ncomp[l] < k;
			nsup += suppressed[l];
		}
		if (nsup == 1) {
			int best = -1;

			for (int l = 0; l < SNAP_NLEVELS; l++)
				if (!suppressed[l] && (best < 0 || count[l] < count[best]))
					best = l;
			if (best >= 0)
				suppressed[best] = 1;
		}
		for (int l = 0; l < SNAP_NLEVELS; l++)
			json_object_set_new(dist, vocab_levels[l],
			                    snap_cell(count[l], ncomp[l], k, suppressed[l]));
		json_object_set_new(claims, tm, dist);

		for (int q = 0; q < SNAP_NSEV; q++) {
			size_t i;

			memset(seen, 0, nc);
			json_array_foreach(engagements, i, e)
			{
				size_t j;
				json_t *f;
				long long n = 0;
				int ci = snap_company_index(s, snap_str(e, "company"));

				json_array_foreach(json_object_get(e, "findings"), j, f)
				{
					const char *ftm = json_string_value(json_array_get(f, 0));
					const char *fsv = json_string_value(json_array_get(f, 1));

					if (ftm && fsv && strcmp(ftm, tm) == 0 &&
					    strcmp(fsv, vocab_severities[q]) == 0)
						n += json_integer_value(json_array_get(f, 3));
				}
				fcount[q] += n;
				if (n > 0 && ci >= 0 && !seen[ci]) {
					seen[ci] = 1;
					fcomp[q]++;
				}
			}
			json_object_set_new(sev, vocab_severities[q],
			                    snap_cell(fcount[q], fcomp[q], k, 0));
		}
		json_object_set_new(findings, tm, sev);
	}
	free(seen);
	(void)ne;
	return json_pack("{s:o, s:o}", "claims", claims, "findings", findings);
}

/*
 * A distribution for the levels aggregate: ncell counts under the keys
 * names[], each cell also knowing how many distinct companies it
 * describes. Under aggregate (k > 1) a cell of fewer than k companies is
 * "suppressed", and when exactly one would be, the smallest other too (the
 * total is known). New reference.
 */
static json_t *
snap_dist(const char *const *names, int ncell, const long long *count, const size_t *ncomp,
          long long k)
{
	int sup[16] = {0}, nsup = 0, best = -1;
	json_t *out = json_object();

	for (int i = 0; i < ncell && i < 16; i++) {
		sup[i] = k > 1 && (long long)ncomp[i] < k;
		nsup += sup[i];
	}
	if (nsup == 1) {
		for (int i = 0; i < ncell && i < 16; i++)
			if (!sup[i] && (best < 0 || count[i] < count[best]))
				best = i;
		if (best >= 0)
			sup[best] = 1;
	}
	for (int i = 0; i < ncell && i < 16; i++)
		json_object_set_new(out, names[i], snap_cell(count[i], ncomp[i], k, sup[i]));
	return out;
}

#define SNAP_NOC 5 /* OC1..OC5 */

/* 1 if text names a participating company (as snap_check, recording nothing). */
static int
snap_names_any(const struct snap *s, const char *text)
{
	struct publish_text *t = publish_text_new(text);
	int hit = t == NULL;

	for (size_t i = 0; !hit && i < s->ncompanies; i++) {
		size_t k;
		json_t *a;

		hit = publish_text_find(t, s->companies[i].name, NULL, NULL) != 0;
		json_array_foreach(s->companies[i].aliases, k, a)
		{
			if (!hit && json_is_string(a))
				hit = publish_text_find(t, json_string_value(a), NULL, NULL) != 0;
		}
	}
	publish_text_free(t);
	return hit;
}

/*
 * The key a commitment is counted under in the aggregate: its framework,
 * or "own-framework" when the disclosure hides names and the framework's
 * publisher takes part (a lab's own framework would name the lab).
 */
static const char *
snap_framework_key(const struct snap *s, const json_t *c)
{
	if (strcmp(s->c->disclosure, "named") != 0 && snap_names_any(s, snap_str(c, "publisher")))
		return "own-framework";
	return snap_str(c, "framework");
}

/*
 * The public coverage matrix and the levels aggregate (issue 14, part 4),
 * new reference or NULL:
 *   coverage:    {TM: {OC1..OC5, unrecorded: n}} engagements that assessed
 *                the threat model (a claim other than not-assessed), by the
 *                attacker capability they emulated;
 *   not_met:     {TM: {OC1..OC5, none: n}} engagements by the level their
 *                open findings demonstrated not met;
 *   commitments: {framework: {verdict: n}} company commitments by verdict
 *                (snap_framework_key: a participant's own framework is
 *                "own-framework" unless the disclosure is named).
 * Cells follow the disclosure's suppression rule (snap_dist).
 */
static json_t *
snap_levels_aggregate(struct snap *s, const json_t *engagements)
{
	static const char *const cov_names[] = {"OC1", "OC2", "OC3", "OC4", "OC5", "unrecorded"};
	static const char *const nm_names[] = {"OC1", "OC2", "OC3", "OC4", "OC5", "none"};
	size_t nc = s->ncompanies ? s->ncompanies : 1, t, i;
	long long k = strcmp(s->c->disclosure, "aggregate") == 0 ? s->c->min_cohort : 1;
	unsigned char *seen = calloc(nc * 16, 1);
	json_t *coverage = json_object(), *not_met = json_object(), *commit = json_object();
	json_t *v, *e, *out = NULL;
	int nverdicts = 0;

	while (vocab_verdicts[nverdicts] != NULL)
		nverdicts++;
	if (seen == NULL || coverage == NULL || not_met == NULL || commit == NULL || nverdicts > 16)
		goto done;
	json_array_foreach(s->c->threat_models, t, v)
	{
		const char *tm = json_string_value(v);
		long long cc[6] = {0}, nm[6] = {0};
		size_t ccn[6] = {0}, nmn[6] = {0};

		memset(seen, 0, nc * 16);
		json_array_foreach(engagements, i, e)
		{
			const json_t *lv = json_object_get(e, "levels");
			json_t *cl = json_object_get(json_object_get(e, "claims"), tm);
			const char *level = cl ? snap_str(cl, "level") : "not-assessed";
			const char *cap = json_string_value(
			    json_object_get(json_object_get(lv, "emulation"), "capability"));
			const char *from =
			    json_string_value(json_object_get(json_object_get(lv, "not_met"), tm));
			int ci = snap_company_index(s, snap_str(e, "company"));
			int a = cap ? vocab_index(vocab_levels, cap) : -1;
			int b = from ? vocab_index(vocab_levels, from) : -1;

			if (a < 0 || a >= SNAP_NOC)
				a = SNAP_NOC;
			if (b < 0 || b >= SNAP_NOC)
				b = SNAP_NOC;
			if (strcmp(level, "not-assessed") != 0) {
				cc[a]++;
				if (ci >= 0 && !seen[ci * 16 + a]) {
					seen[ci * 16 + a] = 1;
					ccn[a]++;
				}
			}
			nm[b]++;
			if (ci >= 0 && !seen[ci * 16 + 8 + b]) {
				seen[ci * 16 + 8 + b] = 1;
				nmn[b]++;
			}
		}
		json_object_set_new(coverage, tm, snap_dist(cov_names, 6, cc, ccn, k));
		json_object_set_new(not_met, tm, snap_dist(nm_names, 6, nm, nmn, k));
	}
	{
		json_t *fws = json_array(), *c;
		size_t f;

		/* the frameworks committed to, in order of first appearance */
		json_array_foreach(engagements, i, e)
		{
			json_array_foreach(
			    json_object_get(json_object_get(e, "levels"), "commitments"), t, c)
			{
				int known = 0;

				json_array_foreach(fws, f, v)
				{
					if (strcmp(json_string_value(v),
					           snap_framework_key(s, c)) == 0)
						known = 1;
				}
				if (!known)
					json_array_append_new(
					    fws, json_string(snap_framework_key(s, c)));
			}
		}
		json_array_foreach(fws, f, v)
		{
			long long cnt[16] = {0};
			size_t ncomp[16] = {0};

			memset(seen, 0, nc * 16);
			json_array_foreach(engagements, i, e)
			{
				int ci = snap_company_index(s, snap_str(e, "company"));

				json_array_foreach(
				    json_object_get(json_object_get(e, "levels"), "commitments"), t,
				    c)
				{
					int q = vocab_index(vocab_verdicts, snap_str(c, "verdict"));

					if (q < 0 || strcmp(snap_framework_key(s, c),
					                    json_string_value(v)) != 0)
						continue;
					cnt[q]++;
					if (ci >= 0 && !seen[ci * 16 + q]) {
						seen[ci * 16 + q] = 1;
						ncomp[q]++;
					}
				}
			}
			json_object_set_new(commit, json_string_value(v),
			                    snap_dist((const char *const *)vocab_verdicts,
			                              nverdicts, cnt, ncomp, k));
		}
		json_decref(fws);
	}
	out = json_pack("{s:O, s:O, s:O}", "coverage", coverage, "not_met", not_met, "commitments",
	                commit);
done:
	json_decref(coverage);
	json_decref(not_met);
	json_decref(commit);
	free(seen);
	return out;
}

/*
 * The release-date history for the document (new reference): the
 * entries of in ({release_at, announced_at} strings, in announcement
 * order) as they are; when there are none (a campaign older than the
 * history), the planned and the final instant as far as they are known.
 */
static json_t *
snap_history(const struct publish_campaign *c, const json_t *in)
{
	json_t *out = json_array(), *h;
	size_t i;

	json_array_foreach(in, i, h)
	{
		const char *at = json_string_value(json_object_get(h, "release_at"));
		const char *when = json_string_value(json_object_get(h, "announced_at"));

		if (at != NULL && when != NULL)
			json_array_append_new(
			    out, json_pack("{s:s, s:s}", "release_at", at, "announced_at", when));
	}
	if (json_array_size(out) == 0) {
		json_array_append_new(out, json_pack("{s:s, s:n}", "release_at",
		                                     c->planned_release_at, "announced_at"));
		if (strcmp(c->planned_release_at, c->release_at) != 0)
			json_array_append_new(out, json_pack("{s:s, s:n}", "release_at",
			                                     c->release_at, "announced_at"));
	}
	return out;
}

/* v, or JSON null when v is NULL (borrowed either way, for "O"). */
static json_t *
snap_or_null(const json_t *v)
{
	return v != NULL ? (json_t *)v : json_null();
}

/*
 * A series (issue 14 part 5): what changed since the publication this
 * campaign follows (fol: {slug, sequence, hash, document}), new reference
 * or NULL. Per company ("by": "company": [{company, claims: {TM: {before,
 * after}}}]) only when both publications are named, since a label of one
 * pseudonymous release says nothing of another and must not be linked to
 * a name; otherwise per distribution ("by": "distribution": {TM: {before,
 * after}} of the aggregate claim levels, suppressed cells as they were).
 */
static json_t *
snap_series(const struct publish_campaign *c, const json_t *fol, const json_t *rows,
            const json_t *agg)
{
	const json_t *prev = json_object_get(fol, "document"), *row, *pr, *cl, *v;
	const char *pdisc = snap_str(json_object_get(prev, "campaign"), "disclosure");
	int per_company = strcmp(c->disclosure, "named") == 0 && strcmp(pdisc, "named") == 0;
	json_t *changes, *out;
	const char *tm;
	size_t i, j;

	if (!json_is_object(prev))
		return NULL;
	if (per_company) {
		changes = json_array();
		json_array_foreach(rows, i, row)
		{
			const json_t *prow = NULL;
			json_t *tms = json_object();

			json_array_foreach(json_object_get(prev, "engagements"), j, pr)
			{
				if (prow == NULL &&
				    strcmp(snap_str(pr, "company"), snap_str(row, "company")) == 0)
					prow = pr;
			}
			json_object_foreach((json_t *)json_object_get(row, "claims"), tm, cl)
			{
				const json_t *pcl =
				    json_object_get(json_object_get(prow, "claims"), tm);

				json_object_set_new(
				    tms, tm,
				    json_pack("{s:O, s:O}", "before",
				              snap_or_null(json_object_get(pcl, "level")), "after",
				              snap_or_null(json_object_get(cl, "level"))));
			}
			json_array_append_new(changes,
			                      json_pack("{s:s, s:o}", "company",
			                                snap_str(row, "company"), "claims", tms));
		}
	} else {
		changes = json_object();
		json_array_foreach(c->threat_models, i, v)
		{
			const char *code = json_string_value(v);

			json_object_set_new(
			    changes, code,
			    json_pack(
			        "{s:O, s:O}", "before",
			        snap_or_null(json_object_get(
			            json_object_get(json_object_get(prev, "aggregate"), "claims"),
			            code)),
			        "after",
			        snap_or_null(
			            json_object_get(json_object_get(agg, "claims"), code))));
		}
	}
	out = json_pack("{s:{s:s, s:O, s:s}, s:s, s:o}", "follows", "slug", snap_str(fol, "slug"),
	                "sequence", snap_or_null(json_object_get(fol, "sequence")), "hash",
	                snap_str(fol, "hash"), "by", per_company ? "company" : "distribution",
	                "changes", changes);
	return out;
}

json_t *
publish_build(const struct publish_campaign *c, const json_t *inputs, json_t **leaks)
{
	struct snap s = {.c = c};
	const json_t *companies = json_object_get(inputs, "companies");
	const json_t *engagements = json_object_get(inputs, "engagements");
	json_t *doc = NULL, *rows = NULL, *agg = NULL, *assessors = NULL, *history, *co, *e;
	size_t *perm = NULL, i;
	json_t **sorted = NULL;
	int named = strcmp(c->disclosure, "named") == 0;
	int aggregate = strcmp(c->disclosure, "aggregate") == 0;

	*leaks = NULL;
	if (!json_is_array(companies) || !json_is_array(engagements) ||
	    !json_is_array(c->threat_models))
		return NULL;
	s.ncompanies = json_array_size(companies);
	s.companies = calloc(s.ncompanies ? s.ncompanies : 1, sizeof(*s.companies));
	perm = calloc(s.ncompanies ? s.ncompanies : 1, sizeof(*perm));
	s.leaks = json_array();
	s.check_names = !named;
	s.reviews = 1;
	s.withhold = !named && json_is_object(c->withhold);
	s.review_count = json_pack("{s:i, s:i, s:i, s:i, s:i}", PUBLISH_REVIEW_SIGNED, 0,
	                           PUBLISH_REVIEW_RESPONDED, 0, PUBLISH_REVIEW_SILENT, 0,
	                           PUBLISH_REVIEW_CHANGED, 0, PUBLISH_REVIEW_NONE, 0);
	if (s.companies == NULL || perm == NULL || s.leaks == NULL)
		goto done;
	if (publish_shuffle(perm, s.ncompanies) != 0)
		goto done;
	json_array_foreach(companies, i, co)
	{
		s.companies[i].id = snap_str(co, "id");
		s.companies[i].name = snap_str(co, "name");
		s.companies[i].aliases = json_object_get(co, "aliases");
		publish_label(perm[i], s.companies[i].label, sizeof(s.companies[i].label));
	}

	snap_check(&s, "campaign title", NULL, c->title);
	snap_check(&s, "campaign slug", NULL, c->slug);
	rows = json_array();
	if (!aggregate) {
		size_t n = json_array_size(engagements);

		s.levels_rows = json_array();

		sorted = calloc(n ? n : 1, sizeof(*sorted));
		if (sorted == NULL)
			goto done;
		json_array_foreach(engagements, i, e)
		{
			int ci = snap_company_index(&s, snap_str(e, "company"));

			if (ci < 0 || (sorted[i] = snap_row(&s, e, ci)) == NULL) {
				for (size_t j = 0; j < i; j++)
					json_decref(sorted[j]);
				goto done;
			}
		}
		qsort(sorted, n, sizeof(*sorted), snap_row_cmp);
		for (i = 0; i < n; i++)
			json_array_append_new(rows, sorted[i]);
		/* the levels rows in the rows' order (company), ties by content, never by id */
		{
			size_t nl = json_array_size(s.levels_rows);
			json_t **lr = calloc(nl ? nl : 1, sizeof(*lr)), *sorted_lv = json_array();

			if (lr == NULL || sorted_lv == NULL) {
				free(lr);
				json_decref(sorted_lv);
				goto done;
			}
			for (i = 0; i < nl; i++)
				lr[i] = json_array_get(s.levels_rows, i);
			qsort(lr, nl, sizeof(*lr), snap_levels_cmp);
			for (i = 0; i < nl; i++)
				json_array_append(sorted_lv, lr[i]);
			free(lr);
			json_decref(s.levels_rows);
			s.levels_rows = sorted_lv;
		}
	}
	if (aggregate) {
		/* no rows are published, but the review states are counted (no hashes,
		 * no responses: they would be per company) */
		json_array_foreach(engagements, i, e)
		{
			int ci = snap_company_index(&s, snap_str(e, "company"));
			json_t *row;

			if (ci < 0)
				goto done;
			s.check_names = 0;
			row = snap_row(&s, e, ci);
			s.check_names = 1;
			json_decref(row);
		}
	}
	assessors = snap_assessors(&s, engagements);
	if ((agg = snap_aggregate(&s, engagements)) == NULL)
		goto done;
	{
		json_t *lv = snap_levels_aggregate(&s, engagements);

		if (lv == NULL || json_object_set_new(agg, "levels", lv) != 0)
			goto done;
	}
	history = snap_history(c, json_object_get(inputs, "release_history"));
	doc = json_pack(
	    "{s:s, s:I, s:s, s:{s:s, s:s, s:O, s:s, s:s, s:o, s:s, s:I}, s:b, s:I, s:o, s:o, s:o}",
	    "format", PUBLISH_FORMAT, "sequence", (json_int_t)0, "prev_hash", "", "campaign",
	    "title", c->title, "slug", c->slug, "threat_models", c->threat_models, "release_at",
	    c->release_at, "planned_release_at", c->planned_release_at, "release_history", history,
	    "disclosure", c->disclosure, "min_cohort", (json_int_t)c->min_cohort, "embargo_break",
	    c->embargo_break, "companies", (json_int_t)s.ncompanies, "assessors", assessors,
	    "engagements", rows, "aggregate", agg);
	assessors = rows = agg = NULL; /* stolen by "o" */
	if (doc != NULL)
		json_object_set(doc, "reviews", s.review_count);
	if (doc != NULL && s.levels_rows != NULL)
		json_object_set_new(doc, "levels",
		                    json_pack("{s:O}", "engagements", s.levels_rows));
	if (doc != NULL && json_is_object(json_object_get(inputs, "follows"))) {
		json_t *series = snap_series(c, json_object_get(inputs, "follows"),
		                             json_object_get(doc, "engagements"),
		                             json_object_get(doc, "aggregate"));

		if (series != NULL)
			json_object_set_new(doc, "series", series);
	}
	if (doc != NULL && s.withhold)
		json_object_set_new(doc, "withheld",
		                    json_pack("{s:s, s:s, s:I}", "reason",
		                              snap_str(c->withhold, "reason"), "decided_at",
		                              snap_str(c->withhold, "decided_at"), "texts",
		                              (json_int_t)s.nwithheld));
	if (doc != NULL) {
		*leaks = s.leaks;
		s.leaks = NULL;
	}
done:
	json_decref(rows);
	json_decref(agg);
	json_decref(assessors);
	json_decref(s.leaks);
	json_decref(s.review_count);
	json_decref(s.levels_rows);
	free(sorted);
	free(perm);
	free(s.companies);
	return doc;
}

json_t *
publish_draft_rows(const struct publish_campaign *c, const json_t *inputs)
{
	struct snap s = {.c = c, .draft = 1};
	const json_t *companies = json_object_get(inputs, "companies");
	const json_t *engagements = json_object_get(inputs, "engagements");
	json_t *out = NULL, *co, *e;
	size_t i;

	if (!json_is_array(companies) || !json_is_array(engagements) ||
	    !json_is_array(c->threat_models))
		return NULL;
	s.ncompanies = json_array_size(companies);
	s.companies = calloc(s.ncompanies ? s.ncompanies : 1, sizeof(*s.companies));
	s.leaks = json_array();
	if (s.companies == NULL || s.leaks == NULL)
		goto done;
	json_array_foreach(companies, i, co)
	{
		s.companies[i].id = snap_str(co, "id");
		s.companies[i].name = snap_str(co, "name");
		s.companies[i].aliases = json_object_get(co, "aliases");
		snprintf(s.companies[i].label, sizeof(s.companies[i].label), "%s", "");
	}
	out = json_object();
	json_array_foreach(engagements, i, e)
	{
		int ci = snap_company_index(&s, snap_str(e, "company"));
		json_t *row;

		if (ci < 0 || (row = snap_row(&s, e, ci)) == NULL) {
			json_decref(out);
			out = NULL;
			goto done;
		}
		json_object_del(row, "company");
		json_object_set_new(out, snap_str(e, "id"), row);
	}
done:
	json_decref(s.leaks);
	free(s.companies);
	return out;
}

/* Append prefix.key for each key whose value differs between a and b (objects). */
static void
snap_diff_keys(json_t *out, const char *prefix, const json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;
	char name[96];

	json_object_foreach((json_t *)a, k, v)
	{
		if (!json_equal(v, json_object_get(b, k))) {
			snprintf(name, sizeof(name), "%s.%s", prefix, k);
			json_array_append_new(out, json_string(name));
		}
	}
	json_object_foreach((json_t *)b, k, v)
	{
		if (json_object_get(a, k) == NULL) {
			snprintf(name, sizeof(name), "%s.%s", prefix, k);
			json_array_append_new(out, json_string(name));
		}
	}
}

json_t *
publish_row_changes(const json_t *old, const json_t *now)
{
	json_t *out = json_array();

	if (old == NULL || now == NULL)
		return out;
	snap_diff_keys(out, "claims", json_object_get(old, "claims"),
	               json_object_get(now, "claims"));
	snap_diff_keys(out, "findings", json_object_get(old, "findings"),
	               json_object_get(now, "findings"));
	if (!json_equal(json_object_get(old, "statement"), json_object_get(now, "statement")))
		json_array_append_new(out, json_string("statement"));
	if (!json_equal(json_object_get(old, "assessor"), json_object_get(now, "assessor")) &&
	    (json_object_get(old, "assessor") || json_object_get(now, "assessor")))
		json_array_append_new(out, json_string("assessor"));
	/* the security levels (a claim's own level is already "claims.<TM>") */
	{
		const json_t *lo = json_object_get(old, "levels"), *ln = json_object_get(now, "levels");
		const json_t *co = json_object_get(lo, "claims"), *cn = json_object_get(ln, "claims");
		const char *tm;
		json_t *v;
		char name[96];

		if ((lo != NULL || ln != NULL) &&
		    !json_equal(json_object_get(lo, "emulation"), json_object_get(ln, "emulation")))
			json_array_append_new(out, json_string("levels.emulation"));
		if ((lo != NULL || ln != NULL) &&
		    !json_equal(json_object_get(lo, "commitments"), json_object_get(ln, "commitments")))
			json_array_append_new(out, json_string("levels.commitments"));
		json_object_foreach((json_t *)cn, tm, v)
		{
			const json_t *w = json_object_get(co, tm);

			if (!json_equal(json_object_get(v, "not_met_from"),
			                json_object_get(w, "not_met_from")) ||
			    !json_equal(json_object_get(v, "contradiction"),
			                json_object_get(w, "contradiction"))) {
				snprintf(name, sizeof(name), "levels.not_met.%s", tm);
				json_array_append_new(out, json_string(name));
			}
		}
	}
	return out;
}

int
publish_chain(json_t *doc, long long seq, const char *prev_hash_hex)
{
	if (json_object_set_new(doc, "sequence", json_integer((json_int_t)seq)) != 0 ||
	    json_object_set_new(doc, "prev_hash", json_string(prev_hash_hex)) != 0)
		return -1;
	return 0;
}
