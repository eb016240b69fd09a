/*
 * libFuzzer target: the Unicode name check (publish/names.c) on arbitrary
 * bytes. The first byte splits the input into a text and a name; every
 * span found must lie inside the text and be non-empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "publish/publish.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct publish_span *spans = NULL;
	struct publish_text *t;
	size_t cut, nspans = 0;
	char *text, *name;

	if (size == 0)
		return 0;
	cut = 1 + (size - 1) * data[0] / 256;
	text = malloc(cut);
	name = malloc(size - cut + 1);
	if (text == NULL || name == NULL) {
		free(text);
		free(name);
		return 0;
	}
	memcpy(text, data + 1, cut - 1);
	text[cut - 1] = '\0';
	memcpy(name, data + cut, size - cut);
	name[size - cut] = '\0';
	if ((t = publish_text_new(text)) != NULL) {
		if (publish_text_find(t, name, &spans, &nspans) >= 0)
			for (size_t i = 0; i < nspans; i++)
				if (spans[i].start >= spans[i].end || spans[i].end > strlen(text) ||
				    spans[i].ustart >= spans[i].uend)
					abort();
		publish_spans_merge(spans, nspans);
		free(spans);
		publish_text_free(t);
	}
	free(text);
	free(name);
	return 0;
}
