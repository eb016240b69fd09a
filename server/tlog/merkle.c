/*
 * tlog/merkle.c: RFC 9162 Merkle tree hashing, proofs and their
 * verification (sections 2.1.1 to 2.1.4), written from the RFC.
 *
 * Building a proof recurses on the split point k (the largest power of
 * two below n) exactly as the RFC's PATH and SUBPROOF do. The hash of a
 * subtree is computed from the leaf hashes, unless the tree has a cache
 * of full subtrees (struct tlog_tree.full, kept by lockstepd): then every
 * aligned power-of-two subtree is one lookup and a root or proof costs
 * O(log^2 n) instead of O(n).
 */
#include "config.h"

#include <string.h>

#include "crypto/crypto.h"
#include "tlog/tlog.h"

int
tlog_leaf_hash(const void *entry, size_t len, tlog_hash out)
{
	struct crypto_sha256_stream *s = crypto_sha256_stream_new();
	unsigned char z = 0x00;
	int ret = -1;

	if (s != NULL && crypto_sha256_stream_update(s, &z, 1) == 0 &&
	    crypto_sha256_stream_update(s, entry, len) == 0 &&
	    crypto_sha256_stream_final(s, out) == 0)
		ret = 0;
	crypto_sha256_stream_free(s);
	return ret;
}

int
tlog_node_hash(const tlog_hash left, const tlog_hash right, tlog_hash out)
{
	unsigned char buf[1 + 2 * TLOG_HASH];

	buf[0] = 0x01;
	memcpy(buf + 1, left, TLOG_HASH);
	memcpy(buf + 1 + TLOG_HASH, right, TLOG_HASH);
	return crypto_sha256(buf, sizeof(buf), out);
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t
merkle_split(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* MTH of leaves [start, start + n), n >= 1. */
static int
merkle_mth(const struct tlog_tree *t, uint64_t start, uint64_t n, tlog_hash out)
{
	tlog_hash l, r;
	uint64_t k;

	if (n == 1) {
		memcpy(out, t->leaves[start], TLOG_HASH);
		return 0;
	}
	/* an aligned full subtree: from the cache when there is one */
	if (t->full != NULL && (n & (n - 1)) == 0 && start % n == 0) {
		int level = 0;

		while (((uint64_t)1 << level) < n)
			level++;
		if (t->full(t->ctx, level, start / n, out) == 0)
			return 0;
	}
	k = merkle_split(n);
	if (merkle_mth(t, start, k, l) != 0 || merkle_mth(t, start + k, n - k, r) != 0)
		return -1;
	return tlog_node_hash(l, r, out);
}

static void
merkle_plain(struct tlog_tree *t, const tlog_hash *leaves, uint64_t n)
{
	memset(t, 0, sizeof(*t));
	t->leaves = leaves;
	t->n = n;
}

int
tlog_tree_root(const struct tlog_tree *t, uint64_t n, tlog_hash out)
{
	if (n > t->n)
		return -1;
	if (n == 0)
		return crypto_sha256("", 0, out);
	return merkle_mth(t, 0, n, out);
}

int
tlog_root(const tlog_hash *leaves, uint64_t n, tlog_hash out)
{
	struct tlog_tree t;

	merkle_plain(&t, leaves, n);
	return tlog_tree_root(&t, n, out);
}

int
tlog_tree_subtree(const struct tlog_tree *t, uint64_t start, uint64_t n, tlog_hash out)
{
	if (n == 0 || start > t->n || n > t->n - start)
		return -1;
	return merkle_mth(t, start, n, out);
}

static int
merkle_push(tlog_hash *proof, size_t *len, const tlog_hash h)
{
	if (*len >= TLOG_MAX_PROOF)
		return -1;
	memcpy(proof[(*len)++], h, TLOG_HASH);
	return 0;
}

/* RFC 9162 PATH(m, D[start : start + n]), appended to proof. */
static int
merkle_path(const struct tlog_tree *t, uint64_t start, uint64_t n, uint64_t m, tlog_hash *proof,
            size_t *len)
{
	tlog_hash h;
	uint64_t k;

	if (n <= 1)
		return 0;
	k = merkle_split(n);
	if (m < k) {
		if (merkle_path(t, start, k, m, proof, len) != 0 ||
		    merkle_mth(t, start + k, n - k, h) != 0)
			return -1;
	} else {
		if (merkle_path(t, start + k, n - k, m - k, proof, len) != 0 ||
		    merkle_mth(t, start, k, h) != 0)
			return -1;
	}
	return merkle_push(proof, len, h);
}

int
tlog_tree_inclusion(const struct tlog_tree *t, uint64_t n, uint64_t index,
                    tlog_hash proof[TLOG_MAX_PROOF], size_t *len)
{
	*len = 0;
	if (index >= n || n > t->n)
		return -1;
	return merkle_path(t, 0, n, index, proof, len);
}

int
tlog_inclusion_proof(const tlog_hash *leaves, uint64_t n, uint64_t index,
                     tlog_hash proof[TLOG_MAX_PROOF], size_t *len)
{
	struct tlog_tree t;

	merkle_plain(&t, leaves, n);
	return tlog_tree_inclusion(&t, n, index, proof, len);
}

/* RFC 9162 SUBPROOF(m, D[start : start + n], b), appended to proof. */
static int
merkle_subproof(const struct tlog_tree *t, uint64_t start, uint64_t n, uint64_t m, int b,
                tlog_hash *proof, size_t *len)
{
	tlog_hash h;
	uint64_t k;

	if (m == n) {
		if (b)
			return 0;
		if (merkle_mth(t, start, n, h) != 0)
			return -1;
		return merkle_push(proof, len, h);
	}
	k = merkle_split(n);
	if (m <= k) {
		if (merkle_subproof(t, start, k, m, b, proof, len) != 0 ||
		    merkle_mth(t, start + k, n - k, h) != 0)
			return -1;
	} else {
		if (merkle_subproof(t, start + k, n - k, m - k, 0, proof, len) != 0 ||
		    merkle_mth(t, start, k, h) != 0)
			return -1;
	}
	return merkle_push(proof, len, h);
}

int
tlog_tree_consistency(const struct tlog_tree *t, uint64_t n, uint64_t m,
                      tlog_hash proof[TLOG_MAX_PROOF], size_t *len)
{
	*len = 0;
	if (m > n || n > t->n)
		return -1;
	if (m == 0 || m == n)
		return 0;
	return merkle_subproof(t, 0, n, m, 1, proof, len);
}

int
tlog_consistency_proof(const tlog_hash *leaves, uint64_t n, uint64_t m,
                       tlog_hash proof[TLOG_MAX_PROOF], size_t *len)
{
	struct tlog_tree t;

	merkle_plain(&t, leaves, n);
	return tlog_tree_consistency(&t, n, m, proof, len);
}
int
tlog_verify_inclusion(uint64_t index, uint64_t size, const tlog_hash leaf, const tlog_hash *proof,
                      size_t len, const tlog_hash root)
{
	uint64_t fn = index, sn;
	tlog_hash r;

	if (index >= size || len > TLOG_MAX_PROOF)
		return 0;
	sn = size - 1;
	memcpy(r, leaf, TLOG_HASH);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			if (tlog_node_hash(proof[i], r, r) != 0)
				return 0;
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (tlog_node_hash(r, proof[i], r) != 0) {
			return 0;
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && crypto_equal(r, root, TLOG_HASH);
}

int
tlog_verify_consistency(uint64_t size1, uint64_t size2, const tlog_hash root1,
                        const tlog_hash root2, const tlog_hash *proof, size_t len)
{
	tlog_hash fr, sr;
	uint64_t fn, sn;
	size_t i = 0;

	if (size1 > size2 || len > TLOG_MAX_PROOF)
		return 0;
	/* a proof from the empty tree is meaningless (as transparency-dev's verifier) */
	if (size1 == 0)
		return 0;
	if (size1 == size2)
		return len == 0 && crypto_equal(root1, root2, TLOG_HASH);
	if (len == 0)
		return 0;
	/* a first tree of a power-of-two size is itself a node of the proof */
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(fr, root1, TLOG_HASH);
	} else {
		memcpy(fr, proof[0], TLOG_HASH);
		i = 1;
	}
	memcpy(sr, fr, TLOG_HASH);
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			if (tlog_node_hash(proof[i], fr, fr) != 0 ||
			    tlog_node_hash(proof[i], sr, sr) != 0)
				return 0;
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (tlog_node_hash(sr, proof[i], sr) != 0) {
			return 0;
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && crypto_equal(fr, root1, TLOG_HASH) && crypto_equal(sr, root2, TLOG_HASH);
}
