/*
 * util/vocab: the enumerations (severities, capability levels, ...) as C
 * sees them. The source is the vocabulary table (sql/0005_vocabulary.sql);
 * lockstepd compares these tables with it at start-up (store_vocab_check)
 * and refuses to serve when they differ, so C cannot drift from SQL.
 * Everything in C that names a value of an enumeration takes it from here;
 * the web client reads them from GET /api/v1/vocabulary.
 */
#ifndef LOCKSTEP_VOCAB_H
#define LOCKSTEP_VOCAB_H

#include <stddef.h>

/*
 * The one C definition of each enumeration: X(code, company_may_set) per
 * value, in vocabulary.position order. company_may_set is 1 only for the
 * finding statuses a company may move a finding to.
 */
#define VOCAB_ORG_KIND(X) X("coordinator", 0) X("assessor", 0) X("company", 0)
#define VOCAB_USER_ROLE(X) X("admin", 0) X("member", 0)
#define VOCAB_DISCLOSURE(X) X("named", 0) X("pseudonymous", 0) X("aggregate", 0)
#define VOCAB_CAMPAIGN_STATE(X) X("draft", 0) X("active", 0) X("published", 0)
#define VOCAB_ENGAGEMENT_STATE(X)                                                                  \
	X("planned", 0) X("fieldwork", 0) X("reporting", 0) X("review", 0) X("closed", 0)
#define VOCAB_SEVERITY(X) X("critical", 0) X("high", 0) X("medium", 0) X("low", 0) X("info", 0)
#define VOCAB_FINDING_STATUS(X)                                                                    \
	X("open", 0)                                                                               \
	X("remediating", 1)                                                                        \
	X("remediated", 1) X("accepted", 0) X("false-positive", 0) X("verified", 0)
#define VOCAB_CAPABILITY_LEVEL(X)                                                                  \
	X("OC1", 0) X("OC2", 0) X("OC3", 0) X("OC4", 0) X("OC5", 0) X("not-assessed", 0)
/* The access an engagement granted its assessors (0018; threat-catalogue.md). */
#define VOCAB_ACCESS_KIND(X)                                                                       \
	X("external", 0)                                                                           \
	X("stolen-credentials", 0)                                                                 \
	X("insider", 0) X("ai-insider", 0) X("physical", 0) X("supply-chain", 0)
/* An assessor's verdict on a company's commitment (0018). */
#define VOCAB_VERDICT(X) X("supported", 0) X("refuted", 0) X("inconclusive", 0) X("not-assessed", 0)

/*
 * What an API token may do (0007). A route names the scope it needs in the
 * route table (api/routes.c); a browser session has them all. The bit of
 * each scope is its position here: VOCAB_SCOPE_* below must follow.
 */
#define VOCAB_TOKEN_SCOPE(X)                                                                       \
	X("read", 0)                                                                               \
	X("findings:write", 0)                                                                     \
	X("evidence:write", 0)                                                                     \
	X("claims:write", 0)                                                                       \
	X("statements:write", 0)                                                                   \
	X("campaigns:write", 0) X("users:write", 0) X("account:write", 0)
#define VOCAB_SCOPE_READ (1u << 0)
#define VOCAB_SCOPE_FINDINGS (1u << 1)
#define VOCAB_SCOPE_EVIDENCE (1u << 2)
#define VOCAB_SCOPE_CLAIMS (1u << 3)
#define VOCAB_SCOPE_STATEMENTS (1u << 4)
#define VOCAB_SCOPE_CAMPAIGNS (1u << 5)
#define VOCAB_SCOPE_USERS (1u << 6)
#define VOCAB_SCOPE_ACCOUNT (1u << 7)
#define VOCAB_SCOPE_ALL ((1u << (0 VOCAB_TOKEN_SCOPE(VOCAB_ONE))) - 1u)
/* Not a scope: marks a browser session limited to enrolling a second factor. */
#define VOCAB_SCOPE_ENROL_ONLY (1u << 31)

/* How many values an enumeration has, as a constant expression. */
#define VOCAB_ONE(code, company) +1
#define VOCAB_NLEVELS (0 VOCAB_CAPABILITY_LEVEL(VOCAB_ONE))
#define VOCAB_NSEVERITIES (0 VOCAB_SEVERITY(VOCAB_ONE))

/* The threat-model codes; their source is the threat_models table (0001). */
#define VOCAB_THREAT_MODEL(X)                                                                      \
	X("WEIGHTS-EXFIL", 0)                                                                      \
	X("IP-THEFT", 0) X("TAMPERING", 0) X("COMPUTE-MISUSE", 0) X("PERSISTENCE", 0)

struct vocab {
	const char *name;               /* vocabulary.name */
	const char *const *codes;       /* in vocabulary.position order, ending in NULL */
	const char *const *company_may; /* the codes with company_may_set, ending in NULL */
};

/* Every enumeration, ending in a row whose name is NULL. */
extern const struct vocab vocab_all[];

/* The values of these enumerations, in order, each ending in NULL. */
extern const char *const vocab_org_kinds[];
extern const char *const vocab_user_roles[];
extern const char *const vocab_disclosures[];
extern const char *const vocab_campaign_states[];
extern const char *const vocab_engagement_states[];
extern const char *const vocab_severities[];
extern const char *const vocab_finding_statuses[];
extern const char *const vocab_levels[];
extern const char *const vocab_token_scopes[];
extern const char *const vocab_access_kinds[];
extern const char *const vocab_verdicts[];
extern const char *const vocab_company_statuses[]; /* finding statuses a company may set */
extern const char *const vocab_threat_models[];    /* not in vocab_all: see VOCAB_THREAT_MODEL */

/* 1 if code is one of list's values, else 0. */
int vocab_has(const char *const *list, const char *code);

/* Position of code in list (0-based), or -1. */
int vocab_index(const char *const *list, const char *code);

/*
 * The scope bits of a space-separated list of token_scope codes (as the
 * store reads them) into *bits. Returns 0, or -1 when a code is unknown.
 */
int vocab_scope_bits(const char *list, unsigned *bits);

/* The vocabulary called name, or NULL. */
const struct vocab *vocab_find(const char *name);

#endif
