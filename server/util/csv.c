/*
 * util/csv.c: see csv.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "util/util.h"

struct csv_field {
	char *buf;
	size_t len, cap;
};

static int
csv_put(struct csv_field *f, char ch)
{
	if (f->len + 2 > f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		char *nb = realloc(f->buf, cap);

		if (nb == NULL)
			return -1;
		f->buf = nb;
		f->cap = cap;
	}
	f->buf[f->len++] = ch;
	f->buf[f->len] = '\0';
	return 0;
}

/* Move the field into row (a new string), resetting f. 0 or -1. */
static int
csv_take(struct util_csv_row *row, struct csv_field *f)
{
	char *s = f->buf ? f->buf : strdup("");
	char **nf;

	if (s == NULL)
		return -1;
	nf = realloc(row->field, (row->n + 1) * sizeof(*nf));
	if (nf == NULL) {
		free(s);
		f->buf = NULL;
		f->len = f->cap = 0;
		return -1;
	}
	row->field = nf;
	row->field[row->n++] = s;
	f->buf = NULL;
	f->len = f->cap = 0;
	return 0;
}

static void
csv_row_free(struct util_csv_row *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->field[i]);
	free(r->field);
	r->field = NULL;
	r->n = 0;
}

void
util_csv_free(struct util_csv *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		csv_row_free(&c->row[i]);
	free(c->row);
	c->row = NULL;
	c->n = 0;
}

int
util_csv_parse(const char *buf, size_t len, size_t max_records, struct util_csv *out,
               size_t *err_line, char *err, size_t errlen)
{
	struct csv_field f = {0};
	struct util_csv_row row = {0};
	size_t i = 0, line = 1, quote_line = 0;
	int quoted = 0, after_quote = 0, in_field = 0;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	*err_line = 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	if (memchr(buf, '\0', len) != NULL) {
		why = "the file holds a NUL byte";
		goto fail;
	}
	if (!util_utf8_valid(buf + i, len - i)) {
		why = "the file is not valid UTF-8";
		goto fail;
	}
	row.line = line;
	for (; i <= len; i++) {
		int end = i == len;
		char ch = end ? '\0' : buf[i];

		if (quoted) {
			if (end) {
				line = quote_line;
				why = "a quoted field is not closed";
				goto fail;
			}
			if (ch == '"') {
				if (i + 1 < len && buf[i + 1] == '"') {
					if (csv_put(&f, '"') != 0)
						goto oom;
					i++;
				} else {
					quoted = 0;
					after_quote = 1;
				}
				continue;
			}
			if (ch == '\n')
				line++;
			if (csv_put(&f, ch) != 0)
				goto oom;
			continue;
		}
		if (end || ch == '\n' || (ch == '\r' && i + 1 < len && buf[i + 1] == '\n') ||
		    ch == ',') {
			int record_end = ch != ',';

			if (record_end && !in_field && row.n == 0) {
				/* an empty line (or the end after a final line break) */
				if (ch == '\r')
					i++;
				line++;
				row.line = line;
				continue;
			}
			if (row.n >= UTIL_CSV_MAX_FIELDS) {
				why = "too many fields in a record";
				goto fail;
			}
			if (csv_take(&row, &f) != 0)
				goto oom;
			after_quote = 0;
			in_field = 0;
			if (!record_end)
				continue;
			if (out->n >= max_records) {
				why = "too many records";
				goto fail;
			}
			{
				struct util_csv_row *nr =
				    realloc(out->row, (out->n + 1) * sizeof(*nr));

				if (nr == NULL)
					goto oom;
				out->row = nr;
				out->row[out->n++] = row;
				memset(&row, 0, sizeof(row));
			}
			if (ch == '\r')
				i++;
			line++;
			row.line = line;
			continue;
		}
		if (after_quote) {
			why = "text after a closing quote";
			goto fail;
		}
		if (ch == '"') {
			if (in_field) {
				why = "a quote inside an unquoted field";
				goto fail;
			}
			quoted = 1;
			quote_line = line;
			in_field = 1;
			continue;
		}
		in_field = 1;
		if (csv_put(&f, ch) != 0)
			goto oom;
	}
	free(f.buf);
	return 0;
oom:
	why = "out of memory";
fail:
	*err_line = line;
	snprintf(err, errlen, "%s", why);
	free(f.buf);
	csv_row_free(&row);
	util_csv_free(out);
	return -1;
}

static int
csv_out_put(struct util_csv_out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		char *nb;

		while (cap < o->len + n + 1)
			cap *= 2;
		if ((nb = realloc(o->buf, cap)) == NULL)
			return -1;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

int
util_csv_cell(struct util_csv_out *o, const char *value)
{
	const char *v = value ? value : "";
	size_t n = strlen(v);
	int formula = n > 0 && strchr("=+-@\t\r", v[0]) != NULL;
	/* a leading byte order mark is quoted, or a reader would take it for the file's */
	int quote = formula || strpbrk(v, ",\"\r\n") != NULL ||
	            (n > 0 && (v[0] == ' ' || v[n - 1] == ' ')) ||
	            strncmp(v, "\xef\xbb\xbf", 3) == 0;

	if (o->fields++ > 0 && csv_out_put(o, ",", 1) != 0)
		return -1;
	if (!quote)
		return csv_out_put(o, v, n);
	if (csv_out_put(o, "\"", 1) != 0)
		return -1;
	if (formula && csv_out_put(o, "'", 1) != 0)
		return -1;
	for (const char *p = v; *p; p++) {
		if (*p == '"' && csv_out_put(o, "\"", 1) != 0)
			return -1;
		if (csv_out_put(o, p, 1) != 0)
			return -1;
	}
	return csv_out_put(o, "\"", 1);
}

int
util_csv_end(struct util_csv_out *o)
{
	o->fields = 0;
	return csv_out_put(o, "\r\n", 2);
}
