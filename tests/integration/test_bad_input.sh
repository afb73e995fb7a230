# Bad input gets one clear line naming the file, line and column, a
# non-zero exit status, and never a crash.
. "$BP_SRCDIR/tests/integration/lib.sh"

H='"Record ID","Create Date","Original Source","Became a Lead Date"'

# case NAME WANT_STATUS WANT_TEXT PRESET FILE_CONTENT_COMMAND
run_case() {
	name=$1 want=$2 text=$3 preset=$4
	mkdir -p "$T/$name"
	cat >"$T/$name/cfg.xml" <<XML
<boardpack xmlns="urn:boardpack:config:1">
  <report timezone="UTC" currency="USD"/>
  <sources>
    <contacts id="crm" url="contacts.csv" preset="$preset"/>
    <deals id="deals" url="deals.csv" preset="hubspot"/>
  </sources>
</boardpack>
XML
	[ -f "$T/$name/deals.csv" ] || printf 'Record ID,Deal Stage,Close Date,Amount\n' >"$T/$name/deals.csv"
	expect_status "$want" "$BP" run -c "$T/$name/cfg.xml" --period 2026-10 --no-email
	lines=$(wc -l <"$T/err")
	[ "$lines" -eq 1 ] || fail "$name: want a one-line error, got: $(cat "$T/err")"
	grep -q "$text" "$T/err" || fail "$name: error lacks '$text': $(cat "$T/err")"
	if grep -q "Sanitizer\|runtime error\|Segmentation" "$T/err"; then
		fail "$name: crashed: $(cat "$T/err")"
	fi
	no_snapshot "$T/$name/reports"
}

# file:line:col: in the message
LC='contacts.csv:[0-9]*:[0-9]*:'

mkdir -p "$T/nocol"
printf '"Record ID","Original Source"\n"1","Paid search"\n' >"$T/nocol/contacts.csv"
run_case nocol 65 "contacts.csv:1: missing required column 'Create Date'" hubspot

mkdir -p "$T/quote"
printf '%s\n"1","2026-10-01 10:00","Paid search",""\n"2","2026-10-02 10:00"x,"Paid search",""\n' "$H" >"$T/quote/contacts.csv"
run_case quote 65 "contacts.csv:3:23: " hubspot

mkdir -p "$T/money"
printf '%s\n"1","2026-10-01 10:00","Paid search","2026-10-01 10:00"\n' "$H" >"$T/money/contacts.csv"
printf 'Record ID,Deal Stage,Close Date,Amount\n9,Closed Won,2026-10-05,12abc\n' >"$T/money/deals.csv"
run_case money 65 "deals.csv:2:25: bad money amount '12abc'" hubspot

mkdir -p "$T/date"
printf '%s\n"1","2026-10-01 10:00","Paid search",""\n"2","yesterday","Paid search",""\n' "$H" >"$T/date/contacts.csv"
run_case date 65 "${LC} bad date 'yesterday'" hubspot

# A relative url names a file that is not there: the path it came to (from
# the config's folder, not the working one) and the config line are named.
mkdir -p "$T/missing"
run_case missing 66 "cannot read source 'crm' (contacts.csv, that is $T/missing/contacts.csv): No such file or directory; a relative url starts at the config's folder (<contacts> on line 4 of the config)" hubspot

# An export cut inside its last row, as an interrupted download leaves it.
mkdir -p "$T/cut"
printf '%s\n"1","2026-10-01 10:00","Paid search",""\n2,2026-10-02 10:00,Paid' "$H" >"$T/cut/contacts.csv"
run_case cut 65 "contacts.csv:3:24: the file ends inside this row, after 3 of the header's 4 fields" hubspot

mkdir -p "$T/preset"
printf '%s\n' "$H" >"$T/preset/contacts.csv"
run_case preset 78 "preset" salesforce

mkdir -p "$T/empty"
: >"$T/empty/contacts.csv"
run_case empty 65 "empty" hubspot

mkdir -p "$T/utf16"
# A BOM, "Record ID" in UTF-16LE, and one byte too few.
printf '\377\376R\000e\000c\000o\000r\000d\000 \000I\000D\000\n' >"$T/utf16/contacts.csv"
run_case utf16 65 "UTF-16" hubspot

mkdir -p "$T/headeronly"
printf '%s\n' "$H" >"$T/headeronly/contacts.csv"
run_case headeronly 65 "contacts.csv: no contacts after the header" hubspot
[ ! -e "$T/headeronly/reports/2026-10" ] || fail "a failed run left a month folder"

# Usage mistakes: exit 64 before anything is read.
expect_status 64 "$BP" run -c "$T/date/cfg.xml" --period 2026-13 --no-email
expect_status 64 "$BP" run -c "$T/date/cfg.xml" --period 2999-01 --no-email
grep -q "has not begun" "$T/err" || fail "a future period is not explained: $(cat "$T/err")"
expect_status 64 "$BP" run -c "$T/date/cfg.xml" --period 2026-10 --as-of 2026-09-01 --no-email
expect_status 64 "$BP" check -c "$T/date/cfg.xml" stray
expect_status 64 "$BP" run --period 2026-10

# A template folder of one's own is used or refused, never silently
# replaced by the built-in one.
sed 's|<report |<report templates="no-such-folder" |' "$T/date/cfg.xml" >"$T/date/tpl.xml"
printf '%s\n"1","2026-10-01 10:00","Paid search",""\n' "$H" >"$T/date/contacts.csv"
expect_status 78 "$BP" run -c "$T/date/tpl.xml" --period 2026-10 --no-email
grep -q "no-such-folder" "$T/err" || fail "the missing template folder is not named: $(cat "$T/err")"

# The board pack is laid out on a thread of its own while the HTML is
# rendered: a fault in either template stops the run with that
# template's file and line, the HTML's first when both are broken, and
# leaves no snapshot.  tpl_case NAME BREAK_HTML BREAK_PDF WANT_TEXT
tpl_case() {
	mkdir -p "$T/$1"
	cp -R "$BP_SRCDIR/templates" "$T/$1/tpl"
	if [ "$2" = 1 ]; then
		printf '<html><body><bp:value of="nothing"></body></html>\n' >"$T/$1/tpl/report.html"
	fi
	if [ "$3" = 1 ]; then
		sed 's|</document>|<no-such-element/></document>|' \
			"$BP_SRCDIR/templates/report.pdf.xml" >"$T/$1/tpl/report.pdf.xml"
		grep -q '<no-such-element/>' "$T/$1/tpl/report.pdf.xml" ||
			fail "$1: the page template has no </document> to break"
	fi
	sed "s|<report |<report templates=\"$T/$1/tpl\" |; s|url=\"|url=\"$T/date/|" \
		"$T/date/cfg.xml" >"$T/$1/cfg.xml"
	sed -i "s|</boardpack>|<output dir=\"$T/$1/reports\"/></boardpack>|" "$T/$1/cfg.xml"
	expect_status 78 "$BP" run -c "$T/$1/cfg.xml" --period 2026-10 --no-email
	grep -q "$4" "$T/err" || fail "$1: the error does not name $4: $(cat "$T/err")"
	no_snapshot "$T/$1/reports"
}
tpl_case tpl-pdf 0 1 'report.pdf.xml:[0-9]'
tpl_case tpl-html 1 0 'report.html:[0-9]'
tpl_case tpl-both 1 1 'report.html:[0-9]'
grep -q "report.pdf.xml" "$T/err" && fail "tpl-both: the page template's error was reported too: $(cat "$T/err")"

# check never shows a secret written into a URL's query string.
sed 's|url="contacts.csv"|url="https://crm.example/export.csv?api_key=TOPSECRET"|' \
	"$T/date/cfg.xml" >"$T/date/secret.xml"
expect_status 0 "$BP" check -c "$T/date/secret.xml"
grep -q TOPSECRET "$T/out" "$T/err" && fail "check printed a secret"
echo ok
