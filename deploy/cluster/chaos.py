#!/usr/bin/python3
"""deploy/cluster/chaos.py: the chaos test of the highly available cluster.

Run by deploy/cluster/test against a cluster that deploy/cluster/run set up
(LOCKSTEP_CLUSTER_DIR). Under continuous load -- writers creating and
updating findings and logging every acknowledged write, a resumable
evidence upload, public readers of a released publication, and a campaign
whose release instant falls inside the test -- it does, in sequence:

  kill -9 one lockstepd replica
  kill -9 the PostgreSQL primary's node (Patroni and PostgreSQL: the
      synchronous standby is promoted)
  restart the old primary (it rejoins as a standby, pg_rewind if needed)
  kill -9 one etcd member

and then checks: every acknowledged write is there with its last
acknowledged content (or a later, unacknowledged one of the same client);
the due campaign is published exactly once and no publication is
duplicated; the upload completes by resuming with a matching SHA-256; the
audit chain verifies; public reads were served at least 99% of the time.
It prints the write-unavailability window of the fail-over and the counts,
one "check: ..." line per check, and exits non-zero if any check failed.

Only the Python standard library; every loop is bounded in time.
"""

import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

# seconds the old primary has to come back as the synchronous standby
REJOIN_WITHIN = 150

HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.environ["LOCKSTEP_CLUSTER_DIR"]
URL = os.environ["LOCKSTEP_CLUSTER_URL"].rstrip("/")
BASE = int(os.environ["LOCKSTEP_CLUSTER_BASE"])
LC_PATRONI = (BASE + 21, BASE + 22)
ADMIN_EMAIL = os.environ.get("LOCKSTEP_ADMIN_EMAIL", "admin@lockstep.local")
WRITERS = int(os.environ.get("CHAOS_WRITERS", "3"))
READERS = int(os.environ.get("CHAOS_READERS", "2"))
UPLOAD_BYTES = int(os.environ.get("CHAOS_UPLOAD_BYTES", str(8 * 1024 * 1024)))
CHUNK = 256 * 1024

stop = threading.Event()
lock = threading.Lock()
results = {"checks": [], "failed": 0}


def log(msg):
    print("chaos: %s" % msg, flush=True)


def check(name, ok, detail=""):
    results["checks"].append((name, ok))
    if not ok:
        results["failed"] += 1
    print("check: %s %s%s" % ("PASS" if ok else "FAIL", name, (" -- " + detail) if detail else ""),
          flush=True)


def call(method, path, body=None, token=None, headers=None, timeout=10, raw=False):
    """One request; returns (status, parsed body or bytes, headers) or (0, error, {})."""
    data = None
    h = dict(headers or {})
    if body is not None and not raw:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    elif body is not None:
        data = body
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(URL + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = resp.read()
            status, hdrs = resp.status, resp.headers
    except urllib.error.HTTPError as e:
        payload = e.read()
        status, hdrs = e.code, e.headers
    except Exception as e:  # connection refused, reset, timeout
        return 0, str(e), {}
    ctype = hdrs.get("Content-Type", "")
    if "json" in ctype:
        try:
            return status, json.loads(payload), hdrs
        except ValueError:
            pass
    return status, payload, hdrs


def call_abs(url):
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers
    except Exception as e:
        return 0, str(e), {}


def must(method, path, body=None, token=None, want=(200, 201), tries=30):
    """A set-up request: retried while the cluster is settling."""
    for _ in range(tries):
        st, b, _h = call(method, path, body, token)
        if st in want:
            return b
        if st not in (0, 502, 503, 504):
            raise SystemExit("set-up %s %s: %s %s" % (method, path, st, b))
        time.sleep(1)
    raise SystemExit("set-up %s %s: no answer" % (method, path))


def fieldwork(engagement_id, token):
    """Move a new engagement to fieldwork, where findings and evidence may be
    added (a server without engagement stages answers 404: nothing to do)."""
    for _ in range(30):
        st, b, _h = call("POST", "/api/v1/engagements/%s/stage" % engagement_id,
                         {"stage": "fieldwork"}, token)
        if st in (200, 404, 405):
            return
        if st not in (0, 502, 503, 504):
            raise SystemExit("set-up: fieldwork %s: %s %s" % (engagement_id, st, b))
        time.sleep(1)


def login(email, password):
    b = must("POST", "/api/v1/session", {"email": email, "password": password})
    return b["token"]


def ctl(*args):
    subprocess.run([os.path.join(HERE, "ctl")] + list(args), check=False,
                   env=dict(os.environ, LOCKSTEP_CLUSTER_DIR=STATE),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def psql(user, sql):
    """SQL through HAProxy as the service user would run it; returns stdout."""
    out = subprocess.run([os.path.join(HERE, "ctl"), "sql", user, sql], capture_output=True, text=True,
                         env=dict(os.environ, LOCKSTEP_CLUSTER_DIR=STATE), timeout=60)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return out.stdout.strip()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# ---------------------------------------------------------------- set-up
def setup():
    admin_pw = open(os.path.join(STATE, "admin-password")).read().strip()
    admin = login(ADMIN_EMAIL, admin_pw)
    tag = "%d" % (time.time() * 1000 % 10**9)
    firm = must("POST", "/api/v1/orgs", {"name": "Chaos Firm " + tag, "kind": "assessor",
                                         "aliases": []}, admin)
    lab = must("POST", "/api/v1/orgs", {"name": "Chaos Lab " + tag, "kind": "company",
                                        "aliases": []}, admin)
    pw = base64.b64encode(os.urandom(18)).decode()
    users = {}
    for org, who in ((firm, "assessor"), (lab, "company")):
        email = "%s-%s@chaos.test" % (who, tag)
        must("POST", "/api/v1/orgs/%s/users" % org["id"],
             {"email": email, "name": who, "role": "admin", "password": pw}, admin)
        users[who] = login(email, pw)

    def campaign(title, release_at):
        c = must("POST", "/api/v1/campaigns", {
            "title": title, "slug": "chaos-%s-%s" % (title.split()[0].lower(), tag),
            "threat_models": ["WEIGHTS-EXFIL"], "release_at": iso(release_at),
            "disclosure": "named"}, admin)
        e = must("POST", "/api/v1/campaigns/%s/engagements" % c["id"], {
            "company_org": lab["id"], "assessor_org": firm["id"], "scope": "chaos scope",
            "lead_assessors": ["Chaos Lead"]}, admin)
        must("PATCH", "/api/v1/campaigns/%s" % c["id"], {"state": "active"}, admin)
        fieldwork(e["id"], admin)
        return c, e

    now = time.time()
    # released before the faults start: the public readers' target
    public_c, public_e = campaign("Public chaos", now + 4)
    must("PUT", "/api/v1/engagements/%s/claims/WEIGHTS-EXFIL" % public_e["id"],
         {"level": "OC2", "summary": "Robust up to OC2 in this test."}, users["assessor"])
    # the writers' campaign: released long after the test
    work_c, work_e = campaign("Work chaos", now + 30 * 86400)
    # released inside the test (set again once the faults are scheduled)
    due_c, due_e = campaign("Due chaos", now + 3600)
    return {"admin": admin, "users": users, "public": public_c, "work": work_c,
            "work_e": work_e, "due": due_c, "due_e": due_e, "tag": tag}


# ---------------------------------------------------------------- load
class Writer(threading.Thread):
    """Creates and updates findings; logs what was acknowledged."""

    def __init__(self, n, token, engagement):
        super().__init__(daemon=True)
        self.n, self.token, self.engagement = n, token, engagement
        self.acked = {}     # finding id -> last acknowledged detail
        self.pending = {}   # finding id -> [details sent after it, not acknowledged]
        self.ok = self.failed = 0
        self.fail_times = []
        self.ok_times = []
        self.ok_spans = []  # (sent, acknowledged) of every acknowledged write

    def run(self):
        seq = 0
        while not stop.is_set():
            seq += 1
            t0 = time.time()
            detail = "writer %d write %d %s" % (self.n, seq, os.urandom(6).hex())
            if not self.acked or random.random() < 0.3:
                st, b, _ = call("POST", "/api/v1/engagements/%s/findings" % self.engagement, {
                    "threat_model": "WEIGHTS-EXFIL", "title": "Chaos finding %d.%d" % (self.n, seq),
                    "detail": detail, "severity": "medium"}, self.token)
                fid = b.get("id") if st == 201 and isinstance(b, dict) else None
            else:
                fid = random.choice(list(self.acked))
                st, b, _ = call("PATCH", "/api/v1/findings/%s" % fid, {"detail": detail},
                                self.token)
            t = time.time()
            if st in (200, 201) and fid:
                self.acked[fid] = detail
                self.pending[fid] = []
                self.ok += 1
                self.ok_times.append(t)
                self.ok_spans.append((t0, t))
            else:
                if fid:
                    self.pending.setdefault(fid, []).append(detail)
                self.failed += 1
                self.fail_times.append(t)
                time.sleep(0.2)


class Reader(threading.Thread):
    def __init__(self, slug):
        super().__init__(daemon=True)
        self.slug = slug
        self.ok = self.failed = 0

    def run(self):
        while not stop.is_set():
            st, _b, _ = call("GET", "/api/v1/publications/%s" % self.slug, timeout=5)
            if st == 200:
                self.ok += 1
            else:
                self.failed += 1
            time.sleep(0.05)


class Uploader(threading.Thread):
    """A tus upload in small PATCHes that resumes from HEAD's offset."""

    def __init__(self, token, engagement):
        super().__init__(daemon=True)
        self.token, self.engagement = token, engagement
        self.data = os.urandom(UPLOAD_BYTES)
        self.sha = hashlib.sha256(self.data).hexdigest()
        self.resumes = 0
        self.done_id = None
        self.error = None

    def run(self):
        tus = {"Tus-Resumable": "1.0.0"}
        loc = None
        deadline = time.time() + 240
        while loc is None and time.time() < deadline:
            st, _b, h = call("POST", "/api/v1/engagements/%s/uploads" % self.engagement, None,
                             self.token, dict(tus, **{
                                 "Upload-Length": str(len(self.data)),
                                 "Upload-Metadata": "filename " +
                                 base64.b64encode(b"chaos.bin").decode()}))
            if st == 201:
                loc = h.get("Location")
            else:
                time.sleep(0.5)
        if loc is None:
            self.error = "could not create the upload"
            return
        path = loc[len(URL):] if loc.startswith("http") else loc
        offset = 0
        while time.time() < deadline:
            if offset >= len(self.data):
                break
            piece = self.data[offset:offset + CHUNK]
            st, b, h = call("PATCH", path, piece, self.token, dict(tus, **{
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream"}), raw=True, timeout=20)
            if st == 204:
                offset = int(h.get("Upload-Offset", offset + len(piece)))
                time.sleep(1.2)  # spread the upload over the faults (~40 s)
                continue
            # lost: ask the server where to go on from
            self.resumes += 1
            time.sleep(0.5)
            st, _b, h = call("HEAD", path, None, self.token, tus)
            if st == 200 and h.get("Upload-Offset") is not None:
                offset = int(h["Upload-Offset"])
        if offset < len(self.data):
            self.error = "upload stopped at %d of %d bytes" % (offset, len(self.data))
            return
        # the evidence that the last PATCH made
        for _ in range(60):
            st, b, _ = call("GET", "/api/v1/engagements/%s/evidence" % self.engagement,
                            token=self.token)
            if st == 200:
                for item in b.get("items", []):
                    if item.get("name") == "chaos.bin":
                        self.done_id = item["id"]
                        self.done_sha = item["sha256"]
                        return
            time.sleep(1)
        self.error = "the complete upload is not listed"


# ---------------------------------------------------------------- the test
def main():
    t_start = time.time()
    env = setup()
    users = env["users"]
    log("set-up done in %.1f s" % (time.time() - t_start))
    # the public publication must be out before the readers start
    for _ in range(60):
        st, _b, _ = call("GET", "/api/v1/publications/%s" % env["public"]["slug"])
        if st == 200:
            break
        time.sleep(1)
    else:
        raise SystemExit("the public campaign was not published")
    writers = [Writer(i, users["assessor"], env["work_e"]["id"]) for i in range(WRITERS)]
    readers = [Reader(env["public"]["slug"]) for _ in range(READERS)]
    uploader = Uploader(users["company"], env["work_e"]["id"])
    for t in writers + readers + [uploader]:
        t.start()

    # the due campaign's instant: shortly after the primary is killed
    due_at = time.time() + 16
    must("PATCH", "/api/v1/campaigns/%s" % env["due"]["id"],
         {"release_at": iso(due_at), "reason": "chaos test: due inside the faults"}, env["admin"])
    time.sleep(5)
    log("kill -9 lockstepd1")
    ctl("kill", "lockstepd1")
    time.sleep(6)
    primary = subprocess.run([os.path.join(HERE, "ctl"), "status"], capture_output=True,
                             text=True, env=dict(os.environ, LOCKSTEP_CLUSTER_DIR=STATE)).stdout
    node = "pg1" if "primary     pg1" in primary else "pg2"
    log("kill -9 the primary's node %s" % node)
    t_kill = time.time()
    ctl("kill", node)
    # wait for writes to come back: a write sent after the kill and
    # acknowledged (one sent before it may commit on the old primary and be
    # acknowledged seconds later, after its response's retries: it proves
    # nothing about the new primary)
    t_back = None
    while time.time() < t_kill + 90:
        ok_after = [t for w in writers for (t0, t) in list(w.ok_spans) if t0 > t_kill + 0.5]
        if ok_after:
            t_back = min(ok_after)
            break
        time.sleep(0.5)
    window = (t_back - t_kill) if t_back else None
    log("writes back after %s" % ("%.1f s" % window if window else "never"))
    old = LC_PATRONI[int(node[2]) - 1]
    other = LC_PATRONI[2 - int(node[2])]
    # the old primary comes back only once the other node leads: restarted
    # while its leader key is still alive (ttl), Patroni would rightly make
    # it the leader again, and there would be no rejoin to test
    promoted = None
    for _ in range(60):
        if call_abs("http://127.0.0.1:%d/primary" % other)[0] == 200:
            promoted = time.time() - t_kill
            break
        time.sleep(1)
    log("the other node leads after %s" % ("%.1f s" % promoted if promoted else "never"))
    time.sleep(3)
    log("restart the old primary %s" % node)
    ctl("start", node)
    ctl("start", "lockstepd1")
    rejoined = None
    t_restart = time.time()
    # a loaded machine (pg_rewind, replay, Patroni's loop) needs more than a minute
    while time.time() < t_restart + REJOIN_WITHIN:
        st, _b, _ = call_abs("http://127.0.0.1:%d/sync" % old)
        if st == 200:
            rejoined = time.time() - t_restart
            break
        time.sleep(1)
    log("old primary %s rejoined as synchronous standby after %s" %
        (node, "%.0f s" % rejoined if rejoined is not None else "never"))
    if rejoined is None:
        # what Patroni said about it (rewind, recovery), for whoever reads the
        # log: its own lines, without the REST API's tracebacks of health
        # checks that hung up early
        try:
            with open(os.path.join(STATE, "logs", "patroni%s.log" % node[2])) as f:
                tail = [ln.rstrip() for ln in f.readlines()
                        if ln[:2] == "20" and "no action" not in ln and
                        "Exception happened" not in ln][-30:]
            for ln in tail:
                log("  %s: %s" % (node, ln[:300]))
        except OSError as e:
            log("  %s: no Patroni log (%s)" % (node, e))
    log("kill -9 etcd2")
    t_etcd = time.time()
    ctl("kill", "etcd2")
    time.sleep(8)
    ctl("start", "etcd2")
    # let the upload finish, then stop the load
    uploader.join(timeout=max(1, 240 - (time.time() - t_start)))
    stop.set()
    for t in writers + readers:
        t.join(timeout=15)

    # ------------------------------------------------------------ checks
    acked = sum(len(w.acked) for w in writers)
    ok_writes = sum(w.ok for w in writers)
    failed_writes = sum(w.failed for w in writers)
    log("writes acknowledged %d, refused or lost %d, findings %d" %
        (ok_writes, failed_writes, acked))
    lost = []
    for w in writers:
        for fid, detail in w.acked.items():
            st, b = 0, None
            for _ in range(30):
                st, b, _ = call("GET", "/api/v1/findings/%s" % fid, token=users["assessor"])
                if st in (200, 404):
                    break
                time.sleep(1)
            allowed = [detail] + w.pending.get(fid, [])
            if st != 200 or b.get("detail") not in allowed:
                lost.append((fid, st, detail, b.get("detail") if isinstance(b, dict) else b))
    check("every acknowledged write is there with its last acknowledged content",
          ok_writes > 0 and not lost,
          "%d findings checked, %d lost or changed%s" % (
              acked, len(lost), (": %s" % (lost[:3],)) if lost else ""))
    check("writes were refused or lost only during the fail-over, then served again",
          window is not None, "window %.1f s" % window if window else "writes never came back")

    check("the old primary rejoins as the synchronous standby", rejoined is not None,
          "after %.0f s" % rejoined if rejoined is not None else
          "not within %d s" % REJOIN_WITHIN)
    after_etcd = [t for w in writers for t in w.ok_times if t > t_etcd + 1]
    check("writes go on with one etcd member dead", len(after_etcd) > 0,
          "%d writes acknowledged after the kill" % len(after_etcd))

    # the due campaign: published exactly once
    for _ in range(60):
        st, _b, _ = call("GET", "/api/v1/publications/%s" % env["due"]["slug"])
        if st == 200:
            break
        time.sleep(1)
    n_due = psql("lockstep_owner", "SELECT count(*) FROM publications WHERE slug = '%s'" %
                 env["due"]["slug"])
    check("the campaign due inside the faults is published exactly once", n_due == "1",
          "%s publications of %s" % (n_due, env["due"]["slug"]))
    dup = psql("lockstep_owner", "SELECT count(*) FROM (SELECT campaign_id FROM publications "
               "GROUP BY campaign_id HAVING count(*) > 1) d")
    check("no campaign is published twice", dup == "0", "%s campaigns with duplicates" % dup)

    # the upload
    if uploader.error or not uploader.done_id:
        check("the resumable upload completes with a matching SHA-256", False,
              uploader.error or "no evidence")
    else:
        st, body, _ = call("GET", "/api/v1/evidence/%s" % uploader.done_id,
                           token=users["company"], timeout=60)
        got = hashlib.sha256(body).hexdigest() if st == 200 and isinstance(body, bytes) else None
        check("the resumable upload completes with a matching SHA-256",
              got == uploader.sha and uploader.done_sha == uploader.sha,
              "%d resumes, %d bytes" % (uploader.resumes, UPLOAD_BYTES))

    # the audit chain: every event sealed within seconds, then verified
    unsealed = None
    for _ in range(30):
        try:
            unsealed = psql("lockstep_owner", "SELECT unsealed FROM audit_chain_head()")
        except RuntimeError:
            unsealed = None
        if unsealed == "0":
            break
        time.sleep(0.5)
    check("every audit event is chained by the sealer within 15 s of the load", unsealed == "0",
          "%s unsealed" % unsealed)
    try:
        out = psql("lockstep_owner", "SELECT coalesce(audit_verify()::text, 'ok') || ' ' || "
                   "(SELECT count(*) FROM audit_events)")
        verdict, n = out.split()
        check("the audit chain verifies", verdict == "ok" and int(n) > 0,
              "%s events%s" % (n, "" if verdict == "ok" else ", first bad event " + verdict))
    except RuntimeError as e:
        check("the audit chain verifies", False, str(e))

    reads_ok = sum(r.ok for r in readers)
    reads_failed = sum(r.failed for r in readers)
    share = reads_ok / max(1, reads_ok + reads_failed)
    check("public reads were served at least 99% of the time", share >= 0.99,
          "%d of %d (%.2f%%)" % (reads_ok, reads_ok + reads_failed, 100 * share))
    print("chaos: fail-over write-unavailability window: %s (goal <= 30 s)" %
          ("%.1f s" % window if window else "unbounded"))
    print("chaos: %d writes acknowledged, %d refused or lost, %d public reads, %d failed, "
          "%d upload resumes, %.0f s in all" % (ok_writes, failed_writes, reads_ok, reads_failed,
                                               uploader.resumes, time.time() - t_start))
    with open(os.path.join(STATE, "chaos-result.json"), "w") as f:
        json.dump({"window_s": window, "checks": results["checks"], "tag": env["tag"],
                   "work_engagement": env["work_e"]["id"]}, f)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
