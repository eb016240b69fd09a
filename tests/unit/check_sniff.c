/* Unit tests for server/util/sniff.c: media types from magic numbers. */
#include <check.h>
#include <string.h>

#include "util/util.h"

static const char *
sniff(const char *s, size_t n)
{
	return util_sniff_media_type((const unsigned char *)s, n);
}

START_TEST(test_magic)
{
	char tar[600];

	ck_assert_str_eq(sniff("%PDF-1.7\n", 9), "application/pdf");
	ck_assert_str_eq(sniff("\x89PNG\r\n\x1a\n\0\0", 10), "image/png");
	ck_assert_str_eq(sniff("\xff\xd8\xff\xe0", 4), "image/jpeg");
	ck_assert_str_eq(sniff("GIF89a", 6), "image/gif");
	ck_assert_str_eq(sniff("PK\x03\x04zz", 6), "application/zip");
	ck_assert_str_eq(sniff("\x1f\x8b\x08", 3), "application/gzip");
	ck_assert_str_eq(sniff("\xd4\xc3\xb2\xa1\x02\x00", 6), "application/vnd.tcpdump.pcap");
	ck_assert_str_eq(sniff("\x0a\x0d\x0d\x0a", 4), "application/x-pcapng");
	ck_assert_str_eq(sniff("\x7f"
	                       "ELF\x02",
	                       5),
	                 "application/x-elf");
	memset(tar, 0, sizeof(tar));
	memcpy(tar + 257, "ustar", 5);
	ck_assert_str_eq(sniff(tar, sizeof(tar)), "application/x-tar");
}
END_TEST

START_TEST(test_text)
{
	ck_assert_str_eq(sniff("", 0), "application/octet-stream");
	ck_assert_str_eq(sniff("hello\n", 6), "text/plain");
	ck_assert_str_eq(sniff("h\xc3\xa9llo", 6), "text/plain");
	ck_assert_str_eq(sniff("h\xc3", 2), "text/plain"); /* cut UTF-8 at the end */
	ck_assert_str_eq(sniff("a\0b", 3), "application/octet-stream");
	ck_assert_str_eq(sniff("\xff\xfe\x00", 3), "application/octet-stream");
	ck_assert_str_eq(sniff("  <!DOCTYPE html><p>", 20), "text/html");
	ck_assert_str_eq(sniff("<svg xmlns=", 11), "image/svg+xml");
	ck_assert_str_eq(sniff("<?xml version", 13), "application/xml");
	ck_assert_str_eq(sniff("{\"a\":1}", 7), "application/json");
}
END_TEST

static Suite *
sniff_suite(void)
{
	Suite *s = suite_create("sniff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_magic);
	tcase_add_test(tc, test_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sniff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
