# What the fault suites (tests/fault/alloc, tests/fault/io) share, sourced
# after tests/integration/lib.sh: the small run they make fail, the checks
# every failed run must pass, and the loop that shares the faults out
# between worker processes.
#
# Each worker has its own folder W: the config W/cfg.xml (the demo config
# on a few hundred generated contacts, output in W/out), a first snapshot
# W/first that every fault must leave intact, and the stderr and the
# snapshot of an undisturbed run (W/ref.err, and W/ref/ normalised) that
# a failed run's output is compared with.  A fault's results are lines in W/results:
#   ok ITEM           failed as it must and left everything as it was
#   absorbed ITEM     a failure boardpack ignores by design; the run's
#                     snapshot is complete and the same as an undisturbed one
#   unreached ITEM    the run never came to the fault (nothing to check)
#   FAIL ITEM: WHY    a check failed

PERIOD=2026-10
OOM_LINE="boardpack: error: out of memory"
STAMP_GLOB='[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z'
PERIOD_GLOB='[0-9][0-9][0-9][0-9]-[0-9][0-9]'
: "${FAULT_CONTACTS:=300}"
FAULT_ENV=
DATA="$T/data"

# fault_data [CONTACTS]: the exports every worker reads, in $DATA (made
# once): CONTACTS contacts (default FAULT_CONTACTS) over six months.
fault_data() {
	[ -f "$DATA/contacts.csv" ] ||
		"$GEN" --seed 7 --contacts "${1:-$FAULT_CONTACTS}" --months 6 "$DATA" >/dev/null
}

# fault_https: serves $DATA over HTTPS (tests/integration/https_server.py)
# for the deals source, so that every run downloads it into the cache.
fault_https() {
	start_https "$DATA"
	HTTPS_EXPR="s|url=\"demo-data/deals.csv\"|url=\"https://127.0.0.1:$PORT/deals.csv\" ca-file=\"$CA\"|"
}

# fault_smtp: a local SMTP server (tests/integration/smtp_server.py,
# plain SMTP) that the configs made after it email, for `send`; the
# messages it saves are thrown away after each send.
fault_smtp() {
	mkdir -p "$T/mail"
	start_server smtp "$PY" "$BP_SRCDIR/tests/integration/smtp_server.py" \
		--out "$T/mail" --port-file "$T/smtp.port" --log "$T/smtp.log" --tls none
	EMAIL_EXPR="s|<output dir=\"reports\"/>|&<email url=\"smtp://127.0.0.1:$SERVER_PORT\" tls=\"none\" from=\"reports@acme.example\"><to>board@acme.example</to></email>|"
}

# fault_config W: W/cfg.xml, the demo's config on $DATA (the deals
# downloaded after fault_https, an email after fault_smtp) with its
# output in W/out.
fault_config() {
	mkdir -p "$1"
	demo_config "$1/cfg.xml" "$DATA" "$1/out" -e "${HTTPS_EXPR:-}" \
		-e "${EMAIL_EXPR:-}"
}

# bp W ARG...: runs boardpack with ARGs, stdout in W/out.txt, stderr in
# W/err, its status in RC.  FAULT_ENV holds VAR=value words (no spaces)
# for this call only.
bp() {
	bp_w=$1
	shift
	set +e
	# shellcheck disable=SC2086
	env $FAULT_ENV "$BP" "$@" >"$bp_w/out.txt" 2>"$bp_w/err"
	RC=$?
	set -e
	FAULT_ENV=
}

# run_bp W: `boardpack run` of W's config for the period.
run_bp() {
	bp "$1" run -c "$1/cfg.xml" --period "$PERIOD" --no-email
}

# send_bp W: `boardpack send --resend` of W's first snapshot.
send_bp() {
	bp "$1" send -c "$1/cfg.xml" "$(cat "$1/first")" --resend
	rm -f "$T"/mail/*.eml
}

# sealed W: the snapshot folders in W/out, one a line, sorted.
sealed() {
	find "$1/out" -mindepth 2 -maxdepth 2 -type d -path "$1/out/$PERIOD_GLOB/$STAMP_GLOB" |
		LC_ALL=C sort
}

# stray W: whatever W/out holds besides the lock, the cache and its
# downloads, the period folders and the sealed snapshots: a run's
# temporary files (a download's is ".NAME.XXXXXX").
stray() {
	find "$1/out" -mindepth 1 -path "$1/out/$PERIOD_GLOB/$STAMP_GLOB" -prune -o \
		! -path "$1/out/.lock" ! -path "$1/out/.cache" \
		! -path "$1/out/.cache/[!.]*" ! -path "$1/out/$PERIOD_GLOB" -print |
		LC_ALL=C sort
}

# cache_intact W: the cached download of the deals, when there is one
# (fault_https), is still whole: a download replaces it only complete.
cache_intact() {
	[ -z "${HTTPS_EXPR:-}" ] || cmp -s "$1/out/.cache/deals" "$DATA/deals.csv"
}

# normalise SNAPSHOT OUT: the snapshot's files with the run's own time
# stamps replaced, into OUT: the generation time as metrics.xml and the
# reports write it ("2026-12-02T06:50:09Z", "2 December 2026 06:50
# UTC"), the snapshot's name, and the PDF as its text (pdftotext: its
# streams are compressed, dates and all).
normalise() {
	ns_snap=$1 ns_out=$2
	ns_stamp=$(basename "$ns_snap")
	ns_gen=$(sed -n 's/.*<run generated="\([^"]*\)".*/\1/p' "$ns_snap/metrics.xml")
	rm -rf "$ns_out"
	mkdir -p "$ns_out"
	(cd "$ns_snap" && find . -type f ! -name MANIFEST.sha256 ! -name delivery.log) |
	while read -r f; do
		mkdir -p "$ns_out/$(dirname "$f")"
		case $f in
		*.pdf) pdftotext -layout "$ns_snap/$f" - 2>/dev/null ;;
		*) cat "$ns_snap/$f" ;;
		esac | LC_ALL=C sed -e "s|$ns_gen|GENERATED|g" -e "s|$ns_stamp|STAMP|g" \
			-e 's|[0-9]\{1,2\} [A-Z][a-z]* [0-9]\{4\} [0-9][0-9]:[0-9][0-9] UTC|DATE|g' \
			>"$ns_out/$f"
	done
}

# whole W SNAPSHOT: SNAPSHOT passes `boardpack verify` and holds what the
# undisturbed run's does (normalised as above, so byte for byte but for
# the time stamps, and the PDF's text).
whole() {
	bp "$1" verify "$2"
	[ "$RC" -eq 0 ] || return 1
	normalise "$2" "$1/cmp"
	diff -r "$1/ref" "$1/cmp" >/dev/null
}

# fault_setup W: the worker's config, its first snapshot, and its
# undisturbed run (and send, after fault_smtp).
fault_setup() {
	fs_w=$1
	fault_config "$fs_w"
	run_bp "$fs_w"
	[ "$RC" -eq 0 ] || fail "the first run of $fs_w failed: $(cat "$fs_w/err")"
	sealed "$fs_w" >"$fs_w/first"
	run_bp "$fs_w"
	[ "$RC" -eq 0 ] || fail "the second run of $fs_w failed: $(cat "$fs_w/err")"
	cp "$fs_w/err" "$fs_w/ref.err"
	fs_snap=$(tail -n 1 "$fs_w/out.txt")
	normalise "$fs_snap" "$fs_w/ref"
	rm -rf "$fs_snap"
	if [ -n "${EMAIL_EXPR:-}" ]; then
		send_bp "$fs_w"
		[ "$RC" -eq 0 ] || fail "the first send of $fs_w failed: $(cat "$fs_w/err")"
		cp "$fs_w/err" "$fs_w/ref-send.err"
	fi
}

# problem W ITEM WHY...: records a failed check.
problem() {
	pr_w=$1 pr_item=$2
	shift 2
	echo "FAIL $pr_item: $*" >>"$pr_w/results"
	PROBLEM=1
}

# lines_then_last W FILE REF LAST: FILE (a failed run's stderr) is REF's
# first lines (none, some or all: what the undisturbed run printed), then
# one line that LAST matches (a grep -x pattern): nothing else.
lines_then_last() {
	lt_n=$(wc -l <"$2")
	[ "$lt_n" -ge 1 ] || return 1
	tail -n 1 "$2" | grep -qx "$4" || return 1
	head -n $((lt_n - 1)) "$2" >"$1/err.head"
	head -n $((lt_n - 1)) "$3" | cmp -s - "$1/err.head"
}

# new_sealed W: the snapshots that are not the first one.
new_sealed() {
	sealed "$1" | grep -vxF "$(cat "$1/first")" || true
}

# after_fault W ITEM: the checks after every failed run: the cached
# download is whole, the first snapshot still verifies, the next
# undisturbed run succeeds and prints what it always does, and no
# temporary file is left.  Then W is put back as it was (the first
# snapshot alone).
after_fault() {
	af_w=$1 af_item=$2
	cache_intact "$af_w" || problem "$af_w" "$af_item" "the cached download is gone or not whole"
	bp "$af_w" verify "$(cat "$af_w/first")"
	[ "$RC" -eq 0 ] || problem "$af_w" "$af_item" "the first snapshot no longer verifies: $(cat "$af_w/err")"
	run_bp "$af_w"
	if [ "$RC" -ne 0 ]; then
		problem "$af_w" "$af_item" "the next run failed (exit $RC): $(cat "$af_w/err")"
	elif ! cmp -s "$af_w/err" "$af_w/ref.err"; then
		problem "$af_w" "$af_item" "the next run printed: $(cat "$af_w/err")"
	fi
	af_left=$(stray "$af_w")
	[ -z "$af_left" ] || problem "$af_w" "$af_item" "left after the next run: $af_left"
	for af_s in $(new_sealed "$af_w") $af_left; do
		rm -rf "$af_s"
	done
}

# share JOBS LIST SETUP CHECK: runs `SETUP W` once in each of JOBS
# workers W ($T/w0, $T/w1, ...; one that has a first snapshot already,
# as the worker that made LIST has, is not set up again), then
# `CHECK W ITEM` for the worker's share of the lines of LIST (line i goes
# to worker i mod JOBS), the workers side by side.  All results end up
# in $T/results.
share() {
	sh_jobs=$1 sh_list=$2 sh_setup=$3 sh_check=$4
	sh_pids=""
	k=0
	while [ "$k" -lt "$sh_jobs" ]; do
		(
			w="$T/w$k"
			mkdir -p "$w"
			: >"$w/results"
			[ -s "$w/first" ] || "$sh_setup" "$w"
			awk -v k="$k" -v n="$sh_jobs" '(NR - 1) % n == k' "$sh_list" |
			while read -r item; do
				PROBLEM=0
				"$sh_check" "$w" "$item"
			done
		) &
		sh_pids="$sh_pids $!"
		k=$((k + 1))
	done
	sh_rc=0
	for p in $sh_pids; do
		wait "$p" || sh_rc=1
	done
	[ "$sh_rc" -eq 0 ] || fail "a worker stopped: see above"
	cat "$T"/w*/results >"$T/results"
}

# summary NAME: counts the results, prints every FAIL line; fails if any.
summary() {
	sm_ok=$(grep -c '^ok ' "$T/results" || true)
	sm_abs=$(grep -c '^absorbed ' "$T/results" || true)
	sm_unr=$(grep -c '^unreached ' "$T/results" || true)
	sm_fail=$(grep -c '^FAIL ' "$T/results" || true)
	echo "$1: $sm_ok failed cleanly, $sm_abs absorbed by design, $sm_unr not reached, $sm_fail with problems"
	grep '^absorbed \|^unreached ' "$T/results" | sed 's/^/  /' || true
	if [ "$sm_fail" -gt 0 ]; then
		grep '^FAIL ' "$T/results" | sed 's/^/  /'
		exit 1
	fi
}

# pick EVERY FILE: every EVERYth line of FILE, from the first (all with 1).
pick() {
	awk -v e="$1" '(NR - 1) % e == 0' "$2"
}
