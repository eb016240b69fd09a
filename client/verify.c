/*
 * client/verify.c: signatures checked offline with the server's own
 * libraries: Ed25519 and SHA-256 from libls_crypto, canonical JSON from
 * server/publish/canon.c. `lockstep verify` checks a publication;
 * client_receipt_valid checks an evidence receipt.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "publish/publish.h"
#include "util/util.h"

/* Response headers of a publication, in this order in client_response.kept. */
enum { CLIENT_PUB_SIGNATURE, CLIENT_PUB_HASH, CLIENT_PUB_PREV_HASH, CLIENT_PUB_KEY };

static const char *const client_pub_headers[] = {"X-Lockstep-Signature", "X-Lockstep-Hash",
                                                 "X-Lockstep-Prev-Hash", "X-Lockstep-Signing-Key",
                                                 NULL};

/* A campaign slug as the server accepts it: [a-z0-9-]{1,63}, no leading '-'. */
static int
client_valid_slug(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63 || s[0] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* 1 if s is 64 hex digits. */
static int
client_is_sha256_hex(const char *s)
{
	return s != NULL && strlen(s) == 2 * CRYPTO_SHA256_LEN &&
	       strspn(s, "0123456789abcdefABCDEF") == 2 * CRYPTO_SHA256_LEN;
}

int
client_server_key(const char *base_url, unsigned char pub[CRYPTO_ED25519_PUB_LEN])
{
	const char *const accept[] = {"Accept: application/x-pem-file", NULL};
	struct client_call call = {.path = "/.well-known/lockstep/signing-key?format=pem",
	                           .headers = accept,
	                           .timeout = 120};
	struct client_response res;
	int ret = -1;

	if (client_request(base_url, &call, &res) != 0)
		goto done;
	if (res.status != 200) {
		fprintf(stderr, "%s: the server's signing key is not available (HTTP %ld)\n",
		        client_progname, res.status);
		goto done;
	}
	if (crypto_ed25519_public_from_pem(res.body.data ? res.body.data : "", res.body.len, pub) !=
	    0) {
		fprintf(stderr, "%s: the server's signing key is not an Ed25519 PEM key\n",
		        client_progname);
		goto done;
	}
	ret = 0;
done:
	client_response_free(&res);
	return ret;
}

/*
 * The pinned key from path (a PEM public key file) into pub. Returns 0, or
 * -1 with a message.
 */
static int
client_key_file(const char *path, unsigned char pub[CRYPTO_ED25519_PUB_LEN])
{
	struct client_buf b;
	int ret = -1;

	if (client_read_file(path, CLIENT_MAX_KEY_FILE, &b) != 0)
		return -1;
	if (crypto_ed25519_public_from_pem(b.data ? b.data : "", b.len, pub) == 0)
		ret = 0;
	else
		fprintf(stderr,
		        "%s: %s: not an Ed25519 public key in PEM (\"BEGIN PUBLIC KEY\"); "
		        "save it from /.well-known/lockstep/signing-key?format=pem\n",
		        client_progname, path);
	client_buf_free(&b);
	return ret;
}

int
client_receipt_fields(const json_t *answer, const char **sha256, json_int_t *size)
{
	json_t *r = json_object_get(answer, "receipt");
	const char *h = json_string_value(json_object_get(r, "sha256"));
	json_t *sz = json_object_get(r, "size");

	if (h == NULL || strlen(h) != 2 * CRYPTO_SHA256_LEN ||
	    strspn(h, "0123456789abcdef") != strlen(h) || !json_is_integer(sz) ||
	    json_integer_value(sz) < 0)
		return -1;
	*sha256 = h;
	*size = json_integer_value(sz);
	return 0;
}

int
client_receipt_valid(const json_t *answer, const unsigned char pub[CRYPTO_ED25519_PUB_LEN],
                     const char **why)
{
	unsigned char sig[CRYPTO_ED25519_SIG_LEN + 3];
	const json_t *receipt = json_object_get(answer, "receipt");
	const char *b64 = json_string_value(json_object_get(answer, "signature"));
	const char *alg = json_string_value(json_object_get(answer, "algorithm"));
	const char *kid = json_string_value(json_object_get(answer, "key_id"));
	char *canon = NULL, want[64];
	size_t len = 0;
	int ok = 0;

	*why = NULL;
	if (!json_is_object(receipt) || b64 == NULL || alg == NULL || strcmp(alg, "Ed25519") != 0) {
		*why = "the answer is not an Ed25519-signed receipt";
	} else if (kid == NULL || crypto_ed25519_key_id(pub, want) != 0 || strcmp(kid, want) != 0) {
		/* one key id scheme: the RFC 7638 thumbprint of the signing
		 * key's JWK, as /.well-known/lockstep/signing-key names it */
		*why = "the receipt's key_id is not the id (RFC 7638 thumbprint) of the server's "
		       "signing key";
	} else if (util_b64_decode(b64, sig, sizeof(sig)) != CRYPTO_ED25519_SIG_LEN) {
		*why = "the receipt's signature is not 64 bytes of base64";
	} else if ((canon = publish_canonical(receipt, &len)) == NULL) {
		*why = "the receipt has no canonical JSON form";
	} else if (crypto_verify(pub, canon, len, sig) != 1) {
		*why = "the receipt's signature does not verify with the server's signing key";
	} else {
		ok = 1;
	}
	free(canon);
	return ok;
}

/* 1 if body[0..len) is exactly the canonical JSON of what it encodes. */
static int
client_is_canonical(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	size_t clen = 0;
	char *canon = j != NULL ? publish_canonical(j, &clen) : NULL;
	int ok = canon != NULL && clen == len && memcmp(canon, body, len) == 0;

	free(canon);
	json_decref(j);
	return ok;
}

/* The index of the history entry whose key (base64url) is b64, or -1. */
static int
client_history_find(json_t *keys, const char *b64)
{
	size_t i;
	json_t *k;

	json_array_foreach(keys, i, k)
	{
		const char *v = json_string_value(json_object_get(k, "key"));

		if (v != NULL && strcmp(v, b64) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * 1 if history entry i is sound: its key decodes to 32 bytes whose RFC 7638
 * thumbprint is its key_id, its statement names exactly that key, id and
 * predecessor, and (unless it is the first key) its predecessor is an
 * earlier entry whose key signed the statement. *prev is the
 * predecessor's index (-1 for the first key).
 */
static int
client_history_sound(json_t *keys, int i, int *prev)
{
	json_t *k = json_array_get(keys, (size_t)i), *st;
	const char *key = json_string_value(json_object_get(k, "key"));
	const char *kid = json_string_value(json_object_get(k, "key_id"));
	const char *pkid = json_string_value(json_object_get(k, "previous_key_id"));
	const char *stmt = json_string_value(json_object_get(k, "statement"));
	const char *end = json_string_value(json_object_get(k, "endorsement"));
	unsigned char pub[CRYPTO_ED25519_PUB_LEN + 3], ppub[CRYPTO_ED25519_PUB_LEN + 3];
	unsigned char sig[CRYPTO_ED25519_SIG_LEN + 3];
	char id[64];
	int ok;

	*prev = -1;
	if (key == NULL || kid == NULL || stmt == NULL ||
	    util_b64url_decode(key, pub, sizeof(pub)) != CRYPTO_ED25519_PUB_LEN ||
	    crypto_ed25519_key_id(pub, id) != 0 || strcmp(id, kid) != 0)
		return 0;
	if ((st = json_loads(stmt, 0, NULL)) == NULL)
		return 0;
	ok = json_is_string(json_object_get(st, "key")) &&
	     strcmp(json_string_value(json_object_get(st, "key")), key) == 0 &&
	     json_is_string(json_object_get(st, "key_id")) &&
	     strcmp(json_string_value(json_object_get(st, "key_id")), kid) == 0 &&
	     json_is_string(json_object_get(st, "previous_key_id")) &&
	     strcmp(json_string_value(json_object_get(st, "previous_key_id")), pkid ? pkid : "") ==
	         0 &&
	     json_is_string(json_object_get(st, "type")) &&
	     strcmp(json_string_value(json_object_get(st, "type")), "lockstep-signing-key") == 0;
	json_decref(st);
	if (!ok)
		return 0;
	if (pkid == NULL)
		return end == NULL;
	for (int j = 0; j < i; j++) {
		json_t *p = json_array_get(keys, (size_t)j);
		const char *pk = json_string_value(json_object_get(p, "key"));

		if (strcmp(json_string_value(json_object_get(p, "key_id")) ?: "", pkid) != 0)
			continue;
		if (pk == NULL || end == NULL ||
		    util_b64url_decode(pk, ppub, sizeof(ppub)) != CRYPTO_ED25519_PUB_LEN ||
		    util_b64url_decode(end, sig, sizeof(sig)) != CRYPTO_ED25519_SIG_LEN)
			return 0;
		if (crypto_verify(ppub, stmt, strlen(stmt), sig) != 1)
			return 0;
		*prev = j;
		return 1;
	}
	return 0;
}

/*
 * Follow the server's signing key history (/.well-known/lockstep/signing-keys)
 * between the trusted key and signer (base64url), every link checked. A
 * pinned key is trusted forward: signer must descend from it (each key
 * endorsed by the one before). The server's own current key is trusted as
 * the server's word: signer must be one of its ancestors. On success the
 * signer's raw key is in pub, *chain holds the key ids walked (newest
 * first) and 0 is returned.
 */
static int
client_key_chain(const char *base_url, const unsigned char trusted[CRYPTO_ED25519_PUB_LEN],
                 const char *signer, int pinned, unsigned char pub[CRYPTO_ED25519_PUB_LEN],
                 json_t **chain)
{
	const char *const accept[] = {"Accept: application/json", NULL};
	struct client_call call = {
	    .path = "/.well-known/lockstep/signing-keys", .headers = accept, .timeout = 120};
	struct client_response res = {0};
	char tb64[CRYPTO_ED25519_PUB_LEN * 2];
	json_t *doc = NULL, *keys;
	int from, to, i, prev, steps = 0, ret = -1;

	*chain = NULL;
	util_b64url_encode(trusted, CRYPTO_ED25519_PUB_LEN, tb64);
	if (client_request(base_url, &call, &res) != 0 || res.status != 200 ||
	    (doc = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL)) == NULL ||
	    !json_is_array(keys = json_object_get(doc, "keys")))
		goto done;
	/* walk back from the newer key to the older one */
	from = client_history_find(keys, pinned ? signer : tb64);
	to = client_history_find(keys, pinned ? tb64 : signer);
	if (from < 0 || to < 0)
		goto done;
	*chain = json_array();
	for (i = from; *chain != NULL && steps <= (int)json_array_size(keys); steps++) {
		if (!client_history_sound(keys, i, &prev))
			break;
		json_array_append_new(*chain, json_string(json_string_value(json_object_get(
		                                  json_array_get(keys, (size_t)i), "key_id"))));
		if (i == to) {
			ret = util_b64url_decode(signer, pub, CRYPTO_ED25519_PUB_LEN) ==
			              CRYPTO_ED25519_PUB_LEN
			          ? 0
			          : -1;
			break;
		}
		if (prev < 0)
			break;
		i = prev;
	}
done:
	if (ret != 0) {
		json_decref(*chain);
		*chain = NULL;
	}
	json_decref(doc);
	client_response_free(&res);
	return ret;
}

/*
 * lockstep verify SLUG [--key FILE] [--log-key FILE] [--since FILE]
 * [--witness FILE] [--min-witnesses K] [--save-checkpoint FILE]: fetch the publication's exact
 * bytes, its signature (the X-Lockstep-Signature header, else the /signature route) and, unless a
 * pinned key FILE is given, the server's public key; check the Ed25519 signature, the SHA-256 the
 * server states, and that the signed document is the publication of SLUG; then that the publication
 * is in the transparency log (client_log_check in tlog.c). Prints {slug,
 * verified, sha256, prev_hash, sequence, key, key_source, canonical, log,
 * log_key_source}. Anonymous: no
 * token is sent. Returns 0 when valid, CLIENT_EXIT_PROBLEM when not (or on
 * a transport error), CLIENT_EXIT_USAGE on a usage error.
 */
int
client_cmd_verify(const struct client_ctx *ctx, char **args, const char **opts)
{
	const char *const accept_json[] = {"Accept: application/json", NULL};
	const char *const accept_bin[] = {"Accept: application/octet-stream", NULL};
	char path[CLIENT_MAX_PATH], hex[CLIENT_SHA256_HEX];
	char keytxt[CRYPTO_ED25519_PUB_LEN * 2];
	unsigned char sig[CRYPTO_ED25519_SIG_LEN + 3], md[CRYPTO_SHA256_LEN];
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
	struct client_response doc = {0}, sigres = {0};
	struct client_call call = {.path = path, .timeout = 120};
	const char *slug = args[0], *keyfile = opts[0], *why = NULL;
	const char *logkeyfile = opts[1], *witfile = opts[3], *minwit = opts[4];
	struct client_log_opts *lo = NULL;
	json_t *logrep = NULL;
	const char *prev = NULL, *doc_slug, *fmt, *h_sig, *h_hash, *h_prev, *h_key;
	const char *body;
	json_t *j = NULL, *out = NULL, *seq, *chain = NULL;
	long siglen = -1;
	int sig_ok = 0, canonical = 0, ret = CLIENT_EXIT_PROBLEM;

	if (keyfile != NULL && keyfile[0] == '\0') {
		fprintf(stderr, "%s: --key needs a file\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (!client_valid_slug(slug)) {
		fprintf(stderr,
		        "%s: SLUG is 1-63 lower-case letters, digits and dashes (not first)\n",
		        client_progname);
		return CLIENT_EXIT_USAGE;
	}
	/* A pinned key first: a bad --key is the caller's mistake, not the server's. */
	if (keyfile != NULL && client_key_file(keyfile, pub) != 0)
		return CLIENT_EXIT_USAGE;
	if ((lo = calloc(1, sizeof(*lo))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", client_progname);
		return CLIENT_EXIT_PROBLEM;
	}
	lo->since = opts[2];
	lo->save = opts[5];
	if (minwit != NULL) {
		long long k;

		if (util_strnum(minwit, 0, CLIENT_MAX_WITNESSES, &k) != 0) {
			fprintf(stderr, "%s: --min-witnesses is a number from 0 to %d\n",
			        client_progname, CLIENT_MAX_WITNESSES);
			ret = CLIENT_EXIT_USAGE;
			goto done;
		}
		lo->min_witnesses = (int)k;
	}
	if (witfile != NULL && client_witness_keys(witfile, lo->witnesses, CLIENT_MAX_WITNESSES,
	                                           &lo->nwitnesses) != 0) {
		ret = CLIENT_EXIT_USAGE;
		goto done;
	}
	if (witfile == NULL && lo->min_witnesses > 0) {
		fprintf(stderr,
		        "%s: --min-witnesses needs --witness FILE (the witnesses you trust)\n",
		        client_progname);
		ret = CLIENT_EXIT_USAGE;
		goto done;
	}
	if ((size_t)lo->min_witnesses > lo->nwitnesses) {
		fprintf(stderr, "%s: --min-witnesses is more than the %zu witness keys given\n",
		        client_progname, lo->nwitnesses);
		ret = CLIENT_EXIT_USAGE;
		goto done;
	}
	if (logkeyfile != NULL && client_log_key(NULL, logkeyfile, &lo->log_key) != 0) {
		ret = CLIENT_EXIT_USAGE;
		goto done;
	}

	/* The document: exactly the bytes that were signed. */
	snprintf(path, sizeof(path), "/api/v1/publications/%s", slug);
	call.headers = accept_json;
	call.keep = client_pub_headers;
	if (client_request(ctx->base_url, &call, &doc) != 0)
		goto done;
	if (doc.status == 404) {
		fprintf(stderr, "%s: %s: no such publication (or not released yet)\n",
		        client_progname, slug);
		goto done;
	}
	if (doc.status != 200) {
		(void)client_report(&doc);
		goto done;
	}
	body = doc.body.data ? doc.body.data : "";
	h_sig = doc.kept[CLIENT_PUB_SIGNATURE];
	h_hash = doc.kept[CLIENT_PUB_HASH];
	h_prev = doc.kept[CLIENT_PUB_PREV_HASH];
	h_key = doc.kept[CLIENT_PUB_KEY];

	/* The signature: the header, else the raw 64 bytes of the /signature route. */
	if (h_sig != NULL)
		siglen = util_b64_decode(h_sig, sig, sizeof(sig));
	if (siglen != CRYPTO_ED25519_SIG_LEN) {
		snprintf(path, sizeof(path), "/api/v1/publications/%s/signature", slug);
		call.headers = accept_bin;
		call.keep = NULL;
		if (client_request(ctx->base_url, &call, &sigres) != 0)
			goto done;
		if (sigres.status != 200) {
			fprintf(stderr, "%s: %s: the signature is not available (HTTP %ld)\n",
			        client_progname, slug, sigres.status);
			goto done;
		}
		if (sigres.body.len != CRYPTO_ED25519_SIG_LEN) {
			fprintf(stderr, "%s: %s: the signature is %zu bytes, not %d\n",
			        client_progname, slug, sigres.body.len, CRYPTO_ED25519_SIG_LEN);
			goto done;
		}
		memcpy(sig, sigres.body.data, CRYPTO_ED25519_SIG_LEN);
	}

	/* The key: pinned, or the one the server publishes. */
	if (keyfile == NULL && client_server_key(ctx->base_url, pub) != 0)
		goto done;
	util_b64url_encode(pub, sizeof(pub), keytxt);

	/* SHA-256 of the bytes, and the Ed25519 signature over them. */
	if (crypto_sha256(body, doc.body.len, md) != 0) {
		fprintf(stderr, "%s: cannot compute SHA-256: %s\n", client_progname,
		        crypto_last_error());
		goto done;
	}
	util_hex_encode(md, sizeof(md), hex);
	sig_ok = crypto_verify(pub, body, doc.body.len, sig) == 1;
	/* signed with another key: a rotation? follow the key history, every
	 * link endorsed by the key before it (docs/DEPLOY.md, Keys) */
	if (!sig_ok && h_key != NULL && strcmp(h_key, keytxt) != 0) {
		unsigned char other[CRYPTO_ED25519_PUB_LEN];

		if (client_key_chain(ctx->base_url, pub, h_key, keyfile != NULL, other, &chain) ==
		        0 &&
		    crypto_verify(other, body, doc.body.len, sig) == 1) {
			sig_ok = 1;
			util_b64url_encode(other, sizeof(other), keytxt);
		}
	}
	canonical = client_is_canonical(body, doc.body.len);

	/* What the document says about itself (trusted only once signed). */
	j = json_loadb(body, doc.body.len, 0, NULL);
	prev = json_string_value(json_object_get(j, "prev_hash"));
	seq = json_object_get(j, "sequence");
	doc_slug = json_string_value(json_object_get(json_object_get(j, "campaign"), "slug"));
	fmt = json_string_value(json_object_get(j, "format"));

	if (!sig_ok) {
		why = h_key != NULL && strcmp(h_key, keytxt) != 0
		          ? "the signature does not verify with this key (the server says it "
		            "signed with another one)"
		          : "the signature does not verify: the document or signature was altered, "
		            "or it was signed with another key";
	} else if (h_hash != NULL && strcasecmp(h_hash, hex) != 0) {
		why = "the server's X-Lockstep-Hash is not the SHA-256 of the document";
	} else if (fmt == NULL || strcmp(fmt, "lockstep-publication-v1") != 0) {
		why = "the signed bytes are not a lockstep publication";
	} else if (doc_slug == NULL || strcmp(doc_slug, slug) != 0) {
		why = "the signed document is the publication of another campaign";
	} else if (!client_is_sha256_hex(prev) || !json_is_integer(seq)) {
		why = "the signed document has no valid prev_hash and sequence";
	} else if (h_prev != NULL && strcasecmp(h_prev, prev) != 0) {
		why = "the server's X-Lockstep-Prev-Hash differs from the signed prev_hash";
	}

	/* the transparency log: included, consistent with the pin, cosigned */
	if (why == NULL) {
		memcpy(lo->pub, pub, sizeof(lo->pub));
		if (logkeyfile == NULL && client_log_key(ctx->base_url, NULL, &lo->log_key) != 0)
			why = "the log key is not available";
		else
			(void)client_log_check(ctx->base_url, hex,
			                       (long long)json_integer_value(seq), j, lo, &logrep,
			                       &why);
	}

	/* o steals the new prev_hash and sequence values and the log report */
	out = json_pack("{s:s, s:b, s:s, s:o, s:o, s:s, s:s, s:b, s:o, s:s}", "slug", slug,
	                "verified", why == NULL, "sha256", hex, "prev_hash",
	                client_is_sha256_hex(prev) ? json_string(prev) : json_null(), "sequence",
	                json_is_integer(seq) ? json_integer(json_integer_value(seq)) : json_null(),
	                "key", keytxt, "key_source", keyfile != NULL ? "pinned" : "server",
	                "canonical", canonical, "log", logrep != NULL ? logrep : json_null(),
	                "log_key_source", logkeyfile != NULL ? "pinned" : "server");
	logrep = NULL;
	if (out == NULL) {
		fprintf(stderr, "%s: out of memory\n", client_progname);
		goto done;
	}
	if (chain != NULL) /* the keys walked, newest first */
		json_object_set(out, "key_chain", chain);
	{
		/* the key's id, as the server's JWK (kid), receipts and the key
		 * history name it: the RFC 7638 thumbprint */
		unsigned char used[CRYPTO_ED25519_PUB_LEN];
		char kid[64];

		if (util_b64url_decode(keytxt, used, sizeof(used)) == CRYPTO_ED25519_PUB_LEN &&
		    crypto_ed25519_key_id(used, kid) == 0)
			json_object_set_new(out, "key_id", json_string(kid));
	}
	json_dumpf(out, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	if (fflush(stdout) != 0)
		goto done;
	if (why != NULL) {
		fprintf(stderr, "%s: %s: NOT VERIFIED: %s\n", client_progname, slug, why);
		goto done;
	}
	if (!canonical)
		fprintf(stderr,
		        "%s: note: the signed bytes are not in canonical JSON form (the signature "
		        "holds; the server should have canonicalised them)\n",
		        client_progname);
	if (keyfile == NULL)
		fprintf(stderr,
		        "%s: note: the key came from the server itself; pin it (--key FILE) "
		        "for a check that does not trust the server\n",
		        client_progname);
	if (logkeyfile == NULL)
		fprintf(stderr,
		        "%s: note: the log key came from the server itself; pin it (--log-key "
		        "FILE) and a checkpoint (--since FILE) to detect a forked log\n",
		        client_progname);
	ret = 0;
done:
	free(lo);
	json_decref(logrep);
	json_decref(j);
	json_decref(out);
	json_decref(chain);
	client_response_free(&doc);
	client_response_free(&sigres);
	return ret;
}
