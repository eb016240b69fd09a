/*
 * Unit tests for server/tlog/: RFC 9162 hashing against RFC 6962's
 * reference tree of 8 leaves, the transparency-dev/merkle proof vectors
 * (tests/unit/data/tlog_vectors.json), every inclusion and consistency
 * proof of every tree up to 64 leaves against a naive bottom-up
 * recomputation, and C2SP signed notes, checkpoints, cosignatures and
 * tile paths.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "tlog/tlog.h"
#include "util/util.h"

/* RFC 6962's reference leaves (as in transparency-dev/merkle testonly) */
static const char *const ref_leaves[8] = {"",
                                          "00",
                                          "10",
                                          "2021",
                                          "3031",
                                          "40414243",
                                          "5051525354555657",
                                          "606162636465666768696a6b6c6d6e6f"};
static const char *const ref_roots[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
static const char *const ref_leaf_hashes[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"};

static void
ref_tree(tlog_hash leaves[8])
{
	for (int i = 0; i < 8; i++) {
		unsigned char in[16];
		size_t n = strlen(ref_leaves[i]) / 2;

		ck_assert_int_eq(n == 0 ? 0 : util_hex_decode(ref_leaves[i], in, n), 0);
		ck_assert_int_eq(tlog_leaf_hash(in, n, leaves[i]), 0);
	}
}

static void
hex_eq(const tlog_hash h, const char *want)
{
	char hex[2 * TLOG_HASH + 1];

	util_hex_encode(h, TLOG_HASH, hex);
	ck_assert_str_eq(hex, want);
}

START_TEST(test_reference_tree)
{
	tlog_hash leaves[8], root;

	ref_tree(leaves);
	for (int i = 0; i < 8; i++)
		hex_eq(leaves[i], ref_leaf_hashes[i]);
	for (int n = 0; n <= 8; n++) {
		ck_assert_int_eq(tlog_root(leaves, (uint64_t)n, root), 0);
		hex_eq(root, ref_roots[n]);
	}
}
END_TEST

/* ---- naive recomputation: the tree level by level, lone nodes promoted ---- */

struct naive {
	tlog_hash level[8][64];
	int width[8];
	int height;
};

static void
naive_build(const tlog_hash *leaves, int n, struct naive *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->level[0], leaves, (size_t)n * TLOG_HASH);
	t->width[0] = n;
	t->height = 0;
	while (t->width[t->height] > 1) {
		int l = t->height, w = t->width[l];

		for (int i = 0; i < w / 2; i++)
			ck_assert_int_eq(tlog_node_hash(t->level[l][2 * i], t->level[l][2 * i + 1],
			                                t->level[l + 1][i]),
			                 0);
		if (w % 2)
			memcpy(t->level[l + 1][w / 2], t->level[l][w - 1], TLOG_HASH);
		t->width[l + 1] = (w + 1) / 2;
		t->height++;
	}
}

/* The audit path of leaf i: the sibling at each level, none where promoted. */
static size_t
naive_path(const struct naive *t, int i, tlog_hash *out)
{
	size_t n = 0;

	for (int l = 0; l < t->height; l++) {
		int sib = i ^ 1;

		if (sib < t->width[l])
			memcpy(out[n++], t->level[l][sib], TLOG_HASH);
		i /= 2;
	}
	return n;
}

static void
make_leaves(tlog_hash *leaves, int n)
{
	for (int i = 0; i < n; i++) {
		char e[32];

		snprintf(e, sizeof(e), "entry %d", i);
		ck_assert_int_eq(tlog_leaf_hash(e, strlen(e), leaves[i]), 0);
	}
}

START_TEST(test_inclusion_all_up_to_64)
{
	tlog_hash leaves[64], root, proof[TLOG_MAX_PROOF], want[TLOG_MAX_PROOF];
	struct naive t;

	make_leaves(leaves, 64);
	for (int n = 1; n <= 64; n++) {
		naive_build(leaves, n, &t);
		ck_assert_int_eq(tlog_root(leaves, (uint64_t)n, root), 0);
		ck_assert_mem_eq(root, t.level[t.height][0], TLOG_HASH);
		for (int i = 0; i < n; i++) {
			size_t len = 99, wl = naive_path(&t, i, want);
			tlog_hash bad;

			ck_assert_int_eq(
			    tlog_inclusion_proof(leaves, (uint64_t)n, (uint64_t)i, proof, &len), 0);
			ck_assert_uint_eq(len, wl);
			ck_assert_mem_eq(proof, want, len * TLOG_HASH);
			ck_assert_int_eq(tlog_verify_inclusion((uint64_t)i, (uint64_t)n, leaves[i],
			                                       proof, len, root),
			                 1);
			/* wrong leaf, wrong index, wrong size, flipped proof bit: refused */
			ck_assert_int_eq(tlog_verify_inclusion((uint64_t)i, (uint64_t)n,
			                                       leaves[(i + 1) % 64], proof, len,
			                                       root),
			                 0);
			if (n > 1)
				ck_assert_int_eq(tlog_verify_inclusion((uint64_t)((i + 1) % n),
				                                       (uint64_t)n, leaves[i],
				                                       proof, len, root),
				                 0);
			if (len > 0) {
				proof[len - 1][5] ^= 0x01;
				ck_assert_int_eq(tlog_verify_inclusion((uint64_t)i, (uint64_t)n,
				                                       leaves[i], proof, len, root),
				                 0);
				ck_assert_int_eq(tlog_verify_inclusion((uint64_t)i, (uint64_t)n,
				                                       leaves[i], proof, len - 1,
				                                       root),
				                 0);
			}
			memcpy(bad, root, TLOG_HASH);
			bad[0] ^= 0x80;
			ck_assert_int_eq(tlog_verify_inclusion((uint64_t)i, (uint64_t)n, leaves[i],
			                                       want, wl, bad),
			                 0);
		}
		{
			size_t len;

			ck_assert_int_eq(
			    tlog_inclusion_proof(leaves, (uint64_t)n, (uint64_t)n, proof, &len),
			    -1);
		}
	}
}
END_TEST

START_TEST(test_consistency_all_up_to_64)
{
	tlog_hash leaves[64], roots[65], proof[TLOG_MAX_PROOF];
	struct naive t;

	make_leaves(leaves, 64);
	for (int n = 1; n <= 64; n++) {
		naive_build(leaves, n, &t);
		memcpy(roots[n], t.level[t.height][0], TLOG_HASH);
	}
	ck_assert_int_eq(tlog_root(leaves, 0, roots[0]), 0);
	for (int n = 1; n <= 64; n++) {
		for (int m = 0; m <= n; m++) {
			size_t len = 99;

			ck_assert_int_eq(
			    tlog_consistency_proof(leaves, (uint64_t)n, (uint64_t)m, proof, &len),
			    0);
			if (m == 0 || m == n)
				ck_assert_uint_eq(len, 0);
			/* from the empty tree a proof is meaningless: refused */
			ck_assert_int_eq(tlog_verify_consistency((uint64_t)m, (uint64_t)n, roots[m],
			                                         roots[n], proof, len),
			                 m > 0);
			if (m == 0 || m == n)
				continue;
			/* another old root, another new root, a shorter or altered proof */
			ck_assert_int_eq(tlog_verify_consistency((uint64_t)m, (uint64_t)n,
			                                         roots[m - 1], roots[n], proof,
			                                         len),
			                 0);
			ck_assert_int_eq(tlog_verify_consistency((uint64_t)m, (uint64_t)n, roots[m],
			                                         roots[n - 1], proof, len),
			                 0);
			ck_assert_int_eq(tlog_verify_consistency((uint64_t)m, (uint64_t)n, roots[m],
			                                         roots[n], proof, len - 1),
			                 0);
			proof[0][0] ^= 0x01;
			ck_assert_int_eq(tlog_verify_consistency((uint64_t)m, (uint64_t)n, roots[m],
			                                         roots[n], proof, len),
			                 0);
		}
	}
}
END_TEST

/* A cache of full subtrees built from the naive tree: its levels are exactly those. */
static int naive_hits;

static int
naive_full(void *ctx, int level, uint64_t index, tlog_hash out)
{
	const struct naive *t = ctx;

	if (level > t->height || index >= (uint64_t)t->width[level] ||
	    /* the naive tree promotes lone nodes: only full subtrees qualify */
	    ((index + 1) << level) > (uint64_t)t->width[0])
		return -1;
	memcpy(out, t->level[level][index], TLOG_HASH);
	naive_hits++;
	return 0;
}

START_TEST(test_cached_tree_same_proofs)
{
	tlog_hash leaves[64], a[TLOG_MAX_PROOF], b[TLOG_MAX_PROOF], ra, rb;
	struct naive nv;
	int lookups = 0;

	make_leaves(leaves, 64);
	naive_build(leaves, 64, &nv);
	for (int n = 1; n <= 64; n++) {
		struct tlog_tree t = {leaves, 64, naive_full, &nv};
		size_t la, lb;

		ck_assert_int_eq(tlog_root(leaves, (uint64_t)n, ra), 0);
		ck_assert_int_eq(tlog_tree_root(&t, (uint64_t)n, rb), 0);
		ck_assert_mem_eq(ra, rb, TLOG_HASH);
		for (int i = 0; i < n; i++) {
			ck_assert_int_eq(
			    tlog_inclusion_proof(leaves, (uint64_t)n, (uint64_t)i, a, &la), 0);
			ck_assert_int_eq(tlog_tree_inclusion(&t, (uint64_t)n, (uint64_t)i, b, &lb),
			                 0);
			ck_assert_uint_eq(la, lb);
			ck_assert_mem_eq(a, b, la * TLOG_HASH);
		}
		for (int m = 1; m < n; m++) {
			ck_assert_int_eq(
			    tlog_consistency_proof(leaves, (uint64_t)n, (uint64_t)m, a, &la), 0);
			ck_assert_int_eq(
			    tlog_tree_consistency(&t, (uint64_t)n, (uint64_t)m, b, &lb), 0);
			ck_assert_uint_eq(la, lb);
			ck_assert_mem_eq(a, b, la * TLOG_HASH);
		}
		lookups++;
	}
	/* subtrees, and refusals beyond the tree */
	{
		struct tlog_tree t = {leaves, 64, naive_full, &nv};

		ck_assert_int_eq(tlog_tree_subtree(&t, 32, 32, rb), 0);
		ck_assert_mem_eq(rb, nv.level[5][1], TLOG_HASH);
		ck_assert_int_eq(tlog_tree_subtree(&t, 60, 5, rb), -1);
		ck_assert_int_eq(tlog_tree_root(&t, 65, rb), -1);
	}
	ck_assert_int_eq(lookups, 64);
	/* the cache was used, not only the leaves */
	ck_assert_int_gt(naive_hits, 1000);
}
END_TEST

/* ---- transparency-dev/merkle vectors ---- */

static json_t *
load_vectors(void)
{
	const char *srcdir = getenv("srcdir");
	char path[512];
	json_error_t err;
	json_t *v;

	snprintf(path, sizeof(path), "%s/tests/unit/data/tlog_vectors.json",
	         srcdir != NULL ? srcdir : ".");
	v = json_load_file(path, 0, &err);
	if (v == NULL)
		ck_abort_msg("%s: %s", path, err.text);
	return v;
}

static uint64_t
vec_u64(const json_t *c, const char *k)
{
	const char *s = json_string_value(json_object_get(c, k));

	ck_assert_ptr_nonnull(s);
	return strtoull(s, NULL, 10);
}

/* Decode a base64 hash; 0, or -1 when it is not exactly 32 bytes. */
static int
vec_hash(const json_t *v, tlog_hash out)
{
	const char *s = json_string_value(v);
	unsigned char buf[128];

	if (s == NULL || util_b64_decode(s, buf, sizeof(buf)) != TLOG_HASH)
		return -1;
	memcpy(out, buf, TLOG_HASH);
	return 0;
}

/*
 * A root: some vectors use short placeholders ("don't care") where only
 * their equality matters; those are zero-padded to 32 bytes.
 */
static int
vec_root(const json_t *v, tlog_hash out)
{
	const char *s = json_string_value(v);
	unsigned char buf[128];
	long n;

	if (s == NULL || (n = util_b64_decode(s, buf, sizeof(buf))) < 0 || n > TLOG_HASH)
		return -1;
	memset(out, 0, TLOG_HASH);
	memcpy(out, buf, (size_t)n);
	return 0;
}

/* The proof array; -1 when an element is not a 32-byte hash. */
static int
vec_proof(const json_t *v, tlog_hash *out, size_t *len)
{
	size_t i;
	json_t *e;

	*len = 0;
	if (json_is_null(v) || v == NULL)
		return 0;
	if (json_array_size(v) > TLOG_MAX_PROOF)
		return -1;
	json_array_foreach(v, i, e)
	{
		if (vec_hash(e, out[i]) != 0)
			return -1;
	}
	*len = json_array_size(v);
	return 0;
}

START_TEST(test_vectors)
{
	json_t *v = load_vectors(), *c;
	size_t i;
	int ninc = 0, ncons = 0, nbad = 0;

	json_array_foreach(json_object_get(v, "inclusion"), i, c)
	{
		tlog_hash leaf, root, proof[TLOG_MAX_PROOF];
		size_t len;
		int ok = 0, want = !json_is_true(json_object_get(c, "wantErr"));

		if (vec_hash(json_object_get(c, "leafHash"), leaf) == 0 &&
		    vec_hash(json_object_get(c, "root"), root) == 0 &&
		    vec_proof(json_object_get(c, "proof"), proof, &len) == 0)
			ok = tlog_verify_inclusion(vec_u64(c, "leafIdx"), vec_u64(c, "treeSize"),
			                           leaf, proof, len, root);
		ck_assert_msg(ok == want, "%s: %d, want %d",
		              json_string_value(json_object_get(c, "file")), ok, want);
		ninc++;
		nbad += !want;
	}
	json_array_foreach(json_object_get(v, "consistency"), i, c)
	{
		tlog_hash r1, r2, proof[TLOG_MAX_PROOF];
		size_t len;
		int ok = 0, want = !json_is_true(json_object_get(c, "wantErr"));

		if (vec_root(json_object_get(c, "root1"), r1) == 0 &&
		    vec_root(json_object_get(c, "root2"), r2) == 0 &&
		    vec_proof(json_object_get(c, "proof"), proof, &len) == 0)
			ok = tlog_verify_consistency(vec_u64(c, "size1"), vec_u64(c, "size2"), r1,
			                             r2, proof, len);
		ck_assert_msg(ok == want, "%s: %d, want %d",
		              json_string_value(json_object_get(c, "file")), ok, want);
		ncons++;
		nbad += !want;
	}
	/* the file was read whole, and it holds both kinds of case */
	ck_assert_int_ge(ninc, 90);
	ck_assert_int_ge(ncons, 90);
	ck_assert_int_ge(nbad, 100);
	json_decref(v);
}
END_TEST

/* ---- signed notes ---- */

START_TEST(test_note_c2sp_example)
{
	/* c2sp.org/signed-note's example */
	static const char vkey[] =
	    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
	static const char note[] = "This is an example message.\n\n"
	                           "\xe2\x80\x94 example.com/foo "
	                           "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsY"
	                           "jOBH3mFXmRKuwHjG1Yu72Ineya"
	                           "QM=\n";
	struct tlog_vkey k, other;
	char again[128], bad[sizeof(note)];
	size_t textlen;

	ck_assert_int_eq(tlog_vkey_parse(vkey, &k), 0);
	ck_assert_str_eq(k.name, "example.com/foo");
	ck_assert_uint_eq(k.id, 0x530d903a);
	ck_assert_int_eq(k.type, TLOG_SIG_ED25519);
	ck_assert_int_eq(tlog_vkey_encode(k.name, k.type, k.pub, again, sizeof(again)), 0);
	ck_assert_str_eq(again, vkey);
	ck_assert_int_eq(tlog_note_split(note, strlen(note), &textlen), 0);
	ck_assert_uint_eq(textlen, strlen("This is an example message.\n"));
	ck_assert_int_eq(tlog_note_verify(note, strlen(note), &k, NULL), 1);
	/* a changed text: the signature of the known key is invalid */
	memcpy(bad, note, sizeof(note));
	bad[0] = 't';
	ck_assert_int_eq(tlog_note_verify(bad, strlen(bad), &k, NULL), -1);
	/* another key of the same name is not the signer */
	other = k;
	other.pub[0] ^= 1;
	ck_assert_int_eq(tlog_key_id(other.name, 1, other.pub, 32, &other.id), 0);
	ck_assert_int_eq(tlog_note_verify(note, strlen(note), &other, NULL), 0);
	/* malformed vkeys */
	ck_assert_int_eq(
	    tlog_vkey_parse("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
	                    &k),
	    -1);
	ck_assert_int_eq(tlog_vkey_parse("example.com/foo+530d903a", &k), -1);
	ck_assert_int_eq(
	    tlog_vkey_parse("a b+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", &k), -1);
	/* malformed notes */
	ck_assert_int_eq(tlog_note_split("text\n", 5, &textlen), -1);
	ck_assert_int_eq(tlog_note_split("text\n\nno dash\n", 14, &textlen), -1);
	ck_assert_int_eq(tlog_note_split("te\x01xt\n\n\xe2\x80\x94 a AAAA\n", 18, &textlen), -1);
}
END_TEST

static void
sign_note(const struct crypto_signer *s, const char *name, const char *text, char *out,
          size_t outlen)
{
	unsigned char pub[32], sig[64];
	uint32_t id;
	char line[256];

	crypto_signer_public(s, pub);
	ck_assert_int_eq(tlog_key_id(name, TLOG_SIG_ED25519, pub, 32, &id), 0);
	ck_assert_int_eq(crypto_sign(s, text, strlen(text), sig), 0);
	ck_assert_int_gt(tlog_note_sigline(name, id, sig, 64, line, sizeof(line)), 0);
	snprintf(out, outlen, "%s\n%s", text, line);
}

START_TEST(test_checkpoint_and_cosignature)
{
	unsigned char seed[32], wseed[32], pub[32], wpub[32], sig[72];
	struct crypto_signer *s, *w;
	struct tlog_checkpoint cp;
	struct tlog_vkey k, wk;
	tlog_hash root, leaves[8];
	char body[256], note[1024], vkey[256], msg[512], line[256];
	uint64_t t = 0;
	uint32_t wid;
	int n;

	memset(seed, 7, sizeof(seed));
	memset(wseed, 9, sizeof(wseed));
	ck_assert_ptr_nonnull(s = crypto_signer_from_raw(seed));
	ck_assert_ptr_nonnull(w = crypto_signer_from_raw(wseed));
	ref_tree(leaves);
	ck_assert_int_eq(tlog_root(leaves, 8, root), 0);
	n = tlog_checkpoint_body("log.example/tlog", 8, root, body, sizeof(body));
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(body,
	                 "log.example/tlog\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
	ck_assert_int_eq(tlog_checkpoint_parse(body, (size_t)n, &cp), 0);
	ck_assert_str_eq(cp.origin, "log.example/tlog");
	ck_assert_uint_eq(cp.size, 8);
	ck_assert_mem_eq(cp.root, root, TLOG_HASH);
	ck_assert_int_eq(
	    tlog_checkpoint_parse("o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", 50, &cp),
	    -1);
	ck_assert_int_eq(tlog_checkpoint_parse("o\n8\nXcna\n", 9, &cp), -1);

	sign_note(s, "log.example/tlog", body, note, sizeof(note));
	crypto_signer_public(s, pub);
	ck_assert_int_eq(tlog_vkey_encode("log.example/tlog", 1, pub, vkey, sizeof(vkey)), 0);
	ck_assert_int_eq(tlog_vkey_parse(vkey, &k), 0);
	ck_assert_int_eq(tlog_note_verify(note, strlen(note), &k, NULL), 1);

	/* a witness cosigns (type 0x04, timestamped) */
	crypto_signer_public(w, wpub);
	ck_assert_int_eq(tlog_key_id("witness.example/w1", TLOG_SIG_COSIGNATURE, wpub, 32, &wid),
	                 0);
	n = tlog_cosignature_message(body, strlen(body), 1700000000, msg, sizeof(msg));
	ck_assert_int_gt(n, 0);
	ck_assert(strncmp(msg, "cosignature/v1\ntime 1700000000\nlog.example/tlog\n", 48) == 0);
	for (int b = 0; b < 8; b++)
		sig[b] = (unsigned char)((uint64_t)1700000000 >> (56 - 8 * b));
	ck_assert_int_eq(crypto_sign(w, msg, (size_t)n, sig + 8), 0);
	ck_assert_int_gt(tlog_note_sigline("witness.example/w1", wid, sig, 72, line, sizeof(line)),
	                 0);
	strcat(note, line);
	ck_assert_int_eq(tlog_vkey_encode("witness.example/w1", 4, wpub, vkey, sizeof(vkey)), 0);
	ck_assert_int_eq(tlog_vkey_parse(vkey, &wk), 0);
	ck_assert_int_eq(tlog_note_verify(note, strlen(note), &wk, &t), 1);
	ck_assert_uint_eq(t, 1700000000);
	ck_assert_int_eq(tlog_note_verify(note, strlen(note), &k, NULL), 1);
	/* the witness key as a plain Ed25519 key has another ID: not a signer */
	wk.type = TLOG_SIG_ED25519;
	ck_assert_int_eq(tlog_key_id(wk.name, 1, wk.pub, 32, &wk.id), 0);
	ck_assert_int_eq(tlog_note_verify(note, strlen(note), &wk, NULL), 0);
	crypto_signer_free(s);
	crypto_signer_free(w);
}
END_TEST

START_TEST(test_tiles)
{
	static const struct {
		const char *path;
		int level;
		uint64_t index;
		unsigned width;
	} ok[] = {
	    {"0/000", 0, 0, 256},
	    {"0/001.p/7", 0, 1, 7},
	    {"2/x001/x234/067", 2, 1234067, 256},
	    {"entries/x001/x234/067.p/255", -1, 1234067, 255},
	    {"63/999", 63, 999, 256},
	};
	static const char *const bad[] = {"",           "0",         "0/",          "00/000",
	                                  "64/000",     "0/1",       "0/0001",      "0/x001",
	                                  "0/001/002",  "0/001.p/0", "0/001.p/256", "0/001.p/07",
	                                  "0/001.p/",   "0/001.q/7", "entry/000",   "-1/000",
	                                  "0/x00a/000", "0/001 ",    "1/x1/000"};
	char out[64];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int level;
		uint64_t index;
		unsigned width;

		ck_assert_msg(tlog_tile_parse(ok[i].path, &level, &index, &width) == 0, "%s",
		              ok[i].path);
		ck_assert_int_eq(level, ok[i].level);
		ck_assert_uint_eq(index, ok[i].index);
		ck_assert_uint_eq(width, ok[i].width);
		ck_assert_int_eq(tlog_tile_path(level, index, width, out, sizeof(out)), 0);
		ck_assert_str_eq(out, ok[i].path);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int level;
		uint64_t index;
		unsigned width;

		ck_assert_msg(tlog_tile_parse(bad[i], &level, &index, &width) == -1, "%s", bad[i]);
	}
}
END_TEST

static Suite *
tlog_suite(void)
{
	Suite *s = suite_create("tlog");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reference_tree);
	tcase_add_test(tc, test_inclusion_all_up_to_64);
	tcase_add_test(tc, test_consistency_all_up_to_64);
	tcase_add_test(tc, test_cached_tree_same_proofs);
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_note_c2sp_example);
	tcase_add_test(tc, test_checkpoint_and_cosignature);
	tcase_add_test(tc, test_tiles);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tlog_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
