/*
 * libFuzzer target: util_csv_parse on arbitrary bytes, and for what it
 * accepts, the writer and the parser again: every field must read back
 * as written (with the formula prefix ' when it starts with = + - @ TAB
 * or CR). Any crash, leak, sanitizer report or mismatch is a failure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct util_csv c, back;
	struct util_csv_out o = {0};
	size_t line, kept = 0;
	char err[128];

	if (util_csv_parse((const char *)data, size, 64, &c, &line, err, sizeof(err)) != 0)
		return 0;
	for (size_t i = 0; i < c.n; i++) {
		/* a record of one empty field writes an empty line, which a parser skips */
		if (c.row[i].n == 1 && c.row[i].field[0][0] == '\0')
			continue;
		for (size_t j = 0; j < c.row[i].n; j++)
			if (util_csv_cell(&o, c.row[i].field[j]) != 0)
				abort();
		if (util_csv_end(&o) != 0)
			abort();
		kept++;
	}
	if (kept > 0) {
		size_t r = 0;

		if (util_csv_parse(o.buf, o.len, 64, &back, &line, err, sizeof(err)) != 0)
			abort(); /* the writer wrote something the parser refuses */
		if (back.n != kept)
			abort();
		for (size_t i = 0; i < c.n; i++) {
			if (c.row[i].n == 1 && c.row[i].field[0][0] == '\0')
				continue;
			if (back.row[r].n != c.row[i].n)
				abort();
			for (size_t j = 0; j < c.row[i].n; j++) {
				const char *a = c.row[i].field[j], *b = back.row[r].field[j];

				if (a[0] != '\0' && strchr("=+-@\t\r", a[0]) != NULL) {
					if (b[0] != '\'')
						abort();
					b++;
				}
				if (strcmp(a, b) != 0)
					abort();
			}
			r++;
		}
		util_csv_free(&back);
	}
	free(o.buf);
	util_csv_free(&c);
	return 0;
}
