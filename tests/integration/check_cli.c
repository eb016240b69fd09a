/*
 * check_cli: the command-line client `lockstep` against a running
 * lockstepd: `verify` of a publication (released a few seconds after
 * set-up) with the server's key, with a pinned key, with another key, for
 * an unknown and a not yet released slug, and its usage errors; a
 * `login`, `upload`, `download` round trip of a small file; an upload
 * stopped part-way and resumed by the next run, and one whose connection
 * drops, resumed in the same run; refusals (foreign or
 * unknown engagement and evidence, another tenant's finding); `name-check`
 * in a pseudonymous campaign; and the usage errors of every command.
 *
 * The client is LOCKSTEP_TEST_CLI when set, else ./lockstep (make check
 * runs in the top build directory, where it is built).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "util/util.h"

static struct ht_world W;
static char *Released;     /* slug of the campaign released during set-up */
static char Cli[PATH_MAX]; /* absolute path of the client, or "" */
static char Err[4096];     /* why set-up failed, or "" */

#define CLI_REQUIRE()                                                                              \
	do {                                                                                       \
		ck_assert_msg(Cli[0] != '\0', "%s", Err);                                          \
		ck_assert_msg(Released != NULL, "set-up failed: %s", Err);                         \
	} while (0)

/* ------------------------------------------------------------ helpers */

/*
 * Run the client with --url LOCKSTEP_TEST_URL and args (NULL-terminated);
 * returns its stdout (malloc'd) and its exit status in *status.
 */
static char *
cli_run(int *status, const char *const *args)
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

/* stdout of a `verify` parsed; fails the test unless it is a JSON object. */
static json_t *
cli_json(const char *out)
{
	json_t *j = json_loads(out, 0, NULL);

	ck_assert_msg(json_is_object(j), "not one JSON object: %s", out);
	return j;
}

/* A new temporary directory (malloc'd). */
static char *
cli_tmpdir(void)
{
	char *dir = ht_fmt("%s/lockstep-cli-XXXXXX", ht_env("TMPDIR") ? ht_env("TMPDIR") : "/tmp");

	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
	return dir;
}

static void
cli_rmrf(const char *dir)
{
	char *cmd = ht_fmt("rm -rf '%s'", dir);

	(void)!system(cmd);
	free(cmd);
}

static void
cli_write(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

/* The whole file (malloc'd, NUL-terminated); *n its length. */
static char *
cli_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long len;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	ck_assert_int_ge(len, 0);
	rewind(f);
	p = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fread(p, 1, (size_t)len, f), (size_t)len);
	p[len] = '\0';
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* Call the API as token; the "id" of the answer (malloc'd) or NULL with Err set. */
static char *
cli_call(const char *path, const char *token, json_t *body_steal)
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

/* ------------------------------------------------------------- set-up */

static void
cli_find_client(void)
{
	const char *p = ht_env("LOCKSTEP_TEST_CLI") ? ht_env("LOCKSTEP_TEST_CLI") : "./lockstep";

	if (realpath(p, Cli) == NULL || access(Cli, X_OK) != 0) {
		snprintf(Err, sizeof(Err),
		         "the lockstep client is not at %s (build it with `make lockstep`, or set "
		         "LOCKSTEP_TEST_CLI)",
		         p);
		Cli[0] = '\0';
	}
}

/*
 * A named campaign with one engagement (A x X) released a few seconds from
 * now; waits until it is published. Sets Released, or Err.
 */
static void
cli_release(void)
{
	char *slug = ht_unique("cli");
	char *title = ht_fmt("CLI verify %s", slug);
	char *id = NULL, *eng = NULL, *path = NULL, *at;
	time_t t0 = time(NULL) + 5;
	struct tm tm;
	char buf[32];

	gmtime_r(&t0, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	at = buf;
	id = cli_call("/api/v1/campaigns", W.coord.token,
	              json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", title, "slug", slug,
	                        "threat_models", "WEIGHTS-EXFIL", "release_at", at, "disclosure",
	                        "named"));
	if (id == NULL)
		goto done;
	path = ht_fmt("/api/v1/campaigns/%s/engagements", id);
	eng = cli_call(path, W.coord.token,
	               json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.a.org_id,
	                         "assessor_org", W.x.org_id, "scope", "CLI verify scope",
	                         "lead_assessors", "Xena Lead"));
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
	snprintf(Err, sizeof(Err), "%s was not published within 20 s of its instant %s", slug, at);
done:
	free(slug);
	free(title);
	free(id);
	free(eng);
	free(path);
}

/* ------------------------------------------------------------- verify */

START_TEST(test_verify_server_key)
{
	const char *args[] = {"verify", Released, NULL};
	char *path, *hash, *key, *out;
	struct ht_resp *r;
	json_t *j;
	int st;

	CLI_REQUIRE();
	out = cli_run(&st, args);
	ck_assert_msg(st == 0, "verify exited %d: %s", st, out);
	j = cli_json(out);
	ck_assert_msg(json_is_true(json_object_get(j, "verified")), "%s", out);
	ck_assert_str_eq(json_string_value(json_object_get(j, "slug")), Released);
	ck_assert_str_eq(json_string_value(json_object_get(j, "key_source")), "server");
	ck_assert_msg(strstr(out, "\"verified\": true") != NULL, "%s", out);
	/* the signed bytes are the canonical JSON of the document */
	ck_assert_msg(json_is_true(json_object_get(j, "canonical")), "%s", out);

	/* the same hash, key and prev_hash as the server states */
	path = ht_fmt("/api/v1/publications/%s", Released);
	r = ht_request("GET", path, NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	hash = ht_header(r, "X-Lockstep-Hash");
	key = ht_header(r, "X-Lockstep-Signing-Key");
	ck_assert_ptr_nonnull(hash);
	ck_assert_ptr_nonnull(key);
	ck_assert_str_eq(json_string_value(json_object_get(j, "sha256")), hash);
	ck_assert_str_eq(json_string_value(json_object_get(j, "key")), key);
	ck_assert_str_eq(json_string_value(json_object_get(j, "prev_hash")),
	                 json_string_value(json_object_get(r->json, "prev_hash")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "sequence")),
	                 json_integer_value(json_object_get(r->json, "sequence")));
	{
		/* one key id: the CLI's key_id is the document's X-Lockstep-Key-Id
		 * and the published JWK's kid */
		char *hkid = ht_header(r, "X-Lockstep-Key-Id");
		struct ht_resp *k =
		    ht_request("GET", "/.well-known/lockstep/signing-key", NULL, NULL);

		ck_assert_ptr_nonnull(hkid);
		ck_assert_msg(json_is_string(json_object_get(j, "key_id")), "%s", out);
		ck_assert_str_eq(json_string_value(json_object_get(j, "key_id")), hkid);
		ck_assert_str_eq(
		    json_string_value(json_object_get(json_object_get(k->json, "jwk"), "kid")),
		    hkid);
		ht_resp_free(k);
		free(hkid);
	}
	free(hash);
	free(key);
	free(path);
	ht_resp_free(r);
	json_decref(j);
	free(out);
}
END_TEST

/* The key saved once from the server and pinned with --key. */
START_TEST(test_verify_pinned_key)
{
	char *dir, *pem, *out;
	struct ht_resp *r;
	json_t *j;
	int st;

	CLI_REQUIRE();
	dir = cli_tmpdir();
	pem = ht_fmt("%s/lockstep-signing.pem", dir);
	r = ht_request("GET", "/.well-known/lockstep/signing-key?format=pem", NULL, NULL);
	HT_ASSERT_STATUS(r, 200);
	cli_write(pem, r->body, r->body_len);
	ht_resp_free(r);
	{
		const char *args[] = {"verify", Released, "--key", pem, NULL};

		out = cli_run(&st, args);
	}
	ck_assert_msg(st == 0, "verify --key exited %d: %s", st, out);
	j = cli_json(out);
	ck_assert_msg(json_is_true(json_object_get(j, "verified")), "%s", out);
	ck_assert_str_eq(json_string_value(json_object_get(j, "key_source")), "pinned");
	json_decref(j);
	free(out);
	cli_rmrf(dir);
	free(pem);
	free(dir);
}
END_TEST

/* A pinned key that is not the server's: exit 1, "verified": false. */
START_TEST(test_verify_other_key)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *dir, *pem, *out;
	FILE *f;
	json_t *j;
	int st;

	CLI_REQUIRE();
	ck_assert_ptr_nonnull(k);
	dir = cli_tmpdir();
	pem = ht_fmt("%s/other.pem", dir);
	f = fopen(pem, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PUBKEY(f, k), 1);
	ck_assert_int_eq(fclose(f), 0);
	EVP_PKEY_free(k);
	{
		const char *args[] = {"verify", Released, "--key", pem, NULL};

		out = cli_run(&st, args);
	}
	ck_assert_msg(st == 1, "verify with another key exited %d: %s", st, out);
	j = cli_json(out);
	ck_assert_msg(json_is_false(json_object_get(j, "verified")), "%s", out);
	json_decref(j);
	free(out);
	cli_rmrf(dir);
	free(pem);
	free(dir);
}
END_TEST

/* A slug that never existed and one not yet released: both exit 1. */
START_TEST(test_verify_unknown_and_embargoed)
{
	char *unknown = ht_unique("nosuch");
	const char *a1[] = {"verify", unknown, NULL};
	const char *a2[] = {"verify", W.campaign_slug, NULL};
	char *out;
	int st;

	CLI_REQUIRE();
	out = cli_run(&st, a1);
	ck_assert_msg(st == 1, "unknown slug: exit %d: %s", st, out);
	ck_assert_msg(strstr(out, "\"verified\": true") == NULL, "%s", out);
	free(out);
	out = cli_run(&st, a2);
	ck_assert_msg(st == 1, "embargoed slug: exit %d: %s", st, out);
	ck_assert_msg(strstr(out, "\"verified\": true") == NULL, "%s", out);
	free(out);
	free(unknown);
}
END_TEST

/* Usage errors exit 2 without asking the server anything that matters. */
START_TEST(test_verify_usage)
{
	const char *bad_slug[] = {"verify", "Not_A-Slug", NULL};
	const char *no_slug[] = {"verify", "--key", "/dev/null", NULL};
	const char *bad_opt[] = {"verify", "abc", "--frobnicate", NULL};
	const char *no_file[] = {"verify", "abc", "--key", "/nonexistent/lockstep.pem", NULL};
	const char *not_key[] = {"verify", "abc", "--key", "/dev/null", NULL};
	const char *const *cases[] = {bad_slug, no_slug, bad_opt, no_file, not_key};
	char *out;
	int st;

	CLI_REQUIRE();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = cli_run(&st, cases[i]);
		ck_assert_msg(st == 2, "case %zu (%s %s): exit %d: %s", i, cases[i][1],
		              cases[i][2] ? cases[i][2] : "", st, out);
		ck_assert_str_eq(out, "");
		free(out);
	}
}
END_TEST

/* ---------------------------------------------------- upload, download */

START_TEST(test_upload_download)
{
	char *dir, *cfg, *file, *got, *again, *out, *id = NULL, *name, *data, *back;
	size_t n;
	json_t *j;
	int st;

	CLI_REQUIRE();
	dir = cli_tmpdir();
	cfg = ht_fmt("%s/config", dir);
	file = ht_fmt("%s/notes.txt", dir);
	got = ht_fmt("%s/got.txt", dir);
	again = ht_fmt("%s/again.txt", dir);
	name = ht_fmt("cli notes %s.txt", W.tag);
	data = ht_fmt("CLI round trip %s\nsecond line\n", W.tag);
	cli_write(file, data, strlen(data));
	/* the client keeps its token under $XDG_CONFIG_HOME */
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", cfg, 1), 0);
	ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", W.a.admin.password, 1), 0);

	/* without a token: refused, exit 1 */
	{
		const char *args[] = {"upload", W.eng_ax, file, NULL};

		out = cli_run(&st, args);
		ck_assert_msg(st == 1, "anonymous upload: exit %d: %s", st, out);
		free(out);
	}
	{
		const char *args[] = {"login", W.a.admin.email, NULL};

		out = cli_run(&st, args);
		ck_assert_msg(st == 0, "login: exit %d: %s", st, out);
		free(out);
	}
	{
		char *tok = ht_fmt("%s/lockstep/token", cfg);
		char *dev = ht_fmt("%s/lockstep/device", cfg);
		char line[512] = "";
		struct stat sb;
		FILE *f;

		ck_assert_int_eq(stat(tok, &sb), 0);
		ck_assert_int_eq(sb.st_mode & 077, 0);
		/* the device cookie is kept too, private, bound to this server */
		ck_assert_int_eq(stat(dev, &sb), 0);
		ck_assert_int_eq(sb.st_mode & 077, 0);
		f = fopen(dev, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
		fclose(f);
		ck_assert_msg(strncmp(line, ht_env("LOCKSTEP_TEST_URL"),
		                      strlen(ht_env("LOCKSTEP_TEST_URL"))) == 0 &&
		                  line[strlen(ht_env("LOCKSTEP_TEST_URL"))] == ' ',
		              "device file: %s", line);
		free(tok);
		free(dev);
	}
	{
		/* a second log-in sends it back and gets a fresh one */
		const char *args[] = {"login", W.a.admin.email, NULL};

		out = cli_run(&st, args);
		ck_assert_msg(st == 0, "second login: exit %d: %s", st, out);
		free(out);
	}
	{
		const char *args[] = {"upload", W.eng_ax, file,         "--name",
		                      name,     "--type", "text/plain", NULL};

		out = cli_run(&st, args);
		ck_assert_msg(st == 0, "upload: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_ptr_nonnull(
		    json_string_value(json_object_get(json_object_get(j, "receipt"), "id")));
		id =
		    strdup(json_string_value(json_object_get(json_object_get(j, "receipt"), "id")));
		ck_assert_str_eq(
		    json_string_value(json_object_get(json_object_get(j, "receipt"), "name")),
		    name);
		ck_assert_int_eq(
		    json_integer_value(json_object_get(json_object_get(j, "receipt"), "size")),
		    strlen(data));
		json_decref(j);
		free(out);
	}
	{
		const char *args[] = {"download", id, got, NULL};

		out = cli_run(&st, args);
		ck_assert_msg(st == 0, "download: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_msg(json_is_true(json_object_get(j, "verified")), "%s", out);
		json_decref(j);
		free(out);
		back = cli_read(got, &n);
		ck_assert_uint_eq(n, strlen(data));
		ck_assert_mem_eq(back, data, n);
		free(back);
	}
	/* never overwrites */
	{
		const char *args[] = {"download", id, got, NULL};

		out = cli_run(&st, args);
		ck_assert_msg(st == 1, "download over an existing file: exit %d: %s", st, out);
		free(out);
		back = cli_read(got, &n);
		ck_assert_mem_eq(back, data, strlen(data));
		free(back);
	}
	/* after logout the token is gone: refused, and no file is left */
	{
		const char *lo[] = {"logout", NULL};
		const char *args[] = {"download", id, again, NULL};

		out = cli_run(&st, lo);
		ck_assert_msg(st == 0, "logout: exit %d: %s", st, out);
		free(out);
		out = cli_run(&st, args);
		ck_assert_msg(st == 1, "download after logout: exit %d: %s", st, out);
		free(out);
		ck_assert_int_ne(access(again, F_OK), 0);
	}
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	cli_rmrf(dir);
	free(id);
	free(dir);
	free(cfg);
	free(file);
	free(got);
	free(again);
	free(name);
	free(data);
}
END_TEST

/* ------------------------------------------- resumable upload, refusals */

/* The names in dir other than . and .. (at most 8, malloc'd, *n of them). */
static int
cli_list_dir(const char *dir, char *names[8])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < 8)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	return n;
}

/* Log the client in as a (XDG_CONFIG_HOME=cfg). */
static void
cli_login(const char *cfg, const struct ht_actor *a)
{
	const char *args[] = {"login", a->email, NULL};
	char *out;
	int st;

	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", cfg, 1), 0);
	ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", a->password, 1), 0);
	out = cli_run(&st, args);
	ck_assert_msg(st == 0, "login: exit %d: %s", st, out);
	free(out);
}

/*
 * An upload stopped part-way (as Ctrl-C would stop it) keeps its state;
 * running the same command again resumes the same upload (the receipt's
 * id is the upload's) instead of starting over, and the result is whole.
 */
START_TEST(test_upload_resume)
{
	const size_t size = 5u * 1024 * 1024 + 123;
	char *dir, *cfg, *file, *got, *updir, *state, *out, *name, *data, *back, *id;
	char *names[8], hex[65];
	unsigned char md[32];
	size_t n;
	json_t *j;
	int st, k;

	CLI_REQUIRE();
	dir = cli_tmpdir();
	cfg = ht_fmt("%s/config", dir);
	file = ht_fmt("%s/big.bin", dir);
	got = ht_fmt("%s/got.bin", dir);
	updir = ht_fmt("%s/lockstep/uploads", cfg);
	name = ht_fmt("resumed %s.bin", W.tag);
	data = malloc(size);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)((i * 7919u + i / 4096u) & 0xff);
	cli_write(file, data, size);
	ck_assert_int_eq(crypto_sha256(data, size, md), 0);
	util_hex_encode(md, sizeof(md), hex);
	cli_login(cfg, &W.a.admin);
	{
		const char *args[] = {"upload", W.eng_ax, file, "--name", name, NULL};

		/* the first run stops after 2.5 MiB, as if interrupted */
		ck_assert_int_eq(setenv("LOCKSTEP_TEST_UPLOAD_STOP_AFTER", "2621440", 1), 0);
		out = cli_run(&st, args);
		unsetenv("LOCKSTEP_TEST_UPLOAD_STOP_AFTER");
		ck_assert_msg(st == 1, "interrupted upload: exit %d: %s", st, out);
		ck_assert_str_eq(out, "");
		free(out);
		k = cli_list_dir(updir, names);
		ck_assert_msg(k == 1, "%d state files in %s", k, updir);
		state = ht_fmt("%s/%s", updir, names[0]);
		free(names[0]);
		back = cli_read(state, &n);
		ck_assert_msg(strncmp(back, "/api/v1/uploads/", 16) == 0, "state: %s", back);
		back[strcspn(back, "\n")] = '\0';
		id = strdup(back + 16);
		free(back);
		/* nothing is evidence yet */
		{
			char *p = ht_fmt("/api/v1/evidence/%s/receipt", id);
			struct ht_resp *r = ht_request("GET", p, W.a.admin.token, NULL);

			HT_ASSERT_STATUS(r, 404);
			ht_resp_free(r);
			free(p);
		}

		/* the second run resumes the same upload and completes it */
		out = cli_run(&st, args);
		ck_assert_msg(st == 0, "resumed upload: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_str_eq(
		    json_string_value(json_object_get(json_object_get(j, "receipt"), "id")), id);
		ck_assert_str_eq(
		    json_string_value(json_object_get(json_object_get(j, "receipt"), "sha256")),
		    hex);
		ck_assert_int_eq(
		    json_integer_value(json_object_get(json_object_get(j, "receipt"), "size")),
		    (json_int_t)size);
		json_decref(j);
		free(out);
		ck_assert_msg(access(state, F_OK) != 0, "the state file is left after success");
	}
	{
		const char *args[] = {"download", id, got, NULL};

		out = cli_run(&st, args);
		ck_assert_msg(st == 0, "download: exit %d: %s", st, out);
		free(out);
		back = cli_read(got, &n);
		ck_assert_uint_eq(n, size);
		ck_assert_msg(memcmp(back, data, size) == 0, "the downloaded bytes differ");
		free(back);
	}
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	cli_rmrf(dir);
	free(state);
	free(id);
	free(data);
	free(name);
	free(updir);
	free(got);
	free(file);
	free(cfg);
	free(dir);
}
END_TEST

/*
 * A connection dropped in the middle of an upload (once, after 1.5 MiB)
 * is resumed in the same run from the server's offset; the result is
 * whole and no state is left behind.
 */
START_TEST(test_upload_dropped_connection)
{
	const size_t size = 3u * 1024 * 1024 + 7;
	char *dir, *cfg, *file, *updir, *out, *data, *names[8], hex[65];
	unsigned char md[32];
	json_t *j;
	int st;

	CLI_REQUIRE();
	dir = cli_tmpdir();
	cfg = ht_fmt("%s/config", dir);
	file = ht_fmt("%s/dropped.bin", dir);
	updir = ht_fmt("%s/lockstep/uploads", cfg);
	data = malloc(size);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)((i * 31u + 17u) & 0xff);
	cli_write(file, data, size);
	ck_assert_int_eq(crypto_sha256(data, size, md), 0);
	util_hex_encode(md, sizeof(md), hex);
	cli_login(cfg, &W.x.admin);
	{
		const char *args[] = {"upload", W.eng_ax, file, NULL};

		ck_assert_int_eq(setenv("LOCKSTEP_TEST_UPLOAD_DROP_AFTER", "1572864", 1), 0);
		out = cli_run(&st, args);
		unsetenv("LOCKSTEP_TEST_UPLOAD_DROP_AFTER");
		ck_assert_msg(st == 0, "upload with a dropped connection: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_str_eq(
		    json_string_value(json_object_get(json_object_get(j, "receipt"), "sha256")),
		    hex);
		ck_assert_int_eq(
		    json_integer_value(json_object_get(json_object_get(j, "receipt"), "size")),
		    (json_int_t)size);
		json_decref(j);
		free(out);
	}
	ck_assert_int_eq(cli_list_dir(updir, names), 0);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	cli_rmrf(dir);
	free(data);
	free(updir);
	free(file);
	free(cfg);
	free(dir);
}
END_TEST

/*
 * Refusals: an upload to an engagement that is not the caller's exits 1
 * and leaves no state behind; a download of an unknown id exits 1 and
 * leaves no file; the generic calls report the server's refusal.
 */
START_TEST(test_refusals)
{
	char *dir, *cfg, *file, *got, *updir, *out, *names[8];
	char missing[37];
	int st;

	CLI_REQUIRE();
	dir = cli_tmpdir();
	cfg = ht_fmt("%s/config", dir);
	file = ht_fmt("%s/f.txt", dir);
	got = ht_fmt("%s/got.txt", dir);
	updir = ht_fmt("%s/lockstep/uploads", cfg);
	cli_write(file, "x\n", 2);
	ht_random_uuid(missing);
	cli_login(cfg, &W.a.admin);
	{
		/* B's engagement is not A's: 404 like an unknown one */
		const char *a1[] = {"upload", W.eng_by, file, NULL};
		const char *a2[] = {"upload", missing, file, NULL};

		out = cli_run(&st, a1);
		ck_assert_msg(st == 1, "upload to B's engagement: exit %d: %s", st, out);
		ck_assert_str_eq(out, "");
		free(out);
		out = cli_run(&st, a2);
		ck_assert_msg(st == 1, "upload to no engagement: exit %d: %s", st, out);
		free(out);
		ck_assert_int_eq(cli_list_dir(updir, names), 0);
	}
	{
		const char *args[] = {"download", missing, got, NULL};

		out = cli_run(&st, args);
		ck_assert_msg(st == 1, "download of nothing: exit %d: %s", st, out);
		free(out);
		ck_assert_msg(access(got, F_OK) != 0, "a file is left after a refused download");
	}
	{
		char *path = ht_fmt("/api/v1/findings/%s", W.finding_b);
		const char *me[] = {"me", NULL};
		const char *foreign[] = {"get", path, NULL};
		const char *list[] = {"get", "engagements", NULL};
		json_t *j;

		out = cli_run(&st, me);
		ck_assert_msg(st == 0, "me: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_str_eq(
		    json_string_value(json_object_get(json_object_get(j, "user"), "email")),
		    W.a.admin.email);
		json_decref(j);
		free(out);
		out = cli_run(&st, list);
		ck_assert_msg(st == 0, "get engagements: exit %d: %s", st, out);
		ck_assert_msg(strstr(out, W.eng_ax) != NULL && strstr(out, W.eng_by) == NULL,
		              "A's engagements: %s", out);
		free(out);
		/* B's finding: 404, exit 1, nothing on stdout */
		out = cli_run(&st, foreign);
		ck_assert_msg(st == 1, "B's finding as A: exit %d: %s", st, out);
		ck_assert_str_eq(out, "");
		free(out);
		free(path);
	}
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	cli_rmrf(dir);
	free(updir);
	free(got);
	free(file);
	free(cfg);
	free(dir);
}
END_TEST

/*
 * name-check: in a pseudonymous campaign a text naming company B holds
 * (exit 1, the span printed); a clean text does not (exit 0); another
 * tenant's engagement is refused (exit 1, nothing printed).
 */
START_TEST(test_name_check)
{
	char *dir, *cfg, *clean, *naming, *out, *slug, *title, *camp, *path, *eng, *text, *at;
	json_t *j;
	int st;

	CLI_REQUIRE();
	slug = ht_unique("clinc");
	title = ht_fmt("CLI name-check %s", slug);
	at = ht_future_time(30);
	camp = cli_call("/api/v1/campaigns", W.coord.token,
	                json_pack("{s:s, s:s, s:[s], s:s, s:s, s:i}", "title", title, "slug", slug,
	                          "threat_models", "WEIGHTS-EXFIL", "release_at", at, "disclosure",
	                          "pseudonymous", "min_cohort", 1));
	ck_assert_msg(camp != NULL, "campaign: %s", Err);
	path = ht_fmt("/api/v1/campaigns/%s/engagements", camp);
	eng = cli_call(path, W.coord.token,
	               json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.a.org_id,
	                         "assessor_org", W.x.org_id, "scope", "CLI name-check scope",
	                         "lead_assessors", "Xena Lead"));
	ck_assert_msg(eng != NULL, "engagement: %s", Err);
	dir = cli_tmpdir();
	cfg = ht_fmt("%s/config", dir);
	clean = ht_fmt("%s/clean.txt", dir);
	naming = ht_fmt("%s/naming.txt", dir);
	cli_write(clean, "We fixed it.\n", 13);
	text = ht_fmt("Unlike %s, we fixed it.\n", W.b.org_name);
	cli_write(naming, text, strlen(text));
	cli_login(cfg, &W.a.admin);
	{
		const char *ok[] = {"name-check", eng, clean, NULL};
		const char *hold[] = {"name-check", eng, naming, NULL};
		const char *foreign[] = {"name-check", W.eng_by, clean, NULL};

		out = cli_run(&st, ok);
		ck_assert_msg(st == 0, "clean text: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_msg(json_is_false(json_object_get(j, "hold")), "%s", out);
		json_decref(j);
		free(out);
		out = cli_run(&st, hold);
		ck_assert_msg(st == 1, "text naming B: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_msg(json_is_true(json_object_get(j, "hold")), "%s", out);
		ck_assert_str_eq(json_string_value(json_object_get(
		                     json_array_get(json_object_get(j, "spans"), 0), "text")),
		                 W.b.org_name);
		json_decref(j);
		free(out);
		out = cli_run(&st, foreign);
		ck_assert_msg(st == 1, "B's engagement as A: exit %d: %s", st, out);
		ck_assert_str_eq(out, "");
		free(out);
	}
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	cli_rmrf(dir);
	free(text);
	free(naming);
	free(clean);
	free(cfg);
	free(dir);
	free(eng);
	free(path);
	free(camp);
	free(at);
	free(title);
	free(slug);
}
END_TEST

/*
 * The workflow commands: the assessor moves the engagement (a refused move
 * exits 1), the company reads the review draft and signs it off by its hash
 * (a wrong or malformed hash is refused), the coordinator reads the dashboard.
 */
START_TEST(test_workflow_commands)
{
	char *slug = ht_unique("cliwf"), *title = ht_fmt("CLI workflow %s", slug);
	char *at = ht_future_time(2), *camp, *path, *eng, *dir, *cfg, *out, *hash = NULL;
	const char *zero = "00000000000000000000000000000000000000000000000000000000000000aa";
	json_t *j;
	int st;

	CLI_REQUIRE();
	/* released in 2 days: the review window (72 h before) is open at once */
	camp = cli_call("/api/v1/campaigns", W.coord.token,
	                json_pack("{s:s, s:s, s:[s], s:s, s:s}", "title", title, "slug", slug,
	                          "threat_models", "WEIGHTS-EXFIL", "release_at", at, "disclosure",
	                          "named"));
	ck_assert_msg(camp != NULL, "campaign: %s", Err);
	path = ht_fmt("/api/v1/campaigns/%s/engagements", camp);
	eng = cli_call(path, W.coord.token,
	               json_pack("{s:s, s:s, s:s, s:[s]}", "company_org", W.a.org_id,
	                         "assessor_org", W.x.org_id, "scope", "CLI workflow scope",
	                         "lead_assessors", "Xena Lead"));
	ck_assert_msg(eng != NULL, "engagement: %s", Err);
	dir = cli_tmpdir();
	cfg = ht_fmt("%s/config", dir);
	cli_login(cfg, &W.x.admin);
	{
		const char *go[] = {"stage", eng, "fieldwork", NULL};
		const char *bad[] = {"stage", eng, "closed", NULL};

		out = cli_run(&st, go);
		ck_assert_msg(st == 0, "stage fieldwork: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "fieldwork");
		json_decref(j);
		free(out);
		out = cli_run(&st, bad);
		ck_assert_msg(st == 1, "stage closed from fieldwork: exit %d: %s", st, out);
		free(out);
	}
	cli_login(cfg, &W.a.admin);
	{
		const char *review[] = {"review", eng, NULL};
		const char *wrong[] = {"sign-off", eng, zero, NULL};
		const char *stage[] = {"stage", eng, "reporting", NULL};

		for (int i = 0; i < 100 && hash == NULL; i++) {
			out = cli_run(&st, review);
			ck_assert_msg(st == 0, "review: exit %d: %s", st, out);
			j = cli_json(out);
			if (json_is_object(json_object_get(j, "draft")))
				hash = strdup(json_string_value(
				    json_object_get(json_object_get(j, "draft"), "hash")));
			json_decref(j);
			free(out);
			if (hash == NULL)
				usleep(100000);
		}
		ck_assert_msg(hash != NULL, "no review draft within 10 s");
		out = cli_run(&st, wrong);
		ck_assert_msg(st == 1, "sign-off with another hash: exit %d: %s", st, out);
		free(out);
		/* the company does not move the engagement */
		out = cli_run(&st, stage);
		ck_assert_msg(st == 1, "stage as the company: exit %d: %s", st, out);
		free(out);
		{
			const char *ok[] = {"sign-off", eng, hash, NULL};

			out = cli_run(&st, ok);
			ck_assert_msg(st == 0, "sign-off: exit %d: %s", st, out);
			j = cli_json(out);
			ck_assert_str_eq(json_string_value(json_object_get(j, "state")),
			                 "signed-off");
			json_decref(j);
			free(out);
		}
	}
	cli_login(cfg, &W.coord);
	{
		const char *dash[] = {"dashboard", camp, NULL};

		out = cli_run(&st, dash);
		ck_assert_msg(st == 0, "dashboard: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_str_eq(json_string_value(json_object_get(
		                     json_array_get(json_object_get(j, "rows"), 0), "stage")),
		                 "fieldwork");
		ck_assert_msg(strstr(out, "CLI workflow scope") == NULL,
		              "dashboard shows the scope");
		json_decref(j);
		free(out);
	}
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	cli_rmrf(dir);
	free(hash);
	free(cfg);
	free(dir);
	free(eng);
	free(path);
	free(camp);
	free(at);
	free(title);
	free(slug);
}
END_TEST

/* comment, inbox, inbox-read: the conversation and the inbox from the command line. */
START_TEST(test_comment_inbox)
{
	char *dir, *cfg, *file, *out, *text;
	json_t *j, *items;
	int st;

	CLI_REQUIRE();
	dir = cli_tmpdir();
	cfg = ht_fmt("%s/config", dir);
	file = ht_fmt("%s/comment.txt", dir);
	text = ht_unique("cli-comment");
	cli_write(file, text, strlen(text));
	cli_login(cfg, &W.a.admin);
	{
		const char *ok[] = {"comment", W.finding_a, file, NULL};
		const char *foreign[] = {"comment", W.finding_b, file, NULL};
		const char *bad[] = {"comment", "not-a-uuid", file, NULL};

		out = cli_run(&st, ok);
		ck_assert_msg(st == 0, "comment: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_str_eq(json_string_value(json_object_get(j, "body")), text);
		json_decref(j);
		free(out);
		out = cli_run(&st, foreign);
		ck_assert_msg(st == 1, "comment on B's finding as A: exit %d: %s", st, out);
		free(out);
		out = cli_run(&st, bad);
		ck_assert_msg(st == 2, "malformed id: exit %d", st);
		free(out);
	}
	/* X hears of it */
	cli_login(cfg, &W.x.admin);
	{
		const char *inbox[] = {"inbox", "unread", NULL};
		const char *all[] = {"inbox-read", "all", NULL};
		const char *bad[] = {"inbox", "everything", NULL};

		out = cli_run(&st, inbox);
		ck_assert_msg(st == 0, "inbox: exit %d: %s", st, out);
		j = cli_json(out);
		items = json_object_get(j, "items");
		ck_assert_msg(json_array_size(items) >= 1 &&
		                  strstr(out, "finding.comment") != NULL &&
		                  strstr(out, text) == NULL,
		              "inbox: %s", out);
		json_decref(j);
		free(out);
		out = cli_run(&st, all);
		ck_assert_msg(st == 0, "inbox-read all: exit %d: %s", st, out);
		free(out);
		out = cli_run(&st, inbox);
		j = cli_json(out);
		ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
		json_decref(j);
		free(out);
		out = cli_run(&st, bad);
		ck_assert_msg(st == 2, "inbox everything: exit %d", st);
		free(out);
	}
	/* mail: show, off, on; anything else is a usage error that changes nothing */
	{
		const char *show[] = {"mail", NULL};
		const char *off[] = {"mail", "off", NULL};
		const char *on[] = {"mail", "on", NULL};
		const char *bad[] = {"mail", "sometimes", NULL};

		out = cli_run(&st, off);
		ck_assert_msg(st == 0, "mail off: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_msg(json_is_false(json_object_get(j, "email")), "mail off: %s", out);
		json_decref(j);
		free(out);
		out = cli_run(&st, bad);
		ck_assert_msg(st == 2, "mail sometimes: exit %d", st);
		free(out);
		out = cli_run(&st, show);
		ck_assert_msg(st == 0, "mail: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_msg(json_is_false(json_object_get(j, "email")), "mail: %s", out);
		json_decref(j);
		free(out);
		out = cli_run(&st, on);
		j = cli_json(out);
		ck_assert_msg(st == 0 && json_is_true(json_object_get(j, "email")), "mail on: %s",
		              out);
		json_decref(j);
		free(out);
	}
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	cli_rmrf(dir);
	free(text);
	free(file);
	free(cfg);
	free(dir);
}
END_TEST

/*
 * import: a CSV file into A×X as X (then again: nothing new), a file with a
 * bad row (exit 1, nothing imported), another firm's engagement (exit 1);
 * export: the CSV lands in a new file, never over an existing one.
 */
START_TEST(test_import_export)
{
	char *dir, *cfg, *good, *bad, *out, *csvout, *tag, *text, *data;
	size_t n;
	json_t *j;
	int st;

	CLI_REQUIRE();
	dir = cli_tmpdir();
	cfg = ht_fmt("%s/config", dir);
	good = ht_fmt("%s/good.csv", dir);
	bad = ht_fmt("%s/bad.csv", dir);
	csvout = ht_fmt("%s/out.csv", dir);
	tag = ht_unique("cliimp");
	text = ht_fmt("title,detail,severity,cwe\r\n\"CLI import %s, one\",\"a\nb\",high,CWE-79\r\n"
	              "CLI import %s two,plain,low,\r\n",
	              tag, tag);
	cli_write(good, text, strlen(text));
	free(text);
	text = ht_fmt("title,detail,severity\nCLI bad %s,d,low\nCLI bad2 %s,d,severe\n", tag, tag);
	cli_write(bad, text, strlen(text));
	free(text);
	cli_login(cfg, &W.x.admin);
	{
		const char *imp[] = {
		    "import",        good, "--engagement", W.eng_ax, "--threat-model",
		    "WEIGHTS-EXFIL", NULL};
		const char *imp_bad[] = {
		    "import",        bad, "--engagement", W.eng_ax, "--threat-model",
		    "WEIGHTS-EXFIL", NULL};
		const char *foreign[] = {
		    "import",        good, "--engagement", W.eng_by, "--threat-model",
		    "WEIGHTS-EXFIL", NULL};
		const char *noeng[] = {"import", good, NULL};
		const char *exp[] = {"export", W.eng_ax, "--out", csvout, NULL};

		out = cli_run(&st, imp);
		ck_assert_msg(st == 0, "import: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "created")), 2);
		json_decref(j);
		free(out);
		out = cli_run(&st, imp);
		ck_assert_msg(st == 0, "import again: exit %d: %s", st, out);
		j = cli_json(out);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "created")), 0);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "already_present")), 2);
		json_decref(j);
		free(out);
		out = cli_run(&st, imp_bad);
		ck_assert_msg(st == 1 && out[0] == '\0', "bad row: exit %d: %s", st, out);
		free(out);
		out = cli_run(&st, foreign);
		ck_assert_msg(st == 1 && out[0] == '\0', "foreign: exit %d: %s", st, out);
		free(out);
		out = cli_run(&st, noeng);
		ck_assert_msg(st == 2, "no --engagement: exit %d: %s", st, out);
		free(out);

		out = cli_run(&st, exp);
		ck_assert_msg(st == 0, "export: exit %d: %s", st, out);
		free(out);
		data = cli_read(csvout, &n);
		ck_assert_msg(strncmp(data, "threat_model,title,", 19) == 0, "%s", data);
		text = ht_fmt("CLI import %s two", tag);
		ck_assert_msg(strstr(data, text) != NULL, "exported: %s", data);
		free(text);
		text = ht_fmt("CLI bad %s", tag);
		ck_assert_msg(strstr(data, text) == NULL, "the bad file left something: %s", data);
		free(text);
		free(data);
		out = cli_run(&st, exp);
		ck_assert_msg(st == 1, "export over an existing file: exit %d", st);
		free(out);
		{
			char *oscal = ht_fmt("%s/ar.json", dir);
			const char *exp_oscal[] = {"export",   W.eng_ax, "--out", oscal,
			                           "--format", "oscal",  NULL};
			json_t *doc;

			out = cli_run(&st, exp_oscal);
			ck_assert_msg(st == 0, "export oscal: exit %d: %s", st, out);
			free(out);
			data = cli_read(oscal, &n);
			doc = cli_json(data);
			ck_assert_msg(json_object_get(doc, "assessment-results") != NULL, "%s",
			              data);
			json_decref(doc);
			free(data);
			free(oscal);
		}
		{
			char *html = ht_fmt("%s/report.html", dir),
			     *pdf = ht_fmt("%s/report.pdf", dir);
			const char *rep[] = {"report", W.eng_ax, "--out", html, NULL};
			const char *rep_pdf[] = {"report", W.eng_ax, "--out", html,
			                         "--pdf",  pdf,      NULL};
			const char *rep_foreign[] = {"report", W.eng_by, "--out", pdf, NULL};

			out = cli_run(&st, rep);
			ck_assert_msg(st == 0, "report: exit %d: %s", st, out);
			free(out);
			data = cli_read(html, &n);
			ck_assert_msg(strstr(data, "<style>") != NULL &&
			                  strstr(data, "@media print"),
			              "the stylesheet is not inline");
			ck_assert_msg(strstr(data, W.mark_a) != NULL, "the world's finding");
			free(data);
			out = cli_run(&st, rep_foreign);
			ck_assert_msg(st == 1, "report of another firm's engagement: exit %d", st);
			free(out);
			ck_assert_msg(access(pdf, F_OK) != 0, "a refused report left a file");
			unlink(html);
			if (access("/usr/bin/chromium", X_OK) != 0 &&
			    getenv("LOCKSTEP_CHROMIUM") == NULL)
				ht_skip("no Chromium to test report --pdf with");
			out = cli_run(&st, rep_pdf);
			ck_assert_msg(st == 0, "report --pdf: exit %d: %s", st, out);
			free(out);
			data = cli_read(pdf, &n);
			ck_assert_msg(n > 1000 && memcmp(data, "%PDF-", 5) == 0,
			              "not a PDF (%zu bytes)", n);
			free(data);
			free(html);
			free(pdf);
		}
	}
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	cli_rmrf(dir);
	free(tag);
	free(csvout);
	free(bad);
	free(good);
	free(cfg);
	free(dir);
}
END_TEST

/* Usage errors of every command exit 2 and print nothing on stdout. */
/* The value after "secret=" in the enrolment's output (malloc'd). */
static char *
cli_secret_of(const char *out)
{
	const char *p = strstr(out, "secret=");
	size_t n;

	ck_assert_msg(p != NULL, "no secret in: %s", out);
	p += 7;
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	ck_assert_uint_eq(n, 32);
	return strndup(p, n);
}

/* The TOTP code of a base32 secret at now + offset seconds. */
static void
cli_code_at(const char *secret, long long offset, char out[9])
{
	unsigned char key[20];
	unsigned buf = 0;
	int bits = 0;
	size_t k = 0;

	for (const char *c = secret; *c != '\0'; c++) {
		const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

		buf = (buf << 5) | (unsigned)(strchr(alpha, *c) - alpha);
		bits += 5;
		if (bits >= 8 && k < sizeof(key)) {
			key[k++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	ck_assert_uint_eq(k, sizeof(key));
	ck_assert_int_eq(
	    crypto_totp_code(key, k, (long long)time(NULL) + offset, 30, 6, CRYPTO_TOTP_SHA1, out),
	    0);
}

/* The current TOTP code of a base32 secret. */
static void
cli_code(const char *secret, char out[9])
{
	cli_code_at(secret, 0, out);
}

/*
 * totp enrol (with the QR code written as SVG), totp confirm, a log-in that
 * needs the second factor, and token create/list/revoke.
 */
START_TEST(test_totp_and_tokens)
{
	struct ht_actor u;
	char err[512], *cfg, *out, *secret, *qr, code[9], rc[20], *tok_id = NULL;
	const char *enrol[] = {"totp", "enrol", "--qr", NULL, NULL};
	const char *confirm[] = {"totp", "confirm", code, NULL};
	const char *logout[] = {"logout", NULL};
	const char *login[] = {"login", NULL, NULL};
	const char *create[] = {
	    "token", "create", "ci", "--days", "3", "--scopes", "read,findings:write", NULL};
	const char *create_bad[] = {"token", "create", "ci", "--scopes", "read,root", NULL};
	const char *list[] = {"token", "list", NULL};
	const char *revoke[] = {"token", "revoke", NULL, NULL};
	const char *status[] = {"totp", "status", NULL};
	json_t *j;
	size_t n;
	int st;

	CLI_REQUIRE();
	ck_assert_msg(ht_make_user(W.b.admin.token, W.b.org_id, "member", &u, err, sizeof(err)) ==
	                  0,
	              "%s", err);
	cfg = cli_tmpdir();
	cli_login(cfg, &u);
	qr = ht_fmt("%s/qr.svg", cfg);
	enrol[3] = qr;
	out = cli_run(&st, enrol);
	ck_assert_msg(st == 0, "totp enrol: exit %d: %s", st, out);
	ck_assert_ptr_nonnull(strstr(out, "otpauth://totp/lockstep:"));
	ck_assert_ptr_nonnull(strstr(out, "totp confirm CODE"));
	secret = cli_secret_of(out);
	free(out);
	out = cli_read(qr, &n);
	ck_assert_msg(strncmp(out, "<svg ", 5) == 0, "%s", out);
	free(out);
	/* the QR file is never overwritten */
	out = cli_run(&st, enrol);
	ck_assert_int_eq(st, 1);
	free(out);

	cli_code(secret, code);
	out = cli_run(&st, confirm);
	ck_assert_msg(st == 0, "totp confirm: exit %d: %s", st, out);
	{
		const char *p = strstr(out, "\n  ");

		ck_assert_msg(p != NULL, "no recovery codes: %s", out);
		snprintf(rc, sizeof(rc), "%.19s", p + 3);
		ck_assert_msg(strlen(rc) == 19 && rc[4] == '-', "%s", rc);
	}
	free(out);
	out = cli_run(&st, status);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, "\"enabled\": true"));
	free(out);
	/* new recovery codes with the next step's code; the login below uses one of them */
	{
		char next[9];
		const char *regen[] = {"totp", "recovery-codes", next, NULL};
		const char *p;

		cli_code_at(secret, 30, next);
		out = cli_run(&st, regen);
		ck_assert_msg(st == 0, "totp recovery-codes: exit %d: %s", st, out);
		ck_assert_ptr_nonnull(strstr(out, "old ones no longer work"));
		p = strstr(out, "\n  ");
		ck_assert_ptr_nonnull(p);
		snprintf(rc, sizeof(rc), "%.19s", p + 3);
		free(out);
	}

	/* log-in now needs the second factor: without one (no terminal), refused */
	out = cli_run(&st, logout);
	ck_assert_int_eq(st, 0);
	free(out);
	login[1] = u.email;
	unsetenv("LOCKSTEP_TOTP_CODE");
	out = cli_run(&st, login);
	ck_assert_int_ne(st, 0);
	free(out);
	ck_assert_int_eq(setenv("LOCKSTEP_TOTP_CODE", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", 1), 0);
	out = cli_run(&st, login);
	ck_assert_int_eq(st, 1);
	free(out);
	ck_assert_int_eq(setenv("LOCKSTEP_TOTP_CODE", rc, 1), 0);
	out = cli_run(&st, login);
	ck_assert_msg(st == 0, "login with a recovery code: exit %d: %s", st, out);
	ck_assert_ptr_nonnull(strstr(out, u.user_id));
	free(out);
	unsetenv("LOCKSTEP_TOTP_CODE");

	/* tokens */
	out = cli_run(&st, create);
	ck_assert_msg(st == 0, "token create: exit %d: %s", st, out);
	j = cli_json(out);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(j, "token"))), 43);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "scopes")), 2);
	tok_id = strdup(json_string_value(json_object_get(j, "id")));
	json_decref(j);
	free(out);
	out = cli_run(&st, create_bad);
	ck_assert_int_eq(st, 1);
	free(out);
	out = cli_run(&st, list);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, tok_id));
	free(out);
	revoke[2] = tok_id;
	out = cli_run(&st, revoke);
	ck_assert_int_eq(st, 0);
	free(out);
	out = cli_run(&st, revoke);
	ck_assert_int_eq(st, 1); /* gone: 404 */
	free(out);

	/* totp disable without a code takes the password ($LOCKSTEP_PASSWORD) */
	{
		const char *disable[] = {"totp", "disable", NULL};

		ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", "not the password", 1), 0);
		out = cli_run(&st, disable);
		ck_assert_int_eq(st, 1);
		free(out);
		ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", u.password, 1), 0);
		out = cli_run(&st, disable);
		ck_assert_msg(st == 0, "totp disable: exit %d: %s", st, out);
		free(out);
		out = cli_run(&st, status);
		ck_assert_ptr_nonnull(strstr(out, "\"enabled\": false"));
		free(out);
	}

	unsetenv("XDG_CONFIG_HOME");
	unsetenv("LOCKSTEP_PASSWORD");
	cli_rmrf(cfg);
	free(tok_id);
	free(qr);
	free(secret);
	free(cfg);
	ht_actor_free(&u);
}
END_TEST

/*
 * lockstep set-password LINK and lockstep passwd: an invited person sets
 * a password from the link, logs in, changes it; the old one stops
 * working, a wrong current one is refused with the server's problem.
 */
START_TEST(test_passwd)
{
	char *cfg = cli_tmpdir(), *u = ht_unique("cli"), *email = ht_fmt("%s@example.test", u);
	char *p = ht_fmt("/api/v1/orgs/%s/invitations", W.a.org_id), *body, *link, *out;
	const char *set[] = {"set-password", NULL, NULL};
	const char *passwd[] = {"passwd", NULL};
	const char *login[] = {"login", email, NULL};
	const char *bad_link[] = {"set-password", "https://x/#link=short", NULL};
	struct ht_resp *r;
	int st;

	CLI_REQUIRE();
	body = ht_jdump(
	    json_pack("{s:s, s:s, s:s}", "email", email, "name", "Cli User", "role", "member"));
	r = ht_request("POST", p, W.a.admin.token, body);
	HT_ASSERT_STATUS(r, 201);
	link = strdup(ht_jstr(r, "link"));
	ht_resp_free(r);
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", cfg, 1), 0);
	/* a malformed link is a usage error, nothing sent */
	out = cli_run(&st, bad_link);
	ck_assert_int_eq(st, 2);
	free(out);
	/* a weak password: the server's problem, exit 1, the link still good */
	set[1] = link;
	ck_assert_int_eq(setenv("LOCKSTEP_NEW_PASSWORD", "short", 1), 0);
	out = cli_run(&st, set);
	ck_assert_int_eq(st, 1);
	free(out);
	ck_assert_int_eq(setenv("LOCKSTEP_NEW_PASSWORD", "set from the command line", 1), 0);
	out = cli_run(&st, set);
	ck_assert_msg(st == 0, "set-password: exit %d: %s", st, out);
	free(out);
	out = cli_run(&st, set);
	ck_assert_int_eq(st, 1); /* used up */
	free(out);
	ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", "set from the command line", 1), 0);
	out = cli_run(&st, login);
	ck_assert_msg(st == 0, "login: exit %d: %s", st, out);
	free(out);
	/* passwd with a wrong current password */
	ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", "not the current one", 1), 0);
	ck_assert_int_eq(setenv("LOCKSTEP_NEW_PASSWORD", "changed on the command line", 1), 0);
	out = cli_run(&st, passwd);
	ck_assert_int_eq(st, 1);
	free(out);
	ck_assert_int_eq(setenv("LOCKSTEP_PASSWORD", "set from the command line", 1), 0);
	out = cli_run(&st, passwd);
	ck_assert_msg(st == 0, "passwd: exit %d: %s", st, out);
	free(out);
	r = ht_login_resp(email, "set from the command line");
	HT_ASSERT_PROBLEM(r, 401, "bad-credentials");
	ht_resp_free(r);
	free(ht_login(email, "changed on the command line"));
	r = ht_login_resp(email, "changed on the command line");
	HT_ASSERT_STATUS(r, 201);
	ht_resp_free(r);
	unsetenv("LOCKSTEP_PASSWORD");
	unsetenv("LOCKSTEP_NEW_PASSWORD");
	ht_clear_login_failures();
	cli_rmrf(cfg);
	free(cfg);
	free(link);
	free(body);
	free(p);
	free(email);
	free(u);
}
END_TEST

START_TEST(test_usage)
{
	char eng[37];
	const char *upload_short[] = {"upload", NULL, NULL};
	const char *upload_bad_id[] = {"upload", "not-a-uuid", "/etc/hostname", NULL};
	const char *upload_bad_opt[] = {"upload", NULL, "/etc/hostname", "--bogus", NULL};
	const char *upload_no_val[] = {"upload", NULL, "/etc/hostname", "--name", NULL};
	const char *upload_bad_type[] = {"upload", NULL, "/etc/hostname", "--type", "a\tb", NULL};
	const char *upload_empty_name[] = {"upload", NULL, "/etc/hostname", "--name", "", NULL};
	const char *download_bad_id[] = {"download", "NOT-A-UUID", "/tmp/x", NULL};
	const char *download_extra[] = {"download", NULL, "/tmp/x", "/tmp/y", NULL};
	const char *receipt_bad_id[] = {"receipt", "x", NULL};
	const char *get_none[] = {"get", NULL};
	const char *get_space[] = {"get", "orgs list", NULL};
	const char *post_bad_json[] = {"post", "orgs", "{not json", NULL};
	const char *post_array[] = {"post", "orgs", "[1,2]", NULL};
	const char *login_none[] = {"login", NULL};
	const char *unknown[] = {"frobnicate", NULL};
	const char *nc_bad_id[] = {"name-check", "x", "/etc/hostname", NULL};
	const char *nc_no_file[] = {"name-check", NULL, "/nonexistent/text.txt", NULL};
	const char *nc_short[] = {"name-check", NULL, NULL};
	const char *totp_none[] = {"totp", NULL};
	const char *totp_bad[] = {"totp", "frobnicate", NULL};
	const char *totp_no_code[] = {"totp", "confirm", NULL};
	const char *totp_bad_code[] = {"totp", "confirm", "12 456", NULL};
	const char *totp_qr_confirm[] = {"totp", "confirm", "123456", "--qr", "/tmp/x", NULL};
	const char *token_none[] = {"token", "create", NULL};
	const char *token_days[] = {"token", "create", "ci", "--days", "0", NULL};
	const char *token_bad_id[] = {"token", "revoke", "x", NULL};
	const char *token_list_arg[] = {"token", "list", "x", NULL};
	const char *passwd_extra[] = {"passwd", "now", NULL};
	const char *set_none[] = {"set-password", NULL};
	const char *stage_bad_id[] = {"stage", "x", "fieldwork", NULL};
	const char *stage_short[] = {"stage", NULL, NULL};
	const char *so_bad_hash[] = {"sign-off", NULL, "abc", NULL};
	const char *resp_no_file[] = {
	    "respond", NULL, "0000000000000000000000000000000000000000000000000000000000000000",
	    "/nonexistent/text.txt", NULL};
	const char *dash_bad_id[] = {"dashboard", "NOT-A-UUID", NULL};
	const char **cases[] = {
	    upload_short,      upload_bad_id,   upload_bad_opt, upload_no_val,  upload_bad_type,
	    upload_empty_name, download_bad_id, download_extra, receipt_bad_id, get_none,
	    get_space,         post_bad_json,   post_array,     login_none,     unknown,
	    nc_bad_id,         nc_no_file,      nc_short,       passwd_extra,   set_none,
	    stage_bad_id,      stage_short,     so_bad_hash,    resp_no_file,   dash_bad_id,
	    totp_none,         totp_bad,        totp_no_code,   totp_bad_code,  totp_qr_confirm,
	    token_none,        token_days,      token_bad_id,   token_list_arg};
	char *out;
	int st;

	CLI_REQUIRE();
	ht_random_uuid(eng);
	upload_short[1] = eng;
	upload_bad_opt[1] = eng;
	upload_no_val[1] = eng;
	upload_bad_type[1] = eng;
	upload_empty_name[1] = eng;
	download_extra[1] = eng;
	nc_no_file[1] = eng;
	nc_short[1] = eng;
	stage_short[1] = eng;
	so_bad_hash[1] = eng;
	resp_no_file[1] = eng;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = cli_run(&st, cases[i]);
		ck_assert_msg(st == 2, "case %zu (%s %s): exit %d: %s", i, cases[i][0],
		              cases[i][1] ? cases[i][1] : "", st, out);
		ck_assert_str_eq(out, "");
		free(out);
	}
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_verify_server_key);
	tcase_add_test(tc, test_verify_pinned_key);
	tcase_add_test(tc, test_verify_other_key);
	tcase_add_test(tc, test_verify_unknown_and_embargoed);
	tcase_add_test(tc, test_verify_usage);
	tcase_add_test(tc, test_upload_download);
	tcase_add_test(tc, test_upload_resume);
	tcase_add_test(tc, test_upload_dropped_connection);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_name_check);
	tcase_add_test(tc, test_import_export);
	tcase_add_test(tc, test_totp_and_tokens);
	tcase_add_test(tc, test_passwd);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_comment_inbox);
	tcase_add_test(tc, test_workflow_commands);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	ht_init_or_skip();
	ht_clear_login_failures();
	if (ht_world_build(&W) != 0) {
		fprintf(stderr, "building the test world failed: %s\n", W.err);
		return 1;
	}
	cli_find_client();
	if (Cli[0] != '\0')
		cli_release();
	rc = ht_run_suite(cli_suite());
	free(Released);
	ht_world_free(&W);
	return rc;
}
