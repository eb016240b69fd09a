/*
 * publish/witness.c: lockstepd's side of C2SP tlog-witness. The
 * witnesses in LOCKSTEP_WITNESSES ("<submission URL> <cosignature vkey>",
 * separated by commas or new lines) get every new checkpoint with a
 * consistency proof from the last one they cosigned (POST
 * <URL>/add-checkpoint); their cosignatures are verified with the
 * configured key and stored (tlog_cosignatures), and GET /log/checkpoint
 * serves them with the checkpoint. A witness that refuses or cannot be
 * reached is retried with a growing delay (1 s to 5 min); a 409 names the
 * size it cosigned last, and the request is sent again from there.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "db/db.h"
#include "publish/publish.h"
#include "store/store.h"
#include "util/log.h"
#include "util/util.h"

#define WITNESS_MAX 16
#define WITNESS_URL_MAX 512
#define WITNESS_ANSWER_MAX 8192

struct witness_peer {
	char url[WITNESS_URL_MAX];
	struct tlog_vkey key;
	time_t next_try;
	unsigned backoff;
};

static struct witness_peer witness_peers[WITNESS_MAX];
static size_t witness_n;

int
witness_configure(const char *spec)
{
	char *copy, *item, *save = NULL;

	witness_n = 0;
	if (spec == NULL || *spec == '\0')
		return 0;
	if ((copy = strdup(spec)) == NULL)
		return -1;
	for (item = strtok_r(copy, ",\n", &save); item != NULL;
	     item = strtok_r(NULL, ",\n", &save)) {
		char *url = item, *sp;
		struct witness_peer *p;

		while (*url == ' ' || *url == '\t')
			url++;
		if (*url == '\0')
			continue;
		if ((sp = strchr(url, ' ')) == NULL || witness_n == WITNESS_MAX ||
		    (size_t)(sp - url) >= WITNESS_URL_MAX ||
		    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
			goto bad;
		p = &witness_peers[witness_n];
		memset(p, 0, sizeof(*p));
		memcpy(p->url, url, (size_t)(sp - url));
		while (p->url[0] != '\0' && p->url[strlen(p->url) - 1] == '/')
			p->url[strlen(p->url) - 1] = '\0';
		while (*sp == ' ')
			sp++;
		if (tlog_vkey_parse(sp, &p->key) != 0 || p->key.type != TLOG_SIG_COSIGNATURE)
			goto bad;
		witness_n++;
	}
	free(copy);
	/* at start-up, before any thread: libcurl's global state */
	if (witness_n > 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		witness_n = 0;
		return -1;
	}
	return 0;
bad:
	free(copy);
	witness_n = 0;
	return -1;
}

size_t
witness_count(void)
{
	return witness_n;
}

struct witness_buf {
	char data[WITNESS_ANSWER_MAX + 1];
	size_t len;
};

static size_t
witness_write(char *p, size_t size, size_t n, void *arg)
{
	struct witness_buf *b = arg;
	size_t len = size * n;

	if (b->len + len > WITNESS_ANSWER_MAX)
		return 0;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* POST body to <url>/add-checkpoint; the status (0: transport failure) and answer. */
static long
witness_post(const char *url, const char *body, size_t len, struct witness_buf *answer)
{
	char full[WITNESS_URL_MAX + 32];
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	long status = 0;

	answer->len = 0;
	answer->data[0] = '\0';
	if (h == NULL)
		return 0;
	snprintf(full, sizeof(full), "%s/add-checkpoint", url);
	hdr = curl_slist_append(hdr, "Content-Type: text/plain; charset=utf-8");
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, witness_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return status;
}

struct witness_tx {
	const char *name;
	long long size;
	long long last; /* out: the largest size this witness cosigned */
	int have;       /* out: it cosigned size already */
	struct store_tlog_checkpoint k;
	const char *line; /* in, for witness_store_fn */
};

static int
witness_state_fn(struct db_conn *c, void *arg)
{
	struct witness_tx *t = arg;
	struct store_tlog_cosig *rows = NULL;
	int n = 0, rc;

	t->have = 0;
	if ((rc = store_tlog_checkpoint(c, t->size, &t->k)) != DB_OK)
		return rc;
	if ((rc = store_tlog_cosignatures(c, t->size, &rows, &n)) != DB_OK)
		return rc;
	for (int i = 0; i < n; i++)
		if (strcmp(rows[i].witness, t->name) == 0)
			t->have = 1;
	store_tlog_cosignatures_free(rows, n);
	return store_tlog_witness_last(c, t->name, &t->last);
}

static int
witness_store_fn(struct db_conn *c, void *arg)
{
	const struct witness_tx *t = arg;

	return store_tlog_cosignature_store(c, t->size, t->name, t->line);
}

/* Build the add-checkpoint body for old -> size into out. Its length, or -1. */
static int
witness_body(long long old, long long size, const char *note, char *out, size_t outlen)
{
	tlog_hash proof[TLOG_MAX_PROOF];
	size_t len = 0, o;
	int n;

	if (old > 0 && old < size &&
	    tlogd_consistency((uint64_t)old, (uint64_t)size, proof, &len) != 0)
		return -1;
	n = snprintf(out, outlen, "old %lld\n", old);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	o = (size_t)n;
	for (size_t i = 0; i < len; i++) {
		char b64[64];

		util_b64_encode(proof[i], TLOG_HASH, b64);
		n = snprintf(out + o, outlen - o, "%s\n", b64);
		if (n < 0 || (size_t)n >= outlen - o)
			return -1;
		o += (size_t)n;
	}
	n = snprintf(out + o, outlen - o, "\n%s", note);
	if (n < 0 || (size_t)n >= outlen - o)
		return -1;
	return (int)(o + (size_t)n);
}

/* One witness, checkpoint size: 1 cosigned (stored), 0 nothing to do, -1 refused or failed. */
static int
witness_one(struct witness_peer *p, long long size)
{
	struct witness_tx t = {.name = p->key.name, .size = size};
	struct witness_buf answer;
	char body[TLOG_NOTE_MAX + 64 * 48];
	int ret = -1, len;
	long old, status = 0;

	if (db_tx(NULL, "witness_state", witness_state_fn, &t) != DB_OK) {
		store_tlog_checkpoint_clear(&t.k);
		return -1;
	}
	if (t.have) {
		store_tlog_checkpoint_clear(&t.k);
		return 0;
	}
	old = (long)t.last;
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((len = witness_body(old, size, t.k.note, body, sizeof(body))) < 0)
			goto done;
		status = witness_post(p->url, body, (size_t)len, &answer);
		if (status != 409)
			break;
		/* the witness cosigned another size last: send the proof from there */
		{
			long long v;

			answer.data[strcspn(answer.data, "\n")] = '\0';
			if (util_strnum(answer.data, 0, size, &v) != 0)
				break;
			old = (long)v;
		}
	}
	if (status != 200) {
		log_event(LOG_LEVEL_WARN, "witness_refused",
		          json_pack("{s:s, s:s, s:i, s:I, s:s}", "witness", p->key.name, "url",
		                    p->url, "status", (int)status, "size", (json_int_t)size,
		                    "answer", answer.data));
		goto done;
	}
	/* keep each line that is a valid cosignature of the configured key */
	for (char *line = answer.data, *eol; (eol = strchr(line, '\n')) != NULL; line = eol + 1) {
		char note[TLOG_NOTE_MAX + 512];
		size_t nl = strlen(t.k.note), ll = (size_t)(eol - line) + 1;

		if (nl + ll >= sizeof(note))
			continue;
		memcpy(note, t.k.note, nl);
		memcpy(note + nl, line, ll);
		note[nl + ll] = '\0';
		if (tlog_note_verify(note, nl + ll, &p->key, NULL) != 1)
			continue;
		{
			char keep[TLOG_NOTE_MAX];

			memcpy(keep, line, ll);
			keep[ll] = '\0';
			t.line = keep;
			if (db_tx(NULL, "witness_store", witness_store_fn, &t) == DB_OK) {
				ret = 1;
				log_event(LOG_LEVEL_INFO, "witness_cosigned",
				          json_pack("{s:s, s:I}", "witness", p->key.name, "size",
				                    (json_int_t)size));
			}
		}
		break;
	}
done:
	store_tlog_checkpoint_clear(&t.k);
	return ret;
}

void
witness_round(long long size)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < witness_n && size > 0; i++) {
		struct witness_peer *p = &witness_peers[i];
		int rc;

		if (now < p->next_try)
			continue;
		rc = witness_one(p, size);
		if (rc < 0) {
			p->backoff = p->backoff ? (p->backoff * 2 > 300 ? 300 : p->backoff * 2) : 1;
			p->next_try = now + (time_t)p->backoff;
		} else {
			p->backoff = 0;
			p->next_try = 0;
		}
	}
}
