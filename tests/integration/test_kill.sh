# A run killed with SIGKILL at any point (fetching, reading, rendering,
# sealing, renaming) leaves either a complete snapshot or none, and the
# next run succeeds and clears the debris.
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
echo ok
