#!/usr/bin/env bash
# tests/fuzz/run.sh: build the libFuzzer targets with clang (ASan + UBSan)
# and run each for LOCKSTEP_FUZZ_SECONDS (default 15). Any crash, leak or
# sanitizer report fails. Ends with "N passed, N failed, N skipped"; without
# clang every target is skipped ("SKIP: reason", exit 0), which
# deploy/local/test counts (and fails under CI=true).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
secs="${LOCKSTEP_FUZZ_SECONDS:-15}"
out="$(mktemp -d /tmp/lockstep-fuzz.XXXXXX)"
trap 'rm -rf "${out}"' EXIT

if ! command -v clang >/dev/null 2>&1; then
	echo "SKIP: clang is not installed (apt-get install clang)"
	echo "0 passed, 0 failed, 4 skipped"
	exit 0
fi
mkdir -p "${out}/inc"
cp "${here}/fuzz_config.h" "${out}/inc/config.h"
read -r -a jansson_cflags <<<"$(pkg-config --cflags jansson)"
read -r -a jansson_libs <<<"$(pkg-config --libs jansson)"
# shellcheck disable=SC2054 # the commas belong to -fsanitize's argument
flags=(-g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I"${root}/server" -I"${out}/inc" "${jansson_cflags[@]}")
passed=0
failed=0
build_and_run() {
	local name=$1
	shift
	if ! clang "${flags[@]}" -o "${out}/${name}" "${here}/${name}.c" "$@" "${jansson_libs[@]}" \
		2>"${out}/${name}.build"; then
		echo "FAIL: ${name} does not build"
		cat "${out}/${name}.build"
		failed=$((failed + 1))
		return
	fi
	mkdir -p "${out}/${name}.corpus"
	if "${out}/${name}" -max_total_time="${secs}" -max_len=4096 -timeout=5 \
		"${out}/${name}.corpus" >"${out}/${name}.log" 2>&1; then
		echo "PASS: ${name} ($(grep -oE 'Done [0-9]+ runs' "${out}/${name}.log" || echo 'ran'))"
		passed=$((passed + 1))
	else
		echo "FAIL: ${name}"
		tail -n 40 "${out}/${name}.log"
		failed=$((failed + 1))
	fi
}
build_and_run fuzz_json "${root}/server/util/json.c" "${root}/server/util/log.c"
build_and_run fuzz_router "${root}/server/http/router.c"
build_and_run fuzz_csv "${root}/server/util/csv.c"
read -r -a icu_libs <<<"$(pkg-config --libs icu-uc icu-i18n libcrypto)"
build_and_run fuzz_names "${root}/server/publish/names.c" "${root}/server/crypto/random.c" \
	"${icu_libs[@]}"
echo "${passed} passed, ${failed} failed, 0 skipped"
[[ ${failed} -eq 0 ]]
