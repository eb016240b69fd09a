#!/usr/bin/python3
"""tests/probe/probe.py: every route of the route table, sent bad input as
every kind of participant, against a running lockstepd.

The routes come from server/api/routes.c itself, so a new route is probed
without touching this file. For each write route, as the coordinator, a
company admin, an assessor admin and the admin of an unrelated company,
with the ids of objects the probe made (and with random ids): malformed
bodies, a wrong value for each of many field names, a wrong content type.
For each read route: malformed queries, and another tenant's ids. Checks:

  1. no answer is a server error (5xx other than 503) and none is missing;
  2. every refusal (4xx, 5xx) is application/problem+json;
  3. no request waits more than 10 s;
  4. the unrelated company, on every route naming another tenant's object,
     whatever it sends, gets the answer a missing id gets (status and body)
     and never reads it;
  5. the server still answers /healthz afterwards.

Needs LOCKSTEP_TEST_URL, LOCKSTEP_TEST_ADMIN_EMAIL, LOCKSTEP_TEST_ADMIN_PASSWORD
(else it prints "SKIP: reason"). Only the Python standard library. Prints one
line per check and last "N passed, N failed, N skipped"; bounded: about
30,000 requests, one at a time.
"""

import http.client
import json
import os
import random
import re
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTES_C = os.path.join(HERE, "..", "..", "server", "api", "routes.c")


def skip(why):
    print("SKIP: %s" % why)
    print("0 passed, 0 failed, 5 skipped")
    sys.exit(0)


URL = os.environ.get("LOCKSTEP_TEST_URL", "")
ADMIN = os.environ.get("LOCKSTEP_TEST_ADMIN_EMAIL", "")
PW = os.environ.get("LOCKSTEP_TEST_ADMIN_PASSWORD", "")
if not URL or not ADMIN or not PW:
    skip("LOCKSTEP_TEST_URL, LOCKSTEP_TEST_ADMIN_EMAIL and LOCKSTEP_TEST_ADMIN_PASSWORD must be set")
m = re.match(r"^http://([^/:]+):(\d+)/?$", URL)
if not m:
    skip("LOCKSTEP_TEST_URL must be http://host:port, got %s" % URL)
HOST, PORT = m.group(1), int(m.group(2))
RUN = "%d%04d" % (time.time(), random.randrange(10000))
random.seed(RUN)


def req(method, path, body=None, token=None, raw=None, ctype="application/json"):
    """One request on its own connection: (status, parsed body, content type, seconds)."""
    c = http.client.HTTPConnection(HOST, PORT, timeout=20)
    h = {}
    if token:
        h["Authorization"] = "Bearer " + token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        h["Content-Type"] = ctype
    t0 = time.time()
    try:
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        b = r.read()
        st, ct = r.status, r.getheader("Content-Type", "")
    except Exception as e:  # reset, refused, timeout: a missing answer
        return 0, str(e), "", time.time() - t0
    finally:
        c.close()
    try:
        j = json.loads(b) if "json" in ct else b
    except ValueError:
        j = b
    return st, j, ct, time.time() - t0


def must(method, path, body, token, want=(200, 201)):
    st, j, _, _ = req(method, path, body, token)
    if st not in want:
        print("FAIL set-up: %s %s answered %s %s" % (method, path, st, str(j)[:300]))
        print("0 passed, 1 failed, 0 skipped")
        sys.exit(1)
    return j


def login(email, password):
    return must("POST", "/api/v1/session", {"email": email, "password": password}, None)["token"]


# ---- the objects: two companies, an assessor firm, a campaign, an engagement, a finding
coord = login(ADMIN, PW)
tokens = {"coordinator": coord}
accounts = {"coordinator": (ADMIN, PW)}
orgs, users = {}, {}
for role, kind in (("company", "company"), ("assessor", "assessor"), ("other", "company")):
    o = must("POST", "/api/v1/orgs", {"name": "Probe %s %s" % (role, RUN), "kind": kind}, coord)
    orgs[role] = o["id"]
    email, password = "probe-%s-%s@probe.test" % (role, RUN), "probe-password-%s" % RUN
    u = must("POST", "/api/v1/orgs/%s/users" % o["id"],
             {"email": email, "name": "Probe " + role, "role": "admin", "password": password}, coord)
    users[role] = u["id"]
    accounts[role] = (email, password)
    tokens[role] = login(email, password)
camp = must("POST", "/api/v1/campaigns", {"title": "Probe " + RUN, "slug": "probe-" + RUN,
            "threat_models": ["WEIGHTS-EXFIL"], "release_at": "2031-01-01T12:00:00Z",
            "disclosure": "pseudonymous", "min_cohort": 1}, coord)
eng = must("POST", "/api/v1/campaigns/%s/engagements" % camp["id"],
           {"company_org": orgs["company"], "assessor_org": orgs["assessor"],
            "scope": "probe scope", "lead_assessors": ["Probe Lead"]}, coord)
must("POST", "/api/v1/engagements/%s/stage" % eng["id"], {"stage": "fieldwork"}, tokens["assessor"])
fnd = must("POST", "/api/v1/engagements/%s/findings" % eng["id"],
           {"threat_model": "WEIGHTS-EXFIL", "title": "probe finding", "detail": "probe detail",
            "severity": "high"}, tokens["assessor"])
com = must("POST", "/api/v1/engagements/%s/commitments" % eng["id"],
           {"framework": "RAND-SL", "version": "2024", "level": "SL3", "text": "probe commitment"},
           tokens["company"], (200, 201))
IDS = {"engagements": eng["id"], "findings": fnd["id"], "campaigns": camp["id"],
       "orgs": orgs["company"], "users": users["company"], "commitments": com["id"]}
# objects of the company's tenancy that the unrelated company must never
# read or change (the campaign, its orgs and users are the other parties')
FOREIGN = ("engagements", "findings", "commitments", "campaigns", "orgs", "users")

# ---- the routes, from the route table
routes = re.findall(r'\{"([A-Z]+)", "(/[^"]*)"', open(ROUTES_C).read())
if len(routes) < 50:
    print("FAIL set-up: only %d routes read from %s" % (len(routes), ROUTES_C))
    print("0 passed, 1 failed, 0 skipped")
    sys.exit(1)
# ends a session, a factor or an account of the probe's own, or streams a body
SKIP = ("/api/v1/session", "/disable", "/sessions", "/me/password", "/me/totp", "/tokens/{id}",
        "/password-reset", "/account/accept", "/uploads", "/evidence")
FIELDS = ["title", "detail", "severity", "status", "name", "kind", "email", "password", "level",
          "summary", "url", "release_at", "threat_model", "text", "framework", "version", "verdict",
          "stage", "decision", "note", "body", "justification", "expires_at", "capability", "access",
          "person_days", "role", "slug", "threat_models", "disclosure", "min_cohort", "company_org",
          "assessor_org", "scope", "lead_assessors", "events", "secret", "response", "reason",
          "follows", "days", "review_opens_at", "oc_required", "remediation_due", "cvss", "atlas",
          "cwe", "result", "evidence", "aliases", "addendum", "statement", "action", "extend_by",
          "fieldwork_from", "fieldwork_to", "rules_of_engagement", "link", "critical", "high",
          "scopes", "label", "required", "draft_hash", "code", "token", "fields", "until"]
VALUES = [None, 0, -1, 1.5, True, [], {}, "", "x" * 70000, "\u0000", "a\u202eb", 1e308,
          99999999999999999999, "\ud800", ["x"] * 300, {"a": {"b": [1]}}, "2030-02-30T00:00:00Z",
          "../../etc/passwd", "<script>alert(1)</script>", "OC9", "tomorrow", " ", "\n", "infinity"]
GENERIC = [b"", b"{", b"null", b"[]", b"1", b'"s"', b"{}", b'{"x":1}', b"[" * 2000 + b"]" * 2000,
           b'{"title":"\xff\xfe"}', b'{"a":1,"a":2}', b"\xef\xbb\xbf{}", b'{"title":"\\ud800"}',
           b'{"title":"' + b"y" * 2000000 + b'"}']
QUERIES = ["?limit=-1", "?limit=999999999999", "?limit=abc&limit=2", "?cursor=%00", "?cursor=../../",
           "?after=zzz", "?q=%ff%fe", "?sort=;drop", "?severity[]=x", "?status=%E2%80%AE",
           "?" + "a=b&" * 60, "?threat_model=" + "W" * 2000]


def path_for(p, real):
    parts = p.split("/")
    out = []
    for i, s in enumerate(parts):
        if s == "{id}":
            out.append(IDS.get(parts[i - 1], str(uuid.uuid4())) if real else str(uuid.uuid4()))
        elif s in ("{rid}", "{tid}"):
            out.append(str(uuid.uuid4()))
        elif s == "{tm}":
            out.append("WEIGHTS-EXFIL")
        elif s == "{slug}":
            out.append("probe-" + RUN)
        elif s == "{*}":
            out.append("app.js")
        else:
            out.append(s)
    return "/".join(out)


def foreign_id(p):
    """The id of another tenant's object that path pattern p names, if any."""
    segs = p.split("/")
    for i, seg in enumerate(segs):
        if seg == "{id}" and segs[i - 1] in FOREIGN:
            return IDS[segs[i - 1]]
    return None


MISSING = str(uuid.uuid4())


def same_as_missing(method, path, fid, got, kw):
    """The unrelated company's answer on another tenant's object must be the
    answer it gets for an id that does not exist (status and body, the id
    aside): otherwise the answer tells that the object exists."""
    st2, j2, _, _ = req(method, path.replace(fid, MISSING), **kw)
    st, j = got
    a = json.dumps(j, sort_keys=True, default=str).replace(fid, MISSING)
    b = json.dumps(j2, sort_keys=True, default=str)
    if st != st2 or a != b:
        failures["tenant"].append("%s %s as the unrelated company: %s %s, but for a missing id %s %s"
                                  % (method, path, st, a[:100], st2, b[:100]))


failures = {"5xx": [], "problem": [], "slow": [], "tenant": []}
n = 0
statuses = {}


def judge(method, path, role, what, st, j, ct, dt):
    detail = "%s %s as %s (%s): %s %s" % (method, path[:100], role, what[:40], st, str(j)[:120])
    statuses[st] = statuses.get(st, 0) + 1
    if st == 0 or (st >= 500 and st != 503):
        failures["5xx"].append(detail)
    elif st >= 400 and "application/problem+json" not in ct and method != "HEAD":
        failures["problem"].append(detail + " " + ct)
    if dt > 10:
        failures["slow"].append("%.1f s: %s" % (dt, detail))


def refresh(role):
    """A probe request may have ended its own session: log in again."""
    if req("GET", "/api/v1/me", token=tokens[role])[0] == 401:
        tokens[role] = login(*accounts[role])


t0 = time.time()
for method, p in routes:
    if method in ("GET", "HEAD", "OPTIONS") or any(s in p for s in SKIP):
        continue
    for role in list(tokens):
        for real in (True, False):
            path = path_for(p, real)
            fid = foreign_id(p) if real and role == "other" else None
            for g in GENERIC:
                st, j, ct, dt = req(method, path, token=tokens[role], raw=g)
                n += 1
                judge(method, path, role, "body %r" % g[:20], st, j, ct, dt)
                if fid:
                    n += 1
                    same_as_missing(method, path, fid, (st, j), dict(raw=g, token=tokens[role]))
            for f in FIELDS:
                v = random.choice(VALUES)
                st, j, ct, dt = req(method, path, {f: v}, tokens[role])
                n += 1
                judge(method, path, role, "%s=%s" % (f, str(v)[:20]), st, j, ct, dt)
                if fid:
                    n += 1
                    same_as_missing(method, path, fid, (st, j), dict(body={f: v}, token=tokens[role]))
            st, j, ct, dt = req(method, path, raw=b"{}", token=tokens[role], ctype="text/plain")
            n += 1
            judge(method, path, role, "text/plain", st, j, ct, dt)
        refresh(role)
for method, p in routes:
    if method != "GET":
        continue
    for role in list(tokens):
        path = path_for(p, True)
        for q in QUERIES:
            st, j, ct, dt = req("GET", path + q, token=tokens[role])
            n += 1
            judge("GET", path + q, role, "query", st, j, ct, dt)
        fid = foreign_id(p) if role == "other" else None
        if fid:
            st, j, ct, dt = req("GET", path, token=tokens[role])
            n += 2
            if st == 200:
                failures["tenant"].append("GET %s as the unrelated company: 200 %s" % (path, str(j)[:120]))
            same_as_missing("GET", path, fid, (st, j), dict(token=tokens[role]))
healthy = req("GET", "/healthz")[0] == 200

print("probe: %d requests over %d routes in %.0f s" % (n, len(routes), time.time() - t0))
print("answers: " + ", ".join("%s x%d" % (k, v) for k, v in sorted(statuses.items())))
checks = [
    ("no server error and no missing answer", failures["5xx"]),
    ("every refusal is application/problem+json", failures["problem"]),
    ("no request waits more than 10 s", failures["slow"]),
    ("the unrelated company is answered as for a missing id", failures["tenant"]),
    ("the server answers /healthz afterwards", [] if healthy else ["/healthz did not answer 200"]),
]
passed = failed = 0
for name, bad in checks:
    if bad:
        failed += 1
        print("FAIL %s: %d requests, e.g.:" % (name, len(bad)))
        for b in bad[:8]:
            print("  " + b)
    else:
        passed += 1
        print("PASS %s" % name)
print("%d passed, %d failed, 0 skipped" % (passed, failed))
sys.exit(1 if failed else 0)
