/* util/vocab.c: the enumerations (vocab.h), checked against the vocabulary table at start-up. */
#include "config.h"

#include <string.h>

#include "util/vocab.h"

#define VOCAB_CODE(code, company) code,

const char *const vocab_org_kinds[] = {VOCAB_ORG_KIND(VOCAB_CODE) NULL};
const char *const vocab_user_roles[] = {VOCAB_USER_ROLE(VOCAB_CODE) NULL};
const char *const vocab_disclosures[] = {VOCAB_DISCLOSURE(VOCAB_CODE) NULL};
const char *const vocab_campaign_states[] = {VOCAB_CAMPAIGN_STATE(VOCAB_CODE) NULL};
const char *const vocab_engagement_states[] = {VOCAB_ENGAGEMENT_STATE(VOCAB_CODE) NULL};
const char *const vocab_severities[] = {VOCAB_SEVERITY(VOCAB_CODE) NULL};
const char *const vocab_finding_statuses[] = {VOCAB_FINDING_STATUS(VOCAB_CODE) NULL};
const char *const vocab_levels[] = {VOCAB_CAPABILITY_LEVEL(VOCAB_CODE) NULL};
const char *const vocab_token_scopes[] = {VOCAB_TOKEN_SCOPE(VOCAB_CODE) NULL};
const char *const vocab_access_kinds[] = {VOCAB_ACCESS_KIND(VOCAB_CODE) NULL};
const char *const vocab_verdicts[] = {VOCAB_VERDICT(VOCAB_CODE) NULL};

/* the finding statuses a company may set: X(code, 1) only */
#define VOCAB_COMPANY(code, company) VOCAB_COMPANY_##company(code)
#define VOCAB_COMPANY_0(code)
#define VOCAB_COMPANY_1(code) code,
const char *const vocab_company_statuses[] = {VOCAB_FINDING_STATUS(VOCAB_COMPANY) NULL};
const char *const vocab_threat_models[] = {VOCAB_THREAT_MODEL(VOCAB_CODE) NULL};
static const char *const vocab_none[] = {NULL};

const struct vocab vocab_all[] = {
    {"org_kind", vocab_org_kinds, vocab_none},
    {"user_role", vocab_user_roles, vocab_none},
    {"disclosure", vocab_disclosures, vocab_none},
    {"campaign_state", vocab_campaign_states, vocab_none},
    {"engagement_state", vocab_engagement_states, vocab_none},
    {"severity", vocab_severities, vocab_none},
    {"finding_status", vocab_finding_statuses, vocab_company_statuses},
    {"capability_level", vocab_levels, vocab_none},
    {"token_scope", vocab_token_scopes, vocab_none},
    {"access_kind", vocab_access_kinds, vocab_none},
    {"verdict", vocab_verdicts, vocab_none},
    {NULL, NULL, NULL}};

int
vocab_index(const char *const *list, const char *code)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], code) == 0)
			return i;
	return -1;
}

int
vocab_has(const char *const *list, const char *code)
{
	return code != NULL && vocab_index(list, code) >= 0;
}

const struct vocab *
vocab_find(const char *name)
{
	for (const struct vocab *v = vocab_all; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

int
vocab_scope_bits(const char *list, unsigned *bits)
{
	char code[33];

	*bits = 0;
	while (list != NULL && *list != '\0') {
		size_t n = strcspn(list, " ");
		int i;

		if (n == 0) {
			list++;
			continue;
		}
		if (n >= sizeof(code))
			return -1;
		memcpy(code, list, n);
		code[n] = '\0';
		if ((i = vocab_index(vocab_token_scopes, code)) < 0)
			return -1;
		*bits |= 1u << i;
		list += n;
	}
	return 0;
}
