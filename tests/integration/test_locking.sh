# Two runs on one output folder: `run` and `fetch` take the folder's lock
# (<output>/.lock, flock), a second one waits for it or gives up with 75
# naming the folder, two real runs at once each write a complete snapshot,
# and temporary folders are judged stale by that lock, never by a pid
# (which says nothing about a run in another container or host).
. "$BP_SRCDIR/tests/integration/lib.sh"

demo_data "$T/data" 3000
demo_config "$T/cfg.xml" "$T/data" "$T/reports"
mkdir -m 0700 "$T/reports"

# hold_lock SECONDS: holds $T/reports/.lock from another process, as a run
# elsewhere would, and waits until it is held.  Sets HOLDER.
hold_lock() {
	# The lock is on the open file that the sleep ends up holding alone.
	(exec 9>>"$T/reports/.lock" && flock 9 && exec sleep "$1") &
	HOLDER=$!
	SERVER_PIDS="$SERVER_PIDS $HOLDER"
	i=0
	while flock -n "$T/reports/.lock" true; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "the test could not take the lock"
		sleep 0.05
	done
}

# A crashed run's temporary folder, named for a pid that no process here
# has, and one named for a live pid (this shell's): without the lock,
# either may be a live run on another host.
mkdir -p -m 0700 "$T/reports/2026-09"
dead=$(sh -c 'echo $$')
mkdir -p "$T/reports/2026-09/.tmp-2026-10-01T000000Z-$dead/sources"
echo "x" >"$T/reports/2026-09/.tmp-2026-10-01T000000Z-$dead/sources/crm.csv"
mkdir -p "$T/reports/2026-09/.tmp-2026-10-01T000001Z-$$"

# 1. Another process holds the lock: run and fetch give up with 75 after
#    the wait they are given, name the folder, and touch nothing.
hold_lock 30
expect_status 75 env BOARDPACK_LOCK_WAIT=1 "$BP" run -c "$T/cfg.xml" --period 2026-09 --no-email
grep -q "another boardpack run (.*) holds the output folder '$T/reports'; try again" "$T/err" ||
	fail "75 without the reason: $(cat "$T/err")"
grep -q "waiting up to 1 s" "$T/err" || fail "the wait was not announced: $(cat "$T/err")"
[ ! -e "$T/reports/.cache" ] || fail "a run without the lock wrote the cache"
[ -d "$T/reports/2026-09/.tmp-2026-10-01T000000Z-$dead/sources" ] ||
	fail "a run without the lock removed a temporary folder that may be live"
expect_status 75 env BOARDPACK_LOCK_WAIT=0 "$BP" fetch -c "$T/cfg.xml"
grep -q "holds the output folder" "$T/err" || fail "fetch: 75 without the reason: $(cat "$T/err")"
[ ! -e "$T/reports/.cache" ] || fail "a fetch without the lock wrote the cache"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || :

# 2. A holder that lets go within the wait: the run waits, then runs, and
#    now that it holds the lock every temporary folder is debris.
hold_lock 2
start=$(date +%s)
expect_status 0 env BOARDPACK_LOCK_WAIT=60 "$BP" run -c "$T/cfg.xml" --period 2026-09 --no-email
[ $(( $(date +%s) - start )) -ge 1 ] || fail "the run did not wait for the holder"
grep -q "waiting up to 60 s" "$T/err" || fail "the wait was not announced: $(cat "$T/err")"
waited=$(tail -n 1 "$T/out")
expect_status 0 "$BP" verify "$waited"
left=$(find "$T/reports/2026-09" -maxdepth 1 -name '.tmp-*')
[ -z "$left" ] || fail "stale temporary folders left under the lock: $left"

# 3. Two real runs at once, as a manual run during the cron run: both
#    succeed, one after the other, each snapshot complete and verified.
rm -rf "$T/reports/.cache"
set +e
"$BP" run -c "$T/cfg.xml" --period 2026-09 --no-email >"$T/a.out" 2>"$T/a.err" &
a=$!
"$BP" run -c "$T/cfg.xml" --period 2026-09 --no-email >"$T/b.out" 2>"$T/b.err" &
b=$!
wait $a; ra=$?
wait $b; rb=$?
set -e
[ $ra -eq 0 ] && [ $rb -eq 0 ] || fail "concurrent runs exited $ra and $rb: $(cat "$T/a.err" "$T/b.err")"
sa=$(tail -n 1 "$T/a.out")
sb=$(tail -n 1 "$T/b.out")
[ "$sa" != "$sb" ] || fail "two runs reported the same snapshot"
for s in "$sa" "$sb"; do
	expect_status 0 "$BP" verify "$s"
	cmp "$s/sources/crm.csv" "$T/data/contacts.csv" || fail "$s: contacts archived incomplete"
	cmp "$s/cohorts.csv" "$waited/cohorts.csv" || fail "$s: numbers differ from a run alone"
done
n=$(find "$T/reports/.cache" -mindepth 1 -maxdepth 1 -name '.*' | wc -l)
[ "$n" -eq 0 ] || fail "staging files left in the cache"

# 4. send holds the same lock: two deliveries of one config never read
#    one delivery.log at once.  (Port 9 has no server: a send that did
#    not wait would fail on the connection, not with 75.)
sed 's|<output dir="[^"]*"/>|&<email url="smtp://127.0.0.1:9" from="r@acme.example" tls="none"><to>b@acme.example</to></email>|' \
	"$T/cfg.xml" >"$T/mail.xml"
grep -q '<email' "$T/mail.xml" || fail "the test could not add an email element"
hold_lock 30
expect_status 75 env BOARDPACK_LOCK_WAIT=0 "$BP" send -c "$T/mail.xml" "$sa"
grep -q "holds the output folder" "$T/err" || fail "send: 75 without the reason: $(cat "$T/err")"
[ ! -e "$sa/delivery.log" ] || fail "a send without the lock wrote delivery.log"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || :
echo ok
