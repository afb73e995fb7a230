# `make install` honours PREFIX and DESTDIR, and the installed binary finds
# its installed templates from any working folder.
. "$BP_SRCDIR/tests/integration/lib.sh"

make -s -C "$BP_SRCDIR" install PREFIX=/opt/bp DESTDIR="$T/root" >/dev/null
for f in bin/boardpack bin/boardpack-monthly share/boardpack/templates/en/report.html \
	 share/boardpack/templates/ko/report.pdf.xml; do
	[ -e "$T/root/opt/bp/$f" ] || fail "make install did not install $f"
done
demo_data "$T/data" 500
sed -e "s|<output dir=\"reports\"/>|<output dir=\"$T/reports\"/>|" \
    -e "s|demo-data/|$T/data/|g" "$BP_SRCDIR/examples/demo.xml" >"$T/cfg.xml"
cd /
BOARDPACK_TEMPLATES= expect_status 0 "$T/root/opt/bp/bin/boardpack" run -c "$T/cfg.xml" --period 2026-10 --no-email
snap=$(tail -n 1 "$T/out")
[ -s "$snap/report.pdf" ] || fail "the installed binary wrote no report"
expect_status 0 "$T/root/opt/bp/bin/boardpack" --version
grep -q "^boardpack [0-9]" "$T/out" || fail "--version prints no version"
echo ok
