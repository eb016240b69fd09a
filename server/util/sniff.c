/*
 * util/sniff.c: a media type from a file's first bytes (a few magic
 * numbers). Only recorded, never used to serve content inline.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "util/util.h"

struct util_magic {
	size_t off;
	const char *bytes;
	size_t len;
	const char *type;
};

static const struct util_magic util_magics[] = {
    {0, "%PDF-", 5, "application/pdf"},
    {0, "\x89PNG\r\n\x1a\n", 8, "image/png"},
    {0, "\xff\xd8\xff", 3, "image/jpeg"},
    {0, "GIF87a", 6, "image/gif"},
    {0, "GIF89a", 6, "image/gif"},
    {0, "PK\x03\x04", 4, "application/zip"},
    {0, "\x1f\x8b", 2, "application/gzip"},
    {0, "BZh", 3, "application/x-bzip2"},
    {0,
     "\xfd"
     "7zXZ\x00",
     6, "application/x-xz"},
    {0, "\x28\xb5\x2f\xfd", 4, "application/zstd"},
    {0, "7z\xbc\xaf\x27\x1c", 6, "application/x-7z-compressed"},
    {0, "\xd4\xc3\xb2\xa1", 4, "application/vnd.tcpdump.pcap"},
    {0, "\xa1\xb2\xc3\xd4", 4, "application/vnd.tcpdump.pcap"},
    {0, "\x4d\x3c\xb2\xa1", 4, "application/vnd.tcpdump.pcap"},
    {0, "\xa1\xb2\x3c\x4d", 4, "application/vnd.tcpdump.pcap"},
    {0, "\x0a\x0d\x0d\x0a", 4, "application/x-pcapng"},
    {0,
     "\x7f"
     "ELF",
     4, "application/x-elf"},
    {0, "MZ", 2, "application/vnd.microsoft.portable-executable"},
    {0, "SQLite format 3\x00", 16, "application/vnd.sqlite3"},
    {0, "-----BEGIN ", 11, "application/x-pem-file"},
    {257, "ustar", 5, "application/x-tar"},
    {0, NULL, 0, NULL}};

/* 1 if buf starts (after blanks) with the ASCII word, case-insensitively. */
static int
util_starts_word(const unsigned char *buf, size_t len, const char *word)
{
	size_t i = 0, n = strlen(word);

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return len - i >= n && strncasecmp((const char *)buf + i, word, n) == 0;
}

const char *
util_sniff_media_type(const unsigned char *buf, size_t len)
{
	size_t check = len < 512 ? len : 512;

	for (const struct util_magic *m = util_magics; m->bytes != NULL; m++)
		if (len >= m->off + m->len && memcmp(buf + m->off, m->bytes, m->len) == 0)
			return m->type;
	if (len == 0)
		return "application/octet-stream";
	if (util_starts_word(buf, len, "<!doctype html") || util_starts_word(buf, len, "<html") ||
	    util_starts_word(buf, len, "<script"))
		return "text/html";
	if (util_starts_word(buf, len, "<svg"))
		return "image/svg+xml";
	if (util_starts_word(buf, len, "<?xml"))
		return "application/xml";
	if (util_starts_word(buf, len, "{") || util_starts_word(buf, len, "["))
		if (util_utf8_valid((const char *)buf, check) || check == 512)
			return "application/json";
	/* text: no NUL, no control bytes other than white space, UTF-8 (a
	 * multi-byte sequence cut at the window's end is allowed) */
	for (size_t i = 0; i < check; i++)
		if ((buf[i] < 0x20 && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r' &&
		     buf[i] != '\f') ||
		    buf[i] == 0x7f)
			return "application/octet-stream";
	for (size_t cut = 0; cut < 4 && cut <= check; cut++)
		if (util_utf8_valid((const char *)buf, check - cut))
			return "text/plain";
	return "application/octet-stream";
}
