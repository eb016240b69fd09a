/* publish/canon.c: canonical JSON for signing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "publish/publish.h"

/* 1 if v contains a real number anywhere (bounded depth by construction). */
static int
canon_has_real(const json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_real(v))
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
		{
			if (canon_has_real(e))
				return 1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (canon_has_real(e))
				return 1;
		}
	}
	return 0;
}

char *
publish_canonical(const json_t *v, size_t *len)
{
	char *s;

	if (v == NULL || canon_has_real(v))
		return NULL;
	/* jansson: JSON_COMPACT drops white space, JSON_SORT_KEYS sorts keys
	 * by strcmp (UTF-8 byte order); without JSON_ENSURE_ASCII non-ASCII
	 * text stays UTF-8; '/' is not escaped without JSON_ESCAPE_SLASH. */
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}
