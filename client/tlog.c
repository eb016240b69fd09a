/*
 * client/tlog.c: the transparency-log half of `lockstep verify`: the
 * publication's entry is in a checkpoint signed by the log key, that
 * checkpoint extends one the user pinned earlier (--since FILE), and at
 * least K of the witnesses the user trusts cosigned it (--witness FILE
 * --min-witnesses K). Proofs are fetched from the server and checked here
 * with server/tlog/ (RFC 9162, C2SP signed notes): nothing the server says
 * is believed without the log key's signature and the hashes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "publish/publish.h"
#include "tlog/tlog.h"
#include "util/util.h"

/* Read a small text file into a NUL-terminated string (malloc'd), or NULL with a message. */
static char *
client_text_file(const char *path)
{
	struct client_buf b;
	char *s;

	if (client_read_file(path, CLIENT_MAX_KEY_FILE, &b) != 0)
		return NULL;
	if ((s = malloc(b.len + 1)) != NULL) {
		memcpy(s, b.data ? b.data : "", b.len);
		s[b.len] = '\0';
	}
	client_buf_free(&b);
	return s;
}

/* Trim trailing blank lines so that a note ends in exactly one newline. */
static void
client_note_trim(char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '\n' && s[n - 2] == '\n')
		s[--n] = '\0';
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* GET path as JSON (anonymous). New reference, or NULL with a message. */
static json_t *
client_get_json(const char *base_url, const char *path, long *status)
{
	const char *const accept[] = {"Accept: application/json", NULL};
	struct client_call call = {.path = path, .headers = accept, .timeout = 120};
	struct client_response res = {0};
	json_t *j = NULL;

	*status = 0;
	if (client_request(base_url, &call, &res) == 0) {
		*status = res.status;
		if (res.status == 200)
			j = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
		else
			(void)client_report(&res);
	}
	client_response_free(&res);
	return j;
}

/* The proof array of answer j into proof. 0, or -1 when malformed. */
static int
client_proof(const json_t *j, tlog_hash proof[TLOG_MAX_PROOF], size_t *len)
{
	const json_t *a = json_object_get(j, "proof"), *e;
	size_t i;

	*len = 0;
	if (!json_is_array(a) || json_array_size(a) > TLOG_MAX_PROOF)
		return -1;
	json_array_foreach(a, i, e)
	{
		const char *s = json_string_value(e);

		if (s == NULL || util_b64_decode(s, proof[i], TLOG_HASH) != TLOG_HASH)
			return -1;
	}
	*len = json_array_size(a);
	return 0;
}

/*
 * A signed checkpoint note checked with the log key k: 0 with *cp, or -1
 * and *why.
 */
static int
client_checkpoint(const char *note, const struct tlog_vkey *k, struct tlog_checkpoint *cp,
                  const char **why)
{
	size_t textlen;

	if (note == NULL || tlog_note_split(note, strlen(note), &textlen) != 0 ||
	    tlog_checkpoint_parse(note, textlen, cp) != 0) {
		*why = "the checkpoint is not a signed note with a checkpoint";
		return -1;
	}
	if (strcmp(cp->origin, k->name) != 0) {
		*why = "the checkpoint is of another log (its origin is not the log key's name)";
		return -1;
	}
	if (tlog_note_verify(note, strlen(note), k, NULL) != 1) {
		*why = "the checkpoint is not signed by the log key";
		return -1;
	}
	return 0;
}

int
client_log_key(const char *base_url, const char *file, struct tlog_vkey *k)
{
	const char *const accept[] = {"Accept: text/plain", NULL};
	struct client_call call = {
	    .path = "/.well-known/lockstep/log-key?format=vkey", .headers = accept, .timeout = 120};
	struct client_response res = {0};
	char *text = NULL;
	int ret = -1;

	if (file != NULL) {
		if ((text = client_text_file(file)) == NULL)
			return -1;
	} else {
		if (client_request(base_url, &call, &res) != 0)
			goto done;
		if (res.status != 200 ||
		    (text = strndup(res.body.data ? res.body.data : "", res.body.len)) == NULL) {
			fprintf(stderr, "%s: the server's log key is not available (HTTP %ld)\n",
			        client_progname, res.status);
			goto done;
		}
	}
	if (tlog_vkey_parse(text, k) != 0 || k->type != TLOG_SIG_ED25519) {
		fprintf(stderr,
		        "%s: %s: not a log verifier key (name+id+base64, Ed25519); save it from "
		        "/.well-known/lockstep/log-key?format=vkey\n",
		        client_progname, file != NULL ? file : "the server's log key");
		goto done;
	}
	ret = 0;
done:
	free(text);
	client_response_free(&res);
	return ret;
}

int
client_witness_keys(const char *file, struct tlog_vkey *keys, size_t max, size_t *n)
{
	char *text = client_text_file(file), *line, *save = NULL;

	*n = 0;
	if (text == NULL)
		return -1;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		if (*n == max || tlog_vkey_parse(line, &keys[*n]) != 0 ||
		    keys[*n].type != TLOG_SIG_COSIGNATURE) {
			fprintf(stderr,
			        "%s: %s: each line must be a witness's cosignature key "
			        "(name+id+base64, type 0x04), at most %zu\n",
			        client_progname, file, max);
			free(text);
			return -1;
		}
		(*n)++;
	}
	free(text);
	return 0;
}

/*
 * Entry body at log index idx is body (canonical JSON): checked by an
 * inclusion proof against the checkpoint (size, root). 1 if so, else 0.
 */
static int
client_entry_at(const char *base_url, long long idx, const char *body, uint64_t size,
                const tlog_hash root)
{
	char path[CLIENT_MAX_PATH], hex[2 * TLOG_HASH + 1];
	tlog_hash leaf, proof[TLOG_MAX_PROOF];
	const char *got;
	json_t *inc;
	long status;
	size_t len;
	int ok = 0;

	if (idx < 0 || (uint64_t)idx >= size || tlog_leaf_hash(body, strlen(body), leaf) != 0)
		return 0;
	util_hex_encode(leaf, TLOG_HASH, hex);
	snprintf(path, sizeof(path), "/log/proof/inclusion?index=%lld&size=%llu", idx,
	         (unsigned long long)size);
	if ((inc = client_get_json(base_url, path, &status)) == NULL)
		return 0;
	got = json_string_value(json_object_get(inc, "leaf_hash"));
	if (got != NULL && strcmp(got, hex) == 0 && client_proof(inc, proof, &len) == 0 &&
	    tlog_verify_inclusion((uint64_t)idx, size, leaf, proof, len, root))
		ok = 1;
	json_decref(inc);
	return ok;
}

/*
 * Commit-then-reveal: every published row matches a commitment in the log
 * (SHA-256(salt || canonical JSON of the row without company, assessor and
 * commitment)), logged before the publication; the campaign commitment
 * (how many were committed at the commit instant) is in the log, and no
 * committed engagement is missing. Returns 0 with *report, or -1 and *why.
 */
static int
client_commit_check(const char *base_url, const json_t *doc, long long pub_index,
                    const struct tlog_checkpoint *cp, json_t **report, const char **why)
{
	const json_t *sum = json_object_get(doc, "commitments"), *rows, *row, *list, *v;
	long long committed, recommitted = 0, revealed = 0, nrows;
	size_t i;

	*report = NULL;
	if (sum == NULL) {
		*report = json_pack("{s:b, s:s}", "checked", 0, "why",
		                    "the publication predates commit-then-reveal");
		return 0;
	}
	rows = json_object_get(doc, "engagements");
	list = json_object_get(sum, "committed_indices");
	committed = json_integer_value(json_object_get(sum, "committed"));
	nrows = (long long)json_array_size(rows);
	if (!json_is_array(list) || (long long)json_array_size(list) != committed) {
		*why = "the commitment summary is malformed";
		return -1;
	}
	json_array_foreach(rows, i, row)
	{
		const json_t *k = json_object_get(row, "commitment");
		const char *salt_hex = json_string_value(json_object_get(k, "salt"));
		long long idx = json_integer_value(json_object_get(k, "log_index"));
		int late = json_is_string(json_object_get(k, "recommitted_at"));
		unsigned char salt[32], h[CRYPTO_SHA256_LEN];
		char hex[2 * CRYPTO_SHA256_LEN + 1], *canon = NULL, *body = NULL;
		struct crypto_sha256_stream *s = NULL;
		json_t *core;
		size_t len = 0, j;
		int in_list = 0, ok = 0;

		if (salt_hex == NULL || strlen(salt_hex) != 64 ||
		    util_hex_decode(salt_hex, salt, sizeof(salt)) != 0) {
			*why = "a published row carries no valid commitment salt";
			return -1;
		}
		core = json_deep_copy(row);
		json_object_del(core, "company");
		json_object_del(core, "assessor");
		json_object_del(core, "commitment");
		/* the company review's state is added at release and is not committed */
		json_object_del(core, "review");
		if ((canon = publish_canonical(core, &len)) != NULL &&
		    (s = crypto_sha256_stream_new()) != NULL &&
		    crypto_sha256_stream_update(s, salt, sizeof(salt)) == 0 &&
		    crypto_sha256_stream_update(s, canon, len) == 0 &&
		    crypto_sha256_stream_final(s, h) == 0) {
			util_hex_encode(h, sizeof(h), hex);
			if ((body = malloc(128)) != NULL)
				snprintf(body, 128,
				         "{\"commitment\":\"%s\",\"type\":\"commitment\"}", hex);
			ok = body != NULL && idx < pub_index &&
			     client_entry_at(base_url, idx, body, cp->size, cp->root);
		}
		crypto_sha256_stream_free(s);
		free(canon);
		free(body);
		json_decref(core);
		if (!ok) {
			*why = "a published row does not match its commitment in the log (changed "
			       "after it was committed, or the commitment is not in the log before "
			       "the publication)";
			return -1;
		}
		json_array_foreach(list, j, v)
		{
			if (json_integer_value(v) == idx)
				in_list = 1;
		}
		if (late) {
			recommitted++;
		} else if (!in_list) {
			*why = "a row claims an unchanged commitment that the campaign commitment "
			       "does "
			       "not list";
			return -1;
		} else {
			revealed++;
		}
	}
	if (json_integer_value(json_object_get(sum, "recommitted")) != recommitted) {
		*why = "the document miscounts its recommitted rows";
		return -1;
	}
	/* the campaign commitment, as logged at the commit instant */
	if (committed > 0 || !json_is_null(json_object_get(sum, "campaign_log_index"))) {
		json_t *entry = json_pack("{s:O, s:I, s:s}", "commitments", list, "count",
		                          (json_int_t)committed, "type", "campaign-commitment");
		size_t len = 0;
		char *canon = entry ? publish_canonical(entry, &len) : NULL;
		long long cidx = json_integer_value(json_object_get(sum, "campaign_log_index"));
		int ok = canon != NULL && cidx < pub_index &&
		         client_entry_at(base_url, cidx, canon, cp->size, cp->root);

		free(canon);
		json_decref(entry);
		if (!ok) {
			*why = "the campaign commitment is not in the log as the document states";
			return -1;
		}
	}
	/* rows are shown (named, pseudonymous): none of the committed may be missing */
	if (nrows > 0 && revealed + recommitted != nrows) {
		*why = "the commitments do not cover every published row";
		return -1;
	}
	if (nrows > 0 && nrows < committed) {
		*why = "an engagement committed before the release is missing from the publication";
		return -1;
	}
	*report = json_pack("{s:b, s:I, s:I, s:I, s:I}", "checked", 1, "committed",
	                    (json_int_t)committed, "unchanged", (json_int_t)revealed, "recommitted",
	                    (json_int_t)recommitted, "rows", (json_int_t)nrows);
	return 0;
}

/*
 * Corrections of the publication (doc_hash_hex): each signed by the
 * publication key over its exact bytes, hashed as stated, naming the
 * publication, chained (prev_hash: the previous correction's hash, the
 * publication's for the first), and in the log before the checkpoint.
 * Returns 0 with *report (an array), or -1 with *why.
 */
static int
client_corrections_check(const char *base_url, const char *slug, const char *doc_hash_hex,
                         const unsigned char pub[CRYPTO_ED25519_PUB_LEN],
                         const struct tlog_checkpoint *cp, json_t **report, const char **why)
{
	char path[CLIENT_MAX_PATH], prev[2 * CRYPTO_SHA256_LEN + 1];
	json_t *list, *item, *out = json_array();
	long status;
	size_t i;

	*report = NULL;
	snprintf(path, sizeof(path), "/api/v1/publications/%s/corrections", slug);
	if ((list = client_get_json(base_url, path, &status)) == NULL) {
		json_decref(out);
		*why = "the corrections of the publication are not available";
		return -1;
	}
	snprintf(prev, sizeof(prev), "%s", doc_hash_hex);
	json_array_foreach(json_object_get(list, "items"), i, item)
	{
		const char *text = json_string_value(json_object_get(item, "document"));
		const char *sig64 = json_string_value(json_object_get(item, "signature"));
		unsigned char sig[CRYPTO_ED25519_SIG_LEN + 3], h[CRYPTO_SHA256_LEN];
		char hex[2 * CRYPTO_SHA256_LEN + 1], leaf_hex[2 * TLOG_HASH + 1],
		    q[CLIENT_MAX_PATH];
		json_t *d = text ? json_loads(text, 0, NULL) : NULL, *inc = NULL, *entry = NULL;
		const json_t *corr = json_object_get(d, "corrects");
		tlog_hash leaf, proof[TLOG_MAX_PROOF];
		char *canon = NULL;
		size_t len = 0, plen;
		int ok = 0;

		if (text != NULL && sig64 != NULL &&
		    util_b64_decode(sig64, sig, sizeof(sig)) == CRYPTO_ED25519_SIG_LEN &&
		    crypto_verify(pub, text, strlen(text), sig) == 1 &&
		    crypto_sha256(text, strlen(text), h) == 0 &&
		    (util_hex_encode(h, sizeof(h), hex), 1) &&
		    json_is_string(json_object_get(item, "hash")) &&
		    strcmp(hex, json_string_value(json_object_get(item, "hash"))) == 0 &&
		    json_is_string(json_object_get(corr, "hash")) &&
		    strcmp(json_string_value(json_object_get(corr, "hash")), doc_hash_hex) == 0 &&
		    json_is_string(json_object_get(d, "prev_hash")) &&
		    strcmp(json_string_value(json_object_get(d, "prev_hash")), prev) == 0 &&
		    json_integer_value(json_object_get(d, "number")) == (json_int_t)(i + 1)) {
			/* its log entry, included in the same checkpoint */
			entry = json_pack("{s:s, s:s, s:s}", "corrects", doc_hash_hex, "hash", hex,
			                  "type", "correction");
			if (entry != NULL && (canon = publish_canonical(entry, &len)) != NULL &&
			    tlog_leaf_hash(canon, len, leaf) == 0) {
				util_hex_encode(leaf, TLOG_HASH, leaf_hex);
				snprintf(q, sizeof(q), "/log/proof/inclusion?hash=%s&size=%llu",
				         leaf_hex, (unsigned long long)cp->size);
				inc = client_get_json(base_url, q, &status);
				ok = inc != NULL && client_proof(inc, proof, &plen) == 0 &&
				     tlog_verify_inclusion((uint64_t)json_integer_value(
				                               json_object_get(inc, "index")),
				                           cp->size, leaf, proof, plen, cp->root);
			}
		}
		if (ok)
			json_array_append_new(
			    out, json_pack("{s:I, s:s, s:s, s:s, s:b}", "number",
			                   (json_int_t)(i + 1), "hash", hex, "issued_at",
			                   json_string_value(json_object_get(d, "issued_at"))
			                       ? json_string_value(json_object_get(d, "issued_at"))
			                       : "",
			                   "reason",
			                   json_string_value(json_object_get(d, "reason"))
			                       ? json_string_value(json_object_get(d, "reason"))
			                       : "",
			                   "logged", 1));
		snprintf(prev, sizeof(prev), "%s", hex);
		free(canon);
		json_decref(entry);
		json_decref(inc);
		json_decref(d);
		if (!ok) {
			json_decref(list);
			json_decref(out);
			*why = "a correction of the publication does not verify (signature, hash, "
			       "chain "
			       "or log entry)";
			return -1;
		}
	}
	json_decref(list);
	*report = out;
	return 0;
}

int
client_log_check(const char *base_url, const char *doc_hash_hex, long long seq, const json_t *doc,
                 const struct client_log_opts *o, json_t **report, const char **why)
{
	json_t *commits = NULL, *corrections = NULL;
	const char *slug =
	    json_string_value(json_object_get(json_object_get(doc, "campaign"), "slug"));
	tlog_hash leaf, proof[TLOG_MAX_PROOF];
	struct tlog_checkpoint cp, pinned;
	char path[CLIENT_MAX_PATH], leaf_hex[2 * TLOG_HASH + 1], root_b64[64];
	char *entry = NULL, *pin = NULL;
	const char *note;
	json_t *e = NULL, *inc = NULL, *cons = NULL, *since = json_null(), *wit = json_array();
	long status;
	size_t len, entry_len = 0;
	long long index = 0;
	int cosigned = 0, ret = -1;

	*report = NULL;
	*why = NULL;
	/* the publication's entry: canonical {"hash","sequence","type"} */
	e = json_pack("{s:s, s:I, s:s}", "hash", doc_hash_hex, "sequence", (json_int_t)seq, "type",
	              "publication");
	if (e == NULL || (entry = publish_canonical(e, &entry_len)) == NULL ||
	    tlog_leaf_hash(entry, entry_len, leaf) != 0) {
		*why = "cannot build the publication's log entry";
		goto done;
	}
	util_hex_encode(leaf, TLOG_HASH, leaf_hex);
	snprintf(path, sizeof(path), "/log/proof/inclusion?hash=%s", leaf_hex);
	if ((inc = client_get_json(base_url, path, &status)) == NULL) {
		*why = status == 404 ? "the publication is not in the transparency log"
		                     : "no inclusion proof from the log";
		goto done;
	}
	note = json_string_value(json_object_get(inc, "checkpoint"));
	if (client_checkpoint(note, &o->log_key, &cp, why) != 0)
		goto done;
	index = json_integer_value(json_object_get(inc, "index"));
	if (client_proof(inc, proof, &len) != 0 || index < 0 ||
	    json_integer_value(json_object_get(inc, "size")) != (json_int_t)cp.size) {
		*why = "the inclusion proof is malformed";
		goto done;
	}
	if (!tlog_verify_inclusion((uint64_t)index, cp.size, leaf, proof, len, cp.root)) {
		*why = "the inclusion proof does not lead to the signed checkpoint's root";
		goto done;
	}

	/* consistency with a checkpoint the user pinned before */
	if (o->since != NULL) {
		uint64_t lo, hi;
		const tlog_hash *rlo, *rhi;

		if ((pin = client_text_file(o->since)) == NULL) {
			*why = "cannot read the pinned checkpoint";
			goto done;
		}
		client_note_trim(pin);
		if (pin[0] != '\0' && pin[strlen(pin) - 1] != '\n') {
			char *p = realloc(pin, strlen(pin) + 2);

			if (p == NULL) {
				*why = "out of memory";
				goto done;
			}
			pin = p;
			strcat(pin, "\n");
		}
		if (client_checkpoint(pin, &o->log_key, &pinned, why) != 0) {
			*why = "the pinned checkpoint (--since) is not signed by the log key";
			goto done;
		}
		lo = pinned.size < cp.size ? pinned.size : cp.size;
		hi = pinned.size < cp.size ? cp.size : pinned.size;
		rlo = pinned.size < cp.size ? (const tlog_hash *)&pinned.root
		                            : (const tlog_hash *)&cp.root;
		rhi = pinned.size < cp.size ? (const tlog_hash *)&cp.root
		                            : (const tlog_hash *)&pinned.root;
		if (lo == hi) {
			if (memcmp(pinned.root, cp.root, TLOG_HASH) != 0) {
				*why = "FORK: the pinned checkpoint and the log's have the same "
				       "size and "
				       "different roots";
				goto done;
			}
		} else {
			snprintf(path, sizeof(path), "/log/proof/consistency?from=%llu&to=%llu",
			         (unsigned long long)lo, (unsigned long long)hi);
			if ((cons = client_get_json(base_url, path, &status)) == NULL ||
			    client_proof(cons, proof, &len) != 0) {
				*why = "no consistency proof from the pinned checkpoint";
				goto done;
			}
			if (!tlog_verify_consistency(lo, hi, *rlo, *rhi, proof, len)) {
				*why = "FORK: the log is not consistent with the pinned checkpoint";
				goto done;
			}
		}
		since = json_pack("{s:I, s:b}", "size", (json_int_t)pinned.size, "consistent", 1);
	}

	/* cosignatures of the checkpoint by witnesses the user trusts */
	for (size_t i = 0; i < o->nwitnesses; i++) {
		uint64_t t = 0;
		int v = tlog_note_verify(note, strlen(note), &o->witnesses[i], &t);

		if (v == 1) {
			cosigned++;
			json_array_append_new(wit,
			                      json_pack("{s:s, s:I}", "name", o->witnesses[i].name,
			                                "time", (json_int_t)t));
		}
	}
	if (cosigned < o->min_witnesses) {
		*why = "too few of the trusted witnesses cosigned the checkpoint";
		goto done;
	}
	if (client_commit_check(base_url, doc, index, &cp, &commits, why) != 0)
		goto done;
	if (slug == NULL || client_corrections_check(base_url, slug, doc_hash_hex, o->pub, &cp,
	                                             &corrections, why) != 0) {
		if (*why == NULL)
			*why = "the publication names no campaign slug";
		goto done;
	}
	if (o->save != NULL && client_write_private(o->save, note) != 0) {
		*why = "cannot save the checkpoint";
		goto done;
	}
	util_b64_encode(cp.root, TLOG_HASH, root_b64);
	ret = 0;
done:
	if (ret == 0)
		*report = json_pack(
		    "{s:b, s:I, s:I, s:s, s:s, s:s, s:O, s:O, s:i, s:O}", "included", 1, "index",
		    (json_int_t)index, "size", (json_int_t)cp.size, "origin", cp.origin, "root",
		    root_b64, "leaf_hash", leaf_hex, "since", since, "cosigned_by", wit,
		    "cosignatures", cosigned, "commitments", commits ? commits : json_null());
	if (*report != NULL)
		json_object_set_new(*report, "corrections",
		                    corrections ? json_incref(corrections) : json_array());
	json_decref(since);
	json_decref(wit);
	json_decref(commits);
	json_decref(corrections);
	json_decref(e);
	json_decref(inc);
	json_decref(cons);
	free(entry);
	free(pin);
	return ret;
}
