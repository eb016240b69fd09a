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
# skip (and fails under CI=true). Otherwise it exits with smoke.mjs's
# status; smoke.mjs ends with "N passed, N failed, 0 skipped".
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
# Install (again) unless node_modules already holds the pinned version.
if ! node -e '
	const want = require("./package.json").dependencies["playwright-core"];
	const have = require("./node_modules/playwright-core/package.json").version;
	process.exit(want === have ? 0 : 1);' 2>/dev/null; then
	if [ -f package-lock.json ]; then
		npm ci --no-audit --no-fund --loglevel=error ||
		    npm install --no-audit --no-fund --loglevel=error
	else
		npm install --no-audit --no-fund --loglevel=error
	fi
fi
node public.mjs || exit 1 # the public pages (/p/...): axe, small screens, 404, Lighthouse
exec node smoke.mjs
