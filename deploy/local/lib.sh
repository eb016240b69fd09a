# shellcheck shell=bash
# deploy/local/lib.sh: shared set-up for deploy/local/run and deploy/local/test.
#
# Sourced, never executed. The callers set `set -euo pipefail` first. Every
# function here is named ls_<verb>[_<noun>] and every global it sets is named
# LS_*. Progress goes to stderr, prefixed with "lockstep:".
#
# Set-up, in order (see ls_setup):
#   ls_install_packages   missing Debian packages -> apt-get
#   ls_build              autoreconf / configure / make, as needed
#   ls_setup_user         as root: system user `lockstep` runs the services
#   ls_prepare_state      state directory layout, ownership, traversable path
#   ls_install_into_state make install prefix=$STATE/opt
#   ls_pg_init/ls_pg_start/ls_pg_roles   private PostgreSQL cluster
#   ls_admin_password     LOCKSTEP_ADMIN_PASSWORD, generated once if unset
#   ls_export_server_env  LOCKSTEP_* variables that configure lockstepd
#   ls_lockstepd_prepare  lockstepd init-keys, migrate, ensure-admin

LS_PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libmicrohttpd-dev libpq-dev libssl-dev libjansson-dev check
	libcurl4-openssl-dev libicu-dev liboath-dev libqrencode-dev postgresql postgresql-contrib curl ca-certificates jq
	nginx-light python3-jsonschema
)

# The system user that runs PostgreSQL and lockstepd when we are root.
LS_SERVICE_USER=lockstep

LS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
LS_STATE=""
LS_PG_BIN=""
LS_PG_MANAGED=0 # 1 once ls_pg_start started or adopted the cluster
LS_ADMIN_PASSWORD_SOURCE=""
LS_LOCKSTEPD_PID=""
# Command prefixes: empty when not root.
#   LS_AS       short-lived commands (initdb, pg_ctl, psql, lockstepd
#               init-keys/migrate/ensure-admin).
#   LS_AS_EXEC  the long-lived `lockstepd serve`. runuser keeps a watching
#               parent that answers SIGTERM with SIGKILL two seconds later,
#               which would cut a graceful shutdown short; setpriv execs, so
#               the PID we signal and wait for is lockstepd itself.
LS_AS=()
LS_AS_EXEC=()

ls_log() {
	printf 'lockstep: %s\n' "$*" >&2
}

ls_die() {
	printf 'lockstep: error: %s\n' "$*" >&2
	exit 1
}

# ls_is_root: true when running with EUID 0.
ls_is_root() {
	[[ ${EUID} -eq 0 ]]
}

# ls_pkg_installed PKG: true when dpkg says PKG is installed.
ls_pkg_installed() {
	local status
	status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" || return 1
	[[ ${status} == "install ok installed" ]]
}

# ls_install_packages: install whatever of LS_PACKAGES is missing.
# Exits 1 (after printing the command to run) when not root and no sudo.
ls_install_packages() {
	local missing=() pkg sudo=()
	command -v dpkg-query >/dev/null 2>&1 ||
		ls_die "dpkg-query not found: deploy/local needs Debian (12) or a derivative"
	for pkg in "${LS_PACKAGES[@]}"; do
		ls_pkg_installed "${pkg}" || missing+=("${pkg}")
	done
	if [[ ${#missing[@]} -eq 0 ]]; then
		ls_log "all required Debian packages are installed"
		return 0
	fi
	ls_log "missing Debian packages: ${missing[*]}"
	if ! ls_is_root; then
		if ! command -v sudo >/dev/null 2>&1; then
			ls_log "not root and sudo is not available; as root, run:"
			printf '  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s\n' \
				"${missing[*]}" >&2
			exit 1
		fi
		sudo=(sudo)
	fi
	"${sudo[@]}" apt-get update
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}"
	for pkg in "${missing[@]}"; do
		ls_pkg_installed "${pkg}" || ls_die "package ${pkg} is still not installed"
	done
}

# ls_find_pg_bin: set LS_PG_BIN to the newest /usr/lib/postgresql/*/bin.
ls_find_pg_bin() {
	local dir
	dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null |
		sort -V | tail -n 1)"
	[[ -n ${dir} && -x ${dir}/initdb && -x ${dir}/pg_ctl && -x ${dir}/psql ]] ||
		ls_die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (is the postgresql package installed?)"
	LS_PG_BIN="${dir}"
	ls_log "PostgreSQL binaries: ${LS_PG_BIN}"
}

# ls_configure_args: print the ./configure arguments, one per line.
ls_configure_args() {
	local extra=()
	printf '%s\n' --enable-werror
	read -r -a extra <<<"${LOCKSTEP_CONFIGURE_FLAGS:-}"
	if [[ ${#extra[@]} -gt 0 ]]; then
		printf '%s\n' "${extra[@]}"
	fi
}

# ls_build: autoreconf, configure and make in the repository, each only when
# needed. Fails when any step fails.
ls_build() {
	local args=() want have newer
	cd "${LS_ROOT}" || ls_die "cannot cd to ${LS_ROOT}"
	if [[ ! -x configure ]]; then
		ls_log "autoreconf -fi (no configure yet)"
		autoreconf -fi
	else
		newer="$(find . \( -path ./.git -o -path ./var \) -prune -o \
			\( -name configure.ac -o -name Makefile.am \) -newer configure -print -quit)"
		if [[ -n ${newer} ]]; then
			ls_log "autoreconf -fi (${newer#./} is newer than configure)"
			autoreconf -fi
		fi
	fi

	mapfile -t args < <(ls_configure_args)
	# config.status --config prints the previous arguments shell-quoted (only
	# where needed); let the shell unquote them and compare word by word.
	want="$(printf '%s\n' "${args[@]}")"
	have=""
	if [[ -x config.status ]]; then
		have="$(eval "printf '%s\\n' $(./config.status --config 2>/dev/null || true)")"
	fi
	if [[ ! -f Makefile || configure -nt Makefile || ${have} != "${want}" ]]; then
		ls_log "./configure ${args[*]}"
		./configure "${args[@]}"
	fi
	ls_log "make -j2"
	make -j2
}

# ls_install_into_state: make install under $LS_STATE/opt.
ls_install_into_state() {
	ls_log "make install prefix=${LS_STATE}/opt"
	make -C "${LS_ROOT}" install prefix="${LS_STATE}/opt" >/dev/null
	[[ -x ${LS_STATE}/opt/bin/lockstepd ]] ||
		ls_die "make install did not produce ${LS_STATE}/opt/bin/lockstepd"
	if ls_is_root; then
		chown -R "${LS_SERVICE_USER}:" "${LS_STATE}/opt"
	fi
}

# ls_setup_user: as root, make sure the service user exists and set LS_AS /
# LS_AS_EXEC. As any other user, both stay empty: everything runs as us.
ls_setup_user() {
	if ! ls_is_root; then
		LS_AS=()
		LS_AS_EXEC=()
		return 0
	fi
	if ! id -u "${LS_SERVICE_USER}" >/dev/null 2>&1; then
		ls_log "creating system user ${LS_SERVICE_USER} (PostgreSQL refuses to run as root)"
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "${LS_SERVICE_USER}"
	fi
	LS_AS=(runuser -u "${LS_SERVICE_USER}" --)
	LS_AS_EXEC=(setpriv --reuid="$(id -u "${LS_SERVICE_USER}")" --regid="$(id -g "${LS_SERVICE_USER}")"
		--init-groups --no-new-privs --
		env HOME=/nonexistent USER="${LS_SERVICE_USER}" LOGNAME="${LS_SERVICE_USER}")
}

# ls_state_dir_resolve DEFAULT: set LS_STATE to LOCKSTEP_STATE_DIR (relative
# to the current directory) or DEFAULT, created and made absolute. Refuses
# paths that cannot be used unquoted in a libpq conninfo or postgres -c.
ls_state_dir_resolve() {
	local dir="${LOCKSTEP_STATE_DIR:-$1}"
	[[ -n ${dir} ]] || ls_die "empty state directory"
	(
		umask 077
		mkdir -p "${dir}"
	)
	LS_STATE="$(cd "${dir}" && pwd -P)"
	[[ ${LS_STATE} =~ ^/[A-Za-z0-9._/+-]*$ ]] ||
		ls_die "state directory '${LS_STATE}' may contain only letters, digits and ._/+-"
	[[ ${LS_STATE} != / ]] || ls_die "refusing / as the state directory"
	# A Unix socket path holds at most 107 bytes.
	local sock="${LS_STATE}/pg/run/.s.PGSQL.5432"
	[[ ${#sock} -le 107 ]] ||
		ls_die "state directory path too long for a Unix socket (${sock}); set LOCKSTEP_STATE_DIR to a shorter path"
}

# ls_ensure_traversable: as root, make every ancestor of $LS_STATE
# searchable by the service user, adding o+x where it is missing.
ls_ensure_traversable() {
	local dir="" part parts=()
	ls_is_root || return 0
	IFS=/ read -r -a parts <<<"${LS_STATE#/}"
	unset 'parts[-1]'
	for part in "" "${parts[@]}"; do
		dir="${dir%/}/${part}"
		if ! "${LS_AS[@]}" test -x "${dir}" 2>/dev/null; then
			ls_log "chmod o+x ${dir} (so ${LS_SERVICE_USER} can reach ${LS_STATE})"
			chmod o+x "${dir}"
		fi
	done
}

# ls_prepare_state: create the state layout; as root, hand it to the
# service user.
ls_prepare_state() {
	(
		umask 077
		mkdir -p "${LS_STATE}/pg/run" "${LS_STATE}/pg/log" "${LS_STATE}/keys"
	)
	chmod 0700 "${LS_STATE}" "${LS_STATE}/pg/run" "${LS_STATE}/keys"
	if ls_is_root; then
		chown -R "${LS_SERVICE_USER}:" "${LS_STATE}"
		ls_ensure_traversable
	fi
}

# ls_lock_state: hold an exclusive lock on the state directory on fd 9 for
# the life of the script, so two runs never share (and stop) one cluster.
# Long-lived children are started with 9>&- so they do not inherit it.
ls_lock_state() {
	command -v flock >/dev/null 2>&1 || return 0
	exec 9>>"${LS_STATE}/.lock"
	flock -n 9 || ls_die "another deploy/local script is using ${LS_STATE}"
}

ls_pg_data() { printf '%s\n' "${LS_STATE}/pg/data"; }
ls_pg_sock() { printf '%s\n' "${LS_STATE}/pg/run"; }

ls_app_dsn() { printf 'host=%s dbname=lockstep user=lockstep_app\n' "$(ls_pg_sock)"; }
ls_owner_dsn() { printf 'host=%s dbname=lockstep user=lockstep_owner\n' "$(ls_pg_sock)"; }
ls_super_dsn() { printf 'host=%s dbname=%s user=postgres\n' "$(ls_pg_sock)" "${1:-postgres}"; }

# ls_pg_init: initdb the cluster if it is not initialised yet.
ls_pg_init() {
	local data
	data="$(ls_pg_data)"
	if [[ -f ${data}/PG_VERSION ]]; then
		return 0
	fi
	ls_log "initdb ${data}"
	"${LS_AS[@]}" "${LS_PG_BIN}/initdb" -D "${data}" -U postgres \
		--auth-local=trust --auth-host=reject -E UTF8 --locale=C.UTF-8 >/dev/null
}

# ls_pg_running: true when pg_ctl reports the cluster running.
ls_pg_running() {
	"${LS_AS[@]}" "${LS_PG_BIN}/pg_ctl" -D "$(ls_pg_data)" status >/dev/null 2>&1
}

# ls_pg_start: start the cluster (socket only, no TCP) or reuse it.
ls_pg_start() {
	local data sock
	data="$(ls_pg_data)"
	sock="$(ls_pg_sock)"
	LS_PG_MANAGED=1
	if ls_pg_running; then
		ls_log "PostgreSQL already running on ${sock}: reusing it"
		return 0
	fi
	ls_log "starting PostgreSQL (socket ${sock}, log ${LS_STATE}/pg/log/postgres.log)"
	if ! "${LS_AS[@]}" "${LS_PG_BIN}/pg_ctl" -D "${data}" -l "${LS_STATE}/pg/log/postgres.log" -w \
		-o "-c listen_addresses='' -c unix_socket_directories='${sock}' -c unix_socket_permissions=0700" \
		start >/dev/null 9>&-; then
		tail -n 30 "${LS_STATE}/pg/log/postgres.log" >&2 || true
		ls_die "PostgreSQL did not start"
	fi
}

# ls_pg_stop: stop the cluster if it runs. Falls back to an immediate stop,
# then to killing the postmaster recorded in postmaster.pid.
ls_pg_stop() {
	local data pid
	[[ -n ${LS_STATE} && -n ${LS_PG_BIN} ]] || return 0
	data="$(ls_pg_data)"
	[[ -f ${data}/postmaster.pid ]] || return 0
	ls_pg_running || return 0
	ls_log "stopping PostgreSQL"
	if "${LS_AS[@]}" "${LS_PG_BIN}/pg_ctl" -D "${data}" -m fast -w -t 60 stop >/dev/null; then
		return 0
	fi
	"${LS_AS[@]}" "${LS_PG_BIN}/pg_ctl" -D "${data}" -m immediate -w -t 30 stop >/dev/null && return 0
	pid="$(head -n 1 "${data}/postmaster.pid" 2>/dev/null || true)"
	if [[ ${pid} =~ ^[0-9]+$ ]]; then
		ls_log "killing postmaster ${pid}"
		kill -KILL "${pid}" 2>/dev/null || true
	fi
}

# ls_psql_super DB: run psql as superuser postgres on DB, SQL on stdin.
ls_psql_super() {
	"${LS_AS[@]}" "${LS_PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -d "$(ls_super_dsn "$1")"
}

# ls_pg_roles: create the roles and the database, idempotently, and enforce
# their attributes and privileges every time.
ls_pg_roles() {
	ls_log "ensuring roles lockstep_owner, lockstep_app and database lockstep"
	ls_psql_super postgres <<-'SQL'
		SELECT 'CREATE ROLE lockstep_owner LOGIN BYPASSRLS'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lockstep_owner')
		\gexec
		ALTER ROLE lockstep_owner LOGIN BYPASSRLS;
		SELECT 'CREATE ROLE lockstep_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lockstep_app')
		\gexec
		ALTER ROLE lockstep_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
		SELECT 'CREATE DATABASE lockstep OWNER lockstep_owner'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'lockstep')
		\gexec
		ALTER DATABASE lockstep OWNER TO lockstep_owner;
		REVOKE ALL ON DATABASE lockstep FROM PUBLIC;
		GRANT CONNECT, TEMPORARY ON DATABASE lockstep TO lockstep_app;
	SQL
	ls_psql_super lockstep <<-'SQL'
		REVOKE ALL ON SCHEMA public FROM PUBLIC;
		ALTER SCHEMA public OWNER TO lockstep_owner;
		GRANT USAGE ON SCHEMA public TO lockstep_app;
	SQL
}

# ls_admin_password: make sure LOCKSTEP_ADMIN_PASSWORD is set. When unset,
# read $STATE/admin-password or generate one into it (0600). Sets
# LS_ADMIN_PASSWORD_SOURCE to a human description of where it is. Never
# prints the password.
ls_admin_password() {
	local file="${LS_STATE}/admin-password" pw
	if [[ -n ${LOCKSTEP_ADMIN_PASSWORD:-} ]]; then
		LS_ADMIN_PASSWORD_SOURCE="the LOCKSTEP_ADMIN_PASSWORD environment variable"
		return 0
	fi
	if [[ -s ${file} ]]; then
		pw="$(head -n 1 "${file}")"
	else
		pw="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
		(
			umask 077
			printf '%s\n' "${pw}" >"${file}"
		)
		chmod 0600 "${file}"
		ls_log "generated an admin password into ${file}"
	fi
	[[ -n ${pw} ]] || ls_die "${file} is empty"
	LOCKSTEP_ADMIN_PASSWORD="${pw}"
	LS_ADMIN_PASSWORD_SOURCE="${file}"
}

# ls_export_server_env: export every variable lockstepd reads.
ls_export_server_env() {
	LOCKSTEP_DATABASE_URL="$(ls_app_dsn)"
	LOCKSTEP_OWNER_DATABASE_URL="$(ls_owner_dsn)"
	LOCKSTEP_LISTEN_ADDRESS="${LOCKSTEP_LISTEN_ADDRESS:-127.0.0.1}"
	LOCKSTEP_PORT="${LOCKSTEP_PORT:-8080}"
	LOCKSTEP_MASTER_KEY_FILE="${LS_STATE}/keys/master.key"
	LOCKSTEP_SIGNING_KEY_FILE="${LS_STATE}/keys/signing.pem"
	LOCKSTEP_WEB_DIR="${LS_STATE}/opt/share/lockstep/web"
	LOCKSTEP_SQL_DIR="${LS_STATE}/opt/share/lockstep/sql"
	LOCKSTEP_ADMIN_EMAIL="${LOCKSTEP_ADMIN_EMAIL:-admin@lockstep.local}"
	export LOCKSTEP_DATABASE_URL LOCKSTEP_OWNER_DATABASE_URL LOCKSTEP_LISTEN_ADDRESS \
		LOCKSTEP_PORT LOCKSTEP_MASTER_KEY_FILE LOCKSTEP_SIGNING_KEY_FILE \
		LOCKSTEP_WEB_DIR LOCKSTEP_SQL_DIR LOCKSTEP_ADMIN_EMAIL LOCKSTEP_ADMIN_PASSWORD
}

ls_lockstepd() { printf '%s\n' "${LS_STATE}/opt/bin/lockstepd"; }

# ls_lockstepd_prepare: keys, migrations, coordinator account.
ls_lockstepd_prepare() {
	local bin
	bin="$(ls_lockstepd)"
	ls_log "lockstepd init-keys"
	"${LS_AS[@]}" "${bin}" init-keys
	ls_log "lockstepd migrate"
	"${LS_AS[@]}" "${bin}" migrate
	ls_log "lockstepd ensure-admin (${LOCKSTEP_ADMIN_EMAIL})"
	"${LS_AS[@]}" "${bin}" ensure-admin
}

# ls_port_in_use PORT: true when something listens on 127.0.0.1:PORT (or on
# every address, when ss can tell).
ls_port_in_use() {
	local port="$1"
	if command -v ss >/dev/null 2>&1 &&
		[[ -n "$(ss -ltnH "sport = :${port}" 2>/dev/null)" ]]; then
		return 0
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null
}

# ls_pick_port FIRST: print the first free port in FIRST..FIRST+99.
ls_pick_port() {
	local port="$1" last=$(($1 + 99))
	while [[ ${port} -le ${last} ]]; do
		if ! ls_port_in_use "${port}"; then
			printf '%s\n' "${port}"
			return 0
		fi
		port=$((port + 1))
	done
	ls_die "no free port in $1..${last}"
}

# ls_start_lockstepd_bg LOG: start `lockstepd serve` in the background, its
# output appended to LOG (or inherited when LOG is empty); sets
# LS_LOCKSTEPD_PID.
ls_start_lockstepd_bg() {
	local log="$1" bin
	bin="$(ls_lockstepd)"
	if [[ -n ${log} ]]; then
		"${LS_AS_EXEC[@]}" "${bin}" serve >>"${log}" 2>&1 9>&- &
	else
		"${LS_AS_EXEC[@]}" "${bin}" serve 9>&- &
	fi
	LS_LOCKSTEPD_PID=$!
}

# ls_pid_running PID: true when PID exists and is not a zombie.
ls_pid_running() {
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
	# Field 3, after the parenthesised command name, is the state.
	stat="${stat##*) }"
	[[ ${stat:0:1} != Z ]]
}

# ls_stop_lockstepd: SIGTERM lockstepd and wait for it (SIGKILL after 60 s).
# Returns lockstepd's exit status (0 if it was not started).
ls_stop_lockstepd() {
	local pid="${LS_LOCKSTEPD_PID}" i rc=0
	[[ -n ${pid} ]] || return 0
	LS_LOCKSTEPD_PID=""
	if ls_pid_running "${pid}"; then
		ls_log "stopping lockstepd (pid ${pid})"
		kill -TERM "${pid}" 2>/dev/null || true
		for ((i = 0; i < 600; i++)); do
			ls_pid_running "${pid}" || break
			sleep 0.1
		done
		if ls_pid_running "${pid}"; then
			ls_log "lockstepd did not stop within 60 s: SIGKILL"
			kill -KILL "${pid}" 2>/dev/null || true
		fi
	fi
	wait "${pid}" 2>/dev/null || rc=$?
	return "${rc}"
}

# ls_cleanup: stop lockstepd, then the cluster if this script started or
# adopted it. Safe to call more than once.
ls_cleanup() {
	ls_stop_lockstepd || true
	if [[ ${LS_PG_MANAGED} -eq 1 ]]; then
		LS_PG_MANAGED=0
		ls_pg_stop || true
	fi
}

# ls_print_access: tell the user where lockstep is and how to log in.
ls_print_access() {
	ls_log "URL:            http://${LOCKSTEP_LISTEN_ADDRESS}:${LOCKSTEP_PORT}/"
	ls_log "admin email:    ${LOCKSTEP_ADMIN_EMAIL}"
	ls_log "admin password: in ${LS_ADMIN_PASSWORD_SOURCE}"
	ls_log "database:       psql \"$(ls_owner_dsn)\""
	ls_log "state:          ${LS_STATE}"
}

# ls_setup DEFAULT_STATE: everything up to a ready-to-serve lockstepd.
ls_setup() {
	ls_install_packages
	ls_find_pg_bin
	ls_build
	ls_setup_user
	ls_state_dir_resolve "$1"
	ls_lock_state
	ls_prepare_state
	ls_install_into_state
	# Service users may not be able to read the caller's working directory.
	cd "${LS_STATE}" || ls_die "cannot cd to ${LS_STATE}"
	ls_pg_init
	ls_pg_start
	ls_pg_roles
	ls_admin_password
	ls_export_server_env
	ls_lockstepd_prepare
}
