/*
 * util/csv: RFC 4180 CSV in (bounded) and out (with formula-injection
 * neutralised). No dependencies.
 */
#ifndef LOCKSTEP_UTIL_CSV_H
#define LOCKSTEP_UTIL_CSV_H

#include <stddef.h>

#define UTIL_CSV_MAX_FIELDS 32

struct util_csv_row {
	size_t line;  /* 1-based line on which the record starts */
	size_t n;     /* fields */
	char **field; /* n NUL-terminated strings, owned */
};

struct util_csv {
	size_t n; /* records, the header included */
	struct util_csv_row *row;
};

/*
 * Parse buf[0..len) as RFC 4180 CSV: fields separated by ',', records by
 * CRLF or LF, a field in double quotes may hold ',', line breaks and ""
 * for one quote. A leading UTF-8 byte order mark is skipped; a final line
 * break is optional; empty lines are skipped. Refuses (returns -1, with
 * the reason in err, errlen bytes) a NUL byte, invalid
 * UTF-8, a quote inside an unquoted field, text after a closing quote, an
 * unterminated quoted field, more than max_records records or more than
 * UTIL_CSV_MAX_FIELDS fields in a record. On success returns 0 and fills
 * out (free with util_csv_free). *err_line receives the line of an error (for
 * an unclosed quote: the line where it opened)
 * (0 when none applies).
 */
int util_csv_parse(const char *buf, size_t len, size_t max_records, struct util_csv *out,
                   size_t *err_line, char *err, size_t errlen);
void util_csv_free(struct util_csv *c); /* accepts an emptied or zeroed one */

/*
 * A growing output buffer: util_csv_cell appends one field (quoted when it
 * holds , " CR or LF, leading/trailing space or a leading byte order mark; a value that starts with
 * = + - @ TAB or CR is prefixed with ' so that a spreadsheet never runs it
 * as a formula), util_csv_end ends a record with CRLF. Both return 0 or -1
 * (out of memory: the buffer is then unusable; free it).
 */
struct util_csv_out {
	char *buf; /* owned; free() */
	size_t len;
	size_t cap;
	int fields; /* fields written in the current record */
};
int util_csv_cell(struct util_csv_out *o, const char *value);
int util_csv_end(struct util_csv_out *o);

#endif
