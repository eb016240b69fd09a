/*
 * client/transfer.c: evidence uploads and downloads, streamed (a file is
 * never held in memory) through one routine, client_transfer_run.
 *
 * Uploads use the server's resumable uploads (tus 1.0, docs/API.md): the
 * upload is created (POST .../uploads), its bytes sent with PATCH, and a
 * dropped connection is resumed where the server's Upload-Offset says, a
 * few times with a pause. The upload's URL is kept in a private state
 * file, so that running the same command again (after Ctrl-C, a crash or
 * too many dropped connections) resumes it too. The SHA-256 of the whole
 * file is compared with the signed receipt's, and the receipt's signature
 * is checked with the server's signing key.
 *
 * Downloads stream into a new file (0600, never overwriting) that is
 * removed again unless the whole file arrived, its SHA-256 and size match
 * the signed receipt (whose signature must verify) and the Repr-Digest
 * header.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "util/util.h"

#define CLIENT_TUS_VERSION "Tus-Resumable: 1.0.0"
/* Attempts to send an upload's bytes in one run, and the pause before each retry. */
#define CLIENT_UPLOAD_ATTEMPTS 6
#define CLIENT_RETRY_PAUSE_SECONDS 2

/* One streamed upload or download. */
struct client_transfer {
	/* set by the caller */
	const char *url;            /* the whole URL */
	const char *token;          /* bearer token, or "" */
	const char *method;         /* "GET" (download) or "PATCH" (upload) */
	const char *const *headers; /* extra request header lines, NULL-terminated */
	int fd;                     /* read from its offset (upload) or written (download) */
	int upload;                 /* 1: send length bytes from fd */
	long long length;           /* upload: the bytes to send */
	long long base, total;      /* progress: bytes before this one, of the whole file */
	long long stop_after;       /* tests: act as if interrupted past this offset (0: no) */
	long long drop_after;       /* tests: drop the connection once past this offset (0: no) */
	struct crypto_sha256_stream *sha; /* hashes the bytes moved */
	/* results */
	CURL *curl;
	CURLcode cc;
	long status;
	long long done;           /* bytes read from or written to fd */
	long long upload_offset;  /* the answer's Upload-Offset, or -1 */
	struct client_buf answer; /* the answer (upload), or a refusal's body (download) */
	char *content_type;       /* malloc'd or NULL */
	int io_errno;             /* a failed read or write: errno; -1: the file shrank */
	int show_progress;        /* stderr is a terminal */
	int shown_permille;       /* last progress shown, or -1 */
	char repr_digest[64];     /* download: sha-256 of Repr-Digest (base64), or "" */
	char errbuf[CURL_ERROR_SIZE];
};

static volatile sig_atomic_t client_interrupted;

static void
client_on_interrupt(int sig)
{
	(void)sig;
	client_interrupted = 1;
}

/*
 * Catch SIGINT, SIGTERM and SIGHUP so that a transfer stops cleanly (a
 * download then removes its partial file, an upload can be resumed); on 0
 * the handlers go back to the default.
 */
static void
client_catch_interrupts(int on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on ? client_on_interrupt : SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Progress on stderr (a terminal only); a signal aborts the transfer. */
static int
client_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
	struct client_transfer *t = arg;
	long long total = t->upload ? t->total : (long long)dltotal;
	long long now = t->base + (long long)(t->upload ? ulnow : dlnow);
	char a[32], b[32];
	int permille;

	(void)ultotal;
	if (client_interrupted)
		return 1;
	if (!t->show_progress || total <= 0)
		return 0;
	permille = now >= total ? 1000 : (int)((double)now * 1000.0 / (double)total);
	if (permille == t->shown_permille)
		return 0;
	t->shown_permille = permille;
	client_fmt_size(now, a, sizeof(a));
	client_fmt_size(total, b, sizeof(b));
	fprintf(stderr, "\r%s: %s of %s (%d%%)   ", client_progname, a, b, permille / 10);
	return 0;
}

/* Upload: the next bytes of the file, never more than announced. */
static size_t
client_on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct client_transfer *t = arg;
	size_t want = size * nitems;
	ssize_t n;

	if ((long long)want > t->length - t->done)
		want = (size_t)(t->length - t->done);
	if (want == 0)
		return 0;
	do
		n = read(t->fd, buf, want);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		t->io_errno = n < 0 ? errno : -1;
		return CURL_READFUNC_ABORT;
	}
	if (crypto_sha256_stream_update(t->sha, buf, (size_t)n) != 0) {
		t->io_errno = ENOMEM;
		return CURL_READFUNC_ABORT;
	}
	t->done += n;
	if (t->stop_after > 0 && t->base + t->done >= t->stop_after)
		client_interrupted = 1; /* LOCKSTEP_TEST_UPLOAD_STOP_AFTER: the resume test */
	if (t->drop_after > 0 && t->base + t->done >= t->drop_after) {
		t->drop_after = 0; /* LOCKSTEP_TEST_UPLOAD_DROP_AFTER: once, like a lost link */
		return CURL_READFUNC_ABORT;
	}
	return (size_t)n;
}

/*
 * The answer's body: a download's 200 goes to the file (and the hash),
 * anything else to t->answer.
 */
static size_t
client_on_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client_transfer *t = arg;
	size_t n = size * nmemb, off = 0;
	long status = 0;

	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	if (t->upload || status != 200)
		return client_buf_append(&t->answer, p, n) == 0 ? n : 0;
	while (off < n) {
		ssize_t w = write(t->fd, p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			t->io_errno = w < 0 ? errno : EIO;
			return 0;
		}
		off += (size_t)w;
	}
	if (crypto_sha256_stream_update(t->sha, p, n) != 0) {
		t->io_errno = ENOMEM;
		return 0;
	}
	t->done += (long long)n;
	return n;
}

/* Keep the sha-256 value of a Repr-Digest header (RFC 9530). */
static size_t
client_on_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct client_transfer *t = arg;
	size_t n = size * nitems;
	char line[512], *v, *end;

	if (n < 12 || n >= sizeof(line) || strncasecmp(p, "Repr-Digest:", 12) != 0)
		return n;
	memcpy(line, p, n);
	line[n] = '\0';
	/* Dictionary keys are lower case (RFC 8941), so "sha-256" is exact. */
	if ((v = strstr(line + 12, "sha-256=:")) == NULL)
		return n;
	v += 9;
	if ((end = strchr(v, ':')) == NULL || (size_t)(end - v) >= sizeof(t->repr_digest))
		return n;
	memcpy(t->repr_digest, v, (size_t)(end - v));
	t->repr_digest[end - v] = '\0';
	return n;
}

/*
 * The one streamed transfer: t->method to t->url, the body read from t->fd
 * (upload) or a 200's body written to it (download), hashing what moves,
 * with progress on a terminal, a stall limit and Ctrl-C caught. Fills the
 * result members of t (free with client_transfer_free). Returns 0 when a
 * whole answer arrived (whatever its status), -1 when the transfer broke
 * off: t->io_errno, client_interrupted or t->cc say why (nothing printed
 * but for out of memory).
 */
static int
client_transfer_run(struct client_transfer *t)
{
	struct curl_slist *hdr = NULL;
	struct curl_header *h = NULL;
	const char *ct = NULL;
	int ret = -1;

	t->status = 0;
	t->done = 0;
	t->upload_offset = -1;
	t->io_errno = 0;
	t->shown_permille = -1;
	t->show_progress = isatty(STDERR_FILENO);
	t->repr_digest[0] = '\0';
	client_buf_free(&t->answer);
	t->answer.max =
	    CLIENT_MAX_RESPONSE; /* an answer or refusal; a download's file has no cap */
	free(t->content_type);
	t->content_type = NULL;
	if ((t->curl = client_curl_new(t->url, t->token, t->headers, &hdr, t->errbuf)) == NULL)
		return -1;
	if (t->upload) {
		curl_easy_setopt(t->curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(t->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)t->length);
		curl_easy_setopt(t->curl, CURLOPT_READFUNCTION, client_on_read);
		curl_easy_setopt(t->curl, CURLOPT_READDATA, t);
	} else {
		curl_easy_setopt(t->curl, CURLOPT_HEADERFUNCTION, client_on_header);
		curl_easy_setopt(t->curl, CURLOPT_HEADERDATA, t);
	}
	if (strcmp(t->method, "GET") != 0 && strcmp(t->method, "PUT") != 0)
		curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, t->method);
	curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, client_on_write);
	curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(t->curl, CURLOPT_LOW_SPEED_TIME, CLIENT_STALL_SECONDS);
	curl_easy_setopt(t->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(t->curl, CURLOPT_XFERINFOFUNCTION, client_on_progress);
	curl_easy_setopt(t->curl, CURLOPT_XFERINFODATA, t);

	client_catch_interrupts(1);
	t->cc = curl_easy_perform(t->curl);
	client_catch_interrupts(0);
	if (t->shown_permille >= 0)
		fputc('\n', stderr);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
	if (curl_easy_getinfo(t->curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		t->content_type = strdup(ct);
	if (curl_easy_header(t->curl, "Upload-Offset", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
	    h != NULL && h->value != NULL &&
	    util_strnum(h->value, 0, 0x7fffffffffffffffLL, &t->upload_offset) != 0)
		t->upload_offset = -1;
	ret = t->cc == CURLE_OK ? 0 : -1;
	curl_easy_cleanup(t->curl);
	t->curl = NULL;
	curl_slist_free_all(hdr);
	return ret;
}

static void
client_transfer_free(struct client_transfer *t)
{
	client_buf_free(&t->answer);
	free(t->content_type);
	t->content_type = NULL;
}

/* The answer of a transfer as a client_response (borrowed; do not free). */
static struct client_response
client_transfer_response(const struct client_transfer *t)
{
	struct client_response res = {
	    .status = t->status, .content_type = t->content_type, .body = t->answer};

	return res;
}

/* Why a transfer broke off, on stderr; what is file or URL. */
static void
client_transfer_why(const struct client_transfer *t, const char *file)
{
	if (t->io_errno != 0)
		fprintf(stderr, "%s: %s: %s\n", client_progname, file,
		        t->io_errno > 0 ? strerror(t->io_errno)
		                        : "the file shrank while it was being sent");
	else if (client_interrupted)
		fprintf(stderr, "%s: interrupted\n", client_progname);
	else
		fprintf(stderr, "%s: %s: %s (after %lld bytes)\n", client_progname, t->url,
		        t->errbuf[0] ? t->errbuf : curl_easy_strerror(t->cc), t->done);
}

/* A media type for a header: printable ASCII only, 1-255 bytes. */
static int
client_valid_type(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 255)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

/*
 * Hash bytes [0, n) of fd into a new stream (*sha, freed by the caller)
 * and leave fd's offset at n. Returns 0, or -1 (errno set; -1 with errno 0
 * when the file is shorter).
 */
static int
client_hash_prefix(int fd, long long n, struct crypto_sha256_stream **sha)
{
	char buf[65536];
	long long off = 0;

	crypto_sha256_stream_free(*sha);
	if ((*sha = crypto_sha256_stream_new()) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	while (off < n) {
		size_t want = n - off < (long long)sizeof(buf) ? (size_t)(n - off) : sizeof(buf);
		ssize_t k = pread(fd, buf, want, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = 0;
			return -1;
		}
		if (crypto_sha256_stream_update(*sha, buf, (size_t)k) != 0) {
			errno = ENOMEM;
			return -1;
		}
		off += k;
	}
	return lseek(fd, (off_t)n, SEEK_SET) == (off_t)n ? 0 : -1;
}

/* ---- uploads ---- */

/* Where an upload is resumed from: the state file and the upload's path. */
struct client_upload {
	char state[CLIENT_MAX_PATH]; /* "" when there is no configuration directory */
	char path[128];              /* "/api/v1/uploads/<uuid>", or "" */
	char id[40];                 /* the upload's (and the evidence's) id */
};

/*
 * The state file of this upload: $config/uploads/<sha256 of what the
 * upload is: server, engagement, file (real path, size, modification
 * time), name, type, finding>. Leaves u->state "" when there is none.
 */
static void
client_upload_state_path(struct client_upload *u, const char *base_url, const char *eng,
                         const char *file, const struct stat *st, const char *name,
                         const char *type, const char *finding)
{
	char dir[CLIENT_MAX_PATH - 80], real[CLIENT_MAX_PATH], hex[CLIENT_SHA256_HEX];
	unsigned char md[CRYPTO_SHA256_LEN];
	char *what = NULL;
	size_t len;

	u->state[0] = '\0';
	if (client_config_dir(dir, sizeof(dir)) != 0 || realpath(file, real) == NULL)
		return;
	len = strlen(base_url) + strlen(eng) + strlen(real) + strlen(name) + strlen(type) +
	      (finding ? strlen(finding) : 0) + 128;
	if ((what = malloc(len)) == NULL)
		return;
	snprintf(what, len, "lockstep-upload-v1\n%s\n%s\n%s\n%lld\n%lld.%09ld\n%s\n%s\n%s",
	         base_url, eng, real, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
	         st->st_mtim.tv_nsec, name, type, finding ? finding : "");
	if (crypto_sha256(what, strlen(what), md) == 0) {
		util_hex_encode(md, sizeof(md), hex);
		snprintf(u->state, sizeof(u->state), "%s/uploads/%s", dir, hex);
	}
	free(what);
}

/* Forget the saved upload (its state file). */
static void
client_upload_forget(struct client_upload *u)
{
	if (u->state[0] != '\0')
		(void)unlink(u->state);
}

/* Remember the upload's path in its state file; a failure only costs the resume. */
static void
client_upload_remember(struct client_upload *u)
{
	char dir[CLIENT_MAX_PATH];
	char *slash;

	if (u->state[0] == '\0')
		return;
	snprintf(dir, sizeof(dir), "%s", u->state);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (client_mkdirs(dir) != 0 || client_write_private(u->state, u->path) != 0)
		fprintf(stderr, "%s: note: this upload cannot be resumed by another run\n",
		        client_progname);
}

/* Set u->path and u->id from an upload path; -1 if it is not /api/v1/uploads/<uuid>. */
static int
client_upload_set(struct client_upload *u, const char *path)
{
	static const char prefix[] = "/api/v1/uploads/";

	if (path == NULL || strncmp(path, prefix, sizeof(prefix) - 1) != 0 ||
	    !util_uuid_valid(path + sizeof(prefix) - 1))
		return -1;
	snprintf(u->path, sizeof(u->path), "%s", path);
	snprintf(u->id, sizeof(u->id), "%s", path + sizeof(prefix) - 1);
	return 0;
}

/*
 * Ask the server how far the upload got (HEAD). Returns the offset, -2
 * when the upload is gone (404: unknown, expired, terminated, complete or
 * someone else's), -1 on any other failure (message printed).
 */
static long long
client_upload_offset(const char *base_url, const char *token, const struct client_upload *u,
                     long long size)
{
	const char *const hdrs[] = {CLIENT_TUS_VERSION, NULL};
	const char *const keep[] = {"Upload-Offset", "Upload-Length", NULL};
	struct client_call call = {.method = "HEAD",
	                           .path = u->path,
	                           .token = token,
	                           .headers = hdrs,
	                           .keep = keep,
	                           .timeout = 60};
	struct client_response res;
	long long off = -1, len = -1;

	if (client_request(base_url, &call, &res) != 0)
		goto done;
	if (res.status == 404) {
		off = -2;
		goto done;
	}
	if (res.status != 200 && res.status != 204) {
		fprintf(stderr, "%s: asking for the upload's offset: HTTP %ld\n", client_progname,
		        res.status);
		goto done;
	}
	if (res.kept[0] == NULL || util_strnum(res.kept[0], 0, size, &off) != 0 ||
	    res.kept[1] == NULL || util_strnum(res.kept[1], 0, 0x7fffffffffffffffLL, &len) != 0 ||
	    len != size) {
		fprintf(stderr,
		        "%s: the server's Upload-Offset/Upload-Length do not fit the file\n",
		        client_progname);
		off = -1;
	}
done:
	client_response_free(&res);
	return off;
}

/* Terminate the upload (DELETE), best effort: it is refused or cannot go on. */
static void
client_upload_terminate(const char *base_url, const char *token, struct client_upload *u)
{
	const char *const hdrs[] = {CLIENT_TUS_VERSION, NULL};
	struct client_call call = {
	    .method = "DELETE", .path = u->path, .token = token, .headers = hdrs, .timeout = 60};
	struct client_response res;

	client_upload_forget(u);
	if (u->path[0] == '\0')
		return;
	if (client_request(base_url, &call, &res) == 0 && res.status != 204 && res.status != 404)
		fprintf(stderr,
		        "%s: note: the server kept the unfinished upload (HTTP %ld); it "
		        "expires by itself\n",
		        client_progname, res.status);
	client_response_free(&res);
}

/*
 * Create the upload (tus creation). Returns 0 with u->path set, or the
 * exit status of a refusal (message printed).
 */
static int
client_upload_create(const char *base_url, const char *token, const char *eng, long long size,
                     const char *name, const char *type, const char *finding,
                     struct client_upload *u)
{
	char path[128], length[48], *meta = NULL;
	const char *const keep[] = {"Location", NULL};
	const char *hdrs[] = {CLIENT_TUS_VERSION, length, NULL, NULL};
	struct client_call call = {.method = "POST",
	                           .path = path,
	                           .token = token,
	                           .headers = hdrs,
	                           .keep = keep,
	                           .timeout = 120};
	struct client_response res = {0};
	char *bname = NULL, *btype = NULL, *bfind = NULL;
	size_t mlen;
	int ret = CLIENT_EXIT_PROBLEM;

	snprintf(path, sizeof(path), "/api/v1/engagements/%s/uploads", eng);
	snprintf(length, sizeof(length), "Upload-Length: %lld", size);
	bname = malloc(util_b64url_len(strlen(name)) + 4);
	btype = malloc(util_b64url_len(strlen(type)) + 4);
	bfind = malloc(64);
	mlen = strlen(name) * 2 + strlen(type) * 2 + 256;
	if (bname == NULL || btype == NULL || bfind == NULL || (meta = malloc(mlen)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", client_progname);
		goto done;
	}
	util_b64_encode(name, strlen(name), bname);
	util_b64_encode(type, strlen(type), btype);
	if (finding != NULL)
		util_b64_encode(finding, strlen(finding), bfind);
	snprintf(meta, mlen, "Upload-Metadata: filename %s,filetype %s%s%s", bname, btype,
	         finding != NULL ? ",finding " : "", finding != NULL ? bfind : "");
	hdrs[2] = meta;
	if (client_request(base_url, &call, &res) != 0)
		goto done;
	if (res.status != 201) {
		ret = client_report(&res);
		goto done;
	}
	if (client_upload_set(u, res.kept[0]) != 0) {
		fprintf(stderr, "%s: the server's answer holds no upload location\n",
		        client_progname);
		goto done;
	}
	ret = 0;
done:
	free(bname);
	free(btype);
	free(bfind);
	free(meta);
	client_response_free(&res);
	return ret;
}

/*
 * Send the file from the upload's current offset until the server has
 * all of it, resuming after dropped connections. *sha ends up holding the
 * SHA-256 state of the whole file. Returns 0, or an exit status (message
 * printed; the upload is terminated when it cannot go on, kept for the
 * next run when interrupted or still failing).
 */
static int
client_upload_send(const char *base_url, const char *token, int fd, const char *file,
                   long long size, long long offset, struct client_upload *u,
                   struct crypto_sha256_stream **sha)
{
	char url[CLIENT_MAX_URL + 160], off_hdr[48], a[32], b[32];
	const char *hdrs[] = {CLIENT_TUS_VERSION, "Content-Type: application/offset+octet-stream",
	                      off_hdr, NULL};
	struct client_transfer t = {.url = url,
	                            .token = token,
	                            .method = "PATCH",
	                            .headers = hdrs,
	                            .fd = fd,
	                            .upload = 1,
	                            .total = size};
	long long hashed = -1; /* *sha holds exactly the bytes [0, hashed) of the file */
	const char *stop = getenv("LOCKSTEP_TEST_UPLOAD_STOP_AFTER");
	const char *drop = getenv("LOCKSTEP_TEST_UPLOAD_DROP_AFTER");
	int attempt = 0, ret = CLIENT_EXIT_PROBLEM;

	/* For tests only: stop as Ctrl-C would, or drop the connection once, past an offset. */
	if (stop != NULL && util_strnum(stop, 1, 0x7fffffffffffffffLL, &t.stop_after) != 0)
		t.stop_after = 0;
	if (drop != NULL && util_strnum(drop, 1, 0x7fffffffffffffffLL, &t.drop_after) != 0)
		t.drop_after = 0;

	snprintf(url, sizeof(url), "%s%s", base_url, u->path);
	for (;;) {
		if (hashed != offset) {
			if (client_hash_prefix(fd, offset, sha) != 0) {
				fprintf(stderr, "%s: %s: %s\n", client_progname, file,
				        errno ? strerror(errno) : "the file shrank");
				client_upload_terminate(base_url, token, u);
				goto done;
			}
			hashed = offset;
		}
		if (offset == size)
			break;
		snprintf(off_hdr, sizeof(off_hdr), "Upload-Offset: %lld", offset);
		t.length = size - offset;
		t.base = offset;
		t.sha = *sha;
		if (client_transfer_run(&t) == 0 && t.status == 204 && t.upload_offset == size &&
		    t.done == t.length) {
			offset = hashed = size; /* the transfer hashed the rest */
			continue;
		}
		hashed = -1; /* part of what was sent may be lost: hash the prefix again */
		if (client_interrupted) {
			client_fmt_size(offset + t.done, a, sizeof(a));
			client_fmt_size(size, b, sizeof(b));
			fprintf(
			    stderr,
			    "%s: interrupted after about %s of %s; run the same command again to "
			    "resume\n",
			    client_progname, a, b);
			goto done;
		}
		if (t.io_errno != 0) {
			client_transfer_why(&t, file);
			client_upload_terminate(base_url, token, u);
			goto done;
		}
		/*
		 * 409: another offset; 5xx: the server's trouble; 404: the upload may
		 * only have changed under us (the bytes of a connection that just
		 * dropped being kept after we asked for the offset): HEAD decides.
		 */
		if (t.cc == CURLE_OK && t.status != 204 && t.status != 409 && t.status != 404 &&
		    t.status < 500) {
			struct client_response res = client_transfer_response(&t);

			ret = client_report(&res); /* refused: it cannot go on */
			client_upload_terminate(base_url, token, u);
			goto done;
		}
		if (++attempt >= CLIENT_UPLOAD_ATTEMPTS) {
			if (t.cc != CURLE_OK)
				client_transfer_why(&t, file);
			fprintf(stderr,
			        "%s: giving up after %d attempts; run the same command again to "
			        "resume\n",
			        client_progname, attempt);
			goto done;
		}
		if (t.cc != CURLE_OK)
			fprintf(stderr, "%s: %s; resuming (attempt %d of %d)\n", client_progname,
			        t.errbuf[0] ? t.errbuf : curl_easy_strerror(t.cc), attempt + 1,
			        CLIENT_UPLOAD_ATTEMPTS);
		else
			fprintf(stderr, "%s: HTTP %ld while sending; resuming (attempt %d of %d)\n",
			        client_progname, t.status, attempt + 1, CLIENT_UPLOAD_ATTEMPTS);
		sleep(CLIENT_RETRY_PAUSE_SECONDS);
		if ((offset = client_upload_offset(base_url, token, u, size)) < 0) {
			if (offset == -2) {
				fprintf(
				    stderr,
				    "%s: the upload is gone from the server (expired, cancelled "
				    "or refused)\n",
				    client_progname);
				client_upload_forget(u);
			}
			goto done;
		}
	}
	ret = 0;
done:
	client_transfer_free(&t);
	return ret;
}

/*
 * lockstep upload ENGAGEMENT_ID FILE [--name NAME] [--finding ID] [--type TYPE]:
 * send FILE (a regular file, streamed) as a resumable upload, print the
 * signed receipt, and check that its signature verifies and that its
 * SHA-256 and size are those of the file. Returns the exit status.
 */
int
client_cmd_upload(const struct client_ctx *ctx, char **args, const char **opts)
{
	char token[CLIENT_MAX_TOKEN], hex[CLIENT_SHA256_HEX], sent[32], rpath[128];
	unsigned char md[CRYPTO_SHA256_LEN], pub[CRYPTO_ED25519_PUB_LEN];
	const char *eng = args[0], *file = args[1];
	const char *name = opts[0], *finding = opts[1], *type = opts[2];
	struct client_upload u = {0};
	struct client_response rec = {0};
	struct crypto_sha256_stream *sha = NULL;
	struct client_call call = {.path = rpath, .token = token, .timeout = 120};
	const char *want_sha = NULL, *why = NULL;
	json_int_t want_size = 0;
	long long size, offset = 0;
	json_t *j = NULL;
	struct stat st;
	int fd = -1, rc, ret = CLIENT_EXIT_PROBLEM;

	token[0] = '\0';
	if (type == NULL)
		type = "application/octet-stream";
	if (!util_uuid_valid(eng) || (finding != NULL && !util_uuid_valid(finding))) {
		fprintf(stderr, "%s: ids are lower-case UUIDs\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (!client_valid_type(type)) {
		fprintf(stderr, "%s: --type must be a media type in printable ASCII\n",
		        client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (name == NULL) {
		const char *slash = strrchr(file, '/');

		name = slash != NULL ? slash + 1 : file;
	}
	if (name[0] == '\0') {
		fprintf(stderr, "%s: the evidence needs a name (--name)\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", client_progname, file, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: %s: not a regular file (its size is sent before its bytes)\n",
		        client_progname, file);
		goto done;
	}
	size = (long long)st.st_size;
	if (client_load_token(ctx->base_url, token) != 0)
		goto done;

	/* An upload of this file begun by an earlier run is resumed. */
	client_upload_state_path(&u, ctx->base_url, eng, file, &st, name, type, finding);
	if (u.state[0] != '\0' && (rc = client_read_private(u.state, rpath, sizeof(rpath))) != 0) {
		if (rc == 1 && client_upload_set(&u, rpath) == 0 &&
		    (offset = client_upload_offset(ctx->base_url, token, &u, size)) >= 0) {
			client_fmt_size(offset, sent, sizeof(sent));
			fprintf(stderr, "%s: resuming the upload begun earlier, at %s\n",
			        client_progname, sent);
		} else {
			client_upload_forget(&u);
			u.path[0] = '\0';
			offset = 0;
		}
	}
	if (u.path[0] == '\0') {
		if ((ret = client_upload_create(ctx->base_url, token, eng, size, name, type,
		                                finding, &u)) != 0)
			goto done;
		ret = CLIENT_EXIT_PROBLEM;
		if (size > 0)
			client_upload_remember(&u);
	}
	if ((ret = client_upload_send(ctx->base_url, token, fd, file, size, offset, &u, &sha)) != 0)
		goto done;
	ret = CLIENT_EXIT_PROBLEM;
	client_upload_forget(&u);
	if (crypto_sha256_stream_final(sha, md) != 0) {
		fprintf(stderr, "%s: cannot compute SHA-256\n", client_progname);
		goto done;
	}
	util_hex_encode(md, sizeof(md), hex);

	/* The signed receipt of what the server stored. */
	snprintf(rpath, sizeof(rpath), "/api/v1/evidence/%s/receipt", u.id);
	if (client_request(ctx->base_url, &call, &rec) != 0)
		goto done;
	if ((ret = client_report(&rec)) != 0)
		goto done;
	ret = CLIENT_EXIT_PROBLEM;
	j = client_response_json(&rec);
	if (client_receipt_fields(j, &want_sha, &want_size) != 0) {
		fprintf(stderr, "%s: the answer is not a receipt\n", client_progname);
	} else if (strcmp(want_sha, hex) != 0 || want_size != (json_int_t)size) {
		fprintf(stderr,
		        "%s: MISMATCH: sent %lld bytes with SHA-256 %s, the receipt says %lld "
		        "bytes, %s\n",
		        client_progname, size, hex, (long long)want_size, want_sha);
	} else if (client_server_key(ctx->base_url, pub) != 0) {
		fprintf(stderr, "%s: the receipt's signature cannot be checked\n", client_progname);
	} else if (!client_receipt_valid(j, pub, &why)) {
		fprintf(stderr, "%s: MISMATCH: %s\n", client_progname, why);
	} else {
		client_fmt_size(size, sent, sizeof(sent));
		fprintf(stderr,
		        "%s: stored %s; the receipt's SHA-256 is that of the bytes sent and its "
		        "signature verifies\n",
		        client_progname, sent);
		ret = 0;
	}
done:
	explicit_bzero(token, sizeof(token));
	json_decref(j);
	crypto_sha256_stream_free(sha);
	if (fd >= 0)
		close(fd);
	client_response_free(&rec);
	return ret;
}

/* ---- downloads ---- */

/*
 * Remove path if it is still the file open as fd (so that a file put in
 * its place meanwhile is left alone).
 */
static void
client_remove_ours(const char *path, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		(void)unlink(path);
}

/*
 * lockstep download EVIDENCE_ID OUTFILE: create OUTFILE (0600, refusing
 * an existing one), stream the bytes into it while hashing them, and keep
 * it only if it is complete and its SHA-256 and size match the signed
 * receipt (whose signature must verify) and the Repr-Digest header. Prints
 * a JSON summary. Returns the exit status.
 */
int
client_cmd_download(const struct client_ctx *ctx, char **args, const char **opts)
{
	char token[CLIENT_MAX_TOKEN], path[CLIENT_MAX_PATH];
	char url[CLIENT_MAX_URL + CLIENT_MAX_PATH + 1], hex[CLIENT_SHA256_HEX];
	unsigned char md[CRYPTO_SHA256_LEN], repr[CRYPTO_SHA256_LEN + 3];
	unsigned char pub[CRYPTO_ED25519_PUB_LEN];
	const char *const headers[] = {"Accept: */*", NULL};
	const char *id = args[0], *outfile = args[1], *want_sha = NULL, *why = NULL;
	struct client_transfer t = {
	    .url = url, .token = token, .method = "GET", .headers = headers, .fd = -1};
	struct client_call call = {.path = path, .token = token, .timeout = 120};
	struct client_response rec = {0};
	json_int_t want_size = 0;
	json_t *j = NULL, *out = NULL;
	int rc, keep = 0, ret = CLIENT_EXIT_PROBLEM;

	(void)opts;
	token[0] = '\0';
	if (!util_uuid_valid(id)) {
		fprintf(stderr, "%s: EVIDENCE_ID is a lower-case UUID\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	if (outfile[0] == '\0') {
		fprintf(stderr, "%s: OUTFILE is empty\n", client_progname);
		return CLIENT_EXIT_USAGE;
	}
	t.fd = open(outfile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t.fd < 0) {
		fprintf(stderr, "%s: %s: %s%s\n", client_progname, outfile, strerror(errno),
		        errno == EEXIST ? " (not overwriting it)" : "");
		return CLIENT_EXIT_PROBLEM;
	}
	if ((t.sha = crypto_sha256_stream_new()) == NULL) {
		fprintf(stderr, "%s: cannot compute SHA-256\n", client_progname);
		goto done;
	}
	if (client_load_token(ctx->base_url, token) != 0)
		goto done;

	/* The receipt first: what the bytes must hash to, signed by the server. */
	snprintf(path, sizeof(path), "/api/v1/evidence/%s/receipt", id);
	if (client_request(ctx->base_url, &call, &rec) != 0)
		goto done;
	if (rec.status != 200) {
		ret = client_report(&rec);
		goto done;
	}
	j = client_response_json(&rec);
	if (client_receipt_fields(j, &want_sha, &want_size) != 0) {
		fprintf(stderr, "%s: the server's receipt holds no SHA-256 and size\n",
		        client_progname);
		goto done;
	}
	if (client_server_key(ctx->base_url, pub) != 0)
		goto done;
	if (!client_receipt_valid(j, pub, &why)) {
		fprintf(stderr, "%s: MISMATCH: %s\n", client_progname, why);
		goto done;
	}

	snprintf(url, sizeof(url), "%s/api/v1/evidence/%s", ctx->base_url, id);
	if (client_transfer_run(&t) != 0) {
		client_transfer_why(&t, outfile);
		goto done;
	}
	if (t.status != 200) {
		struct client_response res = client_transfer_response(&t);

		ret = client_report(&res);
		goto done;
	}
	if (fsync(t.fd) != 0) {
		fprintf(stderr, "%s: %s: %s\n", client_progname, outfile, strerror(errno));
		goto done;
	}
	if (crypto_sha256_stream_final(t.sha, md) != 0) {
		fprintf(stderr, "%s: cannot compute SHA-256\n", client_progname);
		goto done;
	}
	util_hex_encode(md, sizeof(md), hex);
	if (strcmp(hex, want_sha) != 0 || (json_int_t)t.done != want_size) {
		fprintf(stderr,
		        "%s: MISMATCH: received %lld bytes with SHA-256 %s, the receipt says %lld "
		        "bytes, %s\n",
		        client_progname, t.done, hex, (long long)want_size, want_sha);
		goto done;
	}
	if (t.repr_digest[0] != '\0' &&
	    (util_b64_decode(t.repr_digest, repr, sizeof(repr)) != CRYPTO_SHA256_LEN ||
	     memcmp(repr, md, CRYPTO_SHA256_LEN) != 0)) {
		fprintf(stderr,
		        "%s: MISMATCH: the Repr-Digest header is not the SHA-256 of the bytes\n",
		        client_progname);
		goto done;
	}
	rc = close(t.fd);
	t.fd = -1;
	keep = 1; /* closed: nothing left for the clean-up below to remove */
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", client_progname, outfile, strerror(errno));
		(void)unlink(outfile);
		fprintf(stderr, "%s: %s removed\n", client_progname, outfile);
		goto done;
	}
	/* o steals the new file name string (NULL if it is not UTF-8: no JSON then) */
	out = json_pack("{s:s, s:o, s:I, s:s, s:s, s:b}", "id", id, "file",
	                json_stringn(outfile, strlen(outfile)), "bytes", (json_int_t)t.done,
	                "sha256", hex, "receipt_sha256", want_sha, "verified", 1);
	if (out == NULL) {
		/* A file name that is not UTF-8: say it without JSON. */
		printf("%lld bytes, sha256 %s, matches the receipt\n", t.done, hex);
	} else {
		json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	ret = fflush(stdout) == 0 ? 0 : CLIENT_EXIT_PROBLEM;
done:
	if (!keep && t.fd >= 0) {
		client_remove_ours(outfile, t.fd);
		fprintf(stderr, "%s: %s removed\n", client_progname, outfile);
	}
	if (t.fd >= 0)
		close(t.fd);
	explicit_bzero(token, sizeof(token));
	json_decref(j);
	json_decref(out);
	crypto_sha256_stream_free(t.sha);
	client_transfer_free(&t);
	client_response_free(&rec);
	return ret;
}
