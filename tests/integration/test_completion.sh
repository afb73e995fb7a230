# The bash completion in completion/boardpack offers the commands and
# options of `boardpack --help` (no more, no fewer), XML files after -c,
# and snapshot folders after verify, send and --from-snapshot.  A help text
# with a command the completion lacks must fail the check.
. "$BP_SRCDIR/tests/integration/lib.sh"

[ -f /usr/share/bash-completion/bash_completion ] || {
	echo "bash-completion is not installed" >&2
	exit 77
}
CHECK="$BP_SRCDIR/tests/integration/completion_check.sh"
"$BP" --help >"$T/help"
mkdir "$T/w" "$T/w2"
bash "$CHECK" "$BP_SRCDIR/completion/boardpack" "$T/help" "$T/w" >"$T/out" 2>&1 ||
	fail "$(cat "$T/out")"

# The check can fail: a command that --help gained and the completion not.
sed 's/^Commands:$/Commands:\n  frobnicate  a new command/' "$T/help" >"$T/help2"
grep -q '^  frobnicate ' "$T/help2" || fail "could not make the altered help text"
if bash "$CHECK" "$BP_SRCDIR/completion/boardpack" "$T/help2" "$T/w2" >"$T/out" 2>&1; then
	fail "a command missing from the completion went unnoticed"
fi
grep -q "frobnicate" "$T/out" || fail "the failure does not name the command: $(cat "$T/out")"
echo ok
