/*
 * api/routes.c: the one static route table. A known path with the wrong
 * method answers 405; an unknown path 404 (router.c).
 */
#include "config.h"

#include <stddef.h>

#include "api/api.h"

#define A ROUTE_AUTH
#define J ROUTE_JSON_BODY
#define P ROUTE_PUBLIC
#define S ROUTE_STREAM
#define NS ROUTE_NOSCRIPT

const struct router_route api_routes[] = {
    {"POST", "/api/v1/session", api_session_post, J, 4096},
    {"DELETE", "/api/v1/session", api_session_delete, A, 0},
    {"GET", "/api/v1/me", api_me_get, A, 0},
    {"POST", "/api/v1/tokens", api_tokens_post, A | J, 0},
    {"GET", "/api/v1/tokens", api_tokens_get, A, 0},
    {"DELETE", "/api/v1/tokens/{id}", api_token_delete, A, 0},
    {"POST", "/api/v1/orgs", api_orgs_post, A | J, 0},
    {"GET", "/api/v1/orgs", api_orgs_get, A, 0},
    {"POST", "/api/v1/orgs/{id}/users", api_org_users_post, A | J, 0},
    {"GET", "/api/v1/orgs/{id}/users", api_org_users_get, A, 0},
    {"DELETE", "/api/v1/users/{id}/sessions", api_user_sessions_delete, A, 0},
    {"POST", "/api/v1/campaigns", api_campaigns_post, A | J, 0},
    {"GET", "/api/v1/campaigns", api_campaigns_get, A, 0},
    {"GET", "/api/v1/campaigns/{id}", api_campaign_get, A, 0},
    {"PATCH", "/api/v1/campaigns/{id}", api_campaign_patch, A | J, 0},
    {"POST", "/api/v1/campaigns/{id}/engagements", api_engagements_post, A | J, 0},
    {"GET", "/api/v1/engagements", api_engagements_get, A, 0},
    {"GET", "/api/v1/engagements/{id}", api_engagement_get, A, 0},
    {"POST", "/api/v1/engagements/{id}/findings", api_findings_post, A | J, 0},
    {"GET", "/api/v1/engagements/{id}/findings", api_findings_get, A, 0},
    {"POST", "/api/v1/engagements/{id}/findings:import", api_findings_import, A, 4194304},
    {"GET", "/api/v1/engagements/{id}/findings.csv", api_findings_csv_get, A, 0},
    {"GET", "/api/v1/engagements/{id}/oscal", api_engagement_oscal_get, A, 0},
    {"GET", "/api/v1/engagements/{id}/report", api_engagement_report_get, A | NS, 0},
    {"GET", "/api/v1/engagements/{id}/claims", api_claims_get, A, 0},
    {"PUT", "/api/v1/engagements/{id}/claims/{tm}", api_claim_put, A | J, 0},
    {"GET", "/api/v1/engagements/{id}/statement", api_statement_get, A, 0},
    {"PUT", "/api/v1/engagements/{id}/statement", api_statement_put, A | J, 0},
    {"POST", "/api/v1/engagements/{id}/name-check", api_name_check_post, A | J, 0},
    {"GET", "/api/v1/engagements/{id}/evidence", api_evidence_list_get, A, 0},
    {"POST", "/api/v1/engagements/{id}/evidence", api_evidence_post, A | S, 0},
    {"POST", "/api/v1/engagements/{id}/uploads", api_uploads_post, A, 0},
    {"OPTIONS", "/api/v1/engagements/{id}/uploads", api_uploads_options, 0, 0},
    {"GET", "/api/v1/evidence/{id}", api_evidence_get, A, 0},
    {"DELETE", "/api/v1/evidence/{id}", api_evidence_delete, A, 0},
    {"GET", "/api/v1/evidence/{id}/receipt", api_evidence_receipt_get, A, 0},
    {"HEAD", "/api/v1/uploads/{id}", api_upload_head, A, 0},
    {"PATCH", "/api/v1/uploads/{id}", api_upload_patch, A | S, 0},
    {"DELETE", "/api/v1/uploads/{id}", api_upload_delete, A, 0},
    {"GET", "/api/v1/findings/{id}", api_finding_get, A, 0},
    {"PATCH", "/api/v1/findings/{id}", api_finding_patch, A | J, 0},
    {"GET", "/api/v1/findings/{id}/history", api_finding_history_get, A, 0},
    {"GET", "/api/v1/threat-models", api_threat_models_get, P, 0},
    {"GET", "/api/v1/vocabulary", api_vocabulary_get, P, 0},
    {"GET", "/.well-known/lockstep/signing-key", api_signing_key_get, P, 0},
    {"GET", "/.well-known/lockstep/signing-keys", api_signing_keys_get, P, 0},
    /* public, anonymous (no identity even with a token): see pubcache.c */
    {"GET", "/api/v1/publications", api_publications_get, P, 0},
    {"GET", "/api/v1/publications/{slug}", api_publication_get, P, 0},
    {"GET", "/api/v1/publications/{slug}/signature", api_publication_signature_get, P, 0},
    {"GET", "/api/v1/publications/{slug}/oscal", api_publication_oscal_get, P, 0},
    {"GET", "/p/{slug}", api_publication_page_get, P | NS, 0},
    {"GET", "/feed.xml", api_feed_get, P, 0},
    {"GET", "/healthz", api_healthz_get, 0, 0},
    {"GET", "/readyz", api_readyz_get, 0, 0},
    {"GET", "/metrics", api_metrics_get, 0, 0},
    {"GET", "/", api_index_get, P, 0},
    {"GET", "/web/{*}", api_static_get, P, 0},
    {NULL, NULL, NULL, 0, 0}};
