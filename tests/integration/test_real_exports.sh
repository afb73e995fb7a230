# Every real export in ../shared/real-exports, read as downloaded with the
# config a user writes from the README: the numbers equal a count made in
# Python from the same file, or the run stops with one clear error line
# (tests/integration/real_exports.py).
. "$BP_SRCDIR/tests/integration/lib.sh"

EXPORTS="$BP_SRCDIR/../shared/real-exports"
if [ ! -f "$EXPORTS/PROVENANCE.md" ]; then
	echo "no ../shared/real-exports beside the project" >&2
	exit 77
fi
"$PY" "$BP_SRCDIR/tests/integration/real_exports.py" "$BP" "$(cd "$EXPORTS" && pwd)" "$T/work"
