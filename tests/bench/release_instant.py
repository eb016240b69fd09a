#!/usr/bin/env python3
"""tests/bench/release_instant.py: the release instant at scale.

Seeds a campaign of COMPANIES companies (one engagement each, all with
one assessor firm) and FINDINGS findings per engagement, then moves its
release_at to LEAD seconds from now and keeps READERS keep-alive
connections polling its publication across the instant; prints the time
from release_at until the first, the median and the last reader had the
document, and whether the replica had prepared the release
(lockstep_scheduler_prepared_total from /metrics).

The findings are real: each engagement's 1,000 come in one CSV import
(POST /api/v1/engagements/{id}/findings:import, at most 1,000 a request),
so every row is sealed by lockstepd with its engagement's data key and
has its history and audit events, exactly like findings typed in by an
assessor. Every engagement also gets a sealed claim per threat model,
and the campaign is pseudonymous, so the release runs the name check over
every text.

Reference, in the same invocation: a private nginx (temporary prefix, a
loopback port) serving the same document bytes, which appear at an
instant of its own (renamed into place), to the same READERS polling the
same way; its first, median and last times are the floor this machine
and this client reach for "every reader has the document" (NGINX=0 skips
it; without nginx it says so).

Bounded: at most COMPANIES x FINDINGS rows (limits below), READERS
connections, 60 s of polling after the instant. Any error (a seeding
request that fails, a reader that gets anything but 404 then 200, or
different bytes) prints why on stderr, no figure, and exits 1.

  release_instant.py URL ADMIN_EMAIL ADMIN_PASSWORD
Environment: COMPANIES (100), FINDINGS (1000), READERS (1000), LEAD (20 s,
after the seeding), POLL_MS (10), SEED_THREADS (2).
"""
import asyncio
import hashlib
import shutil
import socket
import subprocess
import tempfile
import http.client
import json
import os
import resource
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

URL, EMAIL, PASSWORD = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
COMPANIES = int(os.environ.get("COMPANIES", "100"))
FINDINGS = int(os.environ.get("FINDINGS", "1000"))
READERS = int(os.environ.get("READERS", "1000"))
LEAD = float(os.environ.get("LEAD", "20"))
POLL_MS = int(os.environ.get("POLL_MS", "10"))
SEED_THREADS = int(os.environ.get("SEED_THREADS", "2"))
if not (1 <= COMPANIES <= 200 and 0 <= FINDINGS <= 1000 and 1 <= READERS <= 4000):
    sys.exit("bench: COMPANIES 1..200, FINDINGS 0..1000, READERS 1..4000")
U = urlsplit(URL)
HOST, PORT = U.hostname, U.port or 80
RUN = f"inst-{int(time.time())}-{os.getpid()}"
TMS = ["WEIGHTS-EXFIL", "TAMPERING"]
SEVS = ["critical", "high", "medium", "low", "info"]


def fail(msg):
    print(f"bench: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def call(method, path, token=None, body=None, ctype="application/json", ok=(200, 201)):
    conn = http.client.HTTPConnection(HOST, PORT, timeout=120)
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = ctype
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    text = r.read()
    conn.close()
    if r.status not in ok:
        fail(f"{method} {path}: HTTP {r.status} {text[:300]!r}")
    return json.loads(text) if text and r.getheader("Content-Type", "").endswith("json") else text


def login(email, password):
    return call("POST", "/api/v1/session", body={"email": email, "password": password})["token"]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed():
    coord = login(EMAIL, PASSWORD)
    t0 = time.time()
    assessor = call("POST", "/api/v1/orgs", coord,
                    {"name": f"Bench Assessor {RUN}", "kind": "assessor"})["id"]
    amail, apw = f"assessor-{RUN}@bench.test", f"bench-pw-{uuid.uuid4()}"
    call("POST", f"/api/v1/orgs/{assessor}/users", coord,
         {"email": amail, "name": "Bench Assessor", "role": "admin", "password": apw})
    atok = login(amail, apw)
    far = datetime.now(timezone.utc) + timedelta(days=30)
    camp = call("POST", "/api/v1/campaigns", coord,
                {"title": f"Instant {RUN}", "slug": RUN, "threat_models": TMS,
                 "release_at": iso(far), "disclosure": "pseudonymous"})["id"]

    def one(i):
        org = call("POST", "/api/v1/orgs", coord,
                   {"name": f"Bench Company {i} {RUN}", "kind": "company",
                    "aliases": [f"BenchCo{i}x{os.getpid()}"]})["id"]
        eng = call("POST", f"/api/v1/campaigns/{camp}/engagements", coord,
                   {"company_org": org, "assessor_org": assessor, "scope": f"scope {i}",
                    "lead_assessors": ["Bench Lead"]})["id"]
        call("POST", f"/api/v1/engagements/{eng}/stage", atok, {"stage": "fieldwork"})
        for tm in TMS:
            call("PUT", f"/api/v1/engagements/{eng}/claims/{tm}", atok,
                 {"level": f"OC{1 + i % 4}",
                  "summary": f"Controls for {tm.lower()} held against team {i % 7}."})
        if FINDINGS:
            rows = ["title,detail,severity,threat_model"]
            for j in range(FINDINGS):
                rows.append(f"Finding {i}-{j},Detail of finding {j} in engagement {i}.,"
                            f"{SEVS[j % 5]},{TMS[j % 2]}")
            out = call("POST", f"/api/v1/engagements/{eng}/findings:import", atok,
                       ("\n".join(rows) + "\n").encode(), ctype="text/csv")
            if out.get("created") != FINDINGS:
                fail(f"import into engagement {i}: {out}")
        return eng

    with ThreadPoolExecutor(SEED_THREADS) as ex:
        engs = list(ex.map(one, range(COMPANIES)))
    seeded = time.time() - t0
    return coord, camp, len(engs), seeded


def metric(name):
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def spans():
    """The last release's profile from /metrics: {span: ms}."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    out = {}
    for line in text.splitlines():
        if line.startswith('lockstep_scheduler_last_release_ms{span="'):
            out[line.split('"')[1]] = float(line.split()[-1])
    return out


async def reader(i, path, instant, got, errors, port=None):
    req = f"GET {path} HTTP/1.1\r\nHost: {U.netloc}\r\nAccept: application/json\r\n\r\n".encode()
    deadline = instant + 60
    try:
        r, w = await asyncio.open_connection(HOST, port or PORT)
    except OSError as e:
        errors.append(f"reader {i}: {e}")
        return
    try:
        while time.time() < deadline:
            w.write(req)
            await w.drain()
            line = await r.readline()
            if not line:
                errors.append(f"reader {i}: closed by the server")
                return
            status = int(line.split()[1])
            length = 0
            while True:
                h = await r.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                if k.lower() == "content-length":
                    length = int(v.strip())
            body = await r.readexactly(length)
            if status == 200:
                got.append((time.time(), hashlib.sha256(body).hexdigest()))
                return
            if status != 404:
                errors.append(f"reader {i}: HTTP {status}")
                return
            await asyncio.sleep(0.25 if time.time() < instant - 1 else POLL_MS / 1000)
        errors.append(f"reader {i}: no document within 60 s of the instant")
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as e:
        errors.append(f"reader {i}: {e!r}")
    finally:
        w.close()


async def readers(path, instant, port=None, at_instant=None):
    got, errors = [], []

    async def reveal():
        await asyncio.sleep(max(0.0, instant - time.time()))
        at_instant()

    tasks = [reader(i, path, instant, got, errors, port) for i in range(READERS)]
    if at_instant is not None:
        tasks.append(reveal())
    await asyncio.gather(*tasks)
    return got, errors


def nginx_reference(path, body):
    """The same readers against a private nginx whose file appears at an
    instant (os.rename): (first, median, last) ms, or a reason string."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if os.environ.get("NGINX", "1") == "0":
        return "skipped (NGINX=0)"
    if not os.access(nginx, os.X_OK):
        return "not measured: nginx is not installed (apt-get install nginx-light)"
    d = tempfile.mkdtemp(prefix="lockstep-bench-")
    proc = None
    try:
        www = os.path.join(d, "www")
        target = os.path.join(www, path.lstrip("/"))
        os.makedirs(os.path.dirname(target))
        for sub in ("logs", "tmp"):
            os.makedirs(os.path.join(d, sub))
        with open(os.path.join(www, "up"), "w") as f:
            f.write("up\n")
        staged = target + ".staged"
        with open(staged, "wb") as f:
            f.write(body)
        for root, dirs, files in os.walk(d):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(f"""worker_processes {os.cpu_count() or 1};
worker_rlimit_nofile {READERS + 1024};
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections {READERS + 1024}; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    sendfile on;
    open_file_cache off;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {www};
        location / {{ default_type application/json; }}
    }}
}}
""")
        proc = subprocess.Popen([nginx, "-p", d, "-c", os.path.join(d, "nginx.conf"),
                                 "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        for _ in range(50):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/up")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            return "not measured: nginx did not start"
        instant = float(int(time.time() + 5) + 1)
        got, errors = asyncio.run(readers(path, instant, port, lambda: os.rename(staged, target)))
        if errors or len(got) != READERS:
            return f"not measured: {len(got)} of {READERS} readers got it ({errors[:3]})"
        ms = sorted((t - instant) * 1000 for t, _ in got)
        return (ms[0], statistics.median(ms), ms[-1])
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(d, ignore_errors=True)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = READERS + 64
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            fail(f"READERS={READERS} needs {need} file descriptors; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    coord, camp, n, seeded = seed()
    prepared0 = metric("lockstep_scheduler_prepared_total")
    # whole seconds: release_at is stored to the second
    instant = float(int(time.time() + LEAD) + 1)
    call("PATCH", f"/api/v1/campaigns/{camp}", coord,
         {"release_at": iso(datetime.fromtimestamp(instant, timezone.utc)),
          "reason": "benchmark of the release instant"})
    load = os.getloadavg()
    got, errors = asyncio.run(readers(f"/api/v1/publications/{RUN}", instant))
    prepared1 = metric("lockstep_scheduler_prepared_total")
    if errors or len(got) != READERS:
        print(f"bench: FAILED: release instant: {len(got)} of {READERS} readers got the document",
              file=sys.stderr)
        for e in errors[:20]:
            print(f"bench:   {e}", file=sys.stderr)
        print(f"bench: (all readers come from one address: lockstepd needs "
              f"LOCKSTEP_PER_IP_CONNECTIONS >= {READERS})", file=sys.stderr)
        sys.exit(1)
    if len({h for _, h in got}) != 1:
        fail("release instant: the readers got different bytes")
    ms = sorted((t - instant) * 1000 for t, _ in got)
    prep = "unknown"
    if prepared0 is not None and prepared1 is not None:
        prep = "yes" if prepared1 > prepared0 else "no"
    print(f"release instant: {n} companies x {FINDINGS} findings (seeded in {seeded:.0f} s), "
          f"{READERS} readers polling every {POLL_MS} ms; document after release_at: "
          f"first {ms[0]:.0f} ms, median {statistics.median(ms):.0f} ms, last {ms[-1]:.0f} ms "
          f"(prepared: {prep}; load average before the instant {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f})")
    sp = spans()
    if sp:
        print("profile of the release transaction on the replica (ms): " +
              ", ".join(f"{k} {v:.0f}" for k, v in sp.items()) +
              " (inputs: the final check when prepared, else reading the inputs; build/"
              "rebuild: the document with the name check; commit: commit-then-reveal; "
              "chain: the chain's head; sign: canonical JSON and Ed25519; store: "
              "release_publish(); events: the audit event and one event per engagement; "
              "tx: all of it with the commit)")
    target = "met" if ms[-1] <= 100 else "missed"
    print(f"target (every reader <= 100 ms after release_at): {target}")
    conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
    conn.request("GET", f"/api/v1/publications/{RUN}", headers={"Accept": "application/json"})
    body = conn.getresponse().read()
    conn.close()
    if hashlib.sha256(body).hexdigest() != got[0][1]:
        fail("the publication's bytes changed after the instant")
    ref = nginx_reference(f"/api/v1/publications/{RUN}", body)
    if isinstance(ref, str):
        print(f"nginx reference: {ref}")
    else:
        print(f"nginx reference (the same {len(body)} bytes appearing at an instant by a rename, "
              f"the same {READERS} readers): first {ref[0]:.0f} ms, median {ref[1]:.0f} ms, "
              f"last {ref[2]:.0f} ms; lockstepd's last reader {ms[-1] - ref[2]:+.0f} ms "
              f"after nginx's")


if __name__ == "__main__":
    main()
