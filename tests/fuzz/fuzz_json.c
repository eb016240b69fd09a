/*
 * libFuzzer target: json_in_parse and json_in_check on arbitrary bytes.
 * Any crash, leak or sanitizer report is a failure.
 */
#include <stddef.h>
#include <stdint.h>

#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct json_field fuzz_fields[] = {
    {.name = "name", .type = JSON_FIELD_STRING, .required = 1, .min_len = 1, .max_len = 64},
    {.name = "n", .type = JSON_FIELD_INTEGER, .min = -5, .max = 5},
    {.name = "b", .type = JSON_FIELD_BOOLEAN},
    {.name = "list", .type = JSON_FIELD_STRING_ARRAY, .min_len = 0, .max_len = 8, .max_items = 4},
    {.name = NULL}};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160];
	const char *field, *reason;
	json_t *v = json_in_parse((const char *)data, size, JSON_IN_MAX_DEPTH, err, sizeof(err));

	if (v != NULL) {
		(void)json_in_check(v, fuzz_fields, &field, &reason);
		json_decref(v);
	}
	return 0;
}
