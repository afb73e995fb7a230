# A run killed with SIGKILL at any point (fetching, reading, rendering,
# sealing, renaming) leaves either a complete snapshot or none, and the
# next run succeeds and clears the debris, a staged download in the cache
# too.
. "$BP_SRCDIR/tests/integration/lib.sh"

demo_data "$T/data" 200000
demo_config "$T/cfg.xml" "$T/data" "$T/reports"

# How long an undisturbed run takes, in milliseconds.
start=$(date +%s%N)
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
total=$(( ($(date +%s%N) - start) / 1000000 ))
echo "an undisturbed run takes ${total} ms"

# check_complete: every snapshot folder is complete and verifies.
check_complete() {
	for d in "$T"/reports/2026-10/*/; do
		[ -d "$d" ] || continue
		"$BP" verify "$d" >/dev/null 2>&1 || fail "after a kill at $1 ms: '$d' is not a complete snapshot"
	done
}

kills=0
for pct in 2 5 10 20 30 40 50 60 70 80 85 90 95 98; do
	ms=$(( total * pct / 100 ))
	"$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null || true
	check_complete "$ms"
done
echo "killed $kills runs"
[ "$kills" -ge 8 ] || fail "too few runs were killed mid-way ($kills): timing is off"

# The next run succeeds and removes the temporary folders of dead runs.
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-10 --no-email
check_complete "end"
left=$(find "$T/reports/2026-10" -maxdepth 1 -name '.tmp-*' | wc -l)
[ "$left" -eq 0 ] || fail "$left temporary folders left after the next run"

# A run killed while it downloads leaves the download's staged file in the
# cache; the next run, holding the lock, removes it, and the finished
# download is the whole file.
demo_data "$T/www" 300
start_https "$T/www"
# dl_config PATH: the demo on $T/www with the deals downloaded from PATH.
dl_config() {
	demo_config "$T/dl.xml" "$T/www" "$T/dl" \
		-e "s|url=\"demo-data/deals.csv\"|url=\"https://127.0.0.1:$PORT/$1\" ca-file=\"$CA\"|"
}
dl_config slow/30/deals.csv
"$BP" run -c "$T/dl.xml" --period 2026-10 --no-email >/dev/null 2>&1 &
pid=$!
i=0
while [ -z "$(find "$T/dl/.cache" -name '.deals.*' 2>/dev/null)" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "no staged download appeared in $T/dl/.cache"
	sleep 0.1
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
dl_config deals.csv
expect_status 0 "$BP" run -c "$T/dl.xml" --period 2026-10 --no-email
left=$(find "$T/dl/.cache" -mindepth 1 -name '.*' | head -n 3)
[ -z "$left" ] || fail "the killed run's staged download is still there: $left"
cmp -s "$T/dl/.cache/deals" "$T/www/deals.csv" || fail "the cached download is not the whole file"
echo ok
