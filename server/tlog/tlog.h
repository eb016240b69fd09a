/*
 * tlog: the transparency log's pure parts, with no database and no HTTP,
 * shared by lockstepd, the lockstep CLI and the witness.
 *
 * merkle.c: RFC 9162 (RFC 6962) Merkle tree hashing over SHA-256:
 *   leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right),
 *   the root of zero leaves is SHA-256(""). Trees are given as the array of
 *   their leaf hashes; proofs are lists of 32-byte hashes, leaf side first.
 * note.c: C2SP signed notes (Ed25519, signature type 0x01), checkpoints
 *   (c2sp.org/tlog-checkpoint) and the tile paths of c2sp.org/tlog-tiles.
 *
 * Every function is thread-safe and allocation-free unless it says so.
 */
#ifndef LOCKSTEP_TLOG_H
#define LOCKSTEP_TLOG_H

#include <stddef.h>
#include <stdint.h>

#define TLOG_HASH 32
/* A proof in a tree of at most 2^63 leaves holds at most 64 hashes. */
#define TLOG_MAX_PROOF 64
/* tlog-tiles: a tile is 256 hashes wide (height 8). */
#define TLOG_TILE_WIDTH 256
#define TLOG_TILE_HEIGHT 8

typedef unsigned char tlog_hash[TLOG_HASH];

/* ---- hashing (merkle.c) ---- */

/* Leaf hash of entry[0..len). Returns 0, or -1 when SHA-256 fails. */
int tlog_leaf_hash(const void *entry, size_t len, tlog_hash out);

/* Interior node hash of left and right. Returns 0, or -1. */
int tlog_node_hash(const tlog_hash left, const tlog_hash right, tlog_hash out);

/*
 * Merkle Tree Hash of the n leaves whose hashes are leaves[0..n). The
 * empty tree's root is SHA-256 of nothing. Returns 0, or -1.
 */
int tlog_root(const tlog_hash *leaves, uint64_t n, tlog_hash out);

/*
 * Inclusion proof (RFC 9162 2.1.3.1) of leaf index in the tree of the n
 * leaves: into proof (TLOG_MAX_PROOF slots), count in *len. Returns 0, or
 * -1 when index >= n or hashing fails.
 */
int tlog_inclusion_proof(const tlog_hash *leaves, uint64_t n, uint64_t index,
                         tlog_hash proof[TLOG_MAX_PROOF], size_t *len);

/*
 * Consistency proof (RFC 9162 2.1.4.1) from the tree of the first m
 * leaves to the tree of all n: into proof, count in *len (0 when m is 0
 * or m == n). Returns 0, or -1 when m > n or hashing fails.
 */
int tlog_consistency_proof(const tlog_hash *leaves, uint64_t n, uint64_t m,
                           tlog_hash proof[TLOG_MAX_PROOF], size_t *len);

/*
 * Verify an inclusion proof (RFC 9162 2.1.3.2): 1 if leaf is at index in
 * the tree of size with root, else 0 (also for a malformed proof).
 */
int tlog_verify_inclusion(uint64_t index, uint64_t size, const tlog_hash leaf,
                          const tlog_hash *proof, size_t len, const tlog_hash root);

/*
 * Verify a consistency proof (RFC 9162 2.1.4.2): 1 if the tree of size1
 * with root1 is a prefix of the tree of size2 with root2, else 0. size1 ==
 * size2 needs an empty proof and equal roots; size1 == 0 is always refused
 * (every tree extends the empty one: callers handle it before asking).
 */
int tlog_verify_consistency(uint64_t size1, uint64_t size2, const tlog_hash root1,
                            const tlog_hash root2, const tlog_hash *proof, size_t len);

/*
 * A tree of n leaves with, optionally, a cache of the hashes of its full
 * aligned subtrees: full(ctx, level, index, out) writes the hash of leaves
 * [index * 2^level, (index + 1) * 2^level) and returns 0, or -1 when it
 * does not hold it (it is then computed from the leaves). With such a
 * cache a root, subtree or proof costs O(log^2 n) hashes.
 */
struct tlog_tree {
	const tlog_hash *leaves;
	uint64_t n;
	int (*full)(void *ctx, int level, uint64_t index, tlog_hash out);
	void *ctx;
};

/* As tlog_root, tlog_inclusion_proof and tlog_consistency_proof over the first n of t. */
int tlog_tree_root(const struct tlog_tree *t, uint64_t n, tlog_hash out);
int tlog_tree_inclusion(const struct tlog_tree *t, uint64_t n, uint64_t index,
                        tlog_hash proof[TLOG_MAX_PROOF], size_t *len);
int tlog_tree_consistency(const struct tlog_tree *t, uint64_t n, uint64_t m,
                          tlog_hash proof[TLOG_MAX_PROOF], size_t *len);
/* MTH of leaves [start, start + n) of t (n >= 1). 0 or -1. */
int tlog_tree_subtree(const struct tlog_tree *t, uint64_t start, uint64_t n, tlog_hash out);

/* ---- signed notes, checkpoints, tiles (note.c) ---- */

/* Longest key name (origin) accepted. */
#define TLOG_NAME_MAX 128
/* Largest note accepted (text and signatures). */
#define TLOG_NOTE_MAX 8192
/* Signature lines read from one note, at most. */
#define TLOG_NOTE_MAX_SIGS 32

/* C2SP signature types */
#define TLOG_SIG_ED25519 0x01
#define TLOG_SIG_COSIGNATURE 0x04

/*
 * The key ID of a signed-note key: the first four bytes of
 * SHA-256(name || 0x0A || type || pub). Returns 0, or -1.
 */
int tlog_key_id(const char *name, unsigned char type, const unsigned char *pub, size_t publen,
                uint32_t *id);

/* A parsed verifier key: name+hex(id)+base64(type || key). */
struct tlog_vkey {
	char name[TLOG_NAME_MAX + 1];
	uint32_t id;
	unsigned char type;
	unsigned char pub[32];
};

/*
 * Encode an Ed25519 (type 0x01) or cosignature (0x04) verifier key into
 * out (outlen bytes). Returns 0, or -1 (bad name, short buffer).
 */
int tlog_vkey_encode(const char *name, unsigned char type, const unsigned char pub[32], char *out,
                     size_t outlen);

/*
 * Parse a verifier key (trailing white space ignored). Only the types
 * 0x01 and 0x04 with a 32-byte key; the ID must be the one the name and
 * key give. Returns 0, or -1.
 */
int tlog_vkey_parse(const char *text, struct tlog_vkey *out);

/* Checkpoint body "<origin>\n<size>\n<base64 root>\n" into out. Returns its length, or -1. */
int tlog_checkpoint_body(const char *origin, uint64_t size, const tlog_hash root, char *out,
                         size_t outlen);

/* A parsed checkpoint body (the first three lines; extension lines ignored). */
struct tlog_checkpoint {
	char origin[TLOG_NAME_MAX + 1];
	uint64_t size;
	tlog_hash root;
};

/*
 * Split a signed note: *textlen is the length of its text (with the final
 * newline, without the blank line); the signature lines ("— name
 * base64\n", at least one) follow the blank line. Refuses control
 * characters other than newline and more than TLOG_NOTE_MAX bytes.
 * Returns 0, or -1 when malformed.
 */
int tlog_note_split(const char *note, size_t len, size_t *textlen);

/* Parse a checkpoint body text[0..len). Returns 0, or -1. */
int tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *out);

/*
 * Verify that the note note[0..len) carries a valid signature of key k:
 * for type 0x01 an Ed25519 signature over the note text; for type 0x04 a
 * tlog-cosignature/v1 over the checkpoint in the text (then *timestamp,
 * if not NULL, gets its time). Returns 1 when a valid signature by k is
 * present, 0 when k did not sign (or the note is malformed), -1 when a
 * line names k (name and ID) but its signature is invalid.
 */
int tlog_note_verify(const char *note, size_t len, const struct tlog_vkey *k, uint64_t *timestamp);

/*
 * The signature line "— name base64(id || sig)\n" for a signature sig of
 * siglen bytes (64, or 72 with a cosignature's timestamp) into out.
 * Returns its length, or -1.
 */
int tlog_note_sigline(const char *name, uint32_t id, const unsigned char *sig, size_t siglen,
                      char *out, size_t outlen);

/*
 * The message a tlog-cosignature/v1 signs for checkpoint text
 * text[0..len) at timestamp t: "cosignature/v1\ntime <t>\n" + text.
 * Returns its length written into out, or -1.
 */
int tlog_cosignature_message(const char *text, size_t len, uint64_t t, char *out, size_t outlen);

/*
 * Parse a tlog-tiles path below the prefix ("tile/<L>/<N>[.p/<W>]" or
 * "tile/entries/<N>[.p/<W>]"; the leading "tile/" is already removed):
 * *level is -1 for an entry bundle, *index the tile index, *width 256
 * for a full tile. Leading zeros, a wrong x prefix, W outside 1..255 or
 * L outside 0..63 are refused. Returns 0, or -1.
 */
int tlog_tile_parse(const char *path, int *level, uint64_t *index, unsigned *width);

/* The path of a tile (level -1: entry bundle), e.g. "0/x001/234.p/7", into out. 0 or -1. */
int tlog_tile_path(int level, uint64_t index, unsigned width, char *out, size_t outlen);

#endif
