# `make install` honours PREFIX and DESTDIR, installs the man pages and the
# bash completion, and the installed binary finds its installed templates
# from any working folder.
. "$BP_SRCDIR/tests/integration/lib.sh"

make -s -C "$BP_SRCDIR" install PREFIX=/opt/bp DESTDIR="$T/root" >/dev/null
for f in bin/boardpack bin/boardpack-monthly share/boardpack/templates/report.html \
	 share/boardpack/templates/labels/ko.xml share/man/man1/boardpack.1 \
	 share/man/man1/boardpack-monthly.1 share/man/man5/boardpack.xml.5 \
	 share/bash-completion/completions/boardpack; do
	[ -e "$T/root/opt/bp/$f" ] || fail "make install did not install $f"
done
demo_data "$T/data" 500
demo_config "$T/cfg.xml" "$T/data" "$T/reports"
cd /
BOARDPACK_TEMPLATES= expect_status 0 "$T/root/opt/bp/bin/boardpack" run -c "$T/cfg.xml" --period 2026-10 --no-email
snap=$(tail -n 1 "$T/out")
[ -s "$snap/report.pdf" ] || fail "the installed binary wrote no report"
expect_status 0 "$T/root/opt/bp/bin/boardpack" --version
grep -q "^boardpack $(cat "$BP_SRCDIR/VERSION") (commit [0-9a-f]*\(-dirty\)\{0,1\})$\|(commit unknown)$" "$T/out" ||
	fail "--version prints no version and commit: $(cat "$T/out")"
# man finds the installed pages under PREFIX/share/man.
if command -v man >/dev/null; then
	MANPATH="$T/root/opt/bp/share/man" man -w boardpack.xml >"$T/out" 2>&1 ||
		fail "man does not find boardpack.xml(5): $(cat "$T/out")"
fi
echo ok
