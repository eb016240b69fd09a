/*
 * keyring: the keys kept outside the database, for lockstepd's commands
 * (server/main.c): the signing key history (sql/0011_keys.sql) and the
 * rotation of the signing key. The master key's rotation is in main.c.
 */
#ifndef LOCKSTEP_KEYRING_H
#define LOCKSTEP_KEYRING_H

#include "crypto/crypto.h"

/*
 * At migrate, as the owner: register signer as the first signing key when
 * the history is empty. Returns 0, or -1 (logged).
 */
int keyring_register_first(const struct crypto_signer *signer);

/*
 * At serve: log a warning when signer is not the newest key of the
 * history (a replica started with a retired or an unknown key).
 */
void keyring_check_current(const struct crypto_signer *signer);

/*
 * lockstepd rotate-signing-key: LOCKSTEP_SIGNING_KEY_FILE (the new key,
 * created when absent) is appended to the history, endorsed by
 * LOCKSTEP_SIGNING_KEY_PREVIOUS_FILE, which must be the newest key there.
 * Audited. Returns the exit status.
 */
int keyring_rotate_signing_key(void);

#endif
