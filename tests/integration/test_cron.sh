# cron/boardpack-monthly: runs never overlap, temporary failures are
# retried, failures keep boardpack's status and print a summary, every log
# line is timestamped.  A fake boardpack stands in for the real one, except
# in the last case.  Needs no root and touches nothing outside $T.
# shellcheck source=tests/integration/lib.sh
. "$BP_SRCDIR/tests/integration/lib.sh"

command -v flock >/dev/null || { echo "flock (util-linux) not installed" >&2; exit 77; }

W="$BP_SRCDIR/cron/boardpack-monthly"
FAKE="$T/fake-boardpack"
export BOARDPACK_BIN="$FAKE" BOARDPACK_LOG="$T/log/boardpack.log"
export BOARDPACK_LOCK="$T/boardpack.lock" BOARDPACK_SYSLOG=0
export FAKE_SLEEP=2 FAKE_DIR="$T"

# The fake: records its start and end, its arguments, and exits with the
# first line of $FAKE_DIR/status (consumed, so a list of lines is a script
# of successive runs; 0 once it is empty).
cat >"$FAKE" <<'EOF'
#!/bin/sh
echo "start $$" >>"$FAKE_DIR/runs"
printf '%s\n' "$@" >"$FAKE_DIR/args"
sleep "$FAKE_SLEEP"
st=$(head -n 1 "$FAKE_DIR/status" 2>/dev/null)
sed -i 1d "$FAKE_DIR/status" 2>/dev/null
echo "fake: status ${st:-0}" >&2
[ "${st:-0}" -eq 0 ] && echo "$FAKE_DIR/reports/2026-10/2026-11-01T060000Z"
echo "end $$" >>"$FAKE_DIR/runs"
exit "${st:-0}"
EOF
chmod +x "$FAKE"
echo '<boardpack/>' >"$T/cfg.xml"
TP=$(cd "$T" && pwd -P)   # the config's path as the wrapper resolves it

# reset: a fresh log, run record and status script.
reset() {
	rm -f "$T/runs" "$T/args" "$BOARDPACK_LOG"
	printf '%s' "${1:-}" >"$T/status"
}

# --- 1: two at once: both run, one after the other -------------------------
reset
(rc=0; cd "$T" && sh "$W" -c cfg.xml >"$T/a.out" 2>"$T/a.err" || rc=$?; echo $rc >"$T/a.rc") &
pa=$!
(rc=0; cd "$T" && sh "$W" -c cfg.xml >"$T/b.out" 2>"$T/b.err" || rc=$?; echo $rc >"$T/b.rc") &
pb=$!
wait "$pa" "$pb"
[ "$(cat "$T/a.rc") $(cat "$T/b.rc")" = "0 0" ] ||
	fail "concurrent: statuses $(cat "$T/a.rc") $(cat "$T/b.rc"): $(cat "$T/a.err" "$T/b.err")"
[ -z "$(cat "$T/a.out" "$T/a.err" "$T/b.out" "$T/b.err")" ] ||
	fail "a successful run must print nothing (cron would mail it)"
awk 'NR % 2 == 1 && $1 != "start" { exit 1 }
     NR % 2 == 0 && ($1 != "end" || $2 != pid) { exit 1 }
     { pid = $2 } END { if (NR != 4) exit 1 }' "$T/runs" ||
	fail "runs overlapped or are missing: $(cat "$T/runs")"
[ "$(awk '{ print $2 }' "$T/runs" | sort -u | wc -l)" -eq 2 ] ||
	fail "want two different runs: $(cat "$T/runs")"
[ "$(grep -c ': start: config ' "$BOARDPACK_LOG")" -eq 2 ] ||
	fail "log lacks two invocations: $(cat "$BOARDPACK_LOG")"
[ "$(grep -c 'waiting up to 3600s' "$BOARDPACK_LOG")" -eq 1 ] ||
	fail "log does not show one run waiting for the lock: $(cat "$BOARDPACK_LOG")"
[ "$(grep -c 'done after 1 attempt(s); snapshot .*2026-11-01T060000Z' "$BOARDPACK_LOG")" -eq 2 ] ||
	fail "log lacks two successes: $(cat "$BOARDPACK_LOG")"
# The config was given relative to the working folder; boardpack gets it
# absolute, and no --period of the wrapper's own.
[ "$(cat "$T/args")" = "run
-c
$TP/cfg.xml" ] || fail "fake got: $(cat "$T/args")"

# --- 4: every log line starts with a UTC ISO 8601 timestamp -----------------
bad=$(grep -v '^[0-9]\{4\}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z ' \
	"$BOARDPACK_LOG" || true)
[ -z "$bad" ] || fail "log lines without a timestamp: $bad"
[ "$(wc -l <"$BOARDPACK_LOG")" -ge 8 ] || fail "log too short: $(cat "$BOARDPACK_LOG")"

# --- 2: exit 75, then 0: retried after the delay, status 0 ------------------
export FAKE_SLEEP=0
reset '75
'
BOARDPACK_RETRY_DELAY=1 expect_status 0 sh "$W" -c "$T/cfg.xml" --no-email --as-of "2026-10-31 23:59"
[ "$(grep -c '^start' "$T/runs")" -eq 2 ] || fail "want two runs: $(cat "$T/runs")"
grep -q 'temporary failure (exit 75); retry 1 of 3 in 1s' "$BOARDPACK_LOG" ||
	fail "log does not show the retry: $(cat "$BOARDPACK_LOG")"
grep -q 'attempt 2 of 4' "$BOARDPACK_LOG" || fail "no second attempt logged"
grep -q 'done after 2 attempt(s)' "$BOARDPACK_LOG" || fail "no success logged"
[ -z "$(cat "$T/out" "$T/err")" ] || fail "retried success printed output"
# Extra arguments reach boardpack intact, spaces and all.
[ "$(cat "$T/args")" = "run
-c
$TP/cfg.xml
--no-email
--as-of
2026-10-31 23:59" ] || fail "fake got: $(cat "$T/args")"

# ... and giving up after the last retry keeps status 75.
reset '75
75
'
BOARDPACK_RETRIES=1 BOARDPACK_RETRY_DELAY=0 expect_status 75 sh "$W" -c "$T/cfg.xml"
[ "$(grep -c '^start' "$T/runs")" -eq 2 ] || fail "want 1 + 1 runs: $(cat "$T/runs")"

# --- 3: a failing run keeps its status and explains itself on stderr --------
reset '65
'
expect_status 65 sh "$W" -c "$T/cfg.xml" --period 2026-09
[ "$(grep -c '^start' "$T/runs")" -eq 1 ] || fail "exit 65 must not be retried"
grep -q 'failed with exit 65 (bad input data) after 1 attempt' "$T/err" ||
	fail "summary lacks the failure: $(cat "$T/err")"
grep -q '    fake: status 65' "$T/err" || fail "summary lacks the run's stderr: $(cat "$T/err")"
grep -q "full log: $BOARDPACK_LOG" "$T/err" || fail "summary lacks the log path"
grep -q "rerun: .*boardpack-monthly -c $TP/cfg.xml --period 2026-09" "$T/err" ||
	fail "summary lacks the rerun command: $(cat "$T/err")"
grep -q 'stderr: fake: status 65' "$BOARDPACK_LOG" || fail "run's stderr not logged"
grep -q 'failed with exit 65' "$BOARDPACK_LOG" || fail "failure not logged"

# --- the lock held too long: give up with 75 --------------------------------
reset
flock "$BOARDPACK_LOCK" sleep 3 &
holder=$!
SERVER_PIDS="$SERVER_PIDS $holder"
sleep 0.3
BOARDPACK_LOCK_WAIT=1 expect_status 75 sh "$W" -c "$T/cfg.xml"
[ ! -e "$T/runs" ] || fail "ran without the lock"
grep -q 'gave up waiting 1s' "$T/err" || fail "no give-up message: $(cat "$T/err")"
grep -q 'gave up waiting 1s' "$BOARDPACK_LOG" || fail "give-up not logged"

# --- BOARDPACK_LOG=-: no log file, as under systemd ------------------------
reset '65
'
mkdir "$T/nolog"
(cd "$T/nolog" && BOARDPACK_LOG=- HOME="$T/nolog" XDG_STATE_HOME= \
	expect_status 65 sh "$W" -c "$T/cfg.xml")
[ -z "$(find "$T/nolog" -type f)" ] || fail "BOARDPACK_LOG=- wrote $(find "$T/nolog" -type f)"
grep -q 'failed with exit 65' "$T/err" || fail "no summary without a log file: $(cat "$T/err")"
grep -q 'full log:' "$T/err" && fail "the summary names a log file that is not there"

# --- usage ------------------------------------------------------------------
expect_status 64 sh "$W" --no-email
expect_status 0 sh "$W" --help
grep -q 'BOARDPACK_LOCK_WAIT' "$T/out" || fail "--help lacks the environment"

# --- the real boardpack with a bad config: 78, logged -----------------------
[ -x "$BP" ] || fail "$BP not built"
cat >"$T/bad.xml" <<'XML'
<boardpack xmlns="urn:boardpack:config:1">
  <report timezone="UTC" currency="USD"/>
  <no-such-element/>
</boardpack>
XML
rm -f "$BOARDPACK_LOG"
BOARDPACK_BIN="$BP" expect_status 78 sh "$W" -c "$T/bad.xml" --no-email
grep -q 'failed with exit 78 (bad configuration)' "$T/err" ||
	fail "summary lacks the failure: $(cat "$T/err")"
grep -q 'stderr: .*bad.xml' "$BOARDPACK_LOG" ||
	fail "boardpack's error not logged: $(cat "$BOARDPACK_LOG")"
grep -q 'failed with exit 78' "$BOARDPACK_LOG" || fail "failure not logged"
echo "cron wrapper: all cases passed"
