#!/usr/bin/python3
"""deploy/cluster/rotate_test.py: the master key rotated while serving.

Run by deploy/cluster/test against the cluster (after the chaos test).
Findings written before the rotation are read back (their texts are sealed
under their engagement's data key, which the master key wraps) and new
ones are written, continuously, while `deploy/cluster/ctl
rotate-master-key` restarts the replicas one by one and rewraps every data
key. Checks: the rotation completes; no confidential read or write failed
except for a 503 (never a wrong text or a 500); every finding reads back
with its text afterwards; the rotation is in the audit trail; the check
value changed; a lockstepd given the retired key refuses to start.
"""

import base64
import glob
import hashlib
import hmac
import json
import os
import subprocess
import struct
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos  # noqa: E402  (its request helpers; its main() does not run)

check = chaos.check


def totp(seed, at=None):
    """RFC 6238 with SHA-1, 6 digits, 30-second steps."""
    key = base64.b32decode(seed.upper() + "=" * (-len(seed) % 8))
    step = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def main():
    admin = chaos.login(chaos.ADMIN_EMAIL, open(os.path.join(chaos.STATE, "admin-password"))
                        .read().strip())
    tag = "%d" % (time.time() * 1000 % 10**9)
    firm = chaos.must("POST", "/api/v1/orgs", {"name": "Rotation Firm " + tag, "kind": "assessor",
                                               "aliases": []}, admin)
    lab = chaos.must("POST", "/api/v1/orgs", {"name": "Rotation Lab " + tag, "kind": "company",
                                              "aliases": []}, admin)
    email = "rot-%s@chaos.test" % tag
    pw = "rotation-" + os.urandom(9).hex()
    chaos.must("POST", "/api/v1/orgs/%s/users" % firm["id"],
               {"email": email, "name": "Rot", "role": "admin", "password": pw}, admin)
    token = chaos.login(email, pw)
    engagements = []
    for i in range(3):
        c = chaos.must("POST", "/api/v1/campaigns", {
            "title": "Rotation %d %s" % (i, tag), "slug": "rotation-%d-%s" % (i, tag),
            "threat_models": ["WEIGHTS-EXFIL"], "disclosure": "named",
            "release_at": chaos.iso(time.time() + 86400)}, admin)
        e = chaos.must("POST", "/api/v1/campaigns/%s/engagements" % c["id"], {
            "company_org": lab["id"], "assessor_org": firm["id"], "scope": "rotation scope %d" % i,
            "lead_assessors": ["Rot"]}, admin)
        chaos.fieldwork(e["id"], admin)
        engagements.append(e["id"])
    texts = {}
    for i, e in enumerate(engagements):
        b = chaos.must("POST", "/api/v1/engagements/%s/findings" % e, {
            "threat_model": "WEIGHTS-EXFIL", "title": "Before rotation %d" % i,
            "detail": "sealed before the rotation %d %s" % (i, tag), "severity": "low"}, token)
        texts[b["id"]] = b["detail"]

    stats = {"ok": 0, "unavailable": 0, "wrong": 0, "error": 0}
    stop = threading.Event()

    def load():
        n = 0
        while not stop.is_set():
            n += 1
            fid = list(texts)[n % len(texts)]
            st, b, _ = chaos.call("GET", "/api/v1/findings/%s" % fid, token=token)
            if st == 200:
                stats["ok" if b.get("detail") == texts[fid] else "wrong"] += 1
            elif st in (0, 502, 503):
                stats["unavailable"] += 1
            else:
                stats["error"] += 1
            e = engagements[n % len(engagements)]
            st, b, _ = chaos.call("POST", "/api/v1/engagements/%s/findings" % e, {
                "threat_model": "WEIGHTS-EXFIL", "title": "During rotation %d" % n,
                "detail": "written during the rotation %d %s" % (n, tag), "severity": "low"},
                token)
            if st == 201:
                texts[b["id"]] = b["detail"]
                stats["ok"] += 1
            elif st in (0, 502, 503):
                stats["unavailable"] += 1
            else:
                stats["error"] += 1
            time.sleep(0.05)

    # a second factor: its seed is sealed with the master key itself
    st, enrol, _ = chaos.call("POST", "/api/v1/me/totp", None, token)
    seed = enrol.get("secret") if st == 201 and isinstance(enrol, dict) else None
    if seed:
        st, _b, _ = chaos.call("POST", "/api/v1/me/totp/confirm", {"code": totp(seed)}, token)
        seed = seed if st == 200 else None
    before = chaos.psql("lockstep_owner", "SELECT encode(check_value, 'hex') FROM key_checks")
    t = threading.Thread(target=load, daemon=True)
    t.start()
    t0 = time.time()
    out = subprocess.run([os.path.join(chaos.HERE, "ctl"), "rotate-master-key"],
                         capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, LOCKSTEP_CLUSTER_DIR=chaos.STATE))
    took = time.time() - t0
    time.sleep(2)
    stop.set()
    t.join(timeout=15)
    check("ctl rotate-master-key completes while serving", out.returncode == 0,
          "%.0f s" % took if out.returncode == 0 else out.stderr[-500:])
    check("no confidential read or write failed during the rotation (503s aside)",
          stats["wrong"] == 0 and stats["error"] == 0 and stats["ok"] > 0,
          "%(ok)d ok, %(unavailable)d unavailable, %(wrong)d wrong texts, %(error)d errors" % stats)
    bad = []
    for fid, text in texts.items():
        st, b, _ = chaos.call("GET", "/api/v1/findings/%s" % fid, token=token)
        if st != 200 or b.get("detail") != text:
            bad.append((fid, st))
    check("every finding reads back with its text under the new key", not bad,
          "%d findings, %d bad" % (len(texts), len(bad)))
    # the second factor still works: the seed was re-sealed under the new key
    ok2 = False
    if seed:
        time.sleep(31)  # a new 30-second step: a code is accepted once
        st, ch, _ = chaos.call("POST", "/api/v1/session", {"email": email, "password": pw})
        if st == 200 and isinstance(ch, dict) and ch.get("challenge"):
            st, _b, _ = chaos.call("POST", "/api/v1/session/second-factor",
                                   {"challenge": ch["challenge"], "code": totp(seed)})
            ok2 = st == 201
    check("a second factor enrolled before the rotation still logs in after it", ok2,
          "enrolled" if seed else "could not enrol")
    after = chaos.psql("lockstep_owner", "SELECT encode(check_value, 'hex') FROM key_checks")
    check("the check value is the new key's", before != after and len(after) == 64)
    audited = chaos.psql("lockstep_owner",
                         "SELECT count(*) FROM audit_events WHERE action = 'master_key.rotated'")
    check("the rotation is in the audit trail", audited not in ("", "0"), "%s events" % audited)
    retired = sorted(glob.glob(os.path.join(chaos.STATE, "keys", "master.retired-*.key")))
    if not retired:
        check("a lockstepd with the retired key refuses to start", False, "no retired key kept")
    else:
        env = subprocess.run([os.path.join(chaos.HERE, "ctl"), "env", "1"], capture_output=True,
                             text=True, env=dict(os.environ, LOCKSTEP_CLUSTER_DIR=chaos.STATE)
                             ).stdout.split("\n")
        env = [v for v in env if v and not v.startswith(("LOCKSTEP_MASTER_KEY_FILE=",
                                                          "LOCKSTEP_PORT="))]
        env += ["LOCKSTEP_MASTER_KEY_FILE=" + retired[-1],
                "LOCKSTEP_PORT=%d" % (chaos.BASE + 62),
                "PGPASSFILE=" + os.path.join(chaos.STATE, "secrets/pgpass")]
        cmd = ["env"] + env + [os.path.join(chaos.STATE, "opt/bin/lockstepd"), "serve"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "lockstep", "--"] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        said = r.stdout + r.stderr
        check("a lockstepd with the retired key refuses to start",
              r.returncode != 0 and "master_key_mismatch" in said,
              "exit %d" % r.returncode)
    signing_rotation(admin, firm, lab, token, tag)
    return 1 if chaos.results["failed"] else 0


def published(admin, token, firm, lab, name, tag):
    """A campaign released a few seconds from now; returns its slug once out."""
    c = chaos.must("POST", "/api/v1/campaigns", {
        "title": "%s %s" % (name, tag), "slug": "%s-%s" % (name.lower(), tag),
        "threat_models": ["WEIGHTS-EXFIL"], "disclosure": "named",
        "release_at": chaos.iso(time.time() + 4)}, admin)
    e = chaos.must("POST", "/api/v1/campaigns/%s/engagements" % c["id"], {
        "company_org": lab["id"], "assessor_org": firm["id"], "scope": "signing scope",
        "lead_assessors": ["Rot"]}, admin)
    chaos.fieldwork(e["id"], admin)
    chaos.must("PUT", "/api/v1/engagements/%s/claims/WEIGHTS-EXFIL" % e["id"],
               {"level": "OC2", "summary": "Robust up to OC2 here."}, token)
    for _ in range(60):
        st, _b, _ = chaos.call("GET", "/api/v1/publications/%s" % c["slug"])
        if st == 200:
            return c["slug"]
        time.sleep(1)
    raise SystemExit("campaign %s was not published" % c["slug"])


def verify(slug, key=None):
    cmd = [os.path.join(chaos.STATE, "opt/bin/lockstep"), "--url", chaos.URL, "verify", slug]
    if key:
        cmd += ["--key", key]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {}
    return r.returncode, out


def signing_rotation(admin, firm, lab, token, tag):
    """The signing key rotated while serving; pinned readers follow the chain."""
    work = tempfile.mkdtemp(prefix="signing.", dir=chaos.STATE)
    old_pem = os.path.join(work, "old.pem")
    with urllib.request.urlopen(chaos.URL + "/.well-known/lockstep/signing-key?format=pem") as r:
        open(old_pem, "wb").write(r.read())
    before = published(admin, token, firm, lab, "Signed-before", tag)
    out = subprocess.run([os.path.join(chaos.HERE, "ctl"), "rotate-signing-key"],
                         capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, LOCKSTEP_CLUSTER_DIR=chaos.STATE))
    check("ctl rotate-signing-key completes while serving", out.returncode == 0,
          out.stderr[-500:] if out.returncode else "")
    after = published(admin, token, firm, lab, "Signed-after", tag)
    st, hist, _ = chaos.call("GET", "/.well-known/lockstep/signing-keys")
    keys = hist.get("keys", []) if st == 200 else []
    check("the key history has the new key endorsed by the old one",
          len(keys) >= 2 and keys[-1].get("endorsement") and
          keys[-1].get("previous_key_id") == keys[-2].get("key_id"), "%d keys" % len(keys))
    rc, doc = verify(after, old_pem)
    check("a publication signed after the rotation verifies from the pinned old key",
          rc == 0 and len(doc.get("key_chain", [])) == 2, "exit %d, chain %s" %
          (rc, doc.get("key_chain")))
    rc, doc = verify(before, old_pem)
    check("a publication signed before it verifies with the pinned old key", rc == 0,
          "exit %d" % rc)
    rc, doc = verify(before)
    check("a publication signed before it verifies from the server's new key (its ancestor)",
          rc == 0, "exit %d, chain %s" % (rc, doc.get("key_chain")))
    # a key outside the history is not trusted, whatever the chain says
    stranger = os.path.join(work, "stranger.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out",
                    os.path.join(work, "stranger.key")], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", os.path.join(work, "stranger.key"), "-pubout",
                    "-out", stranger], check=True, capture_output=True)
    rc, _doc = verify(after, stranger)
    check("a publication does not verify from a key outside the history", rc != 0,
          "exit %d" % rc)
    events = chaos.psql("lockstep_owner",
                        "SELECT count(*) FROM audit_events WHERE action = 'signing_key.rotated'")
    check("the signing key rotation is in the audit trail", events not in ("", "0"))


if __name__ == "__main__":
    sys.exit(main())
