/*
 * crypto/keyfile.c: secret files on disk. Reading refuses anything but a
 * regular file without group/other permission bits; creating uses
 * O_CREAT|O_EXCL with mode 0600 and fsyncs file and directory.
 * Symbolic links are followed when reading (secret mounts such as
 * Kubernetes' are symlinks); the checks apply to the file reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "util/util.h"

#define CRYPTO_KEYFILE_HEX_LEN (2 * CRYPTO_KEY_LEN)

int
crypto_file_read_private(const char *path, void *buf, size_t cap, size_t *len)
{
	unsigned char *p = buf;
	struct stat st;
	size_t total = 0;
	int fd = -1, ret = -1;

	*len = 0;
	/* O_NONBLOCK: a FIFO planted at path must not hang us before fstat. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		if (errno == ENOENT) {
			ret = 1;
			goto done;
		}
		crypto_set_error("%s: open: %s", path, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) == -1) {
		crypto_set_error("%s: fstat: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		crypto_set_error("%s: not a regular file", path);
		goto done;
	}
	if ((st.st_mode & 077) != 0) {
		crypto_set_error("%s: mode %04o grants group/other access; "
		                 "chmod 600 it",
		                 path, (unsigned)(st.st_mode & 07777));
		goto done;
	}
	for (;;) {
		unsigned char extra;
		ssize_t n;

		if (total == cap)
			n = read(fd, &extra, 1);
		else
			n = read(fd, p + total, cap - total);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			crypto_set_error("%s: read: %s", path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (total == cap) {
			OPENSSL_cleanse(&extra, 1);
			crypto_set_error("%s: file too large", path);
			goto done;
		}
		total += (size_t)n;
	}
	*len = total;
	ret = 0;
done:
	if (ret < 0 && p != NULL)
		OPENSSL_cleanse(p, total);
	if (fd != -1)
		close(fd);
	return ret;
}

/*
 * fsync the directory holding path so a new entry survives a crash.
 * Best effort: some file systems refuse fsync on a directory.
 */
static void
crypto_file_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int fd;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int
crypto_file_write_new(const char *path, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t done_len = 0;
	int fd = -1, created = 0, ret = -1;

	/* O_EXCL also refuses to follow a symlink at path. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd == -1) {
		if (errno == EEXIST) {
			ret = 1;
			goto done;
		}
		crypto_set_error("%s: create: %s", path, strerror(errno));
		goto done;
	}
	created = 1;
	while (done_len < len) {
		ssize_t n = write(fd, p + done_len, len - done_len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			crypto_set_error("%s: write: %s", path,
			                 n == 0 ? "short write" : strerror(errno));
			goto done;
		}
		done_len += (size_t)n;
	}
	if (fsync(fd) == -1) {
		crypto_set_error("%s: fsync: %s", path, strerror(errno));
		goto done;
	}
	if (close(fd) == -1) {
		fd = -1;
		crypto_set_error("%s: close: %s", path, strerror(errno));
		goto done;
	}
	fd = -1;
	crypto_file_sync_dir(path);
	ret = 0;
done:
	if (fd != -1)
		close(fd);
	if (ret < 0 && created)
		(void)unlink(path); /* leave no half-written secret */
	return ret;
}

/* Parse 64 hex digits, optionally followed by one '\n'. */
static int
crypto_keyfile_parse(const char *path, const char *buf, size_t len,
                     unsigned char key[CRYPTO_KEY_LEN])
{
	char hex[CRYPTO_KEYFILE_HEX_LEN + 1];
	int ret = -1;

	if (!(len == CRYPTO_KEYFILE_HEX_LEN ||
	      (len == CRYPTO_KEYFILE_HEX_LEN + 1 && buf[CRYPTO_KEYFILE_HEX_LEN] == '\n'))) {
		crypto_set_error("%s: expected %d hex characters and an "
		                 "optional newline",
		                 path, CRYPTO_KEYFILE_HEX_LEN);
		goto done;
	}
	memcpy(hex, buf, CRYPTO_KEYFILE_HEX_LEN);
	hex[CRYPTO_KEYFILE_HEX_LEN] = '\0';
	if (util_hex_decode(hex, key, CRYPTO_KEY_LEN) != 0) {
		crypto_set_error("%s: not a hex key", path);
		goto done;
	}
	ret = 0;
done:
	OPENSSL_cleanse(hex, sizeof(hex));
	return ret;
}

int
crypto_keyfile_load(const char *path, int create, unsigned char key[CRYPTO_KEY_LEN])
{
	char buf[CRYPTO_KEYFILE_HEX_LEN + 8];
	unsigned char fresh[CRYPTO_KEY_LEN];
	size_t len = 0;
	int attempt, rc, ret = -1;

	if (path == NULL || key == NULL) {
		crypto_set_error("keyfile: bad arguments");
		goto done;
	}
	/*
	 * Two rounds at most: if another process creates the file between
	 * our read and our O_EXCL create, read what it wrote.
	 */
	for (attempt = 0; attempt < 2; attempt++) {
		rc = crypto_file_read_private(path, buf, sizeof(buf), &len);
		if (rc < 0)
			goto done;
		if (rc == 0) {
			if (crypto_keyfile_parse(path, buf, len, key) != 0)
				goto done;
			ret = 0;
			goto done;
		}
		if (!create) {
			crypto_set_error("%s: no such key file", path);
			goto done;
		}
		if (crypto_random(fresh, sizeof(fresh)) != 0)
			goto done;
		util_hex_encode(fresh, sizeof(fresh), buf);
		buf[CRYPTO_KEYFILE_HEX_LEN] = '\n';
		rc = crypto_file_write_new(path, buf, CRYPTO_KEYFILE_HEX_LEN + 1);
		if (rc < 0)
			goto done;
		if (rc == 0) {
			memcpy(key, fresh, CRYPTO_KEY_LEN);
			ret = 0;
			goto done;
		}
	}
	crypto_set_error("%s: exists but cannot be opened (dangling symlink?)", path);
done:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	return ret;
}
