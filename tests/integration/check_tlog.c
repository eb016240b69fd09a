/*
 * Integration tests of the transparency log (issue 13) against a running
 * lockstepd: a campaign released a few seconds after set-up is in the log
 * (inclusion proof against a checkpoint signed by the log key), tiles and
 * entry bundles agree with the checkpoint, consistency proofs verify, the
 * log's tables are append-only for every role, bad input is refused with
 * problem+json, and `lockstep verify` checks inclusion, consistency with a
 * pinned checkpoint (a forked one is refused) and witness quorums.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "publish/publish.h"
#include "tlog/tlog.h"
#include "util/util.h"

static struct ht_world W;
static char *Released; /* slug of the publication released at set-up */
static char Cli[PATH_MAX];
static char Err[4096];

#define TLOG_REQUIRE() ck_assert_msg(Released != NULL, "set-up failed: %s", Err)

/* ------------------------------------------------------------ helpers */

static char *
tl_call(const char *path, const char *token, json_t *body_steal)
{
	char *body = ht_jdump(body_steal);
	struct ht_resp *r = ht_request("POST", path, token, body);
	char *id = NULL;

	if (r->status == 201 && ht_jstr(r, "id") != NULL)
		id = strdup(ht_jstr(r, "id"));
	else
		snprintf(Err, sizeof(Err), "%s: %ld %s", r->what, r->status, HT_BODY(r));
	ht_resp_free(r);
	free(body);
	return id;
}

static void
tl_release(void)
{
	char *slug = ht_unique("tlog");
	char *id = NULL, *eng = NULL, *path = NULL;
	time_t t0 = time(NULL) + 4;
	struct tm tm;
	char at[32];

	gmtime_r(&t0, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	id = tl_call("/api/v1/campaigns", W.coord.token,
	             json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", "Transparency log test",
	                       "slug", slug, "threat_models", "WEIGHTS-EXFIL", "release_at", at,
	                       "disclosure", "named"));
	if (id == NULL)
		goto done;
	path = ht_fmt("/api/v1/campaigns/%s/engagements", id);
	eng = tl_call(path, W.coord.token,
	              json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.a.org_id, "assessor_org",
	                        W.x.org_id, "scope", "tlog scope", "lead_assessors", "Tia Log"));
	if (eng == NULL)
		goto done;
	free(path);
	path = ht_fmt("/api/v1/publications/%s", slug);
	while (time(NULL) < t0)
		usleep(100000);
	for (int i = 0; i < 200; i++) {
		struct ht_resp *r = ht_request("GET", path, NULL, NULL);
		long st = r->status;

		ht_resp_free(r);
		if (st == 200) {
			Released = slug;
			slug = NULL;
			goto done;
		}
		usleep(100000);
	}
	snprintf(Err, sizeof(Err), "%s was not published within 20 s", slug);
done:
	free(slug);
	free(id);
	free(eng);
	free(path);
}

/* The log's verifier key as the server publishes it. */
static void
tl_vkey(struct tlog_vkey *k)
{
	struct ht_resp *r = ht_request("GET", "/.well-known/lockstep/log-key", NULL, NULL);

	HT_ASSERT_STATUS(r, 200);
	ck_assert_ptr_nonnull(ht_jstr(r, "vkey"));
	ck_assert_int_eq(tlog_vkey_parse(ht_jstr(r, "vkey"), k), 0);
	ck_assert_str_eq(ht_jstr(r, "origin"), k->name);
	ht_resp_free(r);
}

/* The latest checkpoint, checked with k: fills cp; returns the note (malloc'd). */
static char *
tl_checkpoint(const struct tlog_vkey *k, struct tlog_checkpoint *cp)
{
	struct ht_resp *r = ht_request("GET", "/log/checkpoint", NULL, NULL);
	size_t textlen;
	char *note;

	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strncmp(r->content_type, "text/plain", 10) == 0, "%s", r->content_type);
	note = strdup(r->body);
	ck_assert_int_eq(tlog_note_split(note, strlen(note), &textlen), 0);
	ck_assert_int_eq(tlog_checkpoint_parse(note, textlen, cp), 0);
	ck_assert_int_eq(tlog_note_verify(note, strlen(note), k, NULL), 1);
	ht_resp_free(r);
	return note;
}

/* Decode a JSON array of base64 hashes. */
static size_t
tl_proof(const json_t *a, tlog_hash *out)
{
	size_t i;
	json_t *e;

	ck_assert(json_is_array(a));
	ck_assert_uint_le(json_array_size(a), TLOG_MAX_PROOF);
	json_array_foreach(a, i, e)
	{
		ck_assert_int_eq(util_b64_decode(json_string_value(e), out[i], TLOG_HASH),
		                 TLOG_HASH);
	}
	return json_array_size(a);
}

/* The publication entry of Released: its leaf hash. */
static void
tl_pub_leaf(tlog_hash leaf, char hex[2 * TLOG_HASH + 1])
{
	char *path = ht_fmt("/api/v1/publications/%s", Released);
	struct ht_resp *r = ht_request("GET", path, NULL, NULL);
	char *hash, *entry;
	json_t *e;
	size_t len;

	HT_ASSERT_STATUS(r, 200);
	hash = ht_header(r, "X-Lockstep-Hash");
	ck_assert_ptr_nonnull(hash);
	e = json_pack("{s:s, s:I, s:s}", "hash", hash, "sequence",
	              json_integer_value(json_object_get(r->json, "sequence")), "type",
	              "publication");
	entry = publish_canonical(e, &len);
	ck_assert_ptr_nonnull(entry);
	ck_assert_int_eq(tlog_leaf_hash(entry, len, leaf), 0);
	util_hex_encode(leaf, TLOG_HASH, hex);
	free(entry);
	json_decref(e);
	free(hash);
	free(path);
	ht_resp_free(r);
}

/* ------------------------------------------------------------- tests */

START_TEST(test_key_and_checkpoint)
{
	struct tlog_vkey k, other;
	struct tlog_checkpoint cp;
	struct ht_resp *r;
	char *note, *cc;

	tl_vkey(&k);
	note = tl_checkpoint(&k, &cp);
	ck_assert_uint_ge(cp.size, 2); /* at least the two key announcements */
	/* another key of the same name did not sign it */
	other = k;
	other.pub[3] ^= 0x10;
	ck_assert_int_eq(tlog_key_id(other.name, 1, other.pub, 32, &other.id), 0);
	ck_assert_int_eq(tlog_note_verify(note, strlen(note), &other, NULL), 0);
	/* the vkey and PEM forms; a short cache for the checkpoint */
	r = ht_request("GET", "/.well-known/lockstep/log-key?format=vkey", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strncmp(r->body, k.name, strlen(k.name)) == 0, "%s", r->body);
	ht_resp_free(r);
	r = ht_request("GET", "/.well-known/lockstep/log-key?format=pem", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_msg(strstr(r->body, "BEGIN PUBLIC KEY") != NULL, "%s", r->body);
	ht_resp_free(r);
	r = ht_request("GET", "/.well-known/lockstep/log-key?format=xml", NULL, NULL);
	HT_ASSERT_PROBLEM(r, 400, "bad-query");
	ht_resp_free(r);
	r = ht_request("GET", "/log/checkpoint", NULL, NULL);
	cc = ht_header(r, "Cache-Control");
	ck_assert_ptr_nonnull(cc);
	ck_assert_msg(strstr(cc, "max-age=2") != NULL, "%s", cc);
	free(cc);
	ht_resp_free(r);
	free(note);
}
END_TEST

START_TEST(test_publication_included)
{
	struct tlog_vkey k;
	struct tlog_checkpoint cp;
	tlog_hash leaf, proof[TLOG_MAX_PROOF], root;
	char hex[2 * TLOG_HASH + 1], *path, *note;
	struct ht_resp *r;
	size_t len, textlen;
	long long index;
	const char *cpnote;

	TLOG_REQUIRE();
	tl_vkey(&k);
	tl_pub_leaf(leaf, hex);
	path = ht_fmt("/log/proof/inclusion?hash=%s", hex);
	r = ht_request("GET", path, NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	index = json_integer_value(json_object_get(r->json, "index"));
	ck_assert_str_eq(ht_jstr(r, "leaf_hash"), hex);
	cpnote = ht_jstr(r, "checkpoint");
	ck_assert_ptr_nonnull(cpnote);
	ck_assert_int_eq(tlog_note_verify(cpnote, strlen(cpnote), &k, NULL), 1);
	ck_assert_int_eq(tlog_note_split(cpnote, strlen(cpnote), &textlen), 0);
	ck_assert_int_eq(tlog_checkpoint_parse(cpnote, textlen, &cp), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "size")), (long long)cp.size);
	len = tl_proof(json_object_get(r->json, "proof"), proof);
	ck_assert_int_eq(tlog_verify_inclusion((uint64_t)index, cp.size, leaf, proof, len, cp.root),
	                 1);
	/* the proof does not fit another leaf */
	leaf[0] ^= 1;
	ck_assert_int_eq(tlog_verify_inclusion((uint64_t)index, cp.size, leaf, proof, len, cp.root),
	                 0);
	ht_resp_free(r);
	free(path);

	/* by index too, at the latest checkpoint */
	note = tl_checkpoint(&k, &cp);
	path = ht_fmt("/log/proof/inclusion?index=%lld", index);
	r = ht_request("GET", path, NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	leaf[0] ^= 1;
	len = tl_proof(json_object_get(r->json, "proof"), proof);
	ck_assert_int_ge(json_integer_value(json_object_get(r->json, "size")), (long long)cp.size);
	ck_assert_int_eq(tlog_root(NULL, 0, root), 0);
	ht_resp_free(r);
	free(path);
	free(note);
}
END_TEST

/* The level-0 tiles and entry bundles rebuild the checkpoint's root. */
START_TEST(test_tiles_rebuild_root)
{
	struct tlog_vkey k;
	struct tlog_checkpoint cp;
	tlog_hash *leaves, root;
	char *note, tp[64], *path;
	uint64_t full, rest;
	int seen_publication = 0;

	TLOG_REQUIRE();
	tl_vkey(&k);
	note = tl_checkpoint(&k, &cp);
	ck_assert_uint_lt(cp.size, 2000000);
	leaves = calloc(cp.size, TLOG_HASH);
	full = cp.size / TLOG_TILE_WIDTH;
	rest = cp.size % TLOG_TILE_WIDTH;
	for (uint64_t t = 0; t <= full; t++) {
		unsigned w = t < full ? TLOG_TILE_WIDTH : (unsigned)rest;
		struct ht_resp *r, *b;
		char *cc;
		size_t off = 0;

		if (w == 0)
			break;
		ck_assert_int_eq(tlog_tile_path(0, t, w, tp, sizeof(tp)), 0);
		path = ht_fmt("/log/tile/%s", tp);
		r = ht_request("GET", path, NULL, NULL);
		HT_ASSERT_STATUS(r, 200);
		ck_assert_uint_eq(r->body_len, (size_t)w * TLOG_HASH);
		memcpy(leaves[t * TLOG_TILE_WIDTH], r->body, r->body_len);
		cc = ht_header(r, "Cache-Control");
		ck_assert_msg(cc != NULL && strstr(cc, "immutable") != NULL, "%s", cc ? cc : "-");
		free(cc);
		free(path);
		/* the entry bundle: each entry hashes to its leaf */
		ck_assert_int_eq(tlog_tile_path(-1, t, w, tp, sizeof(tp)), 0);
		path = ht_fmt("/log/tile/%s", tp);
		b = ht_request("GET", path, NULL, NULL);
		HT_ASSERT_STATUS(b, 200);
		for (unsigned i = 0; i < w; i++) {
			const unsigned char *p = (const unsigned char *)b->body + off;
			size_t l;
			tlog_hash h;

			ck_assert_uint_le(off + 2, b->body_len);
			l = (size_t)p[0] << 8 | p[1];
			ck_assert_uint_le(off + 2 + l, b->body_len);
			ck_assert_int_eq(tlog_leaf_hash(p + 2, l, h), 0);
			ck_assert_mem_eq(h, leaves[t * TLOG_TILE_WIDTH + i], TLOG_HASH);
			/* no entry names a company or carries an id */
			ck_assert(!ht_mem_contains((const char *)p + 2, l, W.a.org_name));
			ck_assert(!ht_mem_contains((const char *)p + 2, l, W.a.org_id));
			if (ht_mem_contains((const char *)p + 2, l, "\"type\":\"publication\""))
				seen_publication = 1;
			off += 2 + l;
		}
		ck_assert_uint_eq(off, b->body_len);
		ht_resp_free(b);
		ht_resp_free(r);
		free(path);
	}
	ck_assert_int_eq(tlog_root(leaves, cp.size, root), 0);
	ck_assert_mem_eq(root, cp.root, TLOG_HASH);
	ck_assert(seen_publication);
	free(leaves);
	free(note);
}
END_TEST

START_TEST(test_consistency)
{
	struct tlog_vkey k;
	struct tlog_checkpoint cp;
	tlog_hash proof[TLOG_MAX_PROOF], old;
	char *note, *path;
	struct ht_resp *r;
	size_t len;

	tl_vkey(&k);
	note = tl_checkpoint(&k, &cp);
	for (uint64_t m = 1; m <= cp.size; m++) {
		char tp[64];
		struct ht_resp *t;

		/* the old root from the level-0 tile's first m leaves (size < 256 here) */
		if (cp.size > 255)
			break;
		ck_assert_int_eq(tlog_tile_path(0, 0, (unsigned)cp.size, tp, sizeof(tp)), 0);
		path = ht_fmt("/log/tile/%s", tp);
		t = ht_request("GET", path, NULL, NULL);
		HT_ASSERT_STATUS(t, 200);
		ck_assert_int_eq(tlog_root((const tlog_hash *)t->body, m, old), 0);
		free(path);
		path = ht_fmt("/log/proof/consistency?from=%llu&to=%llu", (unsigned long long)m,
		              (unsigned long long)cp.size);
		r = ht_request("GET", path, NULL, NULL);
		HT_ASSERT_STATUS(r, 200);
		len = tl_proof(json_object_get(r->json, "proof"), proof);
		ck_assert_int_eq(tlog_verify_consistency(m, cp.size, old, cp.root, proof, len), 1);
		old[0] ^= 1;
		if (m < cp.size)
			ck_assert_int_eq(
			    tlog_verify_consistency(m, cp.size, old, cp.root, proof, len), 0);
		ht_resp_free(r);
		ht_resp_free(t);
		free(path);
	}
	free(note);
}
END_TEST

START_TEST(test_bad_input)
{
	static const struct {
		const char *path;
		long status;
		const char *type;
	} cases[] = {
	    {"/log/proof/inclusion", 400, "bad-query"},
	    {"/log/proof/inclusion?index=0&hash=00", 400, "bad-query"},
	    {"/log/proof/inclusion?hash=zz", 400, "bad-query"},
	    {"/log/proof/inclusion?index=-1", 400, "bad-query"},
	    {"/log/proof/inclusion?index=1e3", 400, "bad-query"},
	    {"/log/proof/inclusion?index=0&size=0", 400, "bad-query"},
	    {"/log/proof/inclusion?index=0&size=9223372036854775807", 400, "bad-query"},
	    {"/log/proof/inclusion?index=999999999", 404, "not-found"},
	    {"/log/proof/inclusion?hash="
	     "0000000000000000000000000000000000000000000000000000000000000000",
	     404, "not-found"},
	    {"/log/proof/consistency", 400, "bad-query"},
	    {"/log/proof/consistency?from=0", 400, "bad-query"},
	    {"/log/proof/consistency?from=2&to=1", 400, "bad-query"},
	    {"/log/proof/consistency?from=1&to=999999999", 400, "bad-query"},
	    {"/log/proof/consistency?from=x", 400, "bad-query"},
	    {"/log/tile/0/999", 404, "not-found"},
	    {"/log/tile/0/x001/000", 404, "not-found"},
	    {"/log/tile/0/0000", 404, "not-found"},
	    {"/log/tile/00/000", 404, "not-found"},
	    {"/log/tile/64/000", 404, "not-found"},
	    {"/log/tile/0/000.p/0", 404, "not-found"},
	    {"/log/tile/0/000.p/256", 404, "not-found"},
	    {"/log/tile/0/x999/999.p/255", 404, "not-found"},
	    {"/log/tile/1/x999/999", 404, "not-found"},
	    {"/log/tile/entries/x999/999", 404, "not-found"},
	    {"/log/tile/entries/x999/999.p/1", 404, "not-found"},
	    {"/log/tile/nonsense", 404, "not-found"},
	    {"/log/tile/0/%2e%2e/000", 400, "bad-path"},
	};
	struct ht_resp *r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = ht_request("GET", cases[i].path, NULL, NULL);
		HT_ASSERT_PROBLEM(r, cases[i].status, cases[i].type);
		ht_resp_free(r);
	}
	r = ht_request("POST", "/log/checkpoint", NULL, "{}");
	HT_ASSERT_PROBLEM(r, 405, "method-not-allowed");
	ht_resp_free(r);
}
END_TEST

/* Append-only for every role: the server's, and the schema owner's. */
START_TEST(test_append_only)
{
	static const char *const app_refused[] = {
	    "UPDATE tlog_entries SET body = '{}' WHERE idx = 0",
	    "DELETE FROM tlog_entries WHERE idx = 0",
	    "INSERT INTO tlog_entries (idx, kind, body, leaf_hash) VALUES (999999, 'key', '{}', "
	    "sha256('x'))",
	    "TRUNCATE tlog_entries",
	    "UPDATE tlog_checkpoints SET note = 'x'",
	    "DELETE FROM tlog_checkpoints",
	    "INSERT INTO tlog_checkpoints (size, root, note) VALUES (999999, sha256('x'), 'x')",
	    "SELECT tlog_append('key', '{}')",
	    "SELECT * FROM tlog_audit_head()",
	};
	static const char *const owner_refused[] = {
	    "UPDATE tlog_entries SET body = '{}' WHERE idx = 0",
	    "DELETE FROM tlog_entries WHERE idx = 0",
	    "TRUNCATE tlog_entries CASCADE",
	    "UPDATE tlog_checkpoints SET note = 'x'",
	    "DELETE FROM tlog_checkpoints",
	    "TRUNCATE tlog_checkpoints CASCADE",
	};
	PGconn *app = ht_db_open(ht_env_req("LOCKSTEP_TEST_APP_DSN"));
	PGconn *own = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	long long before = ht_db_count_conn(own, "SELECT count(*) FROM tlog_entries");
	char st[6];

	ck_assert_ptr_nonnull(app);
	ck_assert_ptr_nonnull(own);
	ck_assert_int_gt(before, 0);
	for (size_t i = 0; i < sizeof(app_refused) / sizeof(app_refused[0]); i++)
		ck_assert_msg(ht_db_exec(app, app_refused[i], st) != 0 && strcmp(st, "42501") == 0,
		              "lockstep_app: %s: not refused (%s)", app_refused[i], st);
	for (size_t i = 0; i < sizeof(owner_refused) / sizeof(owner_refused[0]); i++)
		ck_assert_msg(ht_db_exec(own, owner_refused[i], st) != 0 &&
		                  strcmp(st, "42501") == 0,
		              "owner: %s: not refused (%s)", owner_refused[i], st);
	ck_assert_int_eq(ht_db_count_conn(own, "SELECT count(*) FROM tlog_entries"), before);
	/* the app reads the public log */
	ck_assert_int_eq(ht_db_count_conn(app, "SELECT count(*) FROM tlog_entries"), before);
	PQfinish(app);
	PQfinish(own);
}
END_TEST

/* The release put the audit chain's head into the log, and it matches the chain. */
START_TEST(test_audit_checkpoint)
{
	PGconn *own = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	int ok = 0;
	char *v;

	TLOG_REQUIRE();
	ck_assert_ptr_nonnull(own);
	ck_assert_int_ge(ht_db_count_conn(own, "SELECT count(*) FROM tlog_entries "
	                                       "WHERE kind = 'audit-checkpoint'"),
	                 1);
	/* every audit checkpoint names the hash the chain has at its last_id */
	v = ht_db_value(own,
	                "SELECT count(*) FROM tlog_entries t JOIN audit_events a "
	                "ON a.id = (t.body::jsonb->>'last_id')::bigint "
	                "WHERE t.kind = 'audit-checkpoint' "
	                "AND encode(a.hash, 'hex') <> t.body::jsonb->>'head'",
	                &ok);
	ck_assert(ok);
	ck_assert_str_eq(v, "0");
	free(v);
	/* an audit checkpoint follows the publication's entry (at the release) */
	ck_assert_int_ge(ht_db_count_conn(own, "SELECT count(*) FROM tlog_entries p "
	                                       "JOIN tlog_entries a ON a.idx = p.idx + 1 "
	                                       "WHERE p.kind = 'publication' "
	                                       "AND a.kind = 'audit-checkpoint'"),
	                 1);
	PQfinish(own);
}
END_TEST

/* ------------------------------------------------------------- the CLI */

static char *
tl_cli(int *status, const char *const *args)
{
	char *argv[32];
	size_t n = 0, len = 0;
	char *out;

	argv[n++] = Cli;
	argv[n++] = (char *)"--url";
	argv[n++] = (char *)ht_env_req("LOCKSTEP_TEST_URL");
	for (size_t i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	out = ht_run_capture(argv, &len, status);
	ck_assert_msg(out != NULL, "cannot run %s", Cli);
	return out;
}

static void
tl_write(const char *path, const char *s)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fputs(s, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* The log key, derived as lockstepd derives it from the master key of the test state. */
static struct crypto_signer *
tl_log_signer(void)
{
	const char *state = ht_env_req("LOCKSTEP_TEST_STATE_DIR");
	char *path = ht_fmt("%s/keys/master.key", state);
	unsigned char key[CRYPTO_KEY_LEN];
	struct crypto_signer *s;

	ck_assert_msg(crypto_keyfile_load(path, 0, key) == 0, "%s: %s", path, crypto_last_error());
	s = tlogd_derive_key(key);
	explicit_bzero(key, sizeof(key));
	free(path);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(test_cli_verify_log)
{
	char dir[] = "/tmp/lockstep-tlog-XXXXXX";
	char *vk, *pin, *fork, *wit, *out, *saved;
	struct tlog_vkey k;
	struct tlog_checkpoint cp;
	json_t *j, *log;
	int st;

	TLOG_REQUIRE();
	ck_assert_msg(Cli[0] != '\0', "%s", Err);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	vk = ht_fmt("%s/log.vkey", dir);
	pin = ht_fmt("%s/pinned.ckpt", dir);
	fork = ht_fmt("%s/fork.ckpt", dir);
	wit = ht_fmt("%s/witnesses", dir);
	tl_vkey(&k);
	{
		struct ht_resp *r =
		    ht_request("GET", "/.well-known/lockstep/log-key?format=vkey", NULL, NULL);

		tl_write(vk, r->body);
		ht_resp_free(r);
	}

	/* 1. included, with the pinned log key; the checkpoint saved */
	{
		const char *args[] = {"verify", Released, "--log-key", vk, "--save-checkpoint",
		                      pin,      NULL};

		out = tl_cli(&st, args);
		ck_assert_msg(st == 0, "verify exited %d: %s", st, out);
		j = json_loads(out, 0, NULL);
		log = json_object_get(j, "log");
		ck_assert_msg(json_is_true(json_object_get(log, "included")), "%s", out);
		ck_assert_str_eq(json_string_value(json_object_get(j, "log_key_source")), "pinned");
		json_decref(j);
		free(out);
	}
	saved = NULL;
	{
		FILE *f = fopen(pin, "rb");
		char buf[4096];
		size_t n;

		ck_assert_ptr_nonnull(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		saved = strdup(buf);
	}
	ck_assert_msg(strncmp(saved, k.name, strlen(k.name)) == 0, "%s", saved);

	/* 2. consistent with the pinned checkpoint (after the log grew or not) */
	{
		const char *args[] = {"verify", Released, "--log-key", vk, "--since", pin, NULL};

		out = tl_cli(&st, args);
		ck_assert_msg(st == 0, "verify --since exited %d: %s", st, out);
		j = json_loads(out, 0, NULL);
		log = json_object_get(j, "log");
		ck_assert_msg(
		    json_is_true(json_object_get(json_object_get(log, "since"), "consistent")),
		    "%s", out);
		json_decref(j);
		free(out);
	}

	/* 3. a fork: a checkpoint signed with the log key for another tree */
	{
		struct crypto_signer *s = tl_log_signer();
		unsigned char pub[32];
		tlog_hash leaves[3], root;
		char body[512], line[256];
		unsigned char sig[64];
		char *note;
		uint32_t id;
		int n;

		crypto_signer_public(s, pub);
		ck_assert_mem_eq(pub, k.pub, 32); /* the test derives the server's key */
		note = tl_checkpoint(&k, &cp);
		for (int i = 0; i < 3; i++)
			ck_assert_int_eq(tlog_leaf_hash("forked", 6 + (size_t)i, leaves[i]), 0);
		ck_assert_int_eq(tlog_root(leaves, 3, root), 0);
		n = tlog_checkpoint_body(k.name, cp.size, root, body, sizeof(body));
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(crypto_sign(s, body, (size_t)n, sig), 0);
		ck_assert_int_eq(tlog_key_id(k.name, 1, pub, 32, &id), 0);
		ck_assert_int_gt(tlog_note_sigline(k.name, id, sig, 64, line, sizeof(line)), 0);
		free(note);
		note = ht_fmt("%s\n%s", body, line);
		tl_write(fork, note);
		free(note);
		crypto_signer_free(s);
	}
	{
		const char *args[] = {"verify", Released, "--log-key", vk, "--since", fork, NULL};

		out = tl_cli(&st, args);
		ck_assert_msg(st == 1, "verify --since a forked checkpoint exited %d: %s", st, out);
		j = json_loads(out, 0, NULL);
		ck_assert_msg(json_is_false(json_object_get(j, "verified")), "%s", out);
		json_decref(j);
		free(out);
	}

	/* 4. a witness quorum nobody met: refused; K = 0 of one witness: fine */
	{
		unsigned char wpub[32];
		char line[256];

		memset(wpub, 0x42, sizeof(wpub));
		ck_assert_int_eq(tlog_vkey_encode("witness.example/w1", TLOG_SIG_COSIGNATURE, wpub,
		                                  line, sizeof(line)),
		                 0);
		strcat(line, "\n");
		tl_write(wit, line);
	}
	{
		const char *args[] = {"verify", Released,          "--log-key", vk,  "--witness",
		                      wit,      "--min-witnesses", "1",         NULL};

		out = tl_cli(&st, args);
		ck_assert_msg(st == 1, "verify without the cosignature exited %d: %s", st, out);
		free(out);
	}
	{
		const char *args[] = {"verify", Released,          "--log-key", vk,  "--witness",
		                      wit,      "--min-witnesses", "0",         NULL};

		out = tl_cli(&st, args);
		ck_assert_msg(st == 0, "verify with K = 0 exited %d: %s", st, out);
		free(out);
	}
	/* 5. usage errors: a log key that is not one, K over the keys given */
	{
		const char *a1[] = {"verify", Released, "--log-key", wit, NULL};
		const char *a2[] = {"verify",          Released, "--witness", wit,
		                    "--min-witnesses", "2",      NULL};
		const char *a3[] = {"verify", Released, "--min-witnesses", "1", NULL};

		free(tl_cli(&st, a1));
		ck_assert_int_eq(st, 2);
		free(tl_cli(&st, a2));
		ck_assert_int_eq(st, 2);
		free(tl_cli(&st, a3));
		ck_assert_int_eq(st, 2);
	}
	unlink(vk);
	unlink(pin);
	unlink(fork);
	unlink(wit);
	rmdir(dir);
	free(vk);
	free(pin);
	free(fork);
	free(wit);
	free(saved);
}
END_TEST

/* The reader's check of one row: SHA-256(salt || row without company, assessor, commitment). */
static void
tl_row_commitment(const json_t *row, char hex[2 * CRYPTO_SHA256_LEN + 1])
{
	const char *salt_hex =
	    json_string_value(json_object_get(json_object_get(row, "commitment"), "salt"));
	unsigned char salt[32], h[CRYPTO_SHA256_LEN];
	unsigned char buf[65536];
	json_t *core = json_deep_copy(row);
	char *canon;
	size_t len;

	ck_assert_ptr_nonnull(salt_hex);
	ck_assert_int_eq(util_hex_decode(salt_hex, salt, sizeof(salt)), 0);
	json_object_del(core, "company");
	json_object_del(core, "assessor");
	json_object_del(core, "commitment");
	json_object_del(core, "review");
	canon = publish_canonical(core, &len);
	ck_assert_ptr_nonnull(canon);
	ck_assert_uint_lt(len + 32, sizeof(buf));
	memcpy(buf, salt, 32);
	memcpy(buf + 32, canon, len);
	ck_assert_int_eq(crypto_sha256(buf, len + 32, h), 0);
	util_hex_encode(h, sizeof(h), hex);
	free(canon);
	json_decref(core);
}

/*
 * Commit-then-reveal on the world's campaign (A x X, B x Y): committed at
 * its commit instant, B's claim changed afterwards, released: A's row
 * reveals its commitment, B's is recommitted visibly and counted, the
 * commitments are in the log before the publication, an edited row does
 * not match, and `lockstep verify` checks it all.
 */
START_TEST(test_commit_reveal)
{
	PGconn *own = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char *sql, *path, *body, *at, *out;
	struct ht_resp *r;
	json_t *doc, *sum, *row, *j;
	time_t t0;
	struct tm tm;
	char atbuf[32], hex[2 * CRYPTO_SHA256_LEN + 1];
	int committed = 0, st, late = 0, unchanged = 0;
	size_t i;

	ck_assert_ptr_nonnull(own);
	/* nothing is committed before the commit instant (release in days) */
	sql = ht_fmt("SELECT count(*) FROM tlog_campaign_commits WHERE campaign_id = '%s'",
	             W.campaign_id);
	ck_assert_int_eq(ht_db_count_conn(own, sql), 0);
	free(sql);
	sql = ht_fmt("UPDATE campaigns SET commit_at = now() WHERE id = '%s'", W.campaign_id);
	{
		char state[6];

		ck_assert_int_eq(ht_db_exec(own, sql, state), 0);
	}
	free(sql);
	sql = ht_fmt("SELECT count(*) FROM tlog_campaign_commits WHERE campaign_id = '%s'",
	             W.campaign_id);
	for (int k = 0; k < 100 && !committed; k++) {
		committed = ht_db_count_conn(own, sql) == 1;
		if (!committed)
			usleep(100000);
	}
	free(sql);
	ck_assert_msg(committed,
	              "the campaign was not committed within 10 s of its commit instant");
	/* exactly once: one commitment per engagement */
	sql =
	    ht_fmt("SELECT count(*) FROM tlog_commitments WHERE campaign_id = '%s'", W.campaign_id);
	ck_assert_int_eq(ht_db_count_conn(own, sql), 2);
	free(sql);

	/* B's row changes after the commitment */
	path = ht_fmt("/api/v1/engagements/%s/claims/WEIGHTS-EXFIL", W.eng_by);
	body = ht_jdump(json_pack("{s:s, s:s}", "level", "OC2", "summary", "changed after commit"));
	r = ht_request("PUT", path, W.y.admin.token, body);
	ck_assert_msg(r->status == 200 || r->status == 201, "%s: %ld %s", r->what, r->status,
	              HT_BODY(r));
	ht_resp_free(r);
	free(path);
	free(body);

	/* release in a few seconds */
	t0 = time(NULL) + 4;
	gmtime_r(&t0, &tm);
	strftime(atbuf, sizeof(atbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	at = atbuf;
	path = ht_fmt("/api/v1/campaigns/%s", W.campaign_id);
	body = ht_jdump(json_pack("{s:s, s:s}", "release_at", at, "reason", "tlog test"));
	r = ht_request("PATCH", path, W.coord.token, body);
	HT_ASSERT_STATUS(r, 200);
	ht_resp_free(r);
	free(path);
	free(body);
	path = ht_fmt("/api/v1/publications/%s", W.campaign_slug);
	r = NULL;
	for (int k = 0; k < 250; k++) {
		r = ht_request("GET", path, NULL, NULL);
		if (r->status == 200)
			break;
		ht_resp_free(r);
		r = NULL;
		usleep(100000);
	}
	ck_assert_msg(r != NULL, "%s was not published", W.campaign_slug);
	doc = json_incref(r->json);
	ht_resp_free(r);
	free(path);

	sum = json_object_get(doc, "commitments");
	ck_assert_msg(json_is_object(sum), "no commitments in the document");
	ck_assert_int_eq(json_integer_value(json_object_get(sum, "committed")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(sum, "recommitted")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(sum, "engagements")), 2);
	json_array_foreach(json_object_get(doc, "engagements"), i, row)
	{
		const json_t *k = json_object_get(row, "commitment");
		long long idx = json_integer_value(json_object_get(k, "log_index"));
		char *want, *entry_sql, *lit;

		ck_assert_msg(json_is_object(k), "a row without its commitment");
		if (json_is_string(json_object_get(k, "recommitted_at")))
			late++;
		else
			unchanged++;
		/* the log entry at log_index is this row's commitment */
		tl_row_commitment(row, hex);
		want = ht_fmt("{\"commitment\":\"%s\",\"type\":\"commitment\"}", hex);
		lit = ht_sql_literal(want);
		entry_sql = ht_fmt(
		    "SELECT count(*) FROM tlog_entries WHERE idx = %lld AND body = %s", idx, lit);
		free(lit);
		ck_assert_msg(ht_db_count_conn(own, entry_sql) == 1, "row %zu: no entry %s at %lld",
		              i, want, idx);
		free(entry_sql);
		free(want);
		/* an edited row does not match its commitment */
		{
			json_t *edited = json_deep_copy(row);
			char hex2[2 * CRYPTO_SHA256_LEN + 1];

			json_object_set_new(
			    json_object_get(json_object_get(edited, "claims"), "WEIGHTS-EXFIL"),
			    "level", json_string("OC5"));
			tl_row_commitment(edited, hex2);
			ck_assert_str_ne(hex, hex2);
			json_decref(edited);
		}
	}
	ck_assert_int_eq(late, 1);
	ck_assert_int_eq(unchanged, 1);
	/* the page names the recommitted row and says how to check */
	{
		char *pp = ht_fmt("/p/%s", W.campaign_slug);
		struct ht_resp *pg = ht_request("GET", pp, NULL, NULL);
		const char *rc = strstr(pg->body, "id=\"recommitted\"");

		HT_ASSERT_STATUS(pg, 200);
		ck_assert_msg(strstr(pg->body, "id=\"transparency\"") != NULL, "no log section");
		ck_assert_msg(rc != NULL && strstr(rc, W.b.org_name) != NULL &&
		                  strstr(rc, "recommitted at") != NULL,
		              "the page does not name the recommitted row");
		ck_assert_msg(strstr(pg->body, "--log-key log.vkey") != NULL, "no verify command");
		ht_resp_free(pg);
		free(pp);
	}

	/* the CLI checks the commitments */
	{
		const char *args[] = {"verify", W.campaign_slug, NULL};

		ck_assert_msg(Cli[0] != '\0', "%s", Err);
		out = tl_cli(&st, args);
		ck_assert_msg(st == 0, "verify exited %d: %s", st, out);
		j = json_loads(out, 0, NULL);
		sum = json_object_get(json_object_get(j, "log"), "commitments");
		ck_assert_msg(json_is_true(json_object_get(sum, "checked")), "%s", out);
		ck_assert_int_eq(json_integer_value(json_object_get(sum, "recommitted")), 1);
		ck_assert_int_eq(json_integer_value(json_object_get(sum, "unchanged")), 1);
		json_decref(j);
		free(out);
	}
	json_decref(doc);
	PQfinish(own);
}
END_TEST

/* Start `lockstep witness serve` for the server's log in dir on port; its vkey (malloc'd). */
static char *
tl_witness_start(const char *dir, int port, pid_t *pid)
{
	char *logs = ht_fmt("%s/logs", dir), *wpem = ht_fmt("%s/witness.pem", dir);
	char *vkfile = ht_fmt("%s/witness.vkey", dir), *outp = ht_fmt("%s/out", dir);
	char listen[64], buf[256];
	struct ht_resp *r =
	    ht_request("GET", "/.well-known/lockstep/log-key?format=vkey", NULL, NULL);
	FILE *f;

	HT_ASSERT_STATUS(r, 200);
	tl_write(logs, r->body);
	ht_resp_free(r);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	*pid = fork();
	ck_assert_int_ge(*pid, 0);
	if (*pid == 0) {
		int fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(Cli, Cli, "witness", "serve", "--key", wpem, "--state", dir, "--name",
		      "witness.test/fork", "--listen", listen, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && access(vkfile, R_OK) != 0; i++)
		usleep(100000);
	usleep(300000);
	f = fopen(vkfile, "r");
	ck_assert_msg(f != NULL, "the witness did not start");
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	free(logs);
	free(wpem);
	free(vkfile);
	free(outp);
	return strdup(buf);
}

/* dsn with "dbname=lockstep" replaced by dbname=db (malloc'd). */
static char *
tl_dsn_db(const char *dsn, const char *db)
{
	const char *at = strstr(dsn, "dbname=lockstep");
	const char *rest;

	ck_assert_ptr_nonnull(at);
	rest = at + strlen("dbname=lockstep");
	return ht_fmt("%.*sdbname=%s%s", (int)(at - dsn), dsn, db, rest);
}

/* The number of cosignatures by witness for checkpoint size in the database at dsn. */
static long long
tl_cosigs(const char *dsn, const char *witness, long long size)
{
	char *sql =
	    ht_fmt("SELECT count(*) FROM tlog_cosignatures WHERE witness = '%s' AND size = %lld",
	           witness, size);
	long long n = ht_db_count(dsn, sql);

	free(sql);
	return n;
}

/*
 * The fork test: a second lockstepd over a copy of the database (same
 * keys) appends a different entry than the original; the witness, which
 * cosigned the original's checkpoint, refuses the copy's checkpoint of the
 * same size.
 */
START_TEST(test_fork_second_lockstepd)
{
	const char *bin = ht_env_req("LOCKSTEP_TEST_PG_BIN");
	const char *super = ht_env_req("LOCKSTEP_TEST_SUPER_DSN");
	const char *owner = ht_env_req("LOCKSTEP_TEST_OWNER_DSN");
	const char *app = ht_env_req("LOCKSTEP_TEST_APP_DSN");
	char dir[] = "/tmp/lockstep-fork-XXXXXX";
	char *forkdb = ht_fmt("lockstep_fork_%d", (int)getpid());
	char *fork_super, *fork_owner, *fork_app, *cmd, *vkey, *env_w, *env_db, *env_owner, *sql;
	struct ht_server a, b;
	struct tlog_vkey wk, k;
	struct tlog_checkpoint cp;
	int port = ht_free_port(), ok = 0;
	long long n, n1;
	pid_t wpid;
	char *note, *logtext;
	size_t len;

	TLOG_REQUIRE();
	ck_assert_msg(Cli[0] != '\0', "%s", Err);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	fork_super = tl_dsn_db(super, forkdb);
	fork_owner = tl_dsn_db(owner, forkdb);
	fork_app = tl_dsn_db(app, forkdb);
	vkey = tl_witness_start(dir, port, &wpid);
	ck_assert_int_eq(tlog_vkey_parse(vkey, &wk), 0);
	tl_vkey(&k);
	env_w = ht_fmt("LOCKSTEP_WITNESSES=http://127.0.0.1:%d %s", port, vkey);

	/* replica a serves the original and has the witness cosign its checkpoints */
	{
		const char *const env[] = {env_w, "LOCKSTEP_TLOG_INTERVAL_MS=200", NULL};

		ck_assert_msg(ht_server_start(&a, 0, env) == 0, "replica a did not start");
	}
	note = tl_checkpoint(&k, &cp);
	free(note);
	n = (long long)cp.size;
	for (int i = 0; i < 150 && !ok; i++) {
		ok = tl_cosigs(owner, wk.name, n) == 1;
		if (!ok)
			usleep(100000);
	}
	ck_assert_msg(ok, "the witness did not cosign size %lld", n);

	/* the copy: pg_dump and pg_restore into another database */
	cmd = ht_fmt("'%s/pg_dump' -Fc -f '%s/db.dump' '%s' && "
	             "'%s/psql' -q -d '%s' -c 'CREATE DATABASE %s' && "
	             "'%s/pg_restore' -d '%s' '%s/db.dump'",
	             bin, dir, super, bin, super, forkdb, bin, fork_super, dir);
	ck_assert_msg(system(cmd) == 0, "copying the database failed: %s", cmd);
	free(cmd);
	/* they diverge: one entry each, different */
	ck_assert_int_eq(ht_db_count(owner, "SELECT tlog_append('key', '{\"fork\":\"original\"}')"),
	                 n);
	ck_assert_int_eq(
	    ht_db_count(fork_owner, "SELECT tlog_append('key', '{\"fork\":\"copy\"}')"), n);
	n1 = n + 1;
	ok = 0;
	for (int i = 0; i < 150 && !ok; i++) {
		ok = tl_cosigs(owner, wk.name, n1) == 1;
		if (!ok)
			usleep(100000);
	}
	ck_assert_msg(ok, "the witness did not cosign the original's size %lld", n1);

	/* replica b serves the copy, with the same keys and the same witness */
	env_db = ht_fmt("LOCKSTEP_DATABASE_URL=%s", fork_app);
	env_owner = ht_fmt("LOCKSTEP_OWNER_DATABASE_URL=%s", fork_owner);
	{
		const char *const env[] = {env_w, env_db, env_owner,
		                           "LOCKSTEP_TLOG_INTERVAL_MS=200", NULL};

		ck_assert_msg(ht_server_start(&b, 0, env) == 0, "replica b did not start");
	}
	/* b signs the copy's checkpoint of the same size... */
	sql = ht_fmt("SELECT count(*) FROM tlog_checkpoints WHERE size = %lld", n1);
	ok = 0;
	for (int i = 0; i < 100 && !ok; i++) {
		ok = ht_db_count(fork_owner, sql) == 1;
		if (!ok)
			usleep(100000);
	}
	free(sql);
	ck_assert_msg(ok, "the copy has no checkpoint of size %lld", n1);
	/* ...with another root than the original's */
	sql = ht_fmt("SELECT encode(root, 'hex') FROM tlog_checkpoints WHERE size = %lld", n1);
	{
		PGconn *c1 = ht_db_open(owner), *c2 = ht_db_open(fork_owner);
		int ok1 = 0, ok2 = 0;
		char *r1 = ht_db_value(c1, sql, &ok1), *r2 = ht_db_value(c2, sql, &ok2);

		ck_assert(ok1 && ok2);
		ck_assert_str_ne(r1, r2);
		free(r1);
		free(r2);
		PQfinish(c1);
		PQfinish(c2);
	}
	free(sql);
	/* the witness refuses it: no cosignature of size n1 in the copy, ever */
	sleep(3);
	ck_assert_int_eq(tl_cosigs(fork_owner, wk.name, n1), 0);
	ck_assert_int_eq(tl_cosigs(owner, wk.name, n1), 1);
	ht_server_stop(&b, SIGTERM);
	logtext = NULL;
	{
		FILE *f = fopen(b.log, "rb");
		char buf[65536];

		ck_assert_ptr_nonnull(f);
		len = fread(buf, 1, sizeof(buf) - 1, f);
		buf[len] = '\0';
		fclose(f);
		logtext = strdup(buf);
	}
	ck_assert_msg(strstr(logtext, "witness_refused") != NULL && strstr(logtext, "422") != NULL,
	              "replica b did not log the witness's refusal");
	free(logtext);

	ht_server_stop(&a, SIGTERM);
	ht_server_free(&a);
	ht_server_free(&b);
	kill(wpid, SIGTERM);
	waitpid(wpid, NULL, 0);
	{
		PGconn *su = ht_db_open(super);
		char st[6];
		char *drop = ht_fmt("DROP DATABASE %s WITH (FORCE)", forkdb);

		ck_assert_int_eq(ht_db_exec(su, drop, st), 0);
		free(drop);
		PQfinish(su);
	}
	{
		char *rm = ht_fmt("rm -rf '%s'", dir);

		(void)!system(rm);
		free(rm);
	}
	free(env_w);
	free(env_db);
	free(env_owner);
	free(vkey);
	free(fork_super);
	free(fork_owner);
	free(fork_app);
	free(forkdb);
}
END_TEST

/* A campaign of disclosure released a few seconds from now (A x X); its slug (malloc'd). */
static char *
tl_release_as(const char *disclosure)
{
	char *slug = ht_unique("tlogc"), *id, *eng, *path;
	time_t t0 = time(NULL) + 4;
	struct tm tm;
	char at[32];

	gmtime_r(&t0, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	id = tl_call("/api/v1/campaigns", W.coord.token,
	             json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", "Corrections test", "slug",
	                       slug, "threat_models", "WEIGHTS-EXFIL", "release_at", at,
	                       "disclosure", disclosure));
	ck_assert_msg(id != NULL, "%s", Err);
	path = ht_fmt("/api/v1/campaigns/%s/engagements", id);
	eng = tl_call(path, W.coord.token,
	              json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.a.org_id, "assessor_org",
	                        W.x.org_id, "scope", "scope", "lead_assessors", "Cora Rect"));
	ck_assert_msg(eng != NULL, "%s", Err);
	free(path);
	path = ht_fmt("/api/v1/publications/%s", slug);
	while (time(NULL) < t0)
		usleep(100000);
	for (int i = 0; i < 200; i++) {
		struct ht_resp *r = ht_request("GET", path, NULL, NULL);
		long st = r->status;

		ht_resp_free(r);
		if (st == 200)
			break;
		usleep(100000);
	}
	free(path);
	free(id);
	free(eng);
	return slug;
}

/* POST a correction as token; the answer. */
static struct ht_resp *
tl_correct(const char *slug, const char *token, const char *body)
{
	char *path = ht_fmt("/api/v1/publications/%s/corrections", slug);
	struct ht_resp *r = ht_request("POST", path, token, body);

	free(path);
	return r;
}

/*
 * Corrections: only the coordinator corrects, a released publication only;
 * each correction is signed, chained and logged, the original stays; the
 * public list and `lockstep verify` show and check them; under
 * pseudonymous disclosure a reason naming a company is refused.
 */
START_TEST(test_corrections)
{
	char *path, *long_reason, *pseudo, *out, *sql, *h1 = NULL;
	struct ht_resp *r, *key, *u1, *u2;
	unsigned char pub[32], sig[80];
	PGconn *own = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	const json_t *items;
	char st5[6];
	json_t *j;
	int st;
	long long base;

	TLOG_REQUIRE();
	ck_assert_ptr_nonnull(own);
	base = ht_db_count_conn(own, "SELECT count(*) FROM tlog_entries WHERE kind = 'correction'");
	/* refusals first: nothing is written */
	r = tl_correct(Released, W.a.admin.token, "{\"reason\":\"x\"}");
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = tl_correct(Released, NULL, "{\"reason\":\"x\"}");
	ck_assert_int_eq(r->status, 401);
	ht_resp_free(r);
	r = tl_correct(Released, W.coord.token, "{}");
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ht_resp_free(r);
	r = tl_correct(Released, W.coord.token, "{\"reason\":\"x\",\"extra\":1}");
	ck_assert_int_eq(r->status, 422);
	ht_resp_free(r);
	r = tl_correct(Released, W.coord.token, "{\"reason\":\"bad\\u0001control\"}");
	HT_ASSERT_PROBLEM(r, 422, "invalid-field");
	ht_resp_free(r);
	long_reason = malloc(2100);
	memset(long_reason, 'a', 2099);
	long_reason[2099] = '\0';
	{
		char *b = ht_jdump(json_pack("{s:s}", "reason", long_reason));

		r = tl_correct(Released, W.coord.token, b);
		HT_ASSERT_PROBLEM(r, 422, "invalid-field");
		ht_resp_free(r);
		free(b);
	}
	free(long_reason);
	r = tl_correct("no-such-slug-tlog", W.coord.token, "{\"reason\":\"x\"}");
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	r = tl_correct(W.campaign2_slug, W.coord.token, "{\"reason\":\"x\"}");
	HT_ASSERT_PROBLEM(r, 404, "not-found");
	ht_resp_free(r);
	ck_assert_int_eq(ht_db_count_conn(own, "SELECT count(*) FROM tlog_entries WHERE kind = "
	                                       "'correction'"),
	                 base);

	/* two corrections, chained */
	key = ht_request("GET", "/.well-known/lockstep/signing-key", NULL, NULL);
	ck_assert_int_eq(util_b64url_decode(json_string_value(json_object_get(
	                                        json_object_get(key->json, "jwk"), "x")),
	                                    pub, sizeof(pub)),
	                 32);
	ht_resp_free(key);
	for (int k = 1; k <= 2; k++) {
		const char *text;
		const json_t *doc;
		char *prev_want;

		r = tl_correct(Released, W.coord.token,
		               k == 1 ? "{\"reason\":\"A count was wrong\"}"
		                      : "{\"reason\":\"Another count was wrong\"}");
		HT_ASSERT_STATUS(r, 201);
		ck_assert_int_eq(json_integer_value(json_object_get(r->json, "number")), k);
		text = ht_jstr(r, "document_text");
		doc = json_object_get(r->json, "document");
		ck_assert_ptr_nonnull(text);
		ck_assert_int_eq(util_b64_decode(ht_jstr(r, "signature"), sig, sizeof(sig)), 64);
		ck_assert_int_eq(crypto_verify(pub, text, strlen(text), sig), 1);
		if (k == 1) {
			char *dp = ht_fmt("/api/v1/publications/%s", Released);
			struct ht_resp *d = ht_request("GET", dp, NULL, NULL);

			prev_want = ht_header(d, "X-Lockstep-Hash");
			ht_resp_free(d);
			free(dp);
			ck_assert_str_eq(ht_ostr(json_object_get(doc, "corrects"), "hash"),
			                 prev_want);
		} else {
			prev_want = strdup(h1);
		}
		ck_assert_str_eq(ht_ostr(doc, "prev_hash"), prev_want);
		free(prev_want);
		free(h1);
		h1 = strdup(ht_jstr(r, "hash"));
		ht_resp_free(r);
	}
	ck_assert_int_eq(ht_db_count_conn(own, "SELECT count(*) FROM tlog_entries WHERE kind = "
	                                       "'correction'"),
	                 base + 2);
	/* the public list; an unknown and an unreleased slug: the same 404 */
	path = ht_fmt("/api/v1/publications/%s/corrections", Released);
	r = ht_request("GET", path, NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	items = json_object_get(r->json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	ck_assert_str_eq(ht_ostr(json_array_get(items, 1), "hash"), h1);
	ht_resp_free(r);
	free(path);
	u1 = ht_request("GET", "/api/v1/publications/no-such-slug-tlog/corrections", NULL, NULL);
	path = ht_fmt("/api/v1/publications/%s/corrections", W.campaign2_slug);
	u2 = ht_request("GET", path, NULL, NULL);
	HT_ASSERT_PROBLEM(u1, 404, "not-found");
	HT_ASSERT_PROBLEM(u2, 404, "not-found");
	ck_assert_str_eq(u1->body, u2->body);
	ht_resp_free(u1);
	ht_resp_free(u2);
	free(path);
	/* the original stays, and corrections are append-only */
	ck_assert_msg(ht_db_exec(own, "UPDATE publication_corrections SET document = 'x'", st5) !=
	                      0 &&
	                  strcmp(st5, "42501") == 0,
	              "updating a correction was not refused (%s)", st5);
	ck_assert_msg(ht_db_exec(own, "DELETE FROM publication_corrections", st5) != 0 &&
	                  strcmp(st5, "42501") == 0,
	              "deleting a correction was not refused (%s)", st5);
	/* the CLI checks them */
	{
		const char *args[] = {"verify", Released, NULL};

		out = tl_cli(&st, args);
		ck_assert_msg(st == 0, "verify exited %d: %s", st, out);
		j = json_loads(out, 0, NULL);
		ck_assert_int_eq(
		    json_array_size(json_object_get(json_object_get(j, "log"), "corrections")), 2);
		json_decref(j);
		free(out);
	}
	/* pseudonymous: a reason naming a company is refused, and nothing is logged */
	pseudo = tl_release_as("pseudonymous");
	{
		char *b = ht_jdump(json_pack("{s:s}", "reason", W.a.org_name));

		r = tl_correct(pseudo, W.coord.token, b);
		HT_ASSERT_PROBLEM(r, 422, "invalid-field");
		ht_resp_free(r);
		free(b);
	}
	r = tl_correct(pseudo, W.coord.token, "{\"reason\":\"A label was wrong\"}");
	HT_ASSERT_STATUS(r, 201);
	ht_resp_free(r);
	sql = ht_fmt("SELECT count(*) FROM tlog_entries WHERE kind = 'correction'");
	ck_assert_int_eq(ht_db_count_conn(own, sql), base + 3);
	free(sql);
	free(pseudo);
	free(h1);
	PQfinish(own);
}
END_TEST

/*
 * In-toto: the publication as a Statement v1 in a DSSE envelope signed
 * with the publication key; the same 404 as an unknown slug before release.
 */
START_TEST(test_attestation)
{
	char *path = ht_fmt("/api/v1/publications/%s/attestation", Released), *hash, *pae;
	struct ht_resp *r, *doc, *key, *u1, *u2;
	unsigned char payload[8192], sig[80], pub[32];
	long plen;
	json_t *stmt, *s0;
	const char *type;
	size_t pae_len;

	TLOG_REQUIRE();
	r = ht_request("GET", path, NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_ptr_nonnull(r->json);
	type = ht_jstr(r, "payloadType");
	ck_assert_str_eq(type, "application/vnd.in-toto+json");
	plen = util_b64_decode(ht_jstr(r, "payload"), payload, sizeof(payload) - 1);
	ck_assert_int_gt(plen, 0);
	payload[plen] = '\0';
	stmt = json_loads((const char *)payload, 0, NULL);
	ck_assert_ptr_nonnull(stmt);
	ck_assert_str_eq(json_string_value(json_object_get(stmt, "_type")),
	                 "https://in-toto.io/Statement/v1");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(stmt, "predicateType")));
	/* the subject is the document's SHA-256 */
	{
		char *dp = ht_fmt("/api/v1/publications/%s", Released);

		doc = ht_request("GET", dp, NULL, NULL);
		free(dp);
	}
	hash = ht_header(doc, "X-Lockstep-Hash");
	ck_assert_ptr_nonnull(hash);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_object_get(json_array_get(json_object_get(stmt, "subject"), 0), "digest"),
	        "sha256")),
	    hash);
	/* the signature: Ed25519 over DSSE's PAE, with the publication signing key */
	key = ht_request("GET", "/.well-known/lockstep/signing-key", NULL, NULL);
	HT_ASSERT_STATUS(key, 200);
	ck_assert_int_eq(util_b64url_decode(json_string_value(json_object_get(
	                                        json_object_get(key->json, "jwk"), "x")),
	                                    pub, sizeof(pub)),
	                 32);
	s0 = json_array_get(json_object_get(r->json, "signatures"), 0);
	ck_assert_int_eq(
	    util_b64_decode(json_string_value(json_object_get(s0, "sig")), sig, sizeof(sig)), 64);
	pae = ht_fmt("DSSEv1 %zu %s %ld ", strlen(type), type, plen);
	pae_len = strlen(pae);
	pae = realloc(pae, pae_len + (size_t)plen);
	memcpy(pae + pae_len, payload, (size_t)plen);
	ck_assert_int_eq(crypto_verify(pub, pae, pae_len + (size_t)plen, sig), 1);
	/* another payload does not verify */
	pae[pae_len] ^= 1;
	ck_assert_int_eq(crypto_verify(pub, pae, pae_len + (size_t)plen, sig), 0);
	free(pae);
	/* embargo: an unknown slug, an unreleased campaign's, a malformed one: the same 404 */
	{
		char *p1 = ht_fmt("/api/v1/publications/%s/attestation", "no-such-slug-tlog");
		char *p2 = ht_fmt("/api/v1/publications/%s/attestation", W.campaign2_slug);

		u1 = ht_request("GET", p1, NULL, NULL);
		u2 = ht_request("GET", p2, NULL, NULL);
		HT_ASSERT_PROBLEM(u1, 404, "not-found");
		HT_ASSERT_PROBLEM(u2, 404, "not-found");
		ck_assert_str_eq(u1->body, u2->body);
		ht_resp_free(u1);
		ht_resp_free(u2);
		free(p1);
		free(p2);
		u1 = ht_request("GET", "/api/v1/publications/Bad_Slug/attestation", NULL, NULL);
		HT_ASSERT_PROBLEM(u1, 404, "not-found");
		ht_resp_free(u1);
	}
	json_decref(stmt);
	free(hash);
	ht_resp_free(key);
	ht_resp_free(doc);
	ht_resp_free(r);
	free(path);
}
END_TEST

/* POST body to the witness at port (with curl); the status, its answer in *answer (malloc'd). */
static long
tl_witness_post(int port, const char *body, char **answer)
{
	char *path = ht_fmt("/tmp/tlog-wpost-%d.out", (int)getpid());
	char *cmd = ht_fmt("curl -s -w '\\n%%{http_code}' --data-binary @- "
	                   "http://127.0.0.1:%d/add-checkpoint > %s",
	                   port, path);
	FILE *p = popen(cmd, "w"), *f;
	char buf[8192], *nl;
	size_t n;
	long status;

	ck_assert_ptr_nonnull(p);
	fputs(body, p);
	ck_assert_int_eq(pclose(p), 0);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	nl = strrchr(buf, '\n');
	ck_assert_ptr_nonnull(nl);
	status = strtol(nl + 1, NULL, 10);
	*nl = '\0';
	*answer = strdup(buf);
	unlink(path);
	free(path);
	free(cmd);
	return status;
}

/*
 * Witnesses: `lockstep witness serve` cosigns what a lockstepd replica
 * configured with LOCKSTEP_WITNESSES sends; the served checkpoint carries
 * the cosignature; `lockstep verify --witness --min-witnesses 1` accepts
 * it; a forked checkpoint (signed by the log key, another tree) is refused.
 */
START_TEST(test_witness)
{
	char dir[] = "/tmp/lockstep-witness-XXXXXX";
	char *logs, *wkey, *wpem, *vkfile, *outp, *env0, *env1, *note = NULL, *answer, *body;
	struct tlog_vkey k, wk;
	struct tlog_checkpoint cp;
	struct ht_server rep;
	int port = ht_free_port(), st, ok = 0;
	pid_t pid;

	TLOG_REQUIRE();
	ck_assert_msg(Cli[0] != '\0', "%s", Err);
	ck_assert_int_gt(port, 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	tl_vkey(&k);
	logs = ht_fmt("%s/logs", dir);
	{
		struct ht_resp *r =
		    ht_request("GET", "/.well-known/lockstep/log-key?format=vkey", NULL, NULL);

		tl_write(logs, r->body);
		ht_resp_free(r);
	}
	wpem = ht_fmt("%s/witness.pem", dir);
	vkfile = ht_fmt("%s/witness.vkey", dir);
	outp = ht_fmt("%s/out", dir);
	{
		char listen[64];

		snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			int fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			dup2(fd, 1);
			dup2(fd, 2);
			execl(Cli, Cli, "witness", "serve", "--key", wpem, "--state", dir, "--name",
			      "witness.test/it", "--listen", listen, (char *)NULL);
			_exit(127);
		}
	}
	for (int i = 0; i < 100 && access(vkfile, R_OK) != 0; i++)
		usleep(100000);
	usleep(300000);
	ck_assert_msg(access(vkfile, R_OK) == 0, "the witness did not start");
	{
		FILE *f = fopen(vkfile, "r");
		char buf[256];

		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
		fclose(f);
		ck_assert_int_eq(tlog_vkey_parse(buf, &wk), 0);
		ck_assert_int_eq(wk.type, TLOG_SIG_COSIGNATURE);
		wkey = strdup(buf);
		wkey[strcspn(wkey, "\n")] = '\0';
	}

	/* a replica that sends its checkpoints to the witness */
	env0 = ht_fmt("LOCKSTEP_WITNESSES=http://127.0.0.1:%d %s", port, wkey);
	env1 = ht_fmt("LOCKSTEP_TLOG_INTERVAL_MS=200");
	{
		const char *const env[] = {env0, env1, NULL};

		ck_assert_msg(ht_server_start(&rep, 0, env) == 0, "the replica did not start");
	}
	for (int i = 0; i < 200 && !ok; i++) {
		free(note);
		note = tl_checkpoint(&k, &cp);
		ok = tlog_note_verify(note, strlen(note), &wk, NULL) == 1;
		if (!ok)
			usleep(100000);
	}
	ck_assert_msg(ok, "the served checkpoint carries no cosignature of the witness: %s", note);

	/* the CLI: K = 1 of this witness */
	{
		const char *args[] = {"verify",          Released, "--witness", vkfile,
		                      "--min-witnesses", "1",      NULL};

		free(tl_cli(&st, args));
		ck_assert_msg(st == 0, "verify with the witness's cosignature exited %d", st);
	}

	/* the protocol's refusals, a fork first */
	{
		struct crypto_signer *s = tl_log_signer();
		unsigned char pub[32], sig[64];
		tlog_hash leaves[2], root;
		char fbody[512], line[256];
		uint32_t id;
		int n;
		char *forked;

		crypto_signer_public(s, pub);
		ck_assert_int_eq(tlog_key_id(k.name, 1, pub, 32, &id), 0);
		ck_assert_int_eq(tlog_leaf_hash("fork", 4, leaves[0]), 0);
		ck_assert_int_eq(tlog_leaf_hash("fork2", 5, leaves[1]), 0);
		ck_assert_int_eq(tlog_root(leaves, 2, root), 0);
		/* same size, another root */
		n = tlog_checkpoint_body(k.name, cp.size, root, fbody, sizeof(fbody));
		ck_assert_int_eq(crypto_sign(s, fbody, (size_t)n, sig), 0);
		ck_assert_int_gt(tlog_note_sigline(k.name, id, sig, 64, line, sizeof(line)), 0);
		forked = ht_fmt("%s\n%s", fbody, line);
		body = ht_fmt("old %llu\n\n%s", (unsigned long long)cp.size, forked);
		ck_assert_int_eq(tl_witness_post(port, body, &answer), 422);
		free(answer);
		free(body);
		free(forked);
		/* a larger tree whose proof does not lead from the cosigned one */
		n = tlog_checkpoint_body(k.name, cp.size + 5, root, fbody, sizeof(fbody));
		ck_assert_int_eq(crypto_sign(s, fbody, (size_t)n, sig), 0);
		ck_assert_int_gt(tlog_note_sigline(k.name, id, sig, 64, line, sizeof(line)), 0);
		forked = ht_fmt("%s\n%s", fbody, line);
		body = ht_fmt("old %llu\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n%s",
		              (unsigned long long)cp.size, forked);
		ck_assert_int_eq(tl_witness_post(port, body, &answer), 422);
		free(answer);
		free(body);
		/* an old size that is not the last cosigned: 409 with that size */
		body = ht_fmt("old 1\n\n%s", forked);
		ck_assert_int_eq(tl_witness_post(port, body, &answer), 409);
		ck_assert_int_eq(strtoll(answer, NULL, 10), (long long)cp.size);
		free(answer);
		free(body);
		free(forked);
		crypto_signer_free(s);
	}
	/* not signed by the log key: 403; an unknown log: 404; garbage: 400 */
	{
		char *bad = strdup(note);
		char *nl = strstr(bad, "\n\n");

		ck_assert_ptr_nonnull(nl);
		nl[-2] = nl[-2] == 'A' ? 'B' : 'A'; /* the root's last base64 character */
		body = ht_fmt("old %llu\n\n%s", (unsigned long long)cp.size, bad);
		st = (int)tl_witness_post(port, body, &answer);
		ck_assert_msg(st == 403 || st == 400, "an altered checkpoint: %d", st);
		free(answer);
		free(body);
		free(bad);
		body = ht_fmt("old 0\n\nother.example/log\n1\n"
		              "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n\n"
		              "\xe2\x80\x94 other.example/log AAAAAA==\n");
		ck_assert_int_eq(tl_witness_post(port, body, &answer), 404);
		free(answer);
		free(body);
		ck_assert_int_eq(tl_witness_post(port, "hello\n", &answer), 400);
		free(answer);
	}
	/* the witness still stands by the checkpoint it cosigned */
	{
		char *again = ht_fmt("old %llu\n\n%s", (unsigned long long)cp.size, note);

		ck_assert_int_eq(tl_witness_post(port, again, &answer), 200);
		ck_assert_msg(strstr(answer, "witness.test/it") != NULL, "%s", answer);
		free(answer);
		free(again);
	}

	ht_server_stop(&rep, SIGTERM);
	ht_server_free(&rep);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(note);
	free(env0);
	free(env1);
	free(wkey);
	free(logs);
	free(wpem);
	free(vkfile);
	free(outp);
	{
		char *rm = ht_fmt("rm -rf '%s'", dir);

		(void)!system(rm);
		free(rm);
	}
}
END_TEST

/* An evidence receipt's hash goes into the log once, whoever asks for the receipt again. */
START_TEST(test_evidence_receipt_logged)
{
	PGconn *own = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char *path = ht_fmt("/api/v1/engagements/%s/evidence?name=tlog.txt", W.eng_ax2);
	char *canon, *sql, *lit, *body, *rp;
	unsigned char h[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];
	struct ht_resp *r;
	size_t len;

	ck_assert_ptr_nonnull(own);
	r = ht_request("POST", path, W.a.admin.token, "evidence for the log",
	               "Content-Type: text/plain");
	HT_ASSERT_STATUS(r, 201);
	canon = publish_canonical(json_object_get(r->json, "receipt"), &len);
	ck_assert_ptr_nonnull(canon);
	ck_assert_int_eq(crypto_sha256(canon, len, h), 0);
	util_hex_encode(h, sizeof(h), hex);
	body = ht_fmt("{\"receipt\":\"%s\",\"type\":\"evidence-receipt\"}", hex);
	lit = ht_sql_literal(body);
	sql = ht_fmt(
	    "SELECT count(*) FROM tlog_entries WHERE kind = 'evidence-receipt' AND body = %s", lit);
	ck_assert_int_eq(ht_db_count_conn(own, sql), 1);
	/* the receipt again: the same entry, not another */
	rp = ht_fmt("/api/v1/evidence/%s/receipt",
	            ht_ostr(json_object_get(r->json, "receipt"), "id"));
	ht_resp_free(r);
	r = ht_request("GET", rp, W.a.admin.token, NULL);
	HT_ASSERT_STATUS(r, 200);
	ck_assert_int_eq(ht_db_count_conn(own, sql), 1);
	/* no name or text of the file in the log */
	ck_assert_int_eq(ht_db_count_conn(own, "SELECT count(*) FROM tlog_entries WHERE body LIKE "
	                                       "'%tlog.txt%' OR body LIKE '%evidence for%'"),
	                 0);
	ht_resp_free(r);
	free(rp);
	free(sql);
	free(lit);
	free(body);
	free(canon);
	free(path);
	PQfinish(own);
}
END_TEST

/* Re-chain the audit trail as the database superuser would: p_mark edits the first event. */
static void
tl_rechain(const char *edit_sql)
{
	PGconn *su = ht_db_open(ht_env_req("LOCKSTEP_TEST_SUPER_DSN"));
	char st[6];
	char *sql =
	    ht_fmt("BEGIN;"
	           "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;"
	           "%s;"
	           "DO $$ DECLARE r record; v_prev bytea := "
	           "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;"
	           " v_hash bytea; BEGIN"
	           " FOR r IN SELECT * FROM audit_events ORDER BY id LOOP"
	           "  v_hash := sha256(v_prev || convert_to(jsonb_build_array("
	           "   to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	           "   r.actor_user, r.actor_org, r.actor_kind, r.addr, r.action, r.object_type,"
	           "   r.object_id, r.orgs, r.detail)::text, 'UTF8'));"
	           "  UPDATE audit_events SET prev_hash = v_prev, hash = v_hash WHERE id = r.id;"
	           "  v_prev := v_hash;"
	           " END LOOP; END $$;"
	           "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;"
	           "COMMIT",
	           edit_sql);

	ck_assert_ptr_nonnull(su);
	ck_assert_msg(ht_db_exec(su, sql, st) == 0, "re-chaining failed (%s)", st);
	/* the database's own check passes: that is the attack */
	ck_assert_int_eq(ht_db_count_conn(su, "SELECT count(*) FROM (SELECT audit_verify() AS v) s "
	                                      "WHERE v IS NULL"),
	                 1);
	free(sql);
	PQfinish(su);
}

/*
 * `lockstep verify-audit`: the coordinator's export of the audit chain
 * matches the audit checkpoints in the log; after the superuser edits an
 * event and re-chains the trail (audit_verify() still passes), it does
 * not; restored, it does again.
 */
START_TEST(test_verify_audit)
{
	char cfg[] = "/tmp/lockstep-tlog-cfg-XXXXXX";
	char *out, *edit;
	json_t *j;
	int st;
	PGconn *own = ht_db_open(ht_env_req("LOCKSTEP_TEST_OWNER_DSN"));
	char *first;
	int ok = 0;

	TLOG_REQUIRE();
	ck_assert_msg(Cli[0] != '\0', "%s", Err);
	ck_assert_ptr_nonnull(mkdtemp(cfg));
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", cfg, 1), 0);
	ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", W.coord.password, 1), 0);
	{
		const char *args[] = {"login", W.coord.email, NULL};

		free(tl_cli(&st, args));
		ck_assert_int_eq(st, 0);
	}
	/* an audit checkpoint covering the events so far */
	ck_assert_ptr_nonnull(own);
	ck_assert_int_ge(ht_db_count_conn(own, "SELECT count(*) FROM tlog_entries WHERE kind = "
	                                       "'audit-checkpoint'"),
	                 1);
	{
		const char *args[] = {"verify-audit", NULL};

		out = tl_cli(&st, args);
		ck_assert_msg(st == 0, "verify-audit exited %d: %s", st, out);
		j = json_loads(out, 0, NULL);
		ck_assert_msg(json_is_true(json_object_get(j, "verified")), "%s", out);
		ck_assert_int_ge(json_integer_value(json_object_get(j, "audit_checkpoints")), 1);
		json_decref(j);
		free(out);
	}
	/* another role may not export the trail */
	{
		struct ht_resp *r = ht_request("GET", "/api/v1/audit", W.a.admin.token, NULL);

		HT_ASSERT_PROBLEM(r, 404, "not-found");
		ht_resp_free(r);
		r = ht_request("GET", "/api/v1/audit", NULL, NULL);
		ck_assert_int_eq(r->status, 401);
		ht_resp_free(r);
		r = ht_request("GET", "/api/v1/audit?limit=0", W.coord.token, NULL);
		HT_ASSERT_PROBLEM(r, 400, "bad-query");
		ht_resp_free(r);
	}

	/* the attack: edit the first event, re-chain everything after it */
	first = ht_db_value(own, "SELECT min(id)::text FROM audit_events", &ok);
	ck_assert(ok);
	edit = ht_fmt(
	    "UPDATE audit_events SET detail = detail || '{\"forged\": true}' WHERE id = %s", first);
	tl_rechain(edit);
	free(edit);
	{
		const char *args[] = {"verify-audit", NULL};

		out = tl_cli(&st, args);
		ck_assert_msg(st == 1, "verify-audit of a re-chained trail exited %d: %s", st, out);
		j = json_loads(out, 0, NULL);
		ck_assert_msg(json_is_false(json_object_get(j, "verified")), "%s", out);
		json_decref(j);
		free(out);
	}
	/* restored (the same inputs give the same hashes): verified again */
	edit = ht_fmt("UPDATE audit_events SET detail = detail - 'forged' WHERE id = %s", first);
	tl_rechain(edit);
	free(edit);
	{
		const char *args[] = {"verify-audit", NULL};

		out = tl_cli(&st, args);
		ck_assert_msg(st == 0, "verify-audit after the restore exited %d: %s", st, out);
		free(out);
	}
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	{
		char *rm = ht_fmt("rm -rf '%s'", cfg);

		(void)!system(rm);
		free(rm);
	}
	free(first);
	PQfinish(own);
}
END_TEST

static Suite *
tlog_suite(void)
{
	Suite *s = suite_create("tlog");
	TCase *tc = tcase_create("log");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_key_and_checkpoint);
	tcase_add_test(tc, test_publication_included);
	tcase_add_test(tc, test_tiles_rebuild_root);
	tcase_add_test(tc, test_consistency);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_append_only);
	tcase_add_test(tc, test_audit_checkpoint);
	tcase_add_test(tc, test_cli_verify_log);
	tcase_add_test(tc, test_commit_reveal);
	tcase_add_test(tc, test_witness);
	tcase_add_test(tc, test_fork_second_lockstepd);
	tcase_add_test(tc, test_attestation);
	tcase_add_test(tc, test_corrections);
	tcase_add_test(tc, test_evidence_receipt_logged);
	tcase_add_test(tc, test_verify_audit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;
	const char *p;

	ht_init_or_skip();
	ht_clear_login_failures();
	if (ht_world_build(&W) != 0) {
		fprintf(stderr, "building the test world failed: %s\n", W.err);
		return 1;
	}
	p = ht_env("LOCKSTEP_TEST_CLI") ? ht_env("LOCKSTEP_TEST_CLI") : "./lockstep";
	if (realpath(p, Cli) == NULL || access(Cli, X_OK) != 0) {
		snprintf(Err, sizeof(Err), "the lockstep client is not at %s", p);
		Cli[0] = '\0';
	}
	tl_release();
	rc = ht_run_suite(tlog_suite());
	free(Released);
	ht_world_free(&W);
	return rc;
}
