/*
 * tlog/note.c: C2SP signed notes (c2sp.org/signed-note), checkpoints
 * (c2sp.org/tlog-checkpoint), Ed25519 cosignatures
 * (c2sp.org/tlog-cosignature, type 0x04) and tile paths
 * (c2sp.org/tlog-tiles), written from those specifications.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/tlog.h"
#include "util/util.h"

/* "— " in UTF-8: U+2014 EM DASH, then a space */
#define NOTE_DASH "\xe2\x80\x94 "
#define NOTE_DASH_LEN 4

/* A key name: 1..TLOG_NAME_MAX bytes, no space, no '+', no control character. */
static int
note_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > TLOG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch <= 0x20 || ch == '+' || ch == 0x7f)
			return 0;
	}
	return 1;
}

int
tlog_key_id(const char *name, unsigned char type, const unsigned char *pub, size_t publen,
            uint32_t *id)
{
	unsigned char buf[TLOG_NAME_MAX + 2 + 64], h[CRYPTO_SHA256_LEN];
	size_t n = strlen(name);

	if (!note_name_ok(name, n) || publen > 64)
		return -1;
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = type;
	memcpy(buf + n + 2, pub, publen);
	if (crypto_sha256(buf, n + 2 + publen, h) != 0)
		return -1;
	*id = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	return 0;
}

int
tlog_vkey_encode(const char *name, unsigned char type, const unsigned char pub[32], char *out,
                 size_t outlen)
{
	unsigned char raw[33];
	char b64[64];
	uint32_t id;
	int n;

	if (tlog_key_id(name, type, pub, 32, &id) != 0)
		return -1;
	raw[0] = type;
	memcpy(raw + 1, pub, 32);
	util_b64_encode(raw, sizeof(raw), b64);
	n = snprintf(out, outlen, "%s+%08" PRIx32 "+%s", name, id, b64);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
tlog_vkey_parse(const char *text, struct tlog_vkey *out)
{
	const char *p1, *p2;
	char b64[64], hex[9];
	unsigned char raw[40];
	size_t len = strlen(text), namelen, b64len;
	uint32_t id, want;
	long n;

	memset(out, 0, sizeof(*out));
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' ||
	                   text[len - 1] == '\t'))
		len--;
	if ((p1 = memchr(text, '+', len)) == NULL ||
	    (p2 = memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - text))) == NULL)
		return -1;
	namelen = (size_t)(p1 - text);
	b64len = len - (size_t)(p2 + 1 - text);
	if (!note_name_ok(text, namelen) || p2 - p1 - 1 != 8 || b64len == 0 ||
	    b64len >= sizeof(b64))
		return -1;
	memcpy(hex, p1 + 1, 8);
	hex[8] = '\0';
	for (int i = 0; i < 8; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	id = (uint32_t)strtoul(hex, NULL, 16);
	memcpy(b64, p2 + 1, b64len);
	b64[b64len] = '\0';
	if ((n = util_b64_decode(b64, raw, sizeof(raw))) != 33 ||
	    (raw[0] != TLOG_SIG_ED25519 && raw[0] != TLOG_SIG_COSIGNATURE))
		return -1;
	memcpy(out->name, text, namelen);
	out->name[namelen] = '\0';
	if (tlog_key_id(out->name, raw[0], raw + 1, 32, &want) != 0 || want != id) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->id = id;
	out->type = raw[0];
	memcpy(out->pub, raw + 1, 32);
	return 0;
}

int
tlog_checkpoint_body(const char *origin, uint64_t size, const tlog_hash root, char *out,
                     size_t outlen)
{
	char b64[64];
	int n;

	if (!note_name_ok(origin, strlen(origin)))
		return -1;
	util_b64_encode(root, TLOG_HASH, b64);
	n = snprintf(out, outlen, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

int
tlog_note_split(const char *note, size_t len, size_t *textlen)
{
	size_t i, blank = 0;
	int found = 0;

	*textlen = 0;
	if (len < 2 || len > TLOG_NOTE_MAX || note[len - 1] != '\n')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)note[i];

		if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
			return -1;
	}
	/* the text ends at the last "\n\n" */
	for (i = len - 1; i > 0; i--) {
		if (note[i] == '\n' && note[i - 1] == '\n') {
			blank = i;
			found = 1;
			break;
		}
	}
	if (!found || blank + 1 >= len)
		return -1;
	/* every line after the blank one is a signature line */
	for (i = blank + 1; i < len;) {
		const char *eol = memchr(note + i, '\n', len - i);

		if (eol == NULL || (size_t)(eol - (note + i)) < NOTE_DASH_LEN + 3 ||
		    memcmp(note + i, NOTE_DASH, NOTE_DASH_LEN) != 0)
			return -1;
		i = (size_t)(eol - note) + 1;
	}
	*textlen = blank;
	return 0;
}

/* Parse a non-negative decimal without leading zeros, [s, s+len). 0 or -1. */
static int
note_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > (uint64_t)INT64_MAX)
		return -1;
	*v = x;
	return 0;
}

int
tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *out)
{
	const char *l1, *l2, *l3;
	char b64[64];
	size_t n;

	memset(out, 0, sizeof(*out));
	if ((l1 = memchr(text, '\n', len)) == NULL ||
	    (l2 = memchr(l1 + 1, '\n', len - (size_t)(l1 + 1 - text))) == NULL ||
	    (l3 = memchr(l2 + 1, '\n', len - (size_t)(l2 + 1 - text))) == NULL)
		return -1;
	n = (size_t)(l1 - text);
	if (!note_name_ok(text, n))
		return -1;
	memcpy(out->origin, text, n);
	out->origin[n] = '\0';
	if (note_u64(l1 + 1, (size_t)(l2 - l1 - 1), &out->size) != 0)
		goto bad;
	n = (size_t)(l3 - l2 - 1);
	if (n != 44)
		goto bad;
	memcpy(b64, l2 + 1, n);
	b64[n] = '\0';
	if (util_b64_decode(b64, out->root, TLOG_HASH) != TLOG_HASH)
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

int
tlog_cosignature_message(const char *text, size_t len, uint64_t t, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "cosignature/v1\ntime %" PRIu64 "\n", t);

	if (n < 0 || (size_t)n + len >= outlen)
		return -1;
	memcpy(out + n, text, len);
	out[n + len] = '\0';
	return n + (int)len;
}

int
tlog_note_verify(const char *note, size_t len, const struct tlog_vkey *k, uint64_t *timestamp)
{
	size_t textlen, namelen = strlen(k->name), i;
	int ret = 0;

	if (tlog_note_split(note, len, &textlen) != 0)
		return 0;
	for (i = textlen + 1; i < len;) {
		const char *line = note + i, *eol = memchr(line, '\n', len - i);
		const char *name = line + NOTE_DASH_LEN, *sp;
		unsigned char sig[80];
		char b64[128];
		size_t b64len;
		long n;
		uint32_t id;

		i = (size_t)(eol - note) + 1;
		sp = memchr(name, ' ', (size_t)(eol - name));
		if (sp == NULL || (size_t)(sp - name) != namelen ||
		    memcmp(name, k->name, namelen) != 0)
			continue;
		b64len = (size_t)(eol - sp - 1);
		if (b64len >= sizeof(b64))
			continue;
		memcpy(b64, sp + 1, b64len);
		b64[b64len] = '\0';
		if ((n = util_b64_decode(b64, sig, sizeof(sig))) < 4)
			continue;
		id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 |
		     sig[3];
		if (id != k->id)
			continue;
		if (k->type == TLOG_SIG_ED25519) {
			if (n != 4 + CRYPTO_ED25519_SIG_LEN ||
			    !crypto_verify(k->pub, note, textlen, sig + 4))
				return -1;
			ret = 1;
		} else if (k->type == TLOG_SIG_COSIGNATURE) {
			char msg[TLOG_NOTE_MAX + 64];
			uint64_t t = 0;
			int mlen;

			if (n != 4 + 8 + CRYPTO_ED25519_SIG_LEN)
				return -1;
			for (int b = 0; b < 8; b++)
				t = t << 8 | sig[4 + b];
			if (t > (uint64_t)INT64_MAX ||
			    (mlen = tlog_cosignature_message(note, textlen, t, msg, sizeof(msg))) <
			        0 ||
			    !crypto_verify(k->pub, msg, (size_t)mlen, sig + 12))
				return -1;
			if (timestamp != NULL)
				*timestamp = t;
			ret = 1;
		}
	}
	return ret;
}

int
tlog_note_sigline(const char *name, uint32_t id, const unsigned char *sig, size_t siglen, char *out,
                  size_t outlen)
{
	unsigned char raw[4 + 80];
	char b64[128];
	int n;

	if (siglen > 80 || !note_name_ok(name, strlen(name)))
		return -1;
	raw[0] = (unsigned char)(id >> 24);
	raw[1] = (unsigned char)(id >> 16);
	raw[2] = (unsigned char)(id >> 8);
	raw[3] = (unsigned char)id;
	memcpy(raw + 4, sig, siglen);
	util_b64_encode(raw, 4 + siglen, b64);
	n = snprintf(out, outlen, NOTE_DASH "%s %s\n", name, b64);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

int
tlog_tile_parse(const char *path, int *level, uint64_t *index, unsigned *width)
{
	const char *p = path, *slash;
	uint64_t idx = 0, lv;
	int last = 0;

	*level = 0;
	*index = 0;
	*width = TLOG_TILE_WIDTH;
	if ((slash = strchr(p, '/')) == NULL)
		return -1;
	if ((size_t)(slash - p) == 7 && memcmp(p, "entries", 7) == 0) {
		*level = -1;
	} else {
		if (note_u64(p, (size_t)(slash - p), &lv) != 0 || lv > 63)
			return -1;
		*level = (int)lv;
	}
	p = slash + 1;
	/* x### / ... / ### */
	for (int parts = 0; !last; parts++) {
		if (parts > 7 || idx > (uint64_t)INT64_MAX / 1000)
			return -1;
		if (p[0] == 'x') {
			if (strlen(p) < 5 || p[4] != '/')
				return -1;
			p++;
		} else {
			last = 1;
		}
		for (int d = 0; d < 3; d++) {
			if (p[d] < '0' || p[d] > '9')
				return -1;
			idx = idx * 10 + (uint64_t)(p[d] - '0');
		}
		p += 3;
		if (!last) {
			if (*p != '/')
				return -1;
			p++;
		}
	}
	if (idx > (uint64_t)INT64_MAX / TLOG_TILE_WIDTH)
		return -1;
	*index = idx;
	if (*p == '\0')
		return 0;
	if (strncmp(p, ".p/", 3) == 0) {
		uint64_t w;

		p += 3;
		if (note_u64(p, strlen(p), &w) != 0 || w < 1 || w > 255)
			return -1;
		*width = (unsigned)w;
		return 0;
	}
	return -1;
}

int
tlog_tile_path(int level, uint64_t index, unsigned width, char *out, size_t outlen)
{
	char digits[32], buf[96];
	size_t nd, o = 0;
	int n;

	if (level < -1 || level > 63 || width < 1 || width > TLOG_TILE_WIDTH)
		return -1;
	n = snprintf(digits, sizeof(digits), "%" PRIu64, index);
	nd = (size_t)n;
	/* pad to a multiple of 3 digits */
	while (nd % 3 != 0) {
		memmove(digits + 1, digits, nd + 1);
		digits[0] = '0';
		nd++;
	}
	for (size_t i = 0; i < nd; i += 3) {
		if (i + 3 < nd)
			buf[o++] = 'x';
		memcpy(buf + o, digits + i, 3);
		o += 3;
		if (i + 3 < nd)
			buf[o++] = '/';
	}
	buf[o] = '\0';
	if (level < 0)
		n = snprintf(out, outlen, "entries/%s", buf);
	else
		n = snprintf(out, outlen, "%d/%s", level, buf);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	if (width < TLOG_TILE_WIDTH) {
		int m = snprintf(out + n, outlen - (size_t)n, ".p/%u", width);

		if (m < 0 || (size_t)(n + m) >= outlen)
			return -1;
	}
	return 0;
}
