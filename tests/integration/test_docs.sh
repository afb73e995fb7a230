# The documentation cannot drift from the code:
# - the commands and options of `boardpack --help`, boardpack(1) and
#   README.md's "Command line" are the same;
# - boardpack.xml(5) documents every element and attribute of the config
#   schema (src/config_schema.c), each with its default, and no other;
# - `boardpack-monthly --help`, boardpack-monthly(1) and cron/README.md
#   name the same options and variables;
# - every man page formats with `man -l` without a warning;
# - the starting config that the package puts in /etc, and the example of
#   boardpack.xml(5), are valid;
# - `boardpack --version` names VERSION and the commit of the checkout.
# Each check is then run on altered copies, to show it can fail.
. "$BP_SRCDIR/tests/integration/lib.sh"

command -v man >/dev/null || { echo "man (man-db) is not installed" >&2; exit 77; }
S=$BP_SRCDIR
CHECK="$PY $S/tests/integration/docs_check.py"
"$BP" --help >"$T/help"
sh "$S/cron/boardpack-monthly" --help >"$T/whelp"

# expect_ok CHECK ARGS...: the check passes.
expect_ok() {
	$CHECK "$@" >"$T/check.out" 2>&1 || fail "docs_check $1: $(cat "$T/check.out")"
}

# expect_caught NEEDLE CHECK ARGS...: the check fails, naming NEEDLE.
expect_caught() {
	needle=$1
	shift
	if $CHECK "$@" >"$T/check.out" 2>&1; then
		fail "docs_check $1 passed on an altered copy (wanted: $needle)"
	fi
	grep -qF -- "$needle" "$T/check.out" ||
		fail "docs_check $1 failed without naming '$needle': $(cat "$T/check.out")"
}

expect_ok options "$T/help" "$S/man/boardpack.1" "$S/README.md"
mkdir "$T/cmdhelp"
for c in $($PY "$S/tests/integration/docs_check.py" lists "$T/help" | head -1); do
	"$BP" "$c" --help >"$T/cmdhelp/$c" || fail "boardpack $c --help failed"
done
expect_ok commands "$T/help" "$T/cmdhelp"
expect_ok schema "$S/src/config_schema.c" "$S/man/boardpack.xml.5"
expect_ok wrapper "$T/whelp" "$S/man/boardpack-monthly.1" "$S/cron/README.md"

# --- the checks can fail ---------------------------------------------------
# An option --help gained and the others lack.
sed 's/^Options:$/Options:\n  --frobnicate          a new option/' "$T/help" >"$T/help.new"
expect_caught "boardpack(1) lacks --frobnicate" options "$T/help.new" "$S/man/boardpack.1" "$S/README.md"
expect_caught "README.md Command line lacks --frobnicate" options "$T/help.new" "$S/man/boardpack.1" "$S/README.md"
# A command's help that lost an option of its usage, or is the general one.
cp -R "$T/cmdhelp" "$T/cmdhelp.new"
grep -v -- '^  --resend' "$T/cmdhelp/run" >"$T/cmdhelp.new/run"
expect_caught "run: its usage has --resend" commands "$T/help" "$T/cmdhelp.new"
cp "$T/help" "$T/cmdhelp.new/run"
expect_caught "run: its help is the general help" commands "$T/help" "$T/cmdhelp.new"
# A command the man page lost.
sed 's/^\.B verify$/.B examine/' "$S/man/boardpack.1" >"$T/man1.new"
expect_caught "boardpack(1) lacks verify" options "$T/help" "$T/man1.new" "$S/README.md"
# An option the README lost.
sed 's/--resend/--re-send/g' "$S/README.md" >"$T/readme.new"
expect_caught "README.md Command line lacks --resend" options "$T/help" "$S/man/boardpack.1" "$T/readme.new"
# An attribute renamed in the schema, an element added to it.
sed "s/name='keep-months'/name='keep-weeks'/" "$S/src/config_schema.c" >"$T/schema1.c"
expect_caught "boardpack.xml(5) lacks output/@keep-weeks" schema "$T/schema1.c" "$S/man/boardpack.xml.5"
expect_caught "documents output/@keep-months, which the schema does not have" schema "$T/schema1.c" "$S/man/boardpack.xml.5"
sed "s|<element name='won-stage'>|<element name='tied-stage'>|" "$S/src/config_schema.c" >"$T/schema2.c"
expect_caught "boardpack.xml(5) lacks element <tied-stage>" schema "$T/schema2.c" "$S/man/boardpack.xml.5"
# An attribute whose entry lost its default.
sed 's/^Default: 300\.$/300 by default./' "$S/man/boardpack.xml.5" >"$T/man5.new"
expect_caught "spend/@timeout says neither" schema "$S/src/config_schema.c" "$T/man5.new"
# A wrapper variable the man page and the README do not know.
sed 's/^Environment:$/Environment:\n  BOARDPACK_NICE         a new setting/' "$T/whelp" >"$T/whelp.new"
expect_caught "boardpack-monthly(1) lacks BOARDPACK_NICE" wrapper "$T/whelp.new" "$S/man/boardpack-monthly.1" "$S/cron/README.md"

# --- the man pages format cleanly ------------------------------------------
for m in "$S"/man/*.[1-8]; do
	page="$S/build/man/$(basename "$m")"
	[ -s "$page" ] || fail "make did not build $page"
	man_clean "$page"
	grep -q '@VERSION@\|@DATE@' "$page" && fail "$page still has a placeholder"
	grep -q "boardpack $(cat "$S/VERSION")" "$T/man.out" ||
		fail "$page does not name version $(cat "$S/VERSION")"
done
# ...and the warning check sees a warning when there is one.
printf '.TH X 1\n.SH NAME\nx \\- y\n.XY not a macro\n' >"$T/bad.1"
LC_ALL=C.UTF-8 man --warnings -l "$T/bad.1" >/dev/null 2>"$T/man.err" || true
[ -s "$T/man.err" ] || fail "man --warnings reports nothing on an unknown macro"

# --- the starting config and the man page's example are valid -------------
# Its export files do not exist until the admin points it at real ones:
# check then says the config is valid and names the missing input (66).
# (Its state folder is moved into this test's own, so what another test
# left in /var/lib/boardpack does not matter.)
sed "s|/var/lib/boardpack|$T/state|g" "$S/examples/boardpack.xml" >"$T/start.xml"
expect_status 66 "$BP" check -c "$T/start.xml"
grep -q "the config is valid" "$T/out" || fail "check did not validate examples/boardpack.xml"
grep -q "cannot open '$T/state/exports/google-ads.csv'" "$T/out" ||
	fail "check did not name the missing export: $(cat "$T/out")"
sed -n '/^\.EX$/,/^\.EE$/p' "$S/man/boardpack.xml.5" |
	sed '1d; $d; s/\\-/-/g; s/\\(em/—/g' >"$T/example.xml"
grep -q '<sources>' "$T/example.xml" || fail "no example found in boardpack.xml(5)"
expect_status 66 "$BP" check -c "$T/example.xml"
grep -q "the config is valid" "$T/out" || fail "the man page's example is not a valid config: $(cat "$T/out")"

# --- --version ---------------------------------------------------------------
expect_status 0 "$BP" --version
want="boardpack $(cat "$S/VERSION") (commit unknown)"
if [ "$(git -C "$S" rev-parse --show-toplevel 2>/dev/null)" = "$S" ]; then
	c=$(git -C "$S" rev-parse --short HEAD)
	git -C "$S" diff --quiet HEAD -- || c=$c-dirty
	want="boardpack $(cat "$S/VERSION") (commit $c)"
fi
[ "$(cat "$T/out")" = "$want" ] || fail "--version says '$(cat "$T/out")', want '$want'"
# Outside its own git checkout the commit is unknown, even when the tree
# sits inside another repository.
mkdir -p "$T/outer/tree"
cp "$S/Makefile" "$S/VERSION" "$T/outer/tree/"
git -C "$T/outer" init -q
git -C "$T/outer" -c user.name=t -c user.email=t@example.com \
	commit -q --allow-empty -m outer
v=$(make -s -C "$T/outer/tree" print-version </dev/null)
[ "$v" = "$(cat "$S/VERSION") unknown" ] ||
	fail "a tree inside another repository should build as commit unknown: $v"
echo ok
