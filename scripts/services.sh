# shellcheck shell=bash
# scripts/services.sh: throwaway PostgreSQL, MariaDB and Redis servers for the
# tests. Each listens on 127.0.0.1 only, on a port the kernel says is free,
# with its data, socket, pid file and log in one temporary directory.
#
# Sourced by scripts/test. Other scripts reuse the pieces:
#
#   source scripts/services.sh
#   trap services_cleanup EXIT   # stops every server, removes the temp dir
#   services_prepare_bg          # optional: install and initdb meanwhile
#   ...
#   services_start               # install when missing, start all three
#
# or one service at a time: postgres_install, postgres_init (postgres_start
# does it if needed), postgres_start, postgres_stop, and likewise mariadb_*
# and redis_*. A start after a stop reuses the data directory and the port.
# services_apt_install PKG... installs Debian packages that are missing (a
# browser for browser tests, say).
#
# Installing needs root or password-less sudo. When neither is there and a
# server is missing, services_start prints a note and leaves its variable
# unset: tests that need it skip, or fail under CI=true (internal/testenv).
# A server that is installed but does not come up is an error, reported with
# the tail of its log.
#
# Exported for the tests (formats: internal/testenv):
#
#   SUNDIAL_TEST_POSTGRES_URL  postgres://sundial@127.0.0.1:PORT/postgres?sslmode=disable
#                          (superuser sundial; trust auth, loopback only)
#   SUNDIAL_TEST_MYSQL_URL     mysql://root@127.0.0.1:PORT/ (root without password,
#                          loopback only)
#   SUNDIAL_TEST_REDIS_URL     redis://127.0.0.1:PORT/0
#
# and what a test needs to stop, kill or restart a server (a restart keeps
# the port and the data):
#
#   SUNDIAL_TEST_PG_CTL         an executable that runs pg_ctl as the right OS
#                               user with -D and -l filled in:
#                               "$SUNDIAL_TEST_PG_CTL" stop -m immediate -w
#                               "$SUNDIAL_TEST_PG_CTL" start -w
#   SUNDIAL_TEST_PGDATA         the data directory (postmaster.pid lives there)
#   SUNDIAL_TEST_MYSQL_CMD      the mariadbd command line; it runs in the
#                               foreground, and its words are separated by
#                               single spaces (no word contains one)
#   SUNDIAL_TEST_MYSQL_PIDFILE  mariadbd's pid file, present while it runs
#   SUNDIAL_TEST_REDIS_CMD      the redis-server command line (foreground,
#                               words as above)
#   SUNDIAL_TEST_REDIS_PIDFILE  redis-server's pid file
#
# Stop MariaDB or Redis with SIGTERM to the pid in its pid file (SIGKILL to
# crash it), start it again with its command line (in the background: the
# pid file tells services_cleanup to stop it at the end), and wait until it
# answers. PostgreSQL: SUNDIAL_TEST_PG_CTL, as above.
#
# Settings: SUNDIAL_TEST_SERVICES=0 starts nothing. A SUNDIAL_TEST_POSTGRES_URL,
# SUNDIAL_TEST_MYSQL_URL or SUNDIAL_TEST_REDIS_URL that is already set is kept, and
# that server is not started. SUNDIAL_PG_VERSION picks the Debian
# postgresql-<version> package (default 15).

services_dir=""         # the temporary directory, made by services_init
services_started=()     # services to stop on cleanup, in start order
services_prepare_pid="" # services_prepare running in the background
services_pg_version=${SUNDIAL_PG_VERSION:-15}

# services_log prints a message to stderr, prefixed with "services: ".
services_log() { printf 'services: %s\n' "$*" >&2; }

# services_init makes the temporary directory (once). It is traversable by
# other users, for PostgreSQL, which runs as postgres when we are root.
services_init() {
	[[ -n $services_dir ]] && return 0
	local tmp=${TMPDIR:-/tmp}
	[[ $tmp == *[[:space:]]* || ! -d $tmp ]] && tmp=/tmp # command lines are split on spaces
	services_dir=$(mktemp -d "$tmp/sundial-services.XXXXXX")
	chmod 711 "$services_dir"
	mkdir -p "$services_dir/bin"
}

# services_can_root says whether services_as_root can work.
services_can_root() {
	((EUID == 0)) || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }
}

# services_as_root runs a command as root, directly or through sudo.
services_as_root() {
	if ((EUID == 0)); then
		"$@"
	else
		sudo -n "$@"
	fi
}

# services_pkg_installed says whether a Debian package is installed.
services_pkg_installed() {
	dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'
}

# services_apt_install installs the packages that are not installed yet,
# without recommends and without letting Debian start their services. It
# runs apt-get update only when the install fails for want of package lists.
# Returns 2 when it would need root and cannot get it, 1 when apt fails.
services_apt_install() {
	local missing=() pkg
	for pkg in "$@"; do
		services_pkg_installed "$pkg" || missing+=("$pkg")
	done
	((${#missing[@]} > 0)) || return 0
	if ! command -v apt-get >/dev/null; then
		services_log "note: ${missing[*]} missing and there is no apt-get"
		return 2
	fi
	if ! services_can_root; then
		services_log "note: ${missing[*]} missing; installing needs root or password-less sudo"
		return 2
	fi
	services_log "installing ${missing[*]}"

	# policy-rc.d exit 101: packages' maintainer scripts start no services.
	local policy=/usr/sbin/policy-rc.d made_policy=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# written by sundial scripts/services.sh for an install\nexit 101\n' |
			services_as_root tee "$policy" >/dev/null
		services_as_root chmod 755 "$policy"
		made_policy=1
	fi

	local log rc=1 attempt
	log=$(mktemp)
	local apt=(services_as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
	for attempt in 1 2; do
		if "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
			rc=0
			break
		fi
		# Retry once after apt-get update, if the lists are missing or stale.
		((attempt == 1)) || break
		grep -qE 'Unable to locate package|has no installation candidate|Failed to fetch|404 +Not Found' "$log" || break
		services_log "package lists missing or stale: apt-get update"
		"${apt[@]}" update >>"$log" 2>&1 || break
	done
	((made_policy)) && services_as_root rm -f "$policy"
	if ((rc != 0)); then
		services_log "apt-get install ${missing[*]} failed; the end of its output:"
		tail -n 25 "$log" >&2
	fi
	rm -f "$log"
	return "$rc"
}

# services_install PACKAGES COMMAND...: installs the Debian PACKAGES (a
# space-separated list) when missing; without dpkg (not Debian), checks
# that each COMMAND (a name on PATH, or in /usr/sbin, or a path) exists.
# Returns as services_apt_install does.
services_install() {
	local pkgs cmd
	read -ra pkgs <<<"$1"
	shift
	if command -v dpkg >/dev/null; then
		services_apt_install "${pkgs[@]}"
		return
	fi
	for cmd in "$@"; do
		if ! command -v "$cmd" >/dev/null && [[ ! -x /usr/sbin/$cmd ]]; then
			services_log "note: $cmd not found (and no dpkg to install ${pkgs[*]})"
			return 2
		fi
	done
}

# services_free_port prints a TCP port on 127.0.0.1 that nothing listens on.
services_free_port() {
	local py=/usr/bin/python3 # quicker than a pyenv shim on PATH
	[[ -x $py ]] || py=$(command -v python3 || true)
	if [[ -n $py ]]; then
		"$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
		return
	fi
	local port i
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + RANDOM % 12000))
		# A refused connection means no listener.
		if ! (: <>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	services_log "no free port found"
	return 1
}

# services_wait NAME PID LOG CMD...: runs CMD until it succeeds, for up to 30
# seconds, and fails with the end of LOG when it never does or when process
# PID (if not empty) dies first. CMD runs under a 3-second timeout: a client
# can hang on a port that some other program took.
services_wait() {
	local name=$1 pid=$2 log=$3 deadline=$((SECONDS + 30))
	shift 3
	while ((SECONDS < deadline)); do
		if command -v timeout >/dev/null; then
			timeout 3 "$@" >/dev/null 2>&1 && return 0
		else
			"$@" >/dev/null 2>&1 && return 0
		fi
		if [[ -n $pid ]] && ! services_alive "$pid"; then
			services_log "$name exited during startup; the end of $log:"
			tail -n 30 "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	services_log "$name did not answer within 30s; the end of $log:"
	tail -n 30 "$log" >&2
	return 1
}

# services_port_taken says whether LOG's end reports the port already in use
# (another process took it between our check and the server's bind).
services_port_taken() {
	tail -n 30 "$1" 2>/dev/null | grep -qiE 'address already in use|errno: 98|error: 98'
}

# services_alive PID says whether process PID runs (a zombie does not: an
# init that reaps slowly would keep one around for a while).
services_alive() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0 # no /proc: trust kill -0
	[[ ${stat##*) } != Z* ]]
}

# services_pidfile_pid prints the pid in a pid file (its first line).
services_pidfile_pid() {
	[[ -f $1 ]] && head -n 1 "$1" | tr -dc 0-9
}

# services_running PIDFILE says whether the process in PIDFILE runs.
services_running() {
	local pid
	pid=$(services_pidfile_pid "$1") && [[ -n $pid ]] && services_alive "$pid"
}

# services_kill_pidfile PIDFILE: SIGTERM to the process in PIDFILE, then
# SIGKILL if it is still there after 10 seconds; waits until it is gone.
services_kill_pidfile() {
	local pid i
	pid=$(services_pidfile_pid "$1") || return 0
	[[ -n $pid ]] && services_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		services_alive "$pid" || return 0
		sleep 0.1
	done
	services_log "pid $pid ($1) ignored SIGTERM for 10s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		services_alive "$pid" || return 0
		sleep 0.1
	done
}

# services_spawn OUT CMD...: starts CMD in the background, in a session of
# its own (so a Ctrl-C reaches the scripts, which stop it, not the server),
# with stdout and stderr appended to OUT. $! is its pid.
services_spawn() {
	local out=$1
	shift
	if command -v setsid >/dev/null; then
		setsid "$@" </dev/null >>"$out" 2>&1 &
	else
		"$@" </dev/null >>"$out" 2>&1 &
	fi
	disown "$!" # no job notices from bash when it is killed
}

# services_mark_started records a started service for services_stop.
services_mark_started() {
	local s
	for s in "${services_started[@]}"; do [[ $s == "$1" ]] && return 0; done
	services_started+=("$1")
}

# ---- PostgreSQL ----------------------------------------------------------

postgres_install() {
	local bin
	bin=$(postgres_bindir)
	services_install "postgresql-$services_pg_version" "$bin/initdb" "$bin/pg_ctl" "$bin/pg_isready"
}

# postgres_bindir prints the directory of initdb and pg_ctl: Debian's for
# the version, or where pg_ctl is on PATH on a system without dpkg.
postgres_bindir() {
	local dir=/usr/lib/postgresql/$services_pg_version/bin ctl
	if [[ ! -d $dir ]] && ! command -v dpkg >/dev/null && ctl=$(command -v pg_ctl); then
		dir=$(dirname "$ctl")
	fi
	echo "$dir"
}

# postgres_run runs a command as the OS user that owns the cluster: postgres
# when we are root (PostgreSQL refuses to run as root), else ourselves.
postgres_run() {
	if ((EUID == 0)); then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# postgres_init creates the cluster (postgres_start does it when needed):
# superuser sundial, trust auth on the socket and 127.0.0.1 only.
postgres_init() {
	services_init
	local dir=$services_dir/pg
	local data=$dir/data log=$dir/postgres.log ctl=$services_dir/bin/pg_ctl bin
	bin=$(postgres_bindir)
	mkdir -p "$dir"
	if ((EUID == 0)); then chown postgres: "$dir"; fi
	postgres_run "$bin/initdb" -D "$data" -U sundial -A trust \
		-E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
		services_log "initdb failed; the end of its output:"
		tail -n 30 "$dir/initdb.log" >&2
		return 1
	}
	printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' >"$data/pg_hba.conf"
	echo "include = 'sundial.conf'" >>"$data/postgresql.conf"
	# pg_ctl with the cluster's user, data directory and log: what a test
	# uses to stop or restart the server.
	{
		echo '#!/bin/sh'
		echo '# pg_ctl for the Sundial test cluster (scripts/services.sh)'
		if ((EUID == 0)); then
			echo "cd / && exec runuser -u postgres -- '$bin/pg_ctl' -D '$data' -l '$log' \"\$@\""
		else
			echo "exec '$bin/pg_ctl' -D '$data' -l '$log' \"\$@\""
		fi
	} >"$ctl"
	chmod 755 "$ctl"
}

# postgres_start starts the cluster (creating it first if needed), exporting
# SUNDIAL_TEST_POSTGRES_URL, SUNDIAL_TEST_PG_CTL and SUNDIAL_TEST_PGDATA.
postgres_start() {
	services_init
	local dir=$services_dir/pg
	local data=$dir/data log=$dir/postgres.log ctl=$services_dir/bin/pg_ctl
	local bin
	bin=$(postgres_bindir)
	[[ -f $data/PG_VERSION ]] || postgres_init || return 1

	local port attempt pid
	port=$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$data/sundial.conf" 2>/dev/null || true)
	for attempt in 1 2 3; do
		# Already running (a second start): export only.
		((attempt == 1)) && [[ -n $port ]] && services_running "$data/postmaster.pid" && break
		[[ -n $port ]] || port=$(services_free_port) || return 1
		# Test settings: speed over durability, room for parallel tests.
		cat >"$data/sundial.conf" <<-EOF
			listen_addresses = '127.0.0.1'
			port = $port
			unix_socket_directories = '$dir'
			max_connections = 200
			shared_buffers = 64MB
			fsync = off
			synchronous_commit = off
			full_page_writes = off
			wal_level = minimal
			max_wal_senders = 0
			autovacuum = off
			jit = off
		EOF
		if ((EUID == 0)); then chown postgres: "$data/sundial.conf"; fi
		if "$ctl" start -w -t 30 >/dev/null 2>&1; then
			pid=$(services_pidfile_pid "$data/postmaster.pid") || true
			services_wait postgres "$pid" "$log" "$bin/pg_isready" \
				-q -h 127.0.0.1 -p "$port" -U sundial -d postgres -t 2 || return 1
			break
		fi
		if ((attempt < 3)) && services_port_taken "$log"; then
			services_log "postgres: port $port taken, trying another"
			port=""
			continue
		fi
		services_log "postgres did not start; the end of $log:"
		tail -n 30 "$log" >&2
		return 1
	done
	services_mark_started postgres
	export SUNDIAL_TEST_POSTGRES_URL="postgres://sundial@127.0.0.1:$port/postgres?sslmode=disable"
	export SUNDIAL_TEST_PG_CTL=$ctl
	export SUNDIAL_TEST_PGDATA=$data
}

# postgres_stop [MODE] stops the server: pg_ctl's shutdown mode, fast by
# default; immediate is quicker when the data is thrown away.
postgres_stop() {
	local data=$services_dir/pg/data mode=${1:-fast} pid
	[[ -n $services_dir && -f $data/postmaster.pid ]] || return 0
	pid=$(services_pidfile_pid "$data/postmaster.pid") || true
	"$services_dir/bin/pg_ctl" stop -m "$mode" -w -t 20 >/dev/null 2>&1 ||
		services_kill_pidfile "$data/postmaster.pid"
	# pg_ctl returns when the pid file is gone; wait for the process too.
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -n $pid ]] && services_alive "$pid" || return 0
		sleep 0.1
	done
}

# ---- MariaDB -------------------------------------------------------------

mariadb_install() {
	# The server binaries and mariadb-install-db, and the clients: not
	# mariadb-server, whose scripts set up and start a system instance.
	services_install "mariadb-server-core mariadb-client" mariadbd mariadb-install-db mariadb
}

# mariadb_cnf PORT writes the server's option file.
mariadb_cnf() {
	local dir=$services_dir/mariadb
	{
		echo '[mariadbd]'
		if ((EUID == 0)); then echo 'user=root'; fi
		# Test settings: speed over durability, little memory.
		cat <<-EOF
			datadir=$dir/data
			socket=$dir/mariadbd.sock
			pid-file=$dir/mariadbd.pid
			log-error=$dir/mariadbd.log
			port=$1
			bind-address=127.0.0.1
			skip-name-resolve
			skip-log-bin
			max_connections=200
			innodb_buffer_pool_size=64M
			innodb_log_file_size=32M
			innodb_flush_log_at_trx_commit=0
			innodb_doublewrite=0
			innodb_flush_method=nosync
			character-set-server=utf8mb4
		EOF
	} >"$dir/my.cnf"
}

# mariadb_init creates the data directory (mariadb_start does it when
# needed): root without password, on the socket and loopback only.
mariadb_init() {
	services_init
	local dir=$services_dir/mariadb
	mkdir -p "$dir"
	[[ -f $dir/my.cnf ]] || mariadb_cnf 0
	# Drop the accounts mariadb-install-db makes for the host name.
	local hosts="('localhost', '127.0.0.1', '::1')"
	printf '%s\n' \
		"DELETE FROM mysql.global_priv WHERE Host NOT IN $hosts;" \
		"DELETE FROM mysql.proxies_priv WHERE Host NOT IN $hosts;" >"$dir/init.sql"
	mariadb-install-db --defaults-file="$dir/my.cnf" --auth-root-authentication-method=normal \
		--skip-test-db --skip-name-resolve --extra-file="$dir/init.sql" \
		>"$dir/install-db.log" 2>&1 || {
		services_log "mariadb-install-db failed; the end of its output and of the server log:"
		head -n 4 "$dir/install-db.log" >&2
		tail -n 20 "$dir/mariadbd.log" >&2 || true
		return 1
	}
}

# mariadb_start starts mariadbd (creating its data directory first if
# needed), exporting SUNDIAL_TEST_MYSQL_URL, SUNDIAL_TEST_MYSQL_CMD and
# SUNDIAL_TEST_MYSQL_PIDFILE.
mariadb_start() {
	services_init
	local dir=$services_dir/mariadb
	local cnf=$dir/my.cnf pidfile=$dir/mariadbd.pid log=$dir/mariadbd.log
	local mariadbd
	mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
	[[ -d $dir/data/mysql ]] || mariadb_init || return 1

	local port attempt pid
	port=$(sed -n 's/^port=\([1-9][0-9]*\)$/\1/p' "$cnf" 2>/dev/null || true)
	for attempt in 1 2 3; do
		((attempt == 1)) && [[ -n $port ]] && services_running "$pidfile" && break
		[[ -n $port ]] || port=$(services_free_port) || return 1
		mariadb_cnf "$port"
		services_spawn "$dir/mariadbd.out" "$mariadbd" --defaults-file="$cnf"
		pid=$!
		if services_wait mariadb "$pid" "$log" \
			mariadb --no-defaults --protocol=tcp --connect-timeout=2 -h 127.0.0.1 -P "$port" -u root -e 'SELECT 1'; then
			break
		fi
		if ((attempt < 3)) && services_port_taken "$log"; then
			services_log "mariadb: port $port taken, trying another"
			port=""
			continue
		fi
		kill -KILL "$pid" 2>/dev/null || true
		return 1
	done
	services_mark_started mariadb
	export SUNDIAL_TEST_MYSQL_URL="mysql://root@127.0.0.1:$port/"
	export SUNDIAL_TEST_MYSQL_CMD="$mariadbd --defaults-file=$cnf"
	export SUNDIAL_TEST_MYSQL_PIDFILE=$pidfile
}

mariadb_stop() {
	[[ -n $services_dir ]] || return 0
	services_kill_pidfile "$services_dir/mariadb/mariadbd.pid"
}

# ---- Redis ---------------------------------------------------------------

redis_install() {
	services_install "redis-server redis-tools" redis-server redis-cli
}

# redis_init makes the server's directory; there is nothing else to create.
redis_init() {
	services_init
	mkdir -p "$services_dir/redis"
}

# redis_start starts redis-server without persistence, exporting
# SUNDIAL_TEST_REDIS_URL, SUNDIAL_TEST_REDIS_CMD and SUNDIAL_TEST_REDIS_PIDFILE.
redis_start() {
	services_init
	local dir=$services_dir/redis
	local conf=$dir/redis.conf pidfile=$dir/redis.pid log=$dir/redis.log
	local server
	server=$(command -v redis-server || echo /usr/bin/redis-server)
	mkdir -p "$dir"

	local port attempt pid
	port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$conf" 2>/dev/null || true)
	for attempt in 1 2 3; do
		((attempt == 1)) && [[ -n $port ]] && services_running "$pidfile" && break
		[[ -n $port ]] || port=$(services_free_port) || return 1
		cat >"$conf" <<-EOF
			bind 127.0.0.1
			port $port
			dir $dir
			pidfile $pidfile
			logfile $log
			daemonize no
			save ""
			appendonly no
			databases 16
		EOF
		services_spawn "$dir/redis.out" "$server" "$conf"
		pid=$!
		if services_wait redis "$pid" "$log" redis-cli -h 127.0.0.1 -p "$port" ping; then
			break
		fi
		if ((attempt < 3)) && services_port_taken "$log"; then
			services_log "redis: port $port taken, trying another"
			port=""
			continue
		fi
		kill -KILL "$pid" 2>/dev/null || true
		return 1
	done
	services_mark_started redis
	export SUNDIAL_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
	export SUNDIAL_TEST_REDIS_CMD="$server $conf"
	export SUNDIAL_TEST_REDIS_PIDFILE=$pidfile
}

redis_stop() {
	[[ -n $services_dir ]] || return 0
	services_kill_pidfile "$services_dir/redis/redis.pid"
}

# ---- all of them ---------------------------------------------------------

# services_env NAME prints the variable that names service NAME's server.
services_env() {
	case $1 in
	postgres) echo SUNDIAL_TEST_POSTGRES_URL ;;
	mariadb) echo SUNDIAL_TEST_MYSQL_URL ;;
	redis) echo SUNDIAL_TEST_REDIS_URL ;;
	esac
}

# services_ms prints a clock in milliseconds.
services_ms() {
	local t=${EPOCHREALTIME:-$SECONDS.000000}
	t=${t/[.,]/}
	echo $((10#$t / 1000))
}

# services_prepare installs the servers that are missing and creates their
# data directories, in parallel. services_start runs it, unless
# services_prepare_bg did. It records the outcome per service in
# $services_dir/state/NAME: ready; skip (cannot install here, a note says
# why); or failed.
services_prepare() {
	services_init
	mkdir -p "$services_dir/state"
	local name env rc names=() pids=() i
	for name in postgres mariadb redis; do
		env=$(services_env "$name")
		[[ -z ${!env:-} ]] || continue # the caller's own server
		rc=0
		"${name}_install" || rc=$?
		if ((rc == 0)); then
			"${name}_init" & # in parallel; set -e holds inside
			names+=("$name")
			pids+=("$!")
		elif ((rc == 1)) && [[ ${CI:-} == true ]]; then
			echo failed >"$services_dir/state/$name"
		else
			echo skip >"$services_dir/state/$name"
		fi
	done
	for i in "${!pids[@]}"; do
		if wait "${pids[i]}"; then
			echo ready >"$services_dir/state/${names[i]}"
		else
			echo failed >"$services_dir/state/${names[i]}"
		fi
	done
}

# services_prepare_bg runs services_prepare in the background, for
# services_start to wait for (it prints the output then): scripts/test
# installs and initialises the servers while it runs gofmt, vet and
# staticcheck.
services_prepare_bg() {
	[[ ${SUNDIAL_TEST_SERVICES:-1} != 0 && -z $services_prepare_pid ]] || return 0
	services_init
	services_prepare >"$services_dir/prepare.log" 2>&1 &
	services_prepare_pid=$!
}

# services_prepare_wait waits for services_prepare_bg's run, then prints its
# output.
services_prepare_wait() {
	[[ -n $services_prepare_pid ]] || return 0
	wait "$services_prepare_pid" || true
	services_prepare_pid=""
	cat "$services_dir/prepare.log"
}

# services_start installs (when missing) and starts every server whose
# variable is not set yet. A server that cannot be installed here is left
# out with a note (under CI=true an apt failure is an error); one that is
# installed but does not start is an error.
services_start() {
	if [[ ${SUNDIAL_TEST_SERVICES:-1} == 0 ]]; then
		services_log "SUNDIAL_TEST_SERVICES=0: starting no servers"
		return 0
	fi
	local began name env state
	began=$(services_ms)
	if [[ -n $services_prepare_pid ]]; then
		services_prepare_wait
	else
		services_prepare
	fi
	for name in postgres mariadb redis; do
		env=$(services_env "$name")
		state=$(cat "$services_dir/state/$name" 2>/dev/null || true)
		if [[ -z $state && -n ${!env:-} ]]; then
			echo "$name: using $env=${!env}"
			continue
		fi
		case $state in
		ready)
			"${name}_start"
			echo "$name: $env=${!env}"
			;;
		skip)
			services_log "note: no $name server; $env stays unset, so tests that need it skip (and fail under CI=true)"
			;;
		*)
			services_log "$name: installing or initialising failed (see above)"
			return 1
			;;
		esac
	done
	local ms=$(($(services_ms) - began))
	printf 'servers up in %d.%ds (in %s)\n' $((ms / 1000)) $((ms % 1000 / 100)) "$services_dir"
}

# services_stop stops every server started here, newest first. With
# "immediate", PostgreSQL skips its shutdown checkpoint.
services_stop() {
	local i
	for ((i = ${#services_started[@]} - 1; i >= 0; i--)); do
		if [[ ${services_started[i]} == postgres ]]; then
			postgres_stop "$@" || true
		else
			"${services_started[i]}_stop" || true
		fi
	done
}

# services_cleanup stops the servers and removes the temporary directory;
# safe to call more than once (for a trap on EXIT). It waits for a
# background services_prepare first: an apt-get must not be cut short.
services_cleanup() {
	local name
	if [[ -n $services_prepare_pid ]]; then
		if kill -0 "$services_prepare_pid" 2>/dev/null; then
			services_log "waiting for the server setup (install, initdb) to finish"
		fi
		wait "$services_prepare_pid" 2>/dev/null || true
		services_prepare_pid=""
	fi
	services_stop immediate
	for name in "${services_started[@]}"; do
		case $name in
		postgres) unset SUNDIAL_TEST_POSTGRES_URL SUNDIAL_TEST_PG_CTL SUNDIAL_TEST_PGDATA ;;
		mariadb) unset SUNDIAL_TEST_MYSQL_URL SUNDIAL_TEST_MYSQL_CMD SUNDIAL_TEST_MYSQL_PIDFILE ;;
		redis) unset SUNDIAL_TEST_REDIS_URL SUNDIAL_TEST_REDIS_CMD SUNDIAL_TEST_REDIS_PIDFILE ;;
		esac
	done
	services_started=()
	if [[ -n $services_dir ]]; then
		rm -rf "$services_dir"
		services_dir=""
	fi
}
