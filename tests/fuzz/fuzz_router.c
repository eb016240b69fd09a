/*
 * libFuzzer target: router_match on arbitrary paths (first byte picks the
 * method), against a table shaped like lockstepd's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct router_route fuzz_routes[] = {
    {"GET", "/api/v1/orgs", NULL, 0, 0, 0},
    {"POST", "/api/v1/orgs/{id}/users", NULL, 0, 0, 0},
    {"PUT", "/api/v1/engagements/{id}/claims/{tm}", NULL, 0, 0, 0},
    {"GET", "/api/v1/findings/{id}/history", NULL, 0, 0, 0},
    {"GET", "/", NULL, 0, 0, 0},
    {"GET", "/web/{*}", NULL, 0, 0, 0},
    {NULL, NULL, NULL, 0, 0, 0}};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
	struct router_match m;
	char allow[64];
	char *path;

	if (size == 0)
		return 0;
	path = malloc(size);
	if (path == NULL)
		return 0;
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	(void)router_match(fuzz_routes, methods[data[0] % 6], path, &m, allow, sizeof(allow));
	free(path);
	return 0;
}
