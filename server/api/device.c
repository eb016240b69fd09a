/*
 * api/device.c: device cookies (OWASP, "Slow Down Online Guessing Attacks
 * with Device Cookies"). A successful log-in leaves a cookie that names
 * the account and is signed (HMAC-SHA-256 with a key derived from the
 * master key, so every replica accepts it and a restart keeps it). A
 * later log-in to that account that presents it is a known client: its
 * password hash goes to the offload pool's priority lane, so a storm of
 * strangers' log-ins cannot keep the account's owner out. The cookie
 * grants nothing else: the password is still checked, failures still
 * count, and it says nothing to anybody who lacks the key.
 *
 * Value: <user uuid>.<expiry, Unix seconds>.<base64url HMAC of
 * "lockstep-device-v1|<uuid>|<expiry>">.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "conf.h"
#include "crypto/crypto.h"
#include "util/util.h"

#define DEVICE_TTL (90 * 86400)

static unsigned char device_key[CRYPTO_SHA256_LEN];
static int device_ready;

void
api_device_init(const unsigned char master[CRYPTO_KEY_LEN])
{
	static const char label[] = "lockstep device cookie key v1";

	device_ready =
	    crypto_hmac_sha256(master, CRYPTO_KEY_LEN, label, sizeof(label) - 1, device_key) == 0;
}

/* The MAC of uuid and expiry, base64url, into out (at least 44 bytes). Returns 0 or -1. */
static int
device_mac(const char *uuid, long long expiry, char *out)
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "lockstep-device-v1|%s|%lld", uuid, expiry);

	if (!device_ready || n < 0 || (size_t)n >= sizeof(msg) ||
	    crypto_hmac_sha256(device_key, sizeof(device_key), msg, (size_t)n, mac) != 0)
		return -1;
	util_b64url_encode(mac, sizeof(mac), out);
	return 0;
}

int
api_device_cookie(const char *user_id, char *out, size_t outlen)
{
	long long expiry = (long long)time(NULL) + DEVICE_TTL;
	char mac[64];
	int n;

	if (!util_uuid_valid(user_id) || device_mac(user_id, expiry, mac) != 0)
		return -1;
	n = snprintf(out, outlen,
	             "%s=%s.%lld.%s; Path=/api/v1/session; Max-Age=%d; HttpOnly; SameSite=Strict%s",
	             API_DEVICE_COOKIE, user_id, expiry, mac, DEVICE_TTL,
	             config.cookie_secure ? "; Secure" : "");
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
api_device_check(const char *value, char user_id[DB_UUID_LEN + 1])
{
	char uuid[DB_UUID_LEN + 1], want[64], num[24];
	const char *dot1, *dot2;
	long long expiry;

	if (value == NULL || (dot1 = strchr(value, '.')) == NULL ||
	    (size_t)(dot1 - value) != DB_UUID_LEN || (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    (size_t)(dot2 - dot1 - 1) >= sizeof(num))
		return -1;
	memcpy(uuid, value, DB_UUID_LEN);
	uuid[DB_UUID_LEN] = '\0';
	memcpy(num, dot1 + 1, (size_t)(dot2 - dot1 - 1));
	num[dot2 - dot1 - 1] = '\0';
	if (!util_uuid_valid(uuid) || util_strnum(num, 0, 1LL << 40, &expiry) != 0 ||
	    expiry < (long long)time(NULL) || device_mac(uuid, expiry, want) != 0 ||
	    strlen(dot2 + 1) != strlen(want) || !crypto_equal(dot2 + 1, want, strlen(want)))
		return -1;
	memcpy(user_id, uuid, sizeof(uuid));
	return 0;
}
