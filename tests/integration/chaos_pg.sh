#!/bin/sh
# chaos_pg.sh: PostgreSQL restarted under webhook load, and every captionacc session terminated again and
# again. Two clients send webhooks (each a new video) through nginx back to back while PostgreSQL is
# restarted CHAOS_RESTARTS times (fast and immediate shutdowns in turn), then while the FastCGI
# processes' sessions are terminated every 0.2 s. Every 202 must have exactly one job row, every other
# answer must be 503 with Retry-After (never a 500, never a 502 from a lost process), no video may have
# two jobs, and the service must answer 202 again within 2 s of each restart (measured from the moment
# PostgreSQL accepts connections again; printed).
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
RESTARTS=${CHAOS_RESTARTS:-5}
FCGI_CHILDREN=4 NGINX_RATE=10000r/s NGINX_BURST=10000 "$stack" start "$dir" >/dev/null
. "$dir/env"
q() { $PSQL -c "$1"; }
now_ms() { date +%s%3N; }
fcgi_pids=$(cat "$dir/fcgi.pid")

# client N: webhooks back to back until $dir/stop exists; one line per answer: ms code retry-after video
client() {
	i=0
	while [ ! -e "$dir/stop" ]; do
		i=$((i + 1)) v="pg-$1-$i"
		printf '{"type":"INSERT","table":"videos","schema":"public","record":{"id":"%s","tenant_id":"tp","storage_key":"tp/videos/%s.mp4","status":"uploading"},"old_record":null}' \
			"$v" "$v" >"$dir/body.$1"
		a=$(curl -s -o /dev/null -m 10 -w '%{http_code} %header{retry-after}' -X POST \
			-H "Authorization: Bearer $WEBHOOK_SECRET" -H 'Content-Type: application/json' \
			--data-binary "@$dir/body.$1" "$STACK_URL/webhooks/supabase/videos" || echo 000)
		code=${a%% *} ra=${a#* }
		echo "$(now_ms) $code ${ra:--} $v" >>"$dir/answers.$1"
	done
}
client 1 & pids="$pids $!"; c1=$!
client 2 & pids="$pids $!"; c2=$!
sleep 1
: >"$dir/ready"
for r in $(seq 1 "$RESTARTS"); do
	mode=fast; [ $((r % 2)) = 0 ] && mode=immediate
	PG_STOP_MODE=$mode "$stack" pg-stop "$dir"
	sleep 2
	"$stack" pg-start "$dir"
	echo "$(now_ms) $mode" >>"$dir/ready"
	sleep 2
done
# then every captionacc-fcgi session terminated every 0.2 s for 4 s
t_kill=$(now_ms)
for i in $(seq 1 20); do
	q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE 'captionacc-fcgi%'" \
		>>"$dir/terminated"
	sleep 0.2
done
sleep 1
touch "$dir/stop"
wait "$c1" "$c2" 2>/dev/null || true
cat "$dir"/answers.* | sort -n >"$dir/answers"

total=$(wc -l <"$dir/answers")
accepted=$(awk '$2 == 202' "$dir/answers" | wc -l)
refused=$(awk '$2 == 503' "$dir/answers" | wc -l)
echo "# $total webhooks: $accepted answered 202, $refused 503 during $RESTARTS restarts and session kills;" \
	"$(awk '{s += $1} END {print s + 0}' "$dir/terminated") sessions terminated"
check "the load went on (over 200 webhooks)" test "$total" -gt 200
check "some webhooks met a database that was down (503)" test "$refused" -gt 0
check_eq "every answer 202 or 503 (no 500, no 502)" "$(awk '$2 != 202 && $2 != 503 {print $2}' "$dir/answers" |
	sort | uniq -c | tr -s ' ')" ""
check_eq "every 503 says Retry-After" "$(awk '$2 == 503 && $3 !~ /^[0-9]+$/' "$dir/answers" | wc -l)" 0
awk '$2 == 202 {print $4}' "$dir/answers" | sort >"$dir/accepted"
q "SELECT video_id FROM jobs WHERE video_id LIKE 'pg-%' ORDER BY 1" | sort >"$dir/rows"
check_eq "every 202 has its job row" "$(comm -23 "$dir/accepted" "$dir/rows" | wc -l)" 0
check_eq "no video has two jobs" "$(uniq -d "$dir/rows" | wc -l)" 0
# the service's recovery after each restart: from PostgreSQL ready to the next 202
worst=0
while read -r ready mode; do
	next=$(awk -v t="$ready" '$2 == 202 && $1 >= t {print $1; exit}' "$dir/answers")
	d=$((${next:-999999999999999} - ready))
	echo "# restart ($mode): 202 again $d ms after PostgreSQL was ready"
	[ "$d" -gt "$worst" ] && worst=$d
done <"$dir/ready"
check "202 again within 2 s of every restart (worst $worst ms)" test "$worst" -le 2000
check "202s during the session kills" test "$(awk -v t="$t_kill" '$2 == 202 && $1 >= t' "$dir/answers" | wc -l)" -gt 0
alive=0
for p in $fcgi_pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check_eq "every FastCGI process still running" "$alive" 4
"$stack" fcgi-stop "$dir"
check "no sanitizer report from captionacc-fcgi" sh -c "! grep -E 'Sanitizer|runtime error' '$dir/spawn-fcgi.log' \
	'$dir/captionacc.log'"
finish
