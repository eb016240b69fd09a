/*
 * api/password_policy.c: what a new password must be — at least
 * API_PASSWORD_MIN characters (code points), at most 1024 bytes, and not
 * one of the common passwords of sql/common-passwords.txt (loaded once at
 * start-up, compared without regard to ASCII case).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/log.h"

static char **policy_words; /* sorted, lower case; read-only after load */
static size_t policy_n;

static int
policy_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ASCII lower case copy of s into a new string, or NULL. */
static char *
policy_lower(const char *s)
{
	char *d = strdup(s);

	for (char *p = d; p != NULL && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return d;
}

int
api_password_policy_load(const char *sql_dir)
{
	char path[4096], line[1100];
	FILE *f;
	size_t cap = 0;

	snprintf(path, sizeof(path), "%s/common-passwords.txt", sql_dir);
	if ((f = fopen(path, "r")) == NULL) {
		log_event(LOG_LEVEL_ERROR, "common_passwords_missing",
		          json_pack("{s:s}", "path", path));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strcspn(line, "\r\n");

		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (policy_n == cap) {
			char **w = realloc(policy_words, (cap ? cap * 2 : 1024) * sizeof(*w));

			if (w == NULL)
				break;
			policy_words = w;
			cap = cap ? cap * 2 : 1024;
		}
		if ((policy_words[policy_n] = policy_lower(line)) == NULL)
			break;
		policy_n++;
	}
	fclose(f);
	qsort(policy_words, policy_n, sizeof(*policy_words), policy_cmp);
	log_event(LOG_LEVEL_INFO, "common_passwords_loaded",
	          json_pack("{s:i}", "count", (int)policy_n));
	return 0;
}

const char *
api_password_weak(const char *pw)
{
	size_t cps = 0;
	char *low;
	int common;

	for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
		if ((*p & 0xc0) != 0x80)
			cps++;
	if (cps < API_PASSWORD_MIN)
		return "too short (at least 12 characters)";
	if (strlen(pw) > API_PASSWORD_MAX)
		return "too long (at most 1024 bytes)";
	if ((low = policy_lower(pw)) == NULL)
		return "could not be checked";
	common = policy_n > 0 &&
	         bsearch(&low, policy_words, policy_n, sizeof(*policy_words), policy_cmp) != NULL;
	explicit_bzero(low, strlen(low));
	free(low);
	return common ? "a commonly used password" : NULL;
}
