# shellcheck shell=bash
# deploy/cluster/lib.sh: the highly available topology on one machine.
#
# Sourced by deploy/cluster/run, deploy/cluster/test and deploy/cluster/ctl,
# never executed. Builds on deploy/local/lib.sh (packages, build, service
# user, lockstepd install). Every function here is named lc_<verb>[_<noun>],
# every global LC_*.
#
#   3 etcd members          the distributed configuration store Patroni uses
#   2 Patroni + PostgreSQL  a primary and a synchronous standby (pg_rewind)
#   HAProxy                 database port -> whichever node Patroni calls
#                           primary (GET /primary); HTTP port -> 3 lockstepd
#                           replicas (GET /readyz)
#   3 lockstepd             stateless; talk to PostgreSQL only through HAProxy
#   pgBackRest              WAL archive + full/incremental backups, one repo
#
# Every address is loopback; ports are LC_BASE + an offset (see lc_ports).
# The same files, with the addresses changed, are what docs/DEPLOY.md tells
# an operator to run across machines.

# shellcheck source-path=SCRIPTDIR source=../local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../local/lib.sh"

LC_PACKAGES=(patroni etcd-server haproxy pgbackrest python3)
LC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
LC_BASE=""
LC_HTTP_PORT=""

# lc_ports: derive every port from LC_BASE.
lc_ports() {
	LC_ETCD_CLIENT=($((LC_BASE + 1)) $((LC_BASE + 2)) $((LC_BASE + 3)))
	LC_ETCD_PEER=($((LC_BASE + 11)) $((LC_BASE + 12)) $((LC_BASE + 13)))
	LC_PATRONI=($((LC_BASE + 21)) $((LC_BASE + 22)))
	LC_PG=($((LC_BASE + 31)) $((LC_BASE + 32)))
	LC_DB_PORT=$((LC_BASE + 40))
	LC_STATS_PORT=$((LC_BASE + 41))
	LC_LOCKSTEPD=($((LC_BASE + 51)) $((LC_BASE + 52)) $((LC_BASE + 53)))
}

# lc_load STATE: set LS_STATE and read the ports fixed at the first run.
lc_load() {
	LS_STATE="$1"
	[[ -f ${LS_STATE}/cluster.env ]] || ls_die "${LS_STATE} holds no cluster (no cluster.env)"
	# shellcheck disable=SC1091
	. "${LS_STATE}/cluster.env"
	lc_ports
	LS_PG_BIN="/usr/lib/postgresql/15/bin"
	ls_setup_user
}

# lc_install: the local set-up's packages and the cluster's.
lc_install() {
	ls_install_packages
	local missing=() p
	for p in "${LC_PACKAGES[@]}"; do
		ls_pkg_installed "${p}" || missing+=("${p}")
	done
	if [[ ${#missing[@]} -gt 0 ]]; then
		ls_is_root || ls_die "missing packages (${missing[*]}); run as root or install them"
		ls_log "installing ${missing[*]}"
		# a fresh machine may have no package lists yet
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
			{ apt-get update >/dev/null &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
	fi
	# Debian starts a system etcd and HAProxy when it installs them; the
	# cluster runs its own on other ports and never uses those.
	[[ -x /usr/lib/postgresql/15/bin/postgres ]] || ls_die "PostgreSQL 15 binaries not found"
}

# lc_secret NAME: print the secret NAME, generated once into secrets/ (0600).
lc_secret() {
	local file="${LS_STATE}/secrets/$1"
	if [[ ! -s ${file} ]]; then
		(
			umask 077
			head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"${file}"
		)
		ls_is_root && chown "${LS_SERVICE_USER}:" "${file}"
	fi
	cat "${file}"
}

# lc_render TEMPLATE OUT: copy TEMPLATE with every @NAME@ replaced by the
# value of the shell variable NAME (only names listed in LC_VARS).
lc_render() {
	local text name
	text="$(cat "$1")"
	for name in "${LC_VARS[@]}"; do
		text="${text//@${name}@/${!name}}"
	done
	(
		umask 077
		printf '%s\n' "${text}" >"$2"
	)
	ls_is_root && chown "${LS_SERVICE_USER}:" "$2"
	return 0
}

# lc_prepare STATE BASE HTTP_PORT: state layout, secrets and configuration
# files (written anew each time from deploy/cluster/*.in).
lc_prepare() {
	LS_STATE="$1"
	LC_BASE="$2"
	LC_HTTP_PORT="$3"
	lc_ports
	LS_PG_BIN="/usr/lib/postgresql/15/bin"
	(
		umask 077
		mkdir -p "${LS_STATE}"/{secrets,keys,logs,run,haproxy,backrest/repo,backrest/log,backrest/lock,backrest/spool} \
			"${LS_STATE}"/etcd/{e1,e2,e3} "${LS_STATE}"/pg{1,2}/run
	)
	printf 'LC_BASE=%s\nLC_HTTP_PORT=%s\n' "${LC_BASE}" "${LC_HTTP_PORT}" >"${LS_STATE}/cluster.env"
	local PG_SUPER_PW PG_REPL_PW PG_REWIND_PW PG_OWNER_PW PG_APP_PW STATE ETCD_HOSTS
	local NODE NODE_PORT NODE_REST NODE_DATA NODE_SOCK HAPROXY_DB HAPROXY_STATS HTTP_PORT
	local LOCKSTEPD_1 LOCKSTEPD_2 LOCKSTEPD_3 PG1_PORT PG2_PORT PATRONI_1 PATRONI_2 i
	STATE="${LS_STATE}"
	PG_SUPER_PW="$(lc_secret postgres)"
	PG_REPL_PW="$(lc_secret replicator)"
	PG_REWIND_PW="$(lc_secret rewinder)"
	PG_OWNER_PW="$(lc_secret lockstep_owner)"
	PG_APP_PW="$(lc_secret lockstep_app)"
	ETCD_HOSTS="127.0.0.1:${LC_ETCD_CLIENT[0]},127.0.0.1:${LC_ETCD_CLIENT[1]},127.0.0.1:${LC_ETCD_CLIENT[2]}"
	HAPROXY_DB="${LC_DB_PORT}"
	HAPROXY_STATS="${LC_STATS_PORT}"
	HTTP_PORT="${LC_HTTP_PORT}"
	LOCKSTEPD_1="${LC_LOCKSTEPD[0]}"
	LOCKSTEPD_2="${LC_LOCKSTEPD[1]}"
	LOCKSTEPD_3="${LC_LOCKSTEPD[2]}"
	PG1_PORT="${LC_PG[0]}"
	PG2_PORT="${LC_PG[1]}"
	PATRONI_1="${LC_PATRONI[0]}"
	PATRONI_2="${LC_PATRONI[1]}"
	LC_VARS=(STATE PG_SUPER_PW PG_REPL_PW PG_REWIND_PW ETCD_HOSTS NODE NODE_PORT NODE_REST
		NODE_DATA NODE_SOCK HAPROXY_DB HAPROXY_STATS HTTP_PORT LOCKSTEPD_1 LOCKSTEPD_2
		LOCKSTEPD_3 PG1_PORT PG2_PORT PATRONI_1 PATRONI_2)
	for i in 1 2; do
		NODE="pg${i}"
		NODE_PORT="${LC_PG[i - 1]}"
		NODE_REST="${LC_PATRONI[i - 1]}"
		NODE_DATA="${LS_STATE}/pg${i}/data"
		NODE_SOCK="${LS_STATE}/pg${i}/run"
		lc_render "${LC_DIR}/patroni.yml.in" "${LS_STATE}/pg${i}/patroni.yml"
	done
	lc_render "${LC_DIR}/haproxy.cfg.in" "${LS_STATE}/haproxy/haproxy.cfg"
	lc_render "${LC_DIR}/pgbackrest.conf.in" "${LS_STATE}/backrest/pgbackrest.conf"
	# libpq password file for lockstepd, psql and pgBackRest (0600, the service user's)
	(
		umask 077
		{
			# any port on loopback: HAProxy, the nodes, a restored copy
			printf '127.0.0.1:*:*:postgres:%s\n' "${PG_SUPER_PW}"
			printf '127.0.0.1:*:*:lockstep_owner:%s\n' "${PG_OWNER_PW}"
			printf '127.0.0.1:*:*:lockstep_app:%s\n' "${PG_APP_PW}"
			for i in 1 2; do
				printf '%s:%s:*:postgres:%s\n' "${LS_STATE}/pg${i}/run" "${LC_PG[i - 1]}" "${PG_SUPER_PW}"
			done
		} >"${LS_STATE}/secrets/pgpass"
	)
	chmod 0700 "${LS_STATE}" "${LS_STATE}/secrets" "${LS_STATE}/keys"
	if ls_is_root; then
		chown -R "${LS_SERVICE_USER}:" "${LS_STATE}"
		ls_ensure_traversable
	fi
}

# lc_as_bg NAME CMD...: start CMD in the background as the service user, in
# its own session, output to logs/NAME.log, pid to run/NAME.pid.
lc_as_bg() {
	local name="$1" pid
	shift
	rm -f "${LS_STATE}/run/${name}.pid"
	# shellcheck disable=SC2016 # $$ is the child's: it execs CMD
	setsid "${LS_AS_EXEC[@]}" env PGPASSFILE="${LS_STATE}/secrets/pgpass" \
		sh -c 'echo $$ >"$0"; exec "$@"' "${LS_STATE}/run/${name}.pid" "$@" \
		>>"${LS_STATE}/logs/${name}.log" 2>&1 9>&- </dev/null &
	for _ in $(seq 50); do
		[[ -s ${LS_STATE}/run/${name}.pid ]] && break
		sleep 0.05
	done
	pid="$(cat "${LS_STATE}/run/${name}.pid" 2>/dev/null || true)"
	[[ -n ${pid} ]] || ls_die "could not start ${name}"
}

# lc_pid NAME: print the pid of NAME if it is running.
lc_pid() {
	local pid
	pid="$(cat "${LS_STATE}/run/$1.pid" 2>/dev/null || true)"
	[[ ${pid} =~ ^[0-9]+$ ]] && ls_pid_running "${pid}" && printf '%s\n' "${pid}"
}

# lc_wait_http URL SECONDS [STATUS]: wait until URL answers STATUS (200).
lc_wait_http() {
	local url="$1" secs="$2" want="${3:-200}" code i
	for ((i = 0; i < secs * 5; i++)); do
		code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "${url}" 2>/dev/null || true)"
		[[ ${code} == "${want}" ]] && return 0
		sleep 0.2
	done
	return 1
}

lc_start_etcd() {
	local n="$1" cluster="" i
	lc_pid "etcd${n}" >/dev/null && return 0
	for i in 1 2 3; do
		cluster+="${cluster:+,}e${i}=http://127.0.0.1:${LC_ETCD_PEER[i - 1]}"
	done
	local state=new
	[[ -d ${LS_STATE}/etcd/e${n}/member ]] && state=existing
	lc_as_bg "etcd${n}" /usr/bin/etcd --name "e${n}" --data-dir "${LS_STATE}/etcd/e${n}" \
		--listen-client-urls "http://127.0.0.1:${LC_ETCD_CLIENT[n - 1]}" \
		--advertise-client-urls "http://127.0.0.1:${LC_ETCD_CLIENT[n - 1]}" \
		--listen-peer-urls "http://127.0.0.1:${LC_ETCD_PEER[n - 1]}" \
		--initial-advertise-peer-urls "http://127.0.0.1:${LC_ETCD_PEER[n - 1]}" \
		--initial-cluster "${cluster}" --initial-cluster-token "lockstep-${LC_BASE}" \
		--initial-cluster-state "${state}" --heartbeat-interval 100 --election-timeout 1000
}

lc_start_patroni() {
	local n="$1"
	lc_pid "patroni${n}" >/dev/null && return 0
	lc_as_bg "patroni${n}" /usr/bin/patroni "${LS_STATE}/pg${n}/patroni.yml"
}

lc_start_haproxy() {
	lc_pid haproxy >/dev/null && return 0
	lc_as_bg haproxy /usr/sbin/haproxy -W -db -f "${LS_STATE}/haproxy/haproxy.cfg"
}

# lc_server_env N: the environment of lockstepd replica N.
lc_server_env() {
	local n="$1"
	printf '%s\n' \
		"LOCKSTEP_DATABASE_URL=host=127.0.0.1 port=${LC_DB_PORT} dbname=lockstep user=lockstep_app connect_timeout=3" \
		"LOCKSTEP_OWNER_DATABASE_URL=host=127.0.0.1 port=${LC_DB_PORT} dbname=lockstep user=lockstep_owner connect_timeout=3" \
		"LOCKSTEP_LISTEN_ADDRESS=127.0.0.1" \
		"LOCKSTEP_PORT=${LC_LOCKSTEPD[n - 1]}" \
		"LOCKSTEP_MASTER_KEY_FILE=${LC_MASTER_KEY:-${LS_STATE}/keys/master.key}" \
		${LC_MASTER_PREV:+"LOCKSTEP_MASTER_KEY_PREVIOUS_FILE=${LC_MASTER_PREV}"} \
		"LOCKSTEP_SIGNING_KEY_FILE=${LC_SIGNING_KEY:-${LS_STATE}/keys/signing.pem}" \
		${LC_SIGNING_PREV:+"LOCKSTEP_SIGNING_KEY_PREVIOUS_FILE=${LC_SIGNING_PREV}"} \
		"LOCKSTEP_WEB_DIR=${LS_STATE}/opt/share/lockstep/web" \
		"LOCKSTEP_SQL_DIR=${LS_STATE}/opt/share/lockstep/sql" \
		"LOCKSTEP_TRUSTED_PROXIES=127.0.0.1/32" \
		"LOCKSTEP_ADMIN_EMAIL=${LOCKSTEP_ADMIN_EMAIL:-admin@lockstep.local}" \
		"LOCKSTEP_ADMIN_PASSWORD=${LOCKSTEP_ADMIN_PASSWORD:-$(cat "${LS_STATE}/admin-password" 2>/dev/null)}"
}

# lc_lockstepd N CMD...: run lockstepd with replica N's environment.
lc_lockstepd() {
	local n="$1" env=()
	shift
	mapfile -t env < <(lc_server_env "${n}")
	"${LS_AS[@]}" env PGPASSFILE="${LS_STATE}/secrets/pgpass" "${env[@]}" \
		"${LS_STATE}/opt/bin/lockstepd" "$@"
}

lc_start_lockstepd() {
	local n="$1" env=()
	lc_pid "lockstepd${n}" >/dev/null && return 0
	mapfile -t env < <(lc_server_env "${n}")
	lc_as_bg "lockstepd${n}" env "${env[@]}" "${LS_STATE}/opt/bin/lockstepd" serve
}

# lc_primary: print the name (pg1/pg2) of the node Patroni calls primary.
lc_primary() {
	local i
	for i in 1 2; do
		if [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${LC_PATRONI[i - 1]}/primary")" == 200 ]]; then
			printf 'pg%s\n' "${i}"
			return 0
		fi
	done
	return 1
}

# lc_psql USER DB [PSQL ARGS...]: psql through HAProxy (the primary), SQL
# on stdin unless the arguments say otherwise.
lc_psql() {
	local user="$1" db="$2"
	shift 2
	"${LS_AS[@]}" env PGPASSFILE="${LS_STATE}/secrets/pgpass" "${LS_PG_BIN}/psql" -X -q \
		-v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${LC_DB_PORT}" -U "${user}" -d "${db}" "$@"
}

# lc_roles: the roles and database lockstepd expects, with passwords.
lc_roles() {
	local owner_pw app_pw
	owner_pw="$(lc_secret lockstep_owner)"
	app_pw="$(lc_secret lockstep_app)"
	lc_psql postgres postgres <<-SQL
		SELECT 'CREATE ROLE lockstep_owner LOGIN BYPASSRLS'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lockstep_owner')
		\\gexec
		ALTER ROLE lockstep_owner LOGIN BYPASSRLS PASSWORD '${owner_pw}';
		SELECT 'CREATE ROLE lockstep_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lockstep_app')
		\\gexec
		ALTER ROLE lockstep_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '${app_pw}';
		SELECT 'CREATE DATABASE lockstep OWNER lockstep_owner'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'lockstep')
		\\gexec
		ALTER DATABASE lockstep OWNER TO lockstep_owner;
		REVOKE ALL ON DATABASE lockstep FROM PUBLIC;
		GRANT CONNECT, TEMPORARY ON DATABASE lockstep TO lockstep_app;
	SQL
	lc_psql postgres lockstep <<-'SQL'
		REVOKE ALL ON SCHEMA public FROM PUBLIC;
		ALTER SCHEMA public OWNER TO lockstep_owner;
		GRANT USAGE ON SCHEMA public TO lockstep_app;
	SQL
}

# lc_backrest ARGS...: pgBackRest with the cluster's configuration.
lc_backrest() {
	"${LS_AS[@]}" env PGPASSFILE="${LS_STATE}/secrets/pgpass" /usr/bin/pgbackrest \
		--config="${LS_STATE}/backrest/pgbackrest.conf" --stanza=lockstep "$@"
}

# lc_up: start everything that is not running, in order, and wait for it.
lc_up() {
	local i
	for i in 1 2 3; do lc_start_etcd "${i}"; done
	for i in 1 2 3; do
		lc_wait_http "http://127.0.0.1:${LC_ETCD_CLIENT[i - 1]}/health" 30 ||
			ls_die "etcd member ${i} is not healthy (${LS_STATE}/logs/etcd${i}.log)"
	done
	ls_log "etcd: 3 members healthy"
	lc_start_patroni 1
	# a node that was already set up starts at once (either may be the
	# leader now); a new one is cloned from the primary once there is one
	[[ -f ${LS_STATE}/pg2/data/PG_VERSION ]] && lc_start_patroni 2
	for i in $(seq 450); do
		lc_primary >/dev/null && break
		sleep 0.2
	done
	lc_primary >/dev/null || {
		tail -n 30 "${LS_STATE}/logs/patroni1.log" >&2
		ls_die "Patroni made no node primary"
	}
	lc_start_patroni 2
	local standby=2
	[[ "$(lc_primary)" == pg2 ]] && standby=1
	lc_wait_http "http://127.0.0.1:${LC_PATRONI[standby - 1]}/replica" 120 || {
		tail -n 30 "${LS_STATE}/logs/patroni${standby}.log" >&2
		ls_die "pg${standby} did not become a replica"
	}
	# synchronous_mode: wait until the standby is the synchronous one
	lc_wait_http "http://127.0.0.1:${LC_PATRONI[standby - 1]}/sync" 60 ||
		ls_die "pg${standby} did not become the synchronous standby"
	ls_log "Patroni: $(lc_primary) primary, synchronous standby up"
	lc_start_haproxy
	# HAProxy counts a server up until its first checks fail: wait until it
	# routes the database port to the primary alone
	for i in $(seq 100); do
		[[ "$(lc_haproxy_up postgres_primary)" == "$(lc_primary || true)" ]] && break
		sleep 0.2
	done
	[[ "$(lc_haproxy_up postgres_primary)" == "$(lc_primary || true)" ]] ||
		ls_die "HAProxy does not route the database port to the primary alone"
	# and until a connection through it is served: a fresh-clone run saw the
	# first one closed ("server closed the connection unexpectedly") right
	# after HAProxy marked the primary up
	for i in $(seq 60); do
		lc_psql postgres postgres -A -t -c 'SELECT 1' </dev/null >/dev/null 2>&1 && break
		sleep 0.5
	done
	lc_psql postgres postgres -A -t -c 'SELECT 1' </dev/null >/dev/null ||
		ls_die "HAProxy routes the database port to the primary, which serves no connection"
}

# lc_haproxy_up BACKEND: print the servers of BACKEND that HAProxy has UP.
lc_haproxy_up() {
	curl -s -m 2 "http://127.0.0.1:${LC_STATS_PORT}/;csv" 2>/dev/null |
		awk -F, -v b="$1" '$1 == b && $2 != "BACKEND" && $2 != "FRONTEND" && $18 == "UP" { print $2 }'
}

# lc_down: stop everything, lockstepd first, etcd last.
lc_down() {
	local name pid i
	for name in lockstepd1 lockstepd2 lockstepd3 haproxy patroni2 patroni1 etcd3 etcd2 etcd1; do
		pid="$(lc_pid "${name}" || true)"
		[[ -n ${pid} ]] || continue
		kill -TERM "${pid}" 2>/dev/null || true
		for ((i = 0; i < 300; i++)); do
			ls_pid_running "${pid}" || break
			sleep 0.1
		done
		ls_pid_running "${pid}" && kill -KILL "${pid}" 2>/dev/null
		# Patroni stops its PostgreSQL; a kill -9 of Patroni does not
		if [[ ${name} == patroni? ]]; then
			lc_kill_postgres "${name#patroni}" TERM
		fi
	done
	return 0
}

# lc_postmaster N: print the pid of node N's postmaster if it runs.
lc_postmaster() {
	local pid
	pid="$(head -n 1 "${LS_STATE}/pg$1/data/postmaster.pid" 2>/dev/null || true)"
	[[ ${pid} =~ ^[0-9]+$ ]] && ls_pid_running "${pid}" && printf '%s\n' "${pid}"
}

# lc_kill_postgres N SIGNAL: signal node N's postmaster (and, for KILL, its
# children, as a machine losing power would).
lc_kill_postgres() {
	local pid
	pid="$(lc_postmaster "$1" || true)"
	[[ -n ${pid} ]] || return 0
	if [[ $2 == KILL ]]; then
		pkill -KILL -P "${pid}" 2>/dev/null || true
	fi
	kill "-$2" "${pid}" 2>/dev/null || true
	if [[ $2 != KILL ]]; then
		for _ in $(seq 100); do
			ls_pid_running "${pid}" || break
			sleep 0.1
		done
	fi
}

# lc_status: one line per process.
lc_status() {
	local name pid
	for name in etcd1 etcd2 etcd3 patroni1 patroni2 haproxy lockstepd1 lockstepd2 lockstepd3; do
		pid="$(lc_pid "${name}" || true)"
		printf '%-11s %s\n' "${name}" "${pid:-stopped}"
	done
	printf '%-11s %s\n' primary "$(lc_primary || echo none)"
}

# lc_restore TARGET DIR PORT: point-in-time restore of the backups and WAL
# archive into a fresh data directory DIR/data (TARGET: a timestamp
# PostgreSQL understands, e.g. "2026-11-30 22:40:00+00"), then start a
# stand-alone PostgreSQL on it (127.0.0.1:PORT, socket DIR/run) that
# promotes itself at TARGET. It archives nothing, so it never writes into
# the cluster's repository. Stop it with lc_restore_stop DIR.
lc_restore() {
	local target="$1" dir="$2" port="$3"
	[[ ! -e ${dir}/data ]] || ls_die "${dir}/data exists: restore into a fresh directory"
	(
		umask 077
		mkdir -p "${dir}/data" "${dir}/run"
	)
	ls_is_root && chown -R "${LS_SERVICE_USER}:" "${dir}"
	lc_backrest --pg1-path="${dir}/data" --type=time "--target=${target}" \
		--target-action=promote --archive-mode=off restore
	"${LS_AS[@]}" "${LS_PG_BIN}/pg_ctl" -D "${dir}/data" -l "${dir}/postgres.log" -w -t 120 \
		-o "-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir}/run -c archive_mode=off -c synchronous_standby_names= -c hba_file=${dir}/data/pg_hba.conf -c ident_file=${dir}/data/pg_ident.conf" \
		start >/dev/null 9>&- || {
		tail -n 20 "${dir}/postgres.log" >&2
		ls_die "the restored PostgreSQL did not start"
	}
	# until the recovery target is reached it is read-only
	local i
	for ((i = 0; i < 120; i++)); do
		[[ "$("${LS_AS[@]}" env PGPASSFILE="${LS_STATE}/secrets/pgpass" "${LS_PG_BIN}/psql" -X -A -t \
			-h 127.0.0.1 -p "${port}" -U postgres -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" == f ]] && return 0
		sleep 0.5
	done
	ls_die "the restored PostgreSQL did not finish its recovery"
}

lc_restore_stop() {
	"${LS_AS[@]}" "${LS_PG_BIN}/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# lc_restart_lockstepd N: stop replica N (SIGTERM: it finishes its
# requests), start it again, and wait until it is ready, so that a rolling
# restart never leaves fewer than two replicas serving.
lc_restart_lockstepd() {
	local n="$1" pid i
	pid="$(lc_pid "lockstepd${n}" || true)"
	if [[ -n ${pid} ]]; then
		kill -TERM "${pid}" 2>/dev/null || true
		for ((i = 0; i < 300; i++)); do
			ls_pid_running "${pid}" || break
			sleep 0.1
		done
		ls_pid_running "${pid}" && kill -KILL "${pid}"
	fi
	lc_start_lockstepd "${n}"
	lc_wait_http "http://127.0.0.1:${LC_LOCKSTEPD[n - 1]}/readyz" 60 ||
		ls_die "lockstepd${n} is not ready after its restart (${LS_STATE}/logs/lockstepd${n}.log)"
	# and HAProxy has seen it (rise 2 x 1 s)
	sleep 2.5
}

# lc_rotate_master_key: the whole online rotation, while serving:
#   1. a new key (keys/master.next.key);
#   2. rolling restart: every replica with the new key and the previous one
#      (new data under the new key; old rows open with either);
#   3. lockstepd rotate-master-key rewraps every data key (resumable;
#      audited; the check value becomes the new key's);
#   4. the new key becomes keys/master.key, the old one is kept as
#      keys/master.retired-DATE.key (backups taken before need it), and a
#      rolling restart without the previous key.
lc_rotate_master_key() {
	local keys="${LS_STATE}/keys" n retired
	retired="${keys}/master.retired-$(date -u +%Y%m%dT%H%M%SZ).key"
	LC_MASTER_KEY="${keys}/master.next.key" lc_lockstepd 1 init-keys
	ls_log "rotation: rolling restart with the new and the previous key"
	for n in 1 2 3; do
		LC_MASTER_KEY="${keys}/master.next.key" LC_MASTER_PREV="${keys}/master.key" lc_restart_lockstepd "${n}"
	done
	ls_log "rotation: rewrapping every data key"
	LC_MASTER_KEY="${keys}/master.next.key" LC_MASTER_PREV="${keys}/master.key" \
		lc_lockstepd 1 rotate-master-key
	"${LS_AS[@]}" cp -p "${keys}/master.key" "${retired}"
	"${LS_AS[@]}" mv "${keys}/master.next.key" "${keys}/master.key"
	ls_log "rotation: rolling restart with the new key alone (the old one kept as ${retired})"
	for n in 1 2 3; do lc_restart_lockstepd "${n}"; done
}

# lc_rotate_signing_key: a new Ed25519 signing key, endorsed by the one in
# use (lockstepd rotate-signing-key: appended to the key history, audited),
# then a rolling restart so that every replica signs with it. The old key
# is kept as keys/signing.retired-DATE.pem; readers who pinned it follow
# the history (lockstep verify).
lc_rotate_signing_key() {
	local keys="${LS_STATE}/keys" n retired
	retired="${keys}/signing.retired-$(date -u +%Y%m%dT%H%M%SZ).pem"
	LC_SIGNING_KEY="${keys}/signing.next.pem" LC_SIGNING_PREV="${keys}/signing.pem" \
		lc_lockstepd 1 rotate-signing-key
	"${LS_AS[@]}" cp -p "${keys}/signing.pem" "${retired}"
	"${LS_AS[@]}" mv "${keys}/signing.next.pem" "${keys}/signing.pem"
	ls_log "signing key rotated (the old one kept as ${retired}); rolling restart"
	for n in 1 2 3; do lc_restart_lockstepd "${n}"; done
}
