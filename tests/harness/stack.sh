#!/bin/sh
# stack.sh: starts and stops a throwaway local stack for the tests, the demo and the benchmarks: a
# PostgreSQL cluster (unix socket only), the migrations, captionacc-fcgi under spawn-fcgi, and real nginx
# running nginx/captionacc.conf on a free 127.0.0.1 port. Everything lives in one directory; every
# process is stopped by the PID it was started with, never by name.
#
# usage: stack.sh start DIR      start everything; writes DIR/env (source it: STACK_URL, DATABASE_URL, PSQL…)
#        stack.sh start-db DIR   only PostgreSQL with the migrations applied (DIR/env as above, no STACK_URL)
#        stack.sh stop DIR       stop everything and remove DIR (kept when STACK_KEEP=1)
#        stack.sh pg-stop DIR | pg-start DIR | fcgi-stop DIR | fcgi-start DIR   (pg-stop: PG_STOP_MODE, default fast)
#        stack.sh nginx-restart DIR   nginx again with the NGINX_* limits of the environment (a new port:
#                                DIR/nginx/port)
#        stack.sh modal-start DIR | modal-stop DIR   the Modal test double (adds MODAL_URL to DIR/env)
#        stack.sh prefect-start DIR | prefect-stop DIR   the Prefect double (DIR/prefect.port, DIR/prefect.pid;
#                                bearer key PREFECT_DOUBLE_KEY if set); run it before start so the
#                                settings (EXTRA_CONFIG) can name its URL
#        stack.sh s3-start DIR | s3-stop DIR   s3rver with bucket "captionacc", signature checks off for
#                                listings (libs3 2.0 signs bucket URLs differently); adds the S3_* settings
#                                to the settings file and S3_URL to DIR/env
#        stack.sh s3-pause DIR | s3-resume DIR   s3rver stopped, then again on its port with its objects
#        stack.sh s3-strict-start DIR | s3-strict-stop DIR   a second s3rver that checks every signature
#                                (S3_STRICT_ENDPOINT in DIR/env)
# Environment: FCGI_CHILDREN (10: more than nginx's kept connections, see nginx/captionacc.conf), PG_FSYNC (off), NGINX_RATE (50r/s), NGINX_BURST (200),
#   NGINX_KEEPALIVE (2: kept connections per nginx worker; its 2 workers keep at most FCGI_CHILDREN / 2),
#   NGINX_ACTIONS_RATE (5r/s), NGINX_ACTIONS_BURST (20),
#   WEBHOOK_SECRET (test-secret), EXTRA_CONFIG (lines added to the settings file), top_srcdir, top_builddir,
#   FCGI_WRAPPER (a command captionacc-fcgi runs under, e.g. valgrind with its options; @DIR@ = DIR).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
cmd=${1:?usage: stack.sh start|stop|pg-stop|pg-start|fcgi-stop|fcgi-start DIR}
DIR=${2:?usage: stack.sh $cmd DIR}

FCGI_CHILDREN=${FCGI_CHILDREN:-10}
PG_FSYNC=${PG_FSYNC:-off}
NGINX_RATE=${NGINX_RATE:-50r/s}
NGINX_BURST=${NGINX_BURST:-200}
WEBHOOK_SECRET=${WEBHOOK_SECRET:-test-secret}

die() { echo "stack.sh: $*" >&2; exit 1; }

pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || d=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
	[ -x "$d/initdb" ] || die "initdb not found: install the Debian package postgresql"
	echo "$d"
}

# initdb refuses to run as root: a root caller runs the cluster as the postgres user.
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

nginx_bin() {
	command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } ||
		die "nginx not found: install the Debian package nginx-light"
}

# Waits until a process is gone (by PID), up to $2 seconds; returns 1 if it is still there.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

kill_pid() { # PID [seconds]: TERM, wait, then KILL
	kill -TERM "$1" 2>/dev/null || return 0
	wait_gone "$1" "${2:-10}" || { kill -KILL "$1" 2>/dev/null || true; wait_gone "$1" 5 || true; }
}

pg_init() {
	bindir=$(pg_bindir)
	mkdir -p "$DIR/pgdata" "$DIR/pgsock"
	touch "$DIR/pg.log"
	if [ "$(id -u)" = 0 ]; then
		chmod 755 "$DIR"
		chown postgres "$DIR/pgdata" "$DIR/pgsock" "$DIR/pg.log"
	fi
	as_pg "$bindir/initdb" -D "$DIR/pgdata" -A trust -U postgres -E UTF8 --locale=C --no-sync \
		>"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
	cat >>"$DIR/pgdata/postgresql.conf" <<EOC
listen_addresses = ''
unix_socket_directories = '$DIR/pgsock'
fsync = $PG_FSYNC
synchronous_commit = on
max_connections = 300
shared_buffers = 256MB
EOC
}

pg_start() {
	as_pg "$(pg_bindir)/pg_ctl" -D "$DIR/pgdata" -l "$DIR/pg.log" -w -t 60 start >/dev/null ||
		{ tail -n 20 "$DIR/pg.log" >&2; die "PostgreSQL did not start"; }
}

pg_stop() {
	[ -f "$DIR/pgdata/postmaster.pid" ] || return 0
	as_pg "$(pg_bindir)/pg_ctl" -D "$DIR/pgdata" -m "${PG_STOP_MODE:-fast}" -w -t 60 stop >/dev/null 2>&1 || true
}

fcgi_start() {
	FCGI_WRAPPER=$(printf '%s' "${FCGI_WRAPPER:-}" | sed "s|@DIR@|$DIR|g")
	if [ -n "$FCGI_WRAPPER" ]; then # spawn-fcgi execs without a PATH search
		w=${FCGI_WRAPPER%% *}
		FCGI_WRAPPER="$(command -v "$w" || die "$w not found")${FCGI_WRAPPER#"$w"}"
	fi
	rm -f "$DIR/fcgi.sock" "$DIR/fcgi.pid"
	CAPTIONACC_CONFIG="$DIR/captionacc.conf" spawn-fcgi -s "$DIR/fcgi.sock" -M 0666 -F "$FCGI_CHILDREN" \
		-P "$DIR/fcgi.pid" -- ${FCGI_WRAPPER:-} "$top_builddir/fcgi/captionacc-fcgi" </dev/null >>"$DIR/spawn-fcgi.log" 2>&1 ||
		{ cat "$DIR/spawn-fcgi.log" >&2; die "spawn-fcgi failed"; }
	[ -S "$DIR/fcgi.sock" ] || die "captionacc-fcgi socket missing"
}

fcgi_stop() {
	[ -f "$DIR/fcgi.pid" ] || return 0
	for pid in $(cat "$DIR/fcgi.pid"); do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in $(cat "$DIR/fcgi.pid"); do
		wait_gone "$pid" 10 || { kill -KILL "$pid" 2>/dev/null || true; }
	done
	rm -f "$DIR/fcgi.pid" "$DIR/fcgi.sock"
}

nginx_start() {
	mkdir -p "$DIR/nginx/tmp"
	chmod 777 "$DIR/nginx/tmp"
	[ -f /etc/nginx/fastcgi_params ] || die "/etc/nginx/fastcgi_params missing: install nginx-common"
	cp /etc/nginx/fastcgi_params "$DIR/nginx/fastcgi_params"
	port=$("$top_builddir/tests/harness/freeport")
	# The production site file, with only the marked values changed.
	sed -e "/# @RATE@/s|rate=[^;]*;|rate=$NGINX_RATE;|" \
	    -e "/# @BURST@/s|burst=[0-9]*|burst=$NGINX_BURST|" \
	    -e "/# @ACTIONS_RATE@/s|rate=[^;]*;|rate=${NGINX_ACTIONS_RATE:-5r/s};|" \
	    -e "/# @ACTIONS_BURST@/s|burst=[0-9]*|burst=${NGINX_ACTIONS_BURST:-20}|" \
	    -e "/# @SOCKET@/s|unix:[^;]*;|unix:$DIR/fcgi.sock;|" \
	    -e "/# @KEEPALIVE@/s|keepalive [0-9]*;|keepalive ${NGINX_KEEPALIVE:-2};|" \
	    -e "/# @LISTEN@/s|listen [^;]*;|listen 127.0.0.1:$port;|" \
	    "$top_srcdir/nginx/captionacc.conf" >"$DIR/nginx/site.conf"
	sed -e "s|@DIR@|$DIR|g" "$here/nginx-main.conf.in" >"$DIR/nginx/nginx.conf"
	"$(nginx_bin)" -p "$DIR/nginx/" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log" \
		</dev/null >"$DIR/nginx/stdout.log" 2>&1 &
	echo $! >"$DIR/nginx/master.pid"
	i=0
	until curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$(cat "$DIR/nginx/master.pid")" 2>/dev/null; then
			cat "$DIR/nginx/error.log" "$DIR/nginx/stdout.log" >&2 2>/dev/null || true
			die "nginx did not answer on port $port"
		fi
		sleep 0.1
	done
	echo "$port" >"$DIR/nginx/port"
}

nginx_stop() {
	[ -f "$DIR/nginx/master.pid" ] || return 0
	kill_pid "$(cat "$DIR/nginx/master.pid")" 10
	rm -f "$DIR/nginx/master.pid"
}

modal_start() {
	rm -f "$DIR/modal.port"
	"$top_builddir/tests/doubles/modal_double" "$DIR/modal.port" </dev/null >"$DIR/modal.log" 2>&1 &
	echo $! >"$DIR/modal.pid"
	wait_file "$DIR/modal.port" || die "the Modal double did not start"
	echo "MODAL_URL='http://127.0.0.1:$(cat "$DIR/modal.port")'; export MODAL_URL" >>"$DIR/env"
}

modal_stop() {
	[ -f "$DIR/modal.pid" ] || return 0
	kill_pid "$(cat "$DIR/modal.pid")" 10
	rm -f "$DIR/modal.pid"
}

s3rver_cmd() {
	if [ -n "${S3RVER:-}" ]; then echo "$S3RVER"; return; fi
	if command -v s3rver >/dev/null 2>&1; then command -v s3rver; return; fi
	for d in "$top_srcdir" "$top_builddir"; do
		if [ -x "$d/node_modules/.bin/s3rver" ]; then echo "$d/node_modules/.bin/s3rver"; return; fi
	done
	die "s3rver not found: npm install -g s3rver@3.7.1 (tests/harness/install-deps.sh does it)"
}

# s3_up NAME [s3rver options]: starts s3rver on a free port with its own directory; NAME.port holds the port.
s3_up() {
	name=$1
	shift
	bin=$(s3rver_cmd)
	port=${S3_PORT:-$("$top_builddir/tests/harness/freeport")}
	mkdir -p "$DIR/$name"
	"$bin" -d "$DIR/$name" -a 127.0.0.1 -p "$port" --configure-bucket captionacc --silent "$@" \
		</dev/null >"$DIR/$name.log" 2>&1 &
	echo $! >"$DIR/$name.pid"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
		i=$((i + 1))
		if [ "$i" -gt 200 ] || ! kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null; then
			cat "$DIR/$name.log" >&2
			die "s3rver ($name) did not start"
		fi
		sleep 0.05
	done
	echo "$port" >"$DIR/$name.port"
}

s3_down() {
	[ -f "$DIR/$1.pid" ] || return 0
	kill_pid "$(cat "$DIR/$1.pid")" 10
	rm -f "$DIR/$1.pid"
}

s3_start() {
	s3_up s3 --allow-mismatched-signatures
	cat >>"$DIR/captionacc.conf" <<EOC
S3_ENDPOINT = 127.0.0.1:$(cat "$DIR/s3.port")
S3_PROTOCOL = http
S3_URI_STYLE = path
S3_BUCKET = captionacc
S3_ACCESS_KEY = S3RVER
S3_SECRET_KEY = S3RVER
EOC
	echo "S3_URL='http://127.0.0.1:$(cat "$DIR/s3.port")'; export S3_URL" >>"$DIR/env"
}

# s3-pause / s3-resume: s3rver stopped, then started again on the same port with the same objects.
s3_pause() { s3_down s3; }
s3_resume() { S3_PORT=$(cat "$DIR/s3.port") s3_up s3 --allow-mismatched-signatures; }

s3_strict_start() {
	s3_up s3strict
	echo "S3_STRICT_ENDPOINT='127.0.0.1:$(cat "$DIR/s3strict.port")'; export S3_STRICT_ENDPOINT" >>"$DIR/env"
}

prefect_start() {
	mkdir -p "$DIR"
	rm -f "$DIR/prefect.port"
	"$top_builddir/tests/doubles/prefect_double" "$DIR/prefect.port" video_initial_processing crop_and_infer \
		caption_ocr diagnostic noop </dev/null >"$DIR/prefect.log" 2>&1 &
	echo $! >"$DIR/prefect.pid"
	wait_file "$DIR/prefect.port" || die "the Prefect double did not start"
}

prefect_stop() {
	[ -f "$DIR/prefect.pid" ] || return 0
	kill_pid "$(cat "$DIR/prefect.pid")" 10
	rm -f "$DIR/prefect.pid"
}

wait_file() {
	i=0
	until [ -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 100 ] && return 1
		sleep 0.05
	done
}

write_settings() {
	cat >"$DIR/captionacc.conf" <<EOC
# written by tests/harness/stack.sh
DATABASE_URL = host=$DIR/pgsock dbname=captionacc user=postgres
WEBHOOK_SECRET = $WEBHOOK_SECRET
LOG_FILE = $DIR/captionacc.log
EOC
	if [ -n "${EXTRA_CONFIG:-}" ]; then printf '%s\n' "$EXTRA_CONFIG" >>"$DIR/captionacc.conf"; fi
	chmod 600 "$DIR/captionacc.conf"
}

start_db() {
	mkdir -p "$DIR"
	pg_init
	pg_start
	"$(pg_bindir)/createdb" -h "$DIR/pgsock" -U postgres captionacc
	write_settings
	CAPTIONACC_CONFIG="$DIR/captionacc.conf" "$top_builddir/runner/captionacc-runner" migrate >"$DIR/migrate.log" ||
		{ cat "$DIR/migrate.log" >&2; die "migrate failed"; }
	write_env
}

start() {
	start_db
	fcgi_start
	nginx_start
	write_env
}

write_env() {
	url=
	[ -f "$DIR/nginx/port" ] && url="http://127.0.0.1:$(cat "$DIR/nginx/port")"
	cat >"$DIR/env" <<EOC
STACK_DIR='$DIR'
STACK_URL='$url'
STACK_SCRIPT='$here/stack.sh'
DATABASE_URL='host=$DIR/pgsock dbname=captionacc user=postgres'
CAPTIONACC_CONFIG='$DIR/captionacc.conf'
WEBHOOK_SECRET='$WEBHOOK_SECRET'
PSQL='$(pg_bindir)/psql -X -q -A -t -h $DIR/pgsock -U postgres -d captionacc'
PGBENCH='$(pg_bindir)/pgbench'
export STACK_DIR STACK_URL STACK_SCRIPT DATABASE_URL CAPTIONACC_CONFIG WEBHOOK_SECRET PSQL PGBENCH
EOC
}

stop() {
	modal_stop
	prefect_stop
	s3_down s3
	s3_down s3strict
	nginx_stop
	fcgi_stop
	pg_stop
	if [ "${STACK_KEEP:-0}" != 1 ]; then rm -rf "$DIR"; fi
}

case $cmd in
start) start ;;
start-db) start_db ;;
stop) stop ;;
pg-stop) pg_stop ;;
pg-start) pg_start ;;
fcgi-stop) fcgi_stop ;;
fcgi-start) fcgi_start ;;
nginx-restart) nginx_stop; nginx_start ;;
modal-start) modal_start ;;
s3-pause) s3_pause ;;
s3-resume) s3_resume ;;
modal-stop) modal_stop ;;
prefect-start) prefect_start ;;
prefect-stop) prefect_stop ;;
s3-start) s3_start ;;
s3-stop) s3_down s3 ;;
s3-strict-start) s3_strict_start ;;
s3-strict-stop) s3_down s3strict ;;
*) die "unknown command $cmd" ;;
esac
