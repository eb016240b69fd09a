#!/usr/bin/python3
"""deploy/cluster/restore_drill.py: a point-in-time restore, proven.

Run by deploy/cluster/test after the chaos test, against the same cluster
(LOCKSTEP_CLUSTER_DIR, LOCKSTEP_CLUSTER_URL, LOCKSTEP_CLUSTER_BASE):

  an incremental backup; a write A; the point in time T; a write B; the
  WAL archived; a restore to T into a fresh directory (deploy/cluster/ctl
  restore), started as a stand-alone PostgreSQL; lockstepd started on it
  with the cluster's keys.

Checks: A is there and B is not; every publication of the restored
database verifies with `lockstep verify` against the pinned signing key;
the audit chain verifies; lockstepd started on the restored database with
another master key refuses to start, saying why.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos  # noqa: E402  (its check(); its main() does not run)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STATE = os.environ["LOCKSTEP_CLUSTER_DIR"]
URL = os.environ["LOCKSTEP_CLUSTER_URL"].rstrip("/")
BASE = int(os.environ["LOCKSTEP_CLUSTER_BASE"])
ADMIN_EMAIL = os.environ.get("LOCKSTEP_ADMIN_EMAIL", "admin@lockstep.local")
PG_PORT, HTTP_PORT = BASE + 60, BASE + 61
check = chaos.check


def ctl(*args, timeout=300):
    out = subprocess.run([os.path.join(HERE, "ctl")] + list(args), capture_output=True, text=True,
                         env=dict(os.environ, LOCKSTEP_CLUSTER_DIR=STATE), timeout=timeout)
    if out.returncode != 0:
        raise SystemExit("ctl %s failed: %s" % (" ".join(args), out.stderr.strip()[-2000:]))
    return out.stdout.strip()


def call(url, method="GET", body=None, token=None):
    h = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, method=method, headers=h,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:
        return 0, str(e)


def login(base):
    pw = open(os.path.join(STATE, "admin-password")).read().strip()
    for _ in range(60):
        st, b = call(base + "/api/v1/session", "POST", {"email": ADMIN_EMAIL, "password": pw})
        if st == 201:
            return b["token"]
        time.sleep(1)
    raise SystemExit("cannot log in at %s" % base)


def campaign(token, title):
    st, b = call(URL + "/api/v1/campaigns", "POST", {
        "title": title, "slug": title.lower().replace(" ", "-"), "threat_models": ["WEIGHTS-EXFIL"],
        "release_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400)),
        "disclosure": "named"}, token)
    if st != 201:
        raise SystemExit("cannot create campaign %s: %s %s" % (title, st, b))
    return b


def env_of(pg_port, http_port, key_dir):
    user_env = {
        "PGPASSFILE": os.path.join(STATE, "secrets/pgpass"),
        "LOCKSTEP_DATABASE_URL": "host=127.0.0.1 port=%d dbname=lockstep user=lockstep_app" % pg_port,
        "LOCKSTEP_OWNER_DATABASE_URL":
            "host=127.0.0.1 port=%d dbname=lockstep user=lockstep_owner" % pg_port,
        "LOCKSTEP_LISTEN_ADDRESS": "127.0.0.1", "LOCKSTEP_PORT": str(http_port),
        "LOCKSTEP_MASTER_KEY_FILE": os.path.join(key_dir, "master.key"),
        "LOCKSTEP_SIGNING_KEY_FILE": os.path.join(key_dir, "signing.pem"),
        "LOCKSTEP_WEB_DIR": os.path.join(STATE, "opt/share/lockstep/web"),
        "LOCKSTEP_SQL_DIR": os.path.join(STATE, "opt/share/lockstep/sql"),
    }
    return ["env"] + ["%s=%s" % kv for kv in user_env.items()]


def as_service(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", "lockstep", "--"] + cmd
    return cmd


def main():
    token = login(URL)
    tag = "%d" % (time.time() * 1000 % 10**9)
    ctl("backup", "incr")
    a = campaign(token, "Restore before %s" % tag)
    time.sleep(1.5)
    target = ctl("sql", "postgres", "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                 "'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    time.sleep(1.5)
    b = campaign(token, "Restore after %s" % tag)
    ctl("sql", "postgres", "SELECT pg_switch_wal()")
    ctl("check")
    work = tempfile.mkdtemp(prefix="restore.", dir=STATE)
    os.chmod(work, 0o700)
    if os.geteuid() == 0:
        shutil.chown(work, "lockstep", "lockstep")
    t0 = time.time()
    ctl("restore", target, work, str(PG_PORT))
    print("restore: to %s in %.1f s" % (target, time.time() - t0), flush=True)
    log = open(os.path.join(work, "lockstepd.log"), "w")
    srv = None
    try:
        # another master key: lockstepd must refuse the restored database
        wrong = os.path.join(work, "wrong-keys")
        os.mkdir(wrong, 0o700)
        if os.geteuid() == 0:
            shutil.chown(wrong, "lockstep", "lockstep")
        bin_ = os.path.join(STATE, "opt/bin/lockstepd")
        subprocess.run(as_service(env_of(PG_PORT, HTTP_PORT, wrong) + [bin_, "init-keys"]),
                       check=True, capture_output=True)
        bad = subprocess.run(as_service(env_of(PG_PORT, HTTP_PORT, wrong) + [bin_, "serve"]),
                             capture_output=True, text=True, timeout=60)
        said = bad.stdout + bad.stderr
        check("lockstepd refuses a restored database with another master key",
              bad.returncode != 0 and "master_key_mismatch" in said,
              "exit %d, %s" % (bad.returncode, "says master_key_mismatch"
                               if "master_key_mismatch" in said else said[-300:]))
        srv = subprocess.Popen(as_service(env_of(PG_PORT, HTTP_PORT, os.path.join(STATE, "keys")) +
                                          [bin_, "serve"]), stdout=log, stderr=log)
        base = "http://127.0.0.1:%d" % HTTP_PORT
        rtoken = login(base)
        st, lst = call(base + "/api/v1/campaigns?limit=200", token=rtoken)
        titles = [c["title"] for c in lst.get("items", [])] if st == 200 else []
        check("the restore holds the write before the point in time", a["title"] in titles)
        check("the restore holds nothing written after it", b["title"] not in titles)
        st, pubs = call(base + "/api/v1/publications?limit=200")
        slugs = [p["slug"] for p in pubs.get("items", [])] if st == 200 else []
        # pin the first key of the history: later keys are followed from it
        key = os.path.join(work, "signing.first.pem")
        with urllib.request.urlopen(base + "/.well-known/lockstep/signing-keys") as r:
            first = json.loads(r.read())["keys"][0]["key"]
        raw = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))
        der = bytes.fromhex("302a300506032b6570032100") + raw
        with open(key, "w") as f:
            f.write("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" %
                    base64.b64encode(der).decode())
        bad_pubs = [s for s in slugs if subprocess.run(
            [os.path.join(STATE, "opt/bin/lockstep"), "--url", base, "verify", s, "--key", key],
            capture_output=True).returncode != 0]
        check("every restored publication verifies", slugs and not bad_pubs,
              "%d publications, %d failed" % (len(slugs), len(bad_pubs)))
        out = subprocess.run(as_service(["env", "PGPASSFILE=" + os.path.join(STATE, "secrets/pgpass"),
                                         "/usr/lib/postgresql/15/bin/psql", "-X", "-A", "-t", "-h",
                                         "127.0.0.1", "-p", str(PG_PORT), "-U", "lockstep_owner",
                                         "-d", "lockstep", "-c",
                                         "SELECT coalesce(audit_verify()::text, 'ok')"]),
                             capture_output=True, text=True)
        check("the restored audit chain verifies", out.stdout.strip() == "ok",
              out.stdout.strip() or out.stderr.strip())
    finally:
        if srv is not None:
            srv.terminate()
            try:
                srv.wait(timeout=30)
            except subprocess.TimeoutExpired:
                srv.kill()
        ctl("restore-stop", work)
    return 1 if chaos.results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
