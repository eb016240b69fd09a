/*
 * The caller's identity as the HTTP layer resolves it and the transaction
 * runner sets it (transaction-locally) before any statement. Shared by
 * http/, db/ and api/ so that none of them needs another's header for it.
 */
#ifndef LOCKSTEP_IDENTITY_H
#define LOCKSTEP_IDENTITY_H

#define UTIL_UUID_LEN 36

struct util_identity {
	char user_id[UTIL_UUID_LEN + 1]; /* "" when anonymous */
	char org_id[UTIL_UUID_LEN + 1];
	char org_kind[16]; /* coordinator | assessor | company */
	char role[8];      /* admin | member */
};

#endif
