/*
 * client/witness.c: `lockstep witness serve`, a C2SP tlog-witness anyone
 * can run (c2sp.org/tlog-witness, add-checkpoint), written from the spec.
 *
 * The witness knows the logs listed in DIR/logs (one log verifier key a
 * line, as /.well-known/lockstep/log-key?format=vkey serves it) and keeps,
 * per log origin, the last checkpoint it cosigned (DIR/state-<sha256 of the
 * origin>, "size\nroot\n", replaced atomically). It cosigns a checkpoint
 * only when it is signed by the log's key and provably extends that one
 * (RFC 9162 consistency proof): a log that forked, showing a history
 * that is not an extension of what the witness saw, gets no cosignature.
 * Requests are handled one at a time (one libmicrohttpd thread), so the
 * check of the old size and the update of the state are atomic.
 *
 * Cosignatures are Ed25519 tlog-cosignature/v1 (type 0x04, timestamped)
 * with the key in --key FILE (made on first use, mode 0600) under the name
 * --name; the witness's vkey is printed at start and written to
 * DIR/witness.vkey.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "client.h"
#include "tlog/tlog.h"
#include "util/util.h"

#define WITNESS_MAX_BODY 16384
#define WITNESS_MAX_LOGS 64

struct witness {
	const char *dir;
	char name[TLOG_NAME_MAX + 1];
	struct crypto_signer *key;
	uint32_t key_id;
	struct tlog_vkey logs[WITNESS_MAX_LOGS];
	size_t nlogs;
};

struct witness_req {
	char *body;
	size_t len;
	int too_big;
};

static volatile sig_atomic_t witness_stop;

static void
witness_on_signal(int sig)
{
	(void)sig;
	witness_stop = 1;
}

/* The state file of origin into out. */
static void
witness_state_path(const struct witness *w, const char *origin, char *out, size_t outlen)
{
	unsigned char h[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];

	(void)crypto_sha256(origin, strlen(origin), h);
	util_hex_encode(h, sizeof(h), hex);
	snprintf(out, outlen, "%s/state-%s", w->dir, hex);
}

/* The last cosigned (size, root) of origin: 0, or 1 when none, -1 on a corrupt state. */
static int
witness_state_read(const struct witness *w, const char *origin, uint64_t *size, tlog_hash root)
{
	char path[4096], buf[256], b64[64];
	unsigned long long s;
	FILE *f;
	int ret = -1;

	witness_state_path(w, origin, path, sizeof(path));
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 1 : -1;
	if (fgets(buf, sizeof(buf), f) != NULL && sscanf(buf, "%llu", &s) == 1 &&
	    fgets(buf, sizeof(buf), f) != NULL && sscanf(buf, "%63s", b64) == 1 &&
	    util_b64_decode(b64, root, TLOG_HASH) == TLOG_HASH) {
		*size = s;
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* Replace the state of origin atomically (temporary file, fsync, rename). 0 or -1. */
static int
witness_state_write(const struct witness *w, const char *origin, uint64_t size,
                    const tlog_hash root)
{
	char path[4096], tmp[4200], text[128], b64[64];
	int fd, n, ret = -1;

	witness_state_path(w, origin, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	util_b64_encode(root, TLOG_HASH, b64);
	n = snprintf(text, sizeof(text), "%" PRIu64 "\n%s\n", size, b64);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	if (write(fd, text, (size_t)n) == n && fsync(fd) == 0)
		ret = 0;
	if (close(fd) != 0)
		ret = -1;
	if (ret == 0 && rename(tmp, path) != 0)
		ret = -1;
	if (ret == 0) {
		int d = open(w->dir, O_RDONLY | O_DIRECTORY);

		if (d >= 0) {
			(void)fsync(d);
			close(d);
		}
	} else {
		unlink(tmp);
	}
	return ret;
}

static enum MHD_Result
witness_reply(struct MHD_Connection *conn, unsigned status, const char *type, const char *text)
{
	struct MHD_Response *res =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;

	if (res == NULL)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", type);
	r = MHD_queue_response(conn, status, res);
	MHD_destroy_response(res);
	return r;
}

#define TEXT "text/plain; charset=utf-8"

/* One add-checkpoint request body: the reply. */
static enum MHD_Result
witness_add(const struct witness *w, struct MHD_Connection *conn, const char *body, size_t len)
{
	tlog_hash proof[TLOG_MAX_PROOF], old_root;
	const struct tlog_vkey *log = NULL;
	struct tlog_checkpoint cp;
	const char *p = body, *end = body + len, *eol, *note;
	char line[128], reply[512], msg[TLOG_NOTE_MAX + 64];
	unsigned char sig[8 + CRYPTO_ED25519_SIG_LEN];
	uint64_t old = 0, have = 0, t;
	size_t nproof = 0, textlen, notelen;
	int st, mlen;

	/* old <size> */
	if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL || eol - p < 5 ||
	    (size_t)(eol - p) >= sizeof(line) || strncmp(p, "old ", 4) != 0)
		return witness_reply(conn, 400, TEXT, "the body must start with \"old <size>\"\n");
	memcpy(line, p + 4, (size_t)(eol - p - 4));
	line[eol - p - 4] = '\0';
	{
		long long v;

		if (util_strnum(line, 0, INT64_MAX, &v) != 0 || (line[0] == '0' && line[1] != '\0'))
			return witness_reply(conn, 400, TEXT, "bad old size\n");
		old = (uint64_t)v;
	}
	p = eol + 1;
	/* proof lines until the empty line */
	for (;;) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return witness_reply(conn, 400, TEXT,
			                     "no empty line before the checkpoint\n");
		if (eol == p) {
			p = eol + 1;
			break;
		}
		if (nproof == 63 || (size_t)(eol - p) >= sizeof(line))
			return witness_reply(conn, 400, TEXT, "too many or too long proof lines\n");
		memcpy(line, p, (size_t)(eol - p));
		line[eol - p] = '\0';
		if (util_b64_decode(line, proof[nproof], TLOG_HASH) != TLOG_HASH)
			return witness_reply(conn, 400, TEXT,
			                     "a proof line is not a base64 hash\n");
		nproof++;
		p = eol + 1;
	}
	note = p;
	notelen = (size_t)(end - p);
	if (tlog_note_split(note, notelen, &textlen) != 0 ||
	    tlog_checkpoint_parse(note, textlen, &cp) != 0)
		return witness_reply(conn, 400, TEXT, "not a signed checkpoint\n");
	for (size_t i = 0; i < w->nlogs; i++)
		if (strcmp(w->logs[i].name, cp.origin) == 0)
			log = &w->logs[i];
	if (log == NULL)
		return witness_reply(conn, 404, TEXT, "unknown log\n");
	if (tlog_note_verify(note, notelen, log, NULL) != 1)
		return witness_reply(conn, 403, TEXT, "not signed by the log's key\n");
	if (old > cp.size)
		return witness_reply(conn, 400, TEXT, "old size beyond the checkpoint\n");
	if ((st = witness_state_read(w, cp.origin, &have, old_root)) < 0)
		return witness_reply(conn, 500, TEXT, "the witness's state is unreadable\n");
	if (st == 1)
		have = 0;
	if (old != have) {
		snprintf(reply, sizeof(reply), "%" PRIu64 "\n", have);
		return witness_reply(conn, 409, "text/x.tlog.size", reply);
	}
	if (cp.size == 0) {
		tlog_hash empty;

		if (tlog_root(NULL, 0, empty) != 0 || memcmp(empty, cp.root, TLOG_HASH) != 0)
			return witness_reply(conn, 422, TEXT, "an empty tree with another root\n");
	} else if (old == 0) {
		if (nproof != 0)
			return witness_reply(conn, 422, TEXT, "a proof from the empty tree\n");
	} else if (old == cp.size) {
		if (nproof != 0 || memcmp(old_root, cp.root, TLOG_HASH) != 0)
			return witness_reply(conn, 422, TEXT,
			                     "same size, another root: the log forked\n");
	} else if (!tlog_verify_consistency(old, cp.size, old_root, cp.root, proof, nproof)) {
		return witness_reply(conn, 422, TEXT,
		                     "not consistent with the checkpoint cosigned before: the log "
		                     "forked\n");
	}
	/* cosign: persist first, then answer */
	t = (uint64_t)time(NULL);
	if ((mlen = tlog_cosignature_message(note, textlen, t, msg, sizeof(msg))) < 0)
		return witness_reply(conn, 400, TEXT, "checkpoint too large\n");
	for (int b = 0; b < 8; b++)
		sig[b] = (unsigned char)(t >> (56 - 8 * b));
	if (crypto_sign(w->key, msg, (size_t)mlen, sig + 8) != 0 ||
	    tlog_note_sigline(w->name, w->key_id, sig, sizeof(sig), reply, sizeof(reply)) < 0)
		return witness_reply(conn, 500, TEXT, "cannot sign\n");
	if (witness_state_write(w, cp.origin, cp.size, cp.root) != 0)
		return witness_reply(conn, 500, TEXT, "cannot persist the state\n");
	fprintf(stderr, "%s: witness: cosigned %s at size %" PRIu64 "\n", client_progname,
	        cp.origin, cp.size);
	return witness_reply(conn, 200, TEXT, reply);
}

static enum MHD_Result
witness_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                const char *version, const char *upload_data, size_t *upload_data_size,
                void **con_cls)
{
	const struct witness *w = cls;
	struct witness_req *q = *con_cls;

	(void)version;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (q->len + *upload_data_size > WITNESS_MAX_BODY) {
			q->too_big = 1;
		} else {
			char *b = realloc(q->body, q->len + *upload_data_size + 1);

			if (b == NULL)
				return MHD_NO;
			q->body = b;
			memcpy(q->body + q->len, upload_data, *upload_data_size);
			q->len += *upload_data_size;
			q->body[q->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/add-checkpoint") != 0)
		return witness_reply(conn, 404, TEXT, "not found\n");
	if (strcmp(method, "POST") != 0)
		return witness_reply(conn, 405, TEXT, "POST only\n");
	if (q->too_big)
		return witness_reply(conn, 413, TEXT, "body too large\n");
	return witness_add(w, conn, q->body ? q->body : "", q->len);
}

static void
witness_done(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct witness_req *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (q != NULL) {
		free(q->body);
		free(q);
	}
	*con_cls = NULL;
}

/* DIR/logs: the log vkeys, one a line. 0 or -1 with a message. */
static int
witness_load_logs(struct witness *w)
{
	char path[4096], buf[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/logs", w->dir);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr,
		        "%s: %s: %s (list the logs to witness there, one log key a line, from "
		        "/.well-known/lockstep/log-key?format=vkey)\n",
		        client_progname, path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		char *s = buf;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '\n' || *s == '#')
			continue;
		if (w->nlogs == WITNESS_MAX_LOGS || tlog_vkey_parse(s, &w->logs[w->nlogs]) != 0 ||
		    w->logs[w->nlogs].type != TLOG_SIG_ED25519) {
			fprintf(stderr, "%s: %s: not a log key (name+id+base64, Ed25519): %s",
			        client_progname, path, s);
			fclose(f);
			return -1;
		}
		w->nlogs++;
	}
	fclose(f);
	if (w->nlogs == 0) {
		fprintf(stderr, "%s: %s lists no log\n", client_progname, path);
		return -1;
	}
	return 0;
}

int
client_cmd_witness(char **args, const char **opts)
{
	const char *keyfile = opts[0], *dir = opts[1], *name = opts[2], *listen = opts[3];
	struct witness w = {0};
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in sa;
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
	char vkey[256], path[4096], host[64];
	long long port = 7380;
	int ret = CLIENT_EXIT_USAGE;

	if (strcmp(args[0], "serve") != 0 || keyfile == NULL || dir == NULL) {
		fprintf(stderr,
		        "%s: usage: %s witness serve --key FILE --state DIR [--name NAME] "
		        "[--listen ADDR:PORT]\n",
		        client_progname, client_progname);
		return CLIENT_EXIT_USAGE;
	}
	snprintf(w.name, sizeof(w.name), "%s", name ? name : "lockstep-witness");
	if (tlog_key_id(w.name, TLOG_SIG_COSIGNATURE, (const unsigned char *)"", 0, &w.key_id) !=
	    0) {
		fprintf(stderr, "%s: --name: 1-%d characters, no space or '+'\n", client_progname,
		        TLOG_NAME_MAX);
		return CLIENT_EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	snprintf(host, sizeof(host), "127.0.0.1");
	if (listen != NULL) {
		const char *colon = strrchr(listen, ':');

		if (colon == NULL || (size_t)(colon - listen) >= sizeof(host) ||
		    util_strnum(colon + 1, 1, 65535, &port) != 0) {
			fprintf(stderr, "%s: --listen is ADDR:PORT (IPv4)\n", client_progname);
			return CLIENT_EXIT_USAGE;
		}
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = '\0';
	}
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "%s: --listen: %s is not an IPv4 address\n", client_progname, host);
		return CLIENT_EXIT_USAGE;
	}
	sa.sin_port = htons((uint16_t)port);
	w.dir = dir;
	if (witness_load_logs(&w) != 0)
		return CLIENT_EXIT_USAGE;
	if ((w.key = crypto_signer_load(keyfile, 1)) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", client_progname, keyfile, crypto_last_error());
		return CLIENT_EXIT_USAGE;
	}
	crypto_signer_public(w.key, pub);
	if (tlog_key_id(w.name, TLOG_SIG_COSIGNATURE, pub, sizeof(pub), &w.key_id) != 0 ||
	    tlog_vkey_encode(w.name, TLOG_SIG_COSIGNATURE, pub, vkey, sizeof(vkey)) != 0)
		goto done;
	snprintf(path, sizeof(path), "%s/witness.vkey", dir);
	if (client_write_private(path, vkey) != 0)
		goto done;
	ret = CLIENT_EXIT_PROBLEM;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	                     witness_handler, &w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                     MHD_OPTION_NOTIFY_COMPLETED, witness_done, NULL,
	                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "%s: cannot listen on %s:%lld\n", client_progname, host, port);
		goto done;
	}
	printf("%s\n", vkey);
	fflush(stdout);
	fprintf(stderr, "%s: witness %s serving on http://%s:%lld/add-checkpoint for %zu log(s)\n",
	        client_progname, w.name, host, port, w.nlogs);
	signal(SIGINT, witness_on_signal);
	signal(SIGTERM, witness_on_signal);
	while (!witness_stop)
		pause();
	MHD_stop_daemon(d);
	ret = 0;
done:
	crypto_signer_free(w.key);
	return ret;
}
