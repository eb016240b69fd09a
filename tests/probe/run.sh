#!/bin/sh
# tests/probe/run.sh: the route probe (probe.py) against a running lockstepd:
# every route of the route table sent bad input as every kind of
# participant. Needs LOCKSTEP_TEST_URL, LOCKSTEP_TEST_ADMIN_EMAIL and
# LOCKSTEP_TEST_ADMIN_PASSWORD (deploy/local/test sets them); ends with
# "N passed, N failed, N skipped".
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is not installed"
	echo "0 passed, 0 failed, 5 skipped"
	exit 0
fi
exec timeout 900 python3 "$here/probe.py"
