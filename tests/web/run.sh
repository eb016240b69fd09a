#!/bin/sh
# tests/web/run.sh: the headless-browser smoke test of lockstep's web client.
#
# Needs a running lockstepd and its coordinator admin:
#   LOCKSTEP_TEST_URL, LOCKSTEP_TEST_ADMIN_EMAIL, LOCKSTEP_TEST_ADMIN_PASSWORD
# Uses Debian's Chromium (LOCKSTEP_TEST_CHROMIUM, default /usr/bin/chromium),
# installing it with apt-get when running as root; never downloads a browser
# of its own. Without Chromium, Node.js 20+, npm or the variables above it
# prints "SKIP: reason" and "0 passed, 0 failed, 1 skipped" (the whole smoke
# test counts as one skipped test) and exits 0; deploy/local/test counts the
# skip (and fails under CI=true). Otherwise it runs every *.mjs test file
# here (smoke.mjs, ui.mjs, …), prints their lines and the summed
# "N passed, N failed, N skipped", and fails when any of them failed.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
chromium=${LOCKSTEP_TEST_CHROMIUM:-/usr/bin/chromium}

skip() {
	echo "SKIP: $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

if [ ! -x "$chromium" ] && [ "$chromium" = /usr/bin/chromium ] &&
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing Debian's chromium package"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || true
	apt-get install -y -qq chromium >/dev/null || true
fi
[ -x "$chromium" ] || skip "no Chromium at $chromium (apt-get install chromium as root)"

command -v node >/dev/null 2>&1 || skip "node is not installed"
command -v npm >/dev/null 2>&1 || skip "npm is not installed"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
	skip "node $(node --version) is older than 20 (playwright-core needs 20+)"

for var in LOCKSTEP_TEST_URL LOCKSTEP_TEST_ADMIN_EMAIL LOCKSTEP_TEST_ADMIN_PASSWORD; do
	eval "val=\${$var:-}"
	[ -n "$val" ] || skip "$var is not set (deploy/local/test sets it)"
done
export LOCKSTEP_TEST_CHROMIUM="$chromium"

cd "$here"
# playwright-core has no browser download step; the variable only makes sure.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# Install (again) unless node_modules already holds every pinned version.
if ! node -e '
	const deps = require("./package.json").dependencies;
	for (const [name, want] of Object.entries(deps))
		if (require("./node_modules/" + name + "/package.json").version !== want)
			process.exit(1);' 2>/dev/null; then
	if [ -f package-lock.json ]; then
		npm ci --no-audit --no-fund --loglevel=error ||
		    npm install --no-audit --no-fund --loglevel=error
	else
		npm install --no-audit --no-fund --loglevel=error
	fi
fi
# Every test file (smoke.mjs, ui.mjs, …: each *.mjs here) runs in turn; each
# ends with "N passed, N failed, N skipped" and the sums are the suite's.
total_p=0
total_f=0
total_s=0
rc=0
for t in *.mjs; do
	[ -f "$t" ] || continue
	echo "== $t"
	out=$(mktemp)
	if node "$t" >"$out" 2>&1; then :; else rc=1; fi
	cat "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n 1 || true)
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "FAIL $t printed no result line"
		total_f=$((total_f + 1))
		rc=1
		continue
	fi
	set -- $line
	total_p=$((total_p + $1))
	total_f=$((total_f + $3))
	total_s=$((total_s + $5))
done
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ] && [ "$rc" -eq 0 ]
