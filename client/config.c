/*
 * client/config.c: the token file (mode 0600, beside the URL of the
 * server it belongs to, never sent anywhere else), small private files,
 * and the password prompt.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"

int
client_config_dir(char *out, size_t outlen)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, outlen, "%s/lockstep", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, outlen, "%s/.config/lockstep", home);
	else
		return -1;
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int
client_mkdirs(const char *dir)
{
	char tmp[CLIENT_MAX_PATH];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, dir, len + 1);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

int
client_read_private(const char *path, char *out, size_t cap)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: %s: %s\n", client_progname, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		fprintf(
		    stderr,
		    "%s: %s: not a private regular file of yours (chmod 600 it, or log in again)\n",
		    client_progname, path);
		close(fd);
		return -1;
	}
	n = read(fd, out, cap - 1);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "%s: %s: %s\n", client_progname, path, strerror(errno));
		return -1;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 1;
}

int
client_write_private(const char *path, const char *data)
{
	char tmp[CLIENT_MAX_PATH];
	size_t len = strlen(data);
	int fd, ret = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto done;
	if (fchmod(fd, 0600) != 0 || write(fd, data, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		close(fd);
		(void)unlink(tmp);
		goto done;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		(void)unlink(tmp);
		goto done;
	}
	ret = 0;
done:
	if (ret != 0)
		fprintf(stderr, "%s: cannot write %s: %s\n", client_progname, path,
		        strerror(errno));
	return ret;
}

int
client_load_token(const char *base_url, char *token)
{
	char dir[CLIENT_MAX_PATH - 16], path[CLIENT_MAX_PATH], url[CLIENT_MAX_URL + 2];
	int rc;

	token[0] = '\0';
	if (client_config_dir(dir, sizeof(dir)) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/token", dir);
	if ((rc = client_read_private(path, token, CLIENT_MAX_TOKEN)) <= 0)
		return rc;
	snprintf(path, sizeof(path), "%s/url", dir);
	rc = client_read_private(path, url, sizeof(url));
	if (rc < 0 || (rc == 1 && strcmp(url, base_url) != 0)) {
		if (rc == 1) {
			fprintf(stderr, "%s: not sending the saved token: it belongs to ",
			        client_progname);
			client_put_clean_str(stderr, url);
			fprintf(stderr, " (log in again with --url)\n");
		}
		explicit_bzero(token, CLIENT_MAX_TOKEN);
		token[0] = '\0';
	}
	return rc < 0 ? -1 : 0;
}

int
client_read_file(const char *path, size_t max, struct client_buf *b)
{
	char chunk[4096];
	size_t n;
	FILE *f;
	int ret = -1;

	memset(b, 0, sizeof(*b));
	b->max = max;
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", client_progname, path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (client_buf_append(b, chunk, n) != 0)
			break;
	if (ferror(f) || b->overflow || !feof(f))
		fprintf(stderr, "%s: %s: cannot read it (or it is over %zu bytes)\n",
		        client_progname, path, max);
	else
		ret = 0;
	fclose(f);
	if (ret != 0)
		client_buf_free(b);
	return ret;
}

/* ---- the password prompt ---- */

static struct termios saved_tty;
static volatile sig_atomic_t tty_fd = -1;

static void
client_restore_tty(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

int
client_password_ask(const char *env_name, const char *prompt, char *out, size_t cap)
{
	const char *env = getenv(env_name);
	struct termios quiet;
	size_t len = 0;
	int fd, ret = -1;
	char c;

	if (env != NULL) {
		if (strlen(env) >= cap) {
			fprintf(stderr, "%s: %s is too long\n", client_progname, env_name);
			return -1;
		}
		strcpy(out, env);
		return 0;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: no terminal to ask for the password; set %s\n",
		        client_progname, env_name);
		return -1;
	}
	if (tcgetattr(fd, &saved_tty) != 0) {
		fprintf(stderr, "%s: cannot read the terminal settings\n", client_progname);
		close(fd);
		return -1;
	}
	quiet = saved_tty;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	tty_fd = fd;
	signal(SIGINT, client_restore_tty);
	signal(SIGTERM, client_restore_tty);
	signal(SIGHUP, client_restore_tty);
	(void)!write(fd, prompt, strlen(prompt));
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		goto done;
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (len + 1 >= cap) {
			fprintf(stderr, "%s: the answer is too long\n", client_progname);
			goto done;
		}
		out[len++] = c;
	}
	out[len] = '\0';
	ret = 0;
done:
	c = 0;
	tcsetattr(fd, TCSAFLUSH, &saved_tty);
	(void)!write(fd, "\n", 1);
	tty_fd = -1;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	close(fd);
	if (ret != 0)
		explicit_bzero(out, cap);
	return ret;
}

int
client_password(char *out, size_t cap)
{
	return client_password_ask("LOCKSTEP_PASSWORD", "Password: ", out, cap);
}

int
client_second_factor(char *out, size_t cap)
{
	return client_password_ask("LOCKSTEP_TOTP_CODE",
	                           "Authenticator code (or a recovery code): ", out, cap);
}
