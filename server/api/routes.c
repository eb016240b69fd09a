/*
 * api/routes.c: the one static route table. A known path with the wrong
 * method answers 405; an unknown path 404 (router.c).
 */
#include "config.h"

#include <stddef.h>

#include "api/api.h"
#include "util/vocab.h"

#define A ROUTE_AUTH
#define J ROUTE_JSON_BODY
#define P ROUTE_PUBLIC
#define S ROUTE_STREAM
#define NS ROUTE_NOSCRIPT
#define AN ROUTE_ANON

/* The token scope each route needs (util/vocab.h; 0: any credential).
 * http/daemon.c refuses an API token without it (403 insufficient-scope);
 * a browser session has every scope. */
#define R VOCAB_SCOPE_READ
#define FW VOCAB_SCOPE_FINDINGS
#define EW VOCAB_SCOPE_EVIDENCE
#define CW VOCAB_SCOPE_CLAIMS
#define SW VOCAB_SCOPE_STATEMENTS
#define KW VOCAB_SCOPE_CAMPAIGNS
#define UW VOCAB_SCOPE_USERS
#define AW VOCAB_SCOPE_ACCOUNT

const struct router_route api_routes[] = {
    {"POST", "/api/v1/session", api_session_post, AN | J, 4096, 0},
    {"DELETE", "/api/v1/session", api_session_delete, A, 0, 0},
    {"POST", "/api/v1/session/second-factor", api_session_factor_post, AN | J, 4096, 0},
    {"GET", "/api/v1/me", api_me_get, A, 0, 0},
    {"GET", "/api/v1/me/totp", api_totp_get, A, 0, 0},
    {"POST", "/api/v1/me/totp", api_totp_post, A, 0, AW},
    {"POST", "/api/v1/me/totp/confirm", api_totp_confirm_post, A | J, 4096, AW},
    {"POST", "/api/v1/me/totp/disable", api_totp_disable_post, A | J, 4096, AW},
    {"POST", "/api/v1/me/totp/recovery-codes", api_totp_recovery_post, A | J, 4096, AW},
    {"POST", "/api/v1/tokens", api_tokens_post, A | J, 0, AW},
    {"GET", "/api/v1/tokens", api_tokens_get, A, 0, R},
    {"DELETE", "/api/v1/tokens/{id}", api_token_delete, A, 0, AW},
    {"POST", "/api/v1/orgs", api_orgs_post, A | J, 0, KW},
    {"GET", "/api/v1/orgs", api_orgs_get, A, 0, R},
    {"POST", "/api/v1/orgs/{id}/users", api_org_users_post, A | J, 0, UW},
    {"GET", "/api/v1/orgs/{id}/users", api_org_users_get, A, 0, R},
    {"GET", "/api/v1/orgs/{id}/second-factors", api_org_second_factors_get, A, 0, R},
    {"DELETE", "/api/v1/users/{id}/sessions", api_user_sessions_delete, A, 0, UW},
    {"GET", "/api/v1/users/{id}/tokens", api_user_tokens_get, A, 0, R},
    {"DELETE", "/api/v1/users/{id}/tokens/{tid}", api_user_token_delete, A, 0, UW},
    {"POST", "/api/v1/campaigns", api_campaigns_post, A | J, 0, KW},
    {"GET", "/api/v1/campaigns", api_campaigns_get, A, 0, R},
    {"GET", "/api/v1/campaigns/{id}", api_campaign_get, A, 0, R},
    {"PATCH", "/api/v1/campaigns/{id}", api_campaign_patch, A | J, 0, KW},
    {"POST", "/api/v1/campaigns/{id}/engagements", api_engagements_post, A | J, 0, KW},
    {"PUT", "/api/v1/campaigns/{id}/second-factor", api_campaign_second_factor_put, A | J, 4096,
     KW},
    {"GET", "/api/v1/engagements", api_engagements_get, A, 0, R},
    {"GET", "/api/v1/engagements/{id}", api_engagement_get, A, 0, R},
    {"POST", "/api/v1/engagements/{id}/findings", api_findings_post, A | J, 0, FW},
    {"GET", "/api/v1/engagements/{id}/findings", api_findings_get, A, 0, R},
    {"POST", "/api/v1/engagements/{id}/findings:import", api_findings_import, A, 4194304, FW},
    {"GET", "/api/v1/engagements/{id}/findings.csv", api_findings_csv_get, A, 0, R},
    {"GET", "/api/v1/engagements/{id}/oscal", api_engagement_oscal_get, A, 0, R},
    {"GET", "/api/v1/engagements/{id}/report", api_engagement_report_get, A | NS, 0, R},
    {"GET", "/api/v1/engagements/{id}/claims", api_claims_get, A, 0, R},
    {"GET", "/api/v1/engagements/{id}/emulation", api_emulation_get, A, 0, R},
    {"PUT", "/api/v1/engagements/{id}/emulation", api_emulation_put, A | J, 32768, FW},
    {"GET", "/api/v1/engagements/{id}/levels", api_levels_get, A, 0, R},
    {"POST", "/api/v1/engagements/{id}/commitments", api_commitments_post, A | J, 16384, SW},
    {"GET", "/api/v1/engagements/{id}/commitments", api_commitments_get, A, 0, R},
    {"PUT", "/api/v1/commitments/{id}/verdict", api_commitment_verdict_put, A | J, 16384, CW},
    {"GET", "/api/v1/campaigns/{id}/follows", api_campaign_follows, A, 0, R},
    {"PUT", "/api/v1/campaigns/{id}/follows", api_campaign_follows, A | J, 4096, KW},
    {"PUT", "/api/v1/engagements/{id}/claims/{tm}", api_claim_put, A | J, 0, CW},
    {"GET", "/api/v1/engagements/{id}/statement", api_statement_get, A, 0, R},
    {"PUT", "/api/v1/engagements/{id}/statement", api_statement_put, A | J, 0, SW},
    {"POST", "/api/v1/engagements/{id}/name-check", api_name_check_post, A | J, 0, R},
    {"GET", "/api/v1/engagements/{id}/evidence", api_evidence_list_get, A, 0, R},
    {"POST", "/api/v1/engagements/{id}/evidence", api_evidence_post, A | S, 0, EW},
    {"POST", "/api/v1/engagements/{id}/uploads", api_uploads_post, A, 0, EW},
    {"OPTIONS", "/api/v1/engagements/{id}/uploads", api_uploads_options, 0, 0, 0},
    {"GET", "/api/v1/evidence/{id}", api_evidence_get, A, 0, R},
    {"DELETE", "/api/v1/evidence/{id}", api_evidence_delete, A, 0, EW},
    {"GET", "/api/v1/evidence/{id}/receipt", api_evidence_receipt_get, A, 0, R},
    {"HEAD", "/api/v1/uploads/{id}", api_upload_head, A, 0, EW},
    {"PATCH", "/api/v1/uploads/{id}", api_upload_patch, A | S, 0, EW},
    {"DELETE", "/api/v1/uploads/{id}", api_upload_delete, A, 0, EW},
    {"GET", "/api/v1/findings/{id}", api_finding_get, A, 0, R},
    {"PATCH", "/api/v1/findings/{id}", api_finding_patch, A | J, 0, FW},
    {"GET", "/api/v1/findings/{id}/history", api_finding_history_get, A, 0, R},
    {"GET", "/api/v1/threat-models", api_threat_models_get, P, 0, 0},
    {"GET", "/api/v1/vocabulary", api_vocabulary_get, P, 0, 0},
    {"GET", "/.well-known/lockstep/signing-key", api_signing_key_get, P, 0, 0},
    /* accounts (issue 9), the workflow (issue 11), the key history (issue 15) */
    /* accounts (issue 9): invitations, reset links, passwords, disabling */
    {"POST", "/api/v1/orgs/{id}/invitations", api_invitations_post, A | J, 0, UW},
    {"GET", "/api/v1/orgs/{id}/invitations", api_invitations_get, A, 0, R},
    {"DELETE", "/api/v1/invitations/{id}", api_invitation_delete, A, 0, UW},
    {"POST", "/api/v1/account/accept", api_account_accept_post, AN | J, 4096, 0},
    {"PUT", "/api/v1/me/password", api_me_password_put, A | J, 4096, AW},
    {"POST", "/api/v1/users/{id}/password-reset", api_user_reset_post, A, 0, UW},
    {"POST", "/api/v1/users/{id}/disable", api_user_disable_post, A, 0, UW},
    {"POST", "/api/v1/users/{id}/enable", api_user_enable_post, A, 0, UW},
    {"POST", "/api/v1/orgs/{id}/disable", api_org_disable_post, A, 0, KW},
    {"POST", "/api/v1/orgs/{id}/enable", api_org_enable_post, A, 0, KW},
    {"GET", "/api/v1/campaigns/{id}/dashboard", api_campaign_dashboard_get, A, 0, R},
    {"POST", "/api/v1/campaigns/{id}/hold/decision", api_hold_decision_post, A | J, 0, KW},
    {"POST", "/api/v1/engagements/{id}/stage", api_engagement_stage_post, A | J, 0, FW},
    {"GET", "/api/v1/engagements/{id}/review", api_review_get, A, 0, R},
    {"GET", "/api/v1/engagements/{id}/review/page", api_review_page_get, A | NS, 0, R},
    {"GET", "/api/v1/engagements/{id}/hold", api_hold_get, A, 0, R},
    {"POST", "/api/v1/engagements/{id}/review/sign-off", api_review_signoff_post, A | J, 0, SW},
    {"POST", "/api/v1/engagements/{id}/review/response", api_review_response_post, A | J, 0, SW},
    {"PUT", "/api/v1/engagements/{id}/review/addendum", api_review_addendum_put, A | J, 0, SW},
    {"POST", "/api/v1/findings/{id}/comments", api_finding_comments_post, A | J, 0, FW},
    {"GET", "/api/v1/findings/{id}/comments", api_finding_comments_get, A, 0, R},
    {"POST", "/api/v1/findings/{id}/risk-acceptances", api_finding_risks_post, A | J, 0, FW},
    {"GET", "/api/v1/findings/{id}/risk-acceptances", api_finding_risks_get, A, 0, R},
    {"POST", "/api/v1/findings/{id}/risk-acceptances/{rid}/decision", api_risk_decision_post, A | J,
     0, FW},
    {"POST", "/api/v1/findings/{id}/retests", api_finding_retests_post, A | J, 0, FW},
    {"GET", "/api/v1/findings/{id}/retests", api_finding_retests_get, A, 0, R},
    {"GET", "/api/v1/campaigns/{id}/remediation-days", api_campaign_remediation_get, A, 0, R},
    {"PUT", "/api/v1/campaigns/{id}/remediation-days", api_campaign_remediation_put, A | J, 0, KW},
    {"GET", "/api/v1/inbox", api_inbox_get, A, 0, R},
    {"GET", "/api/v1/inbox/unread", api_inbox_unread_get, A, 0, R},
    {"GET", "/api/v1/me/notifications", api_me_notifications_get, A, 0, R},
    {"PUT", "/api/v1/me/notifications", api_me_notifications_put, A | J, 4096, AW},
    {"POST", "/api/v1/inbox/read-all", api_inbox_read_all_post, A, 0, AW},
    {"POST", "/api/v1/inbox/{id}/read", api_inbox_read_post, A, 0, AW},
    {"POST", "/api/v1/orgs/{id}/webhooks", api_org_webhooks_post, A | J, 0, UW},
    {"GET", "/api/v1/orgs/{id}/webhooks", api_org_webhooks_get, A, 0, R},
    {"DELETE", "/api/v1/webhooks/{id}", api_webhook_delete, A, 0, UW},
    {"GET", "/api/v1/webhooks/{id}/deliveries", api_webhook_deliveries_get, A, 0, R},
    {"GET", "/.well-known/lockstep/signing-keys", api_signing_keys_get, P, 0, 0},
    /* the coordinator's audit export (lockstep verify-audit) */
    {"GET", "/api/v1/audit", api_audit_get, A, 0, R},
    {"GET", "/.well-known/lockstep/log-key", api_log_key_get, P, 0, 0},
    /* the transparency log (C2SP tlog-tiles under /log/, proofs): anonymous */
    {"GET", "/log/checkpoint", api_log_checkpoint_get, P, 0, 0},
    {"GET", "/log/tile/{*}", api_log_tile_get, P, 0, 0},
    {"GET", "/log/proof/inclusion", api_log_inclusion_get, P, 0, 0},
    {"GET", "/log/proof/consistency", api_log_consistency_get, P, 0, 0},
    /* public, anonymous (no identity even with a token): see pubcache.c */
    {"GET", "/api/v1/publications", api_publications_get, P, 0, 0},
    {"GET", "/api/v1/publications/{slug}", api_publication_get, P, 0, 0},
    {"GET", "/api/v1/publications/{slug}/signature", api_publication_signature_get, P, 0, 0},
    {"GET", "/api/v1/publications/{slug}/oscal", api_publication_oscal_get, P, 0, 0},
    {"GET", "/api/v1/publications/{slug}/attestation", api_publication_attestation_get, P, 0, 0},
    {"GET", "/api/v1/publications/{slug}/corrections", api_publication_corrections_get, P, 0, 0},
    {"POST", "/api/v1/publications/{slug}/corrections", api_publication_corrections_post, A | J,
     8192, KW},
    {"GET", "/p/", api_publications_page_get, P | NS, 0, 0},
    {"GET", "/p", api_publications_page_get, P | NS, 0, 0},
    {"GET", "/p/{slug}", api_publication_page_get, P | NS, 0, 0},
    {"GET", "/feed.xml", api_feed_get, P, 0, 0},
    {"GET", "/healthz", api_healthz_get, 0, 0, 0},
    {"GET", "/readyz", api_readyz_get, 0, 0, 0},
    {"GET", "/metrics", api_metrics_get, 0, 0, 0},
    {"GET", "/", api_index_get, P, 0, 0},
    {"GET", "/web/{*}", api_static_get, P, 0, 0},
    {NULL, NULL, NULL, 0, 0, 0}};
