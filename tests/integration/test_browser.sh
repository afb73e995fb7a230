# report.html in a real headless browser (Debian's chromium): a desktop-
# width screenshot shows the charts, the page logs no console message and
# makes no request of its own, in English, Korean and Traditional Chinese.
. "$BP_SRCDIR/tests/integration/lib.sh"

if ! command -v chromium >/dev/null 2>&1; then
	echo "chromium is not installed and could not be (scripts/install-deps tries): skipped" >&2
	exit 77
fi
demo_data "$T/data" 1500
for lang in en ko zh-TW; do
	demo_config "$T/cfg-$lang.xml" "$T/data" "$T/reports-$lang" \
	    -e "s|language=\"en\"|language=\"$lang\"|"
	expect_status 0 "$BP" run -c "$T/cfg-$lang.xml" --period 2026-10 --no-email
	snap=$(tail -n 1 "$T/out")
	# The first chart series colour of the report's own SVG.
	color=$(grep -o '<svg[^>]*>.*' "$snap/report.html" | grep -o 'rect[^>]*fill="#[0-9A-Fa-f]\{6\}"' |
		grep -v 'FFFFFF\|ffffff' | head -n 1 | sed 's/.*#//; s/"//')
	[ -n "$color" ] || fail "$lang: no chart in report.html"
	"$PY" "$BP_SRCDIR/tests/integration/browser_check.py" "$snap/report.html" \
		"$T/shot-$lang.png" --expect-color "$color" || fail "$lang: report.html fails in the browser"
	mkdir -p "$BP_SRCDIR/build"
	cp "$T/shot-$lang.png" "$BP_SRCDIR/build/report-screenshot-$lang.png"
done
echo ok
