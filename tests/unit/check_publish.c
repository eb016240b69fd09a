/* Unit tests for the publish module: name check, labels, shuffle, the
 * document with its disclosure policies and suppression, rendering. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "publish/publish.h"

START_TEST(test_name_in)
{
	ck_assert_int_eq(publish_name_in("Acme is robust", "Acme"), 1);
	ck_assert_int_eq(publish_name_in("unlike ACME, we", "acme"), 1);
	ck_assert_int_eq(publish_name_in("(acme)", "Acme"), 1);
	ck_assert_int_eq(publish_name_in("acme-labs", "Acme"), 1);
	ck_assert_int_eq(publish_name_in("Acmeology", "Acme"), 0);
	ck_assert_int_eq(publish_name_in("TheAcme", "Acme"), 1); /* read as "The Acme" */
	ck_assert_int_eq(publish_name_in("theacme", "Acme"), 0);
	ck_assert_int_eq(publish_name_in("acme2", "Acme"), 0);
	ck_assert_int_eq(publish_name_in("Beta Labs did", "beta labs"), 1);
	ck_assert_int_eq(publish_name_in("Beta  Labs", "beta labs"), 1);
	ck_assert_int_eq(publish_name_in("by BETA-labs.", "Beta Labs"), 1);
	ck_assert_int_eq(publish_name_in("Beta Labsx", "Beta Labs"), 0);
	ck_assert_int_eq(publish_name_in("Beta", "Beta Labs"), 0);
	ck_assert_int_eq(publish_name_in("x", "--"), 0);
	ck_assert_int_eq(publish_name_in("Acmé x", "Acm"), 0); /* é is a word character */
	ck_assert_int_eq(publish_name_in("see Acmé.", "acmé"), 1);
	ck_assert_int_eq(publish_name_in("x", ""), 0);
	ck_assert_int_eq(publish_name_in("x", "  "), 0);
	ck_assert_int_eq(publish_name_in("Acme", " Acme "), 1);
	ck_assert_int_eq(publish_name_in("a.b.c", "b.c"), 1);
}
END_TEST

START_TEST(test_labels)
{
	char b[32];

	publish_label(0, b, sizeof(b));
	ck_assert_str_eq(b, "Company A");
	publish_label(25, b, sizeof(b));
	ck_assert_str_eq(b, "Company Z");
	publish_label(26, b, sizeof(b));
	ck_assert_str_eq(b, "Company AA");
	publish_label(27, b, sizeof(b));
	ck_assert_str_eq(b, "Company AB");
}
END_TEST

START_TEST(test_shuffle)
{
	size_t perm[3];
	int seen[6] = {0}, kinds = 0;

	for (int i = 0; i < 600; i++) {
		int code;

		ck_assert_int_eq(publish_shuffle(perm, 3), 0);
		ck_assert(perm[0] != perm[1] && perm[1] != perm[2] && perm[0] != perm[2]);
		code = (int)(perm[0] * 2 + (perm[1] > perm[2]));
		seen[code]++;
	}
	for (int i = 0; i < 6; i++) {
		kinds += seen[i] > 0;
		ck_assert_msg(seen[i] > 40, "permutation %d seen %d times in 600", i, seen[i]);
	}
	ck_assert_int_eq(kinds, 6);
}
END_TEST

static json_t *
inputs(void)
{
	return json_loads(
	    "{\"companies\":["
	    "{\"id\":\"c1\",\"name\":\"Acme AI\",\"aliases\":[\"Acme\"]},"
	    "{\"id\":\"c2\",\"name\":\"Beta Labs\",\"aliases\":[]},"
	    "{\"id\":\"c3\",\"name\":\"Gamma\",\"aliases\":[]}],"
	    "\"engagements\":["
	    "{\"id\":\"e1\",\"company\":\"c1\",\"assessor_firm\":\"Red\",\"lead_assessors\":["
	    "\"Rita\"],"
	    " \"statement\":\"Thanks.\",\"claims\":{\"WEIGHTS-EXFIL\":{\"level\":\"OC3\","
	    "\"summary\":\"s1\"}},"
	    " \"findings\":[[\"WEIGHTS-EXFIL\",\"high\",\"open\",2]]},"
	    "{\"id\":\"e2\",\"company\":\"c2\",\"assessor_firm\":\"Red\",\"lead_assessors\":["
	    "\"Sam\"],"
	    " \"statement\":null,\"claims\":{\"WEIGHTS-EXFIL\":{\"level\":\"OC3\",\"summary\":"
	    "\"s2\"}},"
	    " \"findings\":[[\"WEIGHTS-EXFIL\",\"high\",\"remediated\",1]]},"
	    "{\"id\":\"e3\",\"company\":\"c3\",\"assessor_firm\":\"Blue\",\"lead_assessors\":[],"
	    " \"statement\":null,\"claims\":{\"WEIGHTS-EXFIL\":{\"level\":\"OC1\",\"summary\":"
	    "\"s3\"}},"
	    " \"findings\":[[\"WEIGHTS-EXFIL\",\"critical\",\"open\",1]]}]}",
	    0, NULL);
}

static json_t *
build(const char *disclosure, long long k, const char *title, json_t **leaks)
{
	json_t *tms = json_pack("[s]", "WEIGHTS-EXFIL");
	json_t *in = inputs();
	struct publish_campaign c = {.id = "x",
	                             .title = title,
	                             .slug = "s",
	                             .threat_models = tms,
	                             .release_at = "2030-01-01T00:00:00Z",
	                             .planned_release_at = "2030-01-01T00:00:00Z",
	                             .disclosure = disclosure,
	                             .min_cohort = k};
	json_t *doc = publish_build(&c, in, leaks);

	json_decref(tms);
	json_decref(in);
	ck_assert_ptr_nonnull(doc);
	return doc;
}

START_TEST(test_build_named)
{
	json_t *leaks, *doc = build("named", 1, "About Acme", &leaks);
	json_t *rows = json_object_get(doc, "engagements");
	char *text;

	ck_assert_int_eq(json_array_size(leaks), 0); /* names are fine when named */
	ck_assert_int_eq(json_array_size(rows), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "company")),
	                 "Acme AI");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(
	        json_object_get(
	            json_object_get(json_object_get(json_array_get(rows, 0), "findings"),
	                            "WEIGHTS-EXFIL"),
	            "high"),
	        "open")),
	    2);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(
	        json_object_get(json_object_get(json_object_get(doc, "aggregate"), "claims"),
	                        "WEIGHTS-EXFIL"),
	        "OC3")),
	    2);
	text = publish_canonical(doc, NULL);
	ck_assert_ptr_nonnull(text);
	free(text);
	json_decref(leaks);
	json_decref(doc);
}
END_TEST

START_TEST(test_build_pseudonymous_leak)
{
	json_t *leaks, *doc = build("pseudonymous", 1, "About ACME and others", &leaks);
	char *text = publish_canonical(doc, NULL);

	ck_assert_int_eq(json_array_size(leaks), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(leaks, 0), "field")),
	                 "campaign title");
	ck_assert_ptr_null(strstr(text, "Beta Labs"));
	ck_assert_ptr_null(strstr(text, "\"c1\""));
	ck_assert_ptr_nonnull(strstr(text, "Company A"));
	free(text);
	json_decref(leaks);
	json_decref(doc);
	doc = build("pseudonymous", 1, "Clean", &leaks);
	ck_assert_int_eq(json_array_size(leaks), 0);
	json_decref(leaks);
	json_decref(doc);
}
END_TEST

START_TEST(test_build_aggregate_suppressed)
{
	json_t *leaks, *doc = build("aggregate", 2, "Clean", &leaks);
	json_t *agg = json_object_get(doc, "aggregate");
	json_t *cl = json_object_get(json_object_get(agg, "claims"), "WEIGHTS-EXFIL");
	json_t *fi = json_object_get(json_object_get(agg, "findings"), "WEIGHTS-EXFIL");
	char *text = publish_canonical(doc, NULL);

	ck_assert_int_eq(json_array_size(json_object_get(doc, "engagements")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(cl, "OC3")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(cl, "OC1")), "suppressed");
	ck_assert_str_eq(json_string_value(json_object_get(cl, "OC2")), "suppressed");
	ck_assert_int_eq(json_integer_value(json_object_get(fi, "high")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(fi, "critical")), "suppressed");
	ck_assert_ptr_null(strstr(text, "s1"));
	ck_assert_ptr_null(strstr(text, "Thanks"));
	ck_assert_ptr_nonnull(strstr(text, "\"firm\":\"Blue\""));
	free(text);
	json_decref(leaks);
	json_decref(doc);
	/* k = 3: every cell describes fewer than 3 companies except none */
	doc = build("aggregate", 3, "Clean", &leaks);
	cl = json_object_get(json_object_get(json_object_get(doc, "aggregate"), "claims"),
	                     "WEIGHTS-EXFIL");
	ck_assert_str_eq(json_string_value(json_object_get(cl, "OC3")), "suppressed");
	json_decref(leaks);
	json_decref(doc);
}
END_TEST

/* Issue 8: pseudonymous rows link to no firm; only aggregate suppresses. */
/*
 * Security levels (issue 14) in the document, a table of cases per
 * disclosure: the coverage matrix, the not-met distribution and the
 * commitments' verdicts, suppressed only under aggregate with k > 1; rows
 * carry the emulation and the contradiction; a commitment to a
 * participant's own framework is held (pseudonymous) or counted as
 * "own-framework".
 */
static json_t *
build_levels(const char *disclosure, long long k, const char *publisher, json_t **leaks)
{
	json_t *tms = json_pack("[s]", "WEIGHTS-EXFIL");
	json_t *in = inputs(), *e;
	struct publish_campaign c = {.id = "x",
	                             .title = "Clean",
	                             .slug = "s",
	                             .threat_models = tms,
	                             .release_at = "2030-01-01T00:00:00Z",
	                             .planned_release_at = "2030-01-01T00:00:00Z",
	                             .disclosure = disclosure,
	                             .min_cohort = k};
	json_t *doc;
	size_t i;

	json_array_foreach(json_object_get(in, "engagements"), i, e)
	{
		/* e1, e2 emulated OC3; e3 nothing; e1 has an open OC2 finding */
		json_t *lv = json_pack(
		    "{s:o, s:o, s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:s, s:s}]}", "emulation",
		    i < 2 ? json_pack("{s:s, s:[s], s:i}", "capability", "OC3", "access",
		                      "external", "person_days", 20)
		          : json_null(),
		    "not_met", i == 0 ? json_pack("{s:s}", "WEIGHTS-EXFIL", "OC2") : json_object(),
		    "commitments", "framework", i == 0 ? "OWN-FW" : "RAND-SL", "framework_name",
		    "Security levels", "publisher", i == 0 ? publisher : "RAND Corporation",
		    "version", "1", "level", "SL3", "text", "We meet SL3.", "link", "verdict",
		    i == 2 ? "supported" : "refuted", "summary", "checked");

		json_object_set_new(e, "levels", lv);
	}
	doc = publish_build(&c, in, leaks);
	json_decref(tms);
	json_decref(in);
	ck_assert_ptr_nonnull(doc);
	return doc;
}

static json_t *
lv_get(const json_t *doc, const char *part, const char *key)
{
	return json_object_get(
	    json_object_get(json_object_get(json_object_get(doc, "aggregate"), "levels"), part),
	    key);
}

START_TEST(test_build_levels)
{
	static const struct {
		const char *disclosure;
		long long k;
		const char *cov_oc3; /* coverage WEIGHTS-EXFIL OC3: number or "suppressed" */
		const char *nm_oc2;  /* not_met OC2 */
		const char *fw_key;  /* how e1's commitment is counted */
		size_t rows;
	} cases[] = {
	    {"named", 1, "2", "1", "OWN-FW", 3},
	    {"pseudonymous", 1, "2", "1", "own-framework", 3},
	    {"aggregate", 1, "2", "1", "own-framework", 0},
	    {"aggregate", 2, "2", "suppressed", "own-framework", 0},
	    {"aggregate", 3, "suppressed", "suppressed", "own-framework", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *leaks,
		    *doc = build_levels(cases[i].disclosure, cases[i].k, "Beta Labs", &leaks);
		json_t *cov = lv_get(doc, "coverage", "WEIGHTS-EXFIL");
		json_t *nm = lv_get(doc, "not_met", "WEIGHTS-EXFIL");
		json_t *v = json_object_get(cov, "OC3");
		char got[32];
		char *text = publish_canonical(doc, NULL);

		ck_assert_ptr_nonnull(text);
		snprintf(got, sizeof(got), "%s",
		         json_is_integer(v)     ? ""
		         : json_string_value(v) ? json_string_value(v)
		                                : "?");
		if (json_is_integer(v))
			snprintf(got, sizeof(got), "%lld", (long long)json_integer_value(v));
		ck_assert_msg(strcmp(got, cases[i].cov_oc3) == 0, "%s k=%lld coverage OC3 %s",
		              cases[i].disclosure, cases[i].k, got);
		v = json_object_get(nm, "OC2");
		if (json_is_integer(v))
			snprintf(got, sizeof(got), "%lld", (long long)json_integer_value(v));
		else
			snprintf(got, sizeof(got), "%s", json_string_value(v));
		ck_assert_msg(strcmp(got, cases[i].nm_oc2) == 0, "%s k=%lld not_met OC2 %s",
		              cases[i].disclosure, cases[i].k, got);
		ck_assert_msg(lv_get(doc, "commitments", cases[i].fw_key) != NULL,
		              "%s: commitment counted under %s: %s", cases[i].disclosure,
		              cases[i].fw_key, text);
		ck_assert_int_eq(json_array_size(json_object_get(doc, "engagements")),
		                 cases[i].rows);
		ck_assert_int_eq(
		    json_array_size(json_object_get(json_object_get(doc, "levels"), "engagements")),
		    cases[i].rows);
		/* a publisher naming a participant is a hit wherever rows hide names */
		ck_assert_int_eq(json_array_size(leaks),
		                 strcmp(cases[i].disclosure, "pseudonymous") == 0 ? 1 : 0);
		if (cases[i].rows > 0) {
			json_t *row = NULL, *r;
			size_t j;

			json_array_foreach(
			    json_object_get(json_object_get(doc, "levels"), "engagements"), j, r)
			{
				if (json_is_object(json_object_get(r, "emulation")) &&
				    json_is_string(json_object_get(
				        json_object_get(json_object_get(r, "claims"),
				                        "WEIGHTS-EXFIL"),
				        "not_met_from")))
					row = r;
			}
			ck_assert_msg(row != NULL, "no row with the emulation and the flag: %s",
			              text);
			ck_assert(json_is_true(json_object_get(
			    json_object_get(json_object_get(row, "claims"), "WEIGHTS-EXFIL"),
			    "contradiction")));
			ck_assert_int_eq(json_array_size(json_object_get(row, "commitments")), 1);
		}
		free(text);
		json_decref(leaks);
		json_decref(doc);
	}
}
END_TEST

START_TEST(test_build_pseudonymous_unlinked)
{
	json_t *leaks, *doc = build("pseudonymous", 2, "Clean", &leaks);
	json_t *rows = json_object_get(doc, "engagements"), *row;
	json_t *cl = json_object_get(json_object_get(json_object_get(doc, "aggregate"), "claims"),
	                             "WEIGHTS-EXFIL");
	json_t *as = json_object_get(doc, "assessors");
	char *text;
	size_t i;

	ck_assert_int_eq(json_array_size(rows), 3);
	json_array_foreach(rows, i, row)
	{
		ck_assert_ptr_null(json_object_get(row, "assessor"));
		text = publish_canonical(row, NULL);
		ck_assert_ptr_null(strstr(text, "Red"));
		ck_assert_ptr_null(strstr(text, "Rita"));
		free(text);
	}
	/* the assessors apart, sorted by firm */
	ck_assert_int_eq(json_array_size(as), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(as, 0), "firm")), "Blue");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(as, 1), "firm")), "Red");
	/* k = 2, but the rows show every value: real totals */
	ck_assert_int_eq(json_integer_value(json_object_get(cl, "OC1")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(cl, "OC2")), 0);
	text = publish_canonical(doc, NULL);
	ck_assert_ptr_null(strstr(text, "suppressed"));
	free(text);
	json_decref(leaks);
	json_decref(doc);
	/* named rows keep their firm, and named never suppresses either */
	doc = build("named", 2, "Clean", &leaks);
	row = json_array_get(json_object_get(doc, "engagements"), 0);
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(row, "assessor"), "firm")), "Red");
	text = publish_canonical(doc, NULL);
	ck_assert_ptr_null(strstr(text, "suppressed"));
	free(text);
	json_decref(leaks);
	json_decref(doc);
}
END_TEST

/* The release-date history goes into the document as given. */
START_TEST(test_build_release_history)
{
	json_t *tms = json_pack("[s]", "WEIGHTS-EXFIL"), *in = inputs(), *leaks, *doc, *h;
	struct publish_campaign c = {.id = "x",
	                             .title = "Clean",
	                             .slug = "s",
	                             .threat_models = tms,
	                             .release_at = "2030-01-01T00:00:00Z",
	                             .planned_release_at = "2030-01-01T00:00:00Z",
	                             .disclosure = "named",
	                             .min_cohort = 1,
	                             .embargo_break = 1};

	json_object_set_new(
	    in, "release_history",
	    json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "release_at", "2030-01-01T00:00:00Z",
	              "announced_at", "2029-01-01T00:00:00Z", "release_at", "2031-06-01T00:00:00Z",
	              "announced_at", "2029-02-01T00:00:00Z", "release_at", "2030-01-01T00:00:00Z",
	              "announced_at", "2029-03-01T00:00:00Z"));
	doc = publish_build(&c, in, &leaks);
	ck_assert_ptr_nonnull(doc);
	h = json_object_get(json_object_get(doc, "campaign"), "release_history");
	ck_assert_int_eq(json_array_size(h), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 1), "release_at")),
	                 "2031-06-01T00:00:00Z");
	ck_assert(json_is_true(json_object_get(doc, "embargo_break")));
	json_decref(leaks);
	json_decref(doc);
	/* without a history (older campaigns): the planned instant, announced when unknown */
	json_object_del(in, "release_history");
	doc = publish_build(&c, in, &leaks);
	h = json_object_get(json_object_get(doc, "campaign"), "release_history");
	ck_assert_int_eq(json_array_size(h), 1);
	ck_assert(json_is_null(json_object_get(json_array_get(h, 0), "announced_at")));
	json_decref(leaks);
	json_decref(doc);
	json_decref(in);
	json_decref(tms);
}
END_TEST

/* The row of engagement id in doc, found by its statement/claim summary. */
static const json_t *
row_with_summary(const json_t *doc, const char *summary)
{
	size_t i;
	json_t *row;

	json_array_foreach(json_object_get(doc, "engagements"), i, row)
	{
		const json_t *cl = json_object_get(json_object_get(row, "claims"), "WEIGHTS-EXFIL");

		if (strcmp(json_string_value(json_object_get(cl, "summary")), summary) == 0)
			return row;
	}
	return NULL;
}

/*
 * The draft rows are the publication's rows without the company: when
 * nothing changed their hash is the published row's; a review in the
 * inputs gives each row its state, a changed row says so.
 */
START_TEST(test_review_rows_and_hash)
{
	json_t *tms = json_pack("[s]", "WEIGHTS-EXFIL");
	json_t *in = inputs(), *drafts, *doc, *leaks = NULL, *e;
	struct publish_campaign c = {.id = "x",
	                             .title = "T",
	                             .slug = "s",
	                             .threat_models = tms,
	                             .release_at = "2030-01-01T00:00:00Z",
	                             .planned_release_at = "2030-01-01T00:00:00Z",
	                             .disclosure = "pseudonymous",
	                             .min_cohort = 1};
	char h1[65], h2[65], h3[65], hp[65];
	const json_t *row;
	size_t i;

	drafts = publish_draft_rows(&c, in);
	ck_assert_ptr_nonnull(drafts);
	ck_assert_ptr_null(json_object_get(json_object_get(drafts, "e1"), "company"));
	ck_assert_int_eq(publish_row_hash(json_object_get(drafts, "e1"), h1, NULL), 0);
	ck_assert_int_eq(publish_row_hash(json_object_get(drafts, "e2"), h2, NULL), 0);
	ck_assert_int_eq(publish_row_hash(json_object_get(drafts, "e3"), h3, NULL), 0);
	ck_assert_str_ne(h1, h2);
	/* the reviews: e1 signed off, e2 responded, e3's draft is stale (changed since) */
	json_array_foreach(json_object_get(in, "engagements"), i, e)
	{
		const char *id = json_string_value(json_object_get(e, "id"));

		if (strcmp(id, "e1") == 0)
			json_object_set_new(
			    e, "review",
			    json_pack("{s:s, s:s}", "state", "signed-off", "draft_hash", h1));
		else if (strcmp(id, "e2") == 0)
			json_object_set_new(e, "review",
			                    json_pack("{s:s, s:s, s:s, s:s}", "state", "responded",
			                              "draft_hash", h2, "response", "We disagree.",
			                              "addendum", "We stand by it."));
		else
			json_object_set_new(e, "review",
			                    json_pack("{s:s, s:s}", "state", "signed-off",
			                              "draft_hash",
			                              "00000000000000000000000000000000000000000000"
			                              "000000000000000000ff"));
	}
	doc = publish_build(&c, in, &leaks);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_array_size(leaks), 0);
	row = row_with_summary(doc, "s1");
	/* the published row hashes as its draft did, with the levels its review
	 * carries put back in (as a reader does: docs/API.md) */
	{
		json_t *as_draft = json_copy((json_t *)row);
		const json_t *lv = json_object_get(json_object_get(row, "review"), "levels");

		ck_assert_ptr_nonnull(lv);
		ck_assert_ptr_nonnull(json_object_get(json_object_get(drafts, "e1"), "levels"));
		json_object_set(as_draft, "levels", (json_t *)lv);
		ck_assert_int_eq(publish_row_hash(as_draft, hp, NULL), 0);
		ck_assert_str_eq(hp, h1);
		/* without them it does not: the hash covers the levels */
		ck_assert_int_eq(publish_row_hash(row, hp, NULL), 0);
		ck_assert_str_ne(hp, h1);
		json_decref(as_draft);
	}
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(row, "review"), "state")),
	    "signed-off");
	row = row_with_summary(doc, "s2");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(row, "review"), "state")),
	    "responded");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(row, "review"), "response")),
	    "We disagree.");
	row = row_with_summary(doc, "s3");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(row, "review"), "state")),
	    PUBLISH_REVIEW_CHANGED);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(doc, "reviews"), "signed-off")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "reviews"),
	                                                    PUBLISH_REVIEW_CHANGED)),
	                 1);
	json_decref(doc);
	json_decref(leaks);
	json_decref(drafts);
	json_decref(in);
	json_decref(tms);
}
END_TEST

/* A response naming a company holds; withheld, it is replaced and noted, and nothing else held. */
START_TEST(test_withhold)
{
	json_t *tms = json_pack("[s]", "WEIGHTS-EXFIL");
	json_t *in = inputs(), *doc, *leaks = NULL, *e,
	       *w = json_pack("{s:s, s:s}", "reason", "r1", "decided_at", "2030-01-01");
	struct publish_campaign c = {.id = "x",
	                             .title = "T",
	                             .slug = "s",
	                             .threat_models = tms,
	                             .release_at = "2030-01-01T00:00:00Z",
	                             .planned_release_at = "2030-01-01T00:00:00Z",
	                             .disclosure = "pseudonymous",
	                             .min_cohort = 1};
	const json_t *row;
	char *text;
	size_t i;

	json_array_foreach(json_object_get(in, "engagements"), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "id")), "e1") == 0)
			json_object_set_new(e, "statement",
			                    json_string("Unlike Beta Labs, we fixed it."));
	}
	doc = publish_build(&c, in, &leaks);
	ck_assert_int_eq(json_array_size(leaks), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(leaks, 0), "field")),
	                 "statement");
	json_decref(doc);
	json_decref(leaks);
	c.withhold = w;
	doc = publish_build(&c, in, &leaks);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_array_size(leaks), 0);
	row = row_with_summary(doc, "s1");
	ck_assert_str_eq(json_string_value(json_object_get(row, "statement")), PUBLISH_WITHHELD);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(row, "withheld"), 0)),
	                 "statement");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(doc, "withheld"), "reason")), "r1");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(doc, "withheld"), "texts")), 1);
	text = publish_canonical(doc, NULL);
	ck_assert_ptr_null(strstr(text, "Beta Labs"));
	free(text);
	json_decref(doc);
	json_decref(leaks);
	/* a campaign title that names a company still holds, withheld or not */
	c.title = "Acme and friends";
	doc = publish_build(&c, in, &leaks);
	ck_assert_int_eq(json_array_size(leaks), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(leaks, 0), "field")),
	                 "campaign title");
	json_decref(doc);
	json_decref(leaks);
	json_decref(w);
	json_decref(in);
	json_decref(tms);
}
END_TEST

START_TEST(test_render_escapes)
{
	json_t *leaks, *doc = build("named", 1, "<script>alert(1)</script> & \"q\"", &leaks);
	struct publish_meta m = {"s", "00", "AA==", "k", "2030-01-01T00:00:00Z", NULL};
	struct publish_feed_item it = {"s", "<b>t</b>", "named", "r", "p", "00", 1};
	size_t len;
	char *page = publish_page_html(doc, &m, &len), *feed;

	ck_assert_ptr_nonnull(page);
	ck_assert_ptr_null(strstr(page, "<script"));
	ck_assert_ptr_nonnull(
	    strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"));
	ck_assert_ptr_nonnull(strstr(page, "<svg"));
	feed = publish_feed_atom(&it, 1, "urn:x", &len);
	ck_assert_ptr_nonnull(strstr(feed, "&lt;b&gt;t&lt;/b&gt;"));
	free(feed);
	free(page);
	json_decref(leaks);
	json_decref(doc);
}
END_TEST

/* The public index (/p/), the "not found" page, and charts of suppressed cells. */
START_TEST(test_render_index_and_notes)
{
	struct publish_feed_item it[2] = {
	    {"newer", "<i>New</i>", "pseudonymous", "2031-02-03T04:05:06Z", "p", "00", 2},
	    {"older", "Old", "aggregate", "2030-01-01T00:00:00Z", "p", "11", 1}};
	struct publish_meta m = {"s", "00", "AA==", "k", "2030-01-01T00:00:00Z", "KID"};
	size_t len, len2;
	char *page = publish_index_html(it, 2, 0, &len), *a, *b, *nf, *nf2;
	json_t *leaks, *doc;

	ck_assert_ptr_nonnull(page);
	a = strstr(page, "<a href=\"/p/newer\">&lt;i&gt;New&lt;/i&gt;</a>");
	b = strstr(page, "<a href=\"/p/older\">Old</a>");
	ck_assert_msg(a != NULL && b != NULL && a < b, "not newest first: %s", page);
	ck_assert_ptr_nonnull(
	    strstr(page, "<time datetime=\"2031-02-03T04:05:06Z\">2031-02-03 04:05 UTC</time>"));
	ck_assert_ptr_nonnull(strstr(page, "pseudonymous: "));
	ck_assert_ptr_nonnull(strstr(page, "type=\"application/atom+xml\""));
	ck_assert_ptr_null(strstr(page, "rel=\"next\""));
	ck_assert_ptr_null(strstr(page, "<script"));
	free(page);
	page = publish_index_html(it, 2, 7, &len);
	ck_assert_ptr_nonnull(strstr(page, "<a rel=\"next\" href=\"/p/?after=7\">"));
	free(page);
	page = publish_index_html(NULL, 0, 0, &len);
	ck_assert_ptr_nonnull(strstr(page, "Nothing has been released yet"));
	free(page);

	/* one constant page */
	nf = publish_not_found_html(&len);
	nf2 = publish_not_found_html(&len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_int_eq(memcmp(nf, nf2, len), 0);
	ck_assert_ptr_nonnull(strstr(nf, "<h1>Not found</h1>"));
	free(nf);
	free(nf2);

	/* mostly suppressed: one note instead of a grid of "suppressed" */
	doc = build("named", 1, "T", &leaks);
	json_object_set_new(json_object_get(json_object_get(doc, "aggregate"), "claims"),
	                    "WEIGHTS-EXFIL",
	                    json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "OC1", "suppressed", "OC2",
	                              "suppressed", "OC3", 2, "OC4", "suppressed", "OC5",
	                              "suppressed", "not-assessed", "suppressed"));
	json_object_set_new(json_object_get(doc, "campaign"), "min_cohort", json_integer(3));
	page = publish_page_html(doc, &m, &len);
	ck_assert_ptr_nonnull(page);
	ck_assert_ptr_nonnull(strstr(page, "Suppressed: 5 of 6 values."));
	ck_assert_ptr_nonnull(strstr(page, "fewer than 3 companies"));
	ck_assert_ptr_nonnull(strstr(page, "Shown: OC3 2."));
	ck_assert_ptr_null(strstr(page, ">suppressed</text>"));
	/* the key id, the OSCAL and the feed are linked */
	ck_assert_ptr_nonnull(strstr(page, "<code>KID</code>"));
	ck_assert_ptr_nonnull(strstr(page, "href=\"/api/v1/publications/s/oscal\""));
	ck_assert_ptr_nonnull(strstr(page, "type=\"application/atom+xml\""));
	free(page);
	/* one suppressed cell of six: the chart, its marker and a caption */
	json_object_set_new(json_object_get(json_object_get(doc, "aggregate"), "claims"),
	                    "WEIGHTS-EXFIL",
	                    json_pack("{s:i, s:i, s:i, s:i, s:i, s:s}", "OC1", 3, "OC2", 4, "OC3",
	                              5, "OC4", 3, "OC5", 3, "not-assessed", "suppressed"));
	page = publish_page_html(doc, &m, &len);
	ck_assert_ptr_nonnull(strstr(page, ">suppressed</text>"));
	ck_assert_ptr_nonnull(strstr(page, "withheld by the minimum cohort"));
	free(page);
	json_decref(leaks);
	json_decref(doc);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("publish");
	TCase *tc = tcase_create("publish");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_name_in);
	tcase_add_test(tc, test_render_index_and_notes);
	tcase_add_test(tc, test_labels);
	tcase_add_test(tc, test_shuffle);
	tcase_add_test(tc, test_build_pseudonymous_unlinked);
	tcase_add_test(tc, test_build_release_history);
	tcase_add_test(tc, test_build_named);
	tcase_add_test(tc, test_build_pseudonymous_leak);
	tcase_add_test(tc, test_build_aggregate_suppressed);
	tcase_add_test(tc, test_build_levels);
	tcase_add_test(tc, test_render_escapes);
	tcase_add_test(tc, test_review_rows_and_hash);
	tcase_add_test(tc, test_withhold);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
