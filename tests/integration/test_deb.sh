# `make deb` builds a package that lintian passes without an error or a
# warning.  Installed with dpkg -i, it makes the boardpack system user and
# a state folder closed to others, leaves the timer disabled, its man pages
# format without warnings and its completion works; the installed binary,
# run as that user, finds the installed templates and writes the demo's
# snapshot, and so does the service's own command line.  dpkg -r then
# leaves nothing but the admin's config and snapshots.
#
# Needs root and dpkg.  It changes the machine (a package, a user, /etc,
# /var/lib) and puts it back as it found it when it ends, passed or
# failed; it refuses to start where boardpack is installed or has left
# anything.
. "$BP_SRCDIR/tests/integration/lib.sh"

skip() {
	echo "$*" >&2
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i)"
command -v dpkg >/dev/null && command -v dpkg-deb >/dev/null || skip "dpkg is not installed"
for tool in dpkg-shlibdeps lintian runuser; do
	command -v $tool >/dev/null || fail "$tool is missing: run scripts/install-deps"
done

# --- the machine must have no boardpack of its own --------------------------
status=$(dpkg-query -W -f='${db:Status-Abbrev}' boardpack 2>/dev/null || true)
case $status in
"" | un*) ;;
*) skip "a boardpack package is on this machine ($status); not touching it" ;;
esac
getent passwd boardpack >/dev/null && skip "a user boardpack exists; not touching it"
getent group boardpack >/dev/null && skip "a group boardpack exists; not touching it"
for p in /etc/boardpack /var/lib/boardpack /var/log/boardpack; do
	[ ! -e "$p" ] || skip "$p exists; not touching it"
done
ls /run/lock/boardpack-* >/dev/null 2>&1 && skip "boardpack lock files exist in /run/lock"

# --- build, lint ----------------------------------------------------------------
DEB=$(make -s --no-print-directory -C "$BP_SRCDIR" deb | tail -n 1)
DEB=$BP_SRCDIR/$DEB
VERSION=$(cat "$BP_SRCDIR/VERSION")
case $DEB in
*/boardpack_${VERSION}_$(dpkg --print-architecture).deb) ;;
*) fail "make deb built '$DEB'" ;;
esac
[ -s "$DEB" ] || fail "no package at $DEB"
lintian --fail-on error,warning --pedantic --display-info "$DEB" >"$T/lintian" 2>&1 ||
	fail "lintian: $(grep -v 'root privileges' "$T/lintian")"
echo "lintian: $(grep -c '^E:' "$T/lintian") errors, $(grep -c '^W:' "$T/lintian") warnings," \
	"$(grep -c '^[IPX]:' "$T/lintian") info/pedantic tags"

# Nothing on the machine may be overwritten, and every dependency is here.
dpkg-deb --fsys-tarfile "$DEB" | tar -t | sed 's|^\./|/|' >"$T/contents"
while read -r p; do
	case $p in */) continue ;; esac
	[ ! -e "$p" ] || skip "$p exists and the package would replace it"
done <"$T/contents"
dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (|].*//' | while read -r d; do
	dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "ok installed" ||
		fail "dependency $d is not installed: run scripts/install-deps"
done

# --- from here on the machine changes; put it back on any exit -------------
# scan: every path named for boardpack where a package or its scripts
# could leave something (dpkg's own books are checked apart).  Only those
# names: other work on this machine may change the rest meanwhile.
scan() {
	find /etc /usr /var /opt /srv /home /root /run/lock -xdev \
		\( -path /var/lib/dpkg -o -path /var/cache -o -path /var/log \
		-o -path /var/tmp -o -path /root/.cache \) -prune \
		-o -path '*boardpack*' -print 2>/dev/null | LC_ALL=C sort
}
scan >"$T/before"
deb_cleanup() {
	dpkg --purge boardpack >/dev/null 2>&1 || true
	if getent passwd boardpack >/dev/null; then userdel boardpack 2>/dev/null || true; fi
	if getent group boardpack >/dev/null; then groupdel boardpack 2>/dev/null || true; fi
	# Whatever is named for boardpack now and was not there before came
	# from this test: a package that left something behind, the runs.
	scan | LC_ALL=C comm -13 "$T/before" - | while read -r p; do
		rm -rf "$p"
	done
}
trap 'deb_cleanup; cleanup' EXIT
trap 'exit 130' INT TERM

# Minimal images tell dpkg to skip man pages and docs; this test wants them.
dpkg_install() {
	dpkg -i --path-include='/usr/share/man/*' \
		--path-include='/usr/share/doc/boardpack/*' "$@" </dev/null
}
expect_status 0 dpkg_install "$DEB"

# --- what the package put where ---------------------------------------------
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' boardpack)" = "ii " ] || fail "boardpack is not installed"
for f in /usr/bin/boardpack /usr/bin/boardpack-monthly \
	/usr/share/boardpack/templates/report.html /usr/share/boardpack/templates/labels/ko.xml \
	/usr/share/man/man1/boardpack.1.gz /usr/share/man/man1/boardpack-monthly.1.gz \
	/usr/share/man/man5/boardpack.xml.5.gz /usr/share/bash-completion/completions/boardpack \
	/usr/share/doc/boardpack/examples/boardpack.xml /usr/share/doc/boardpack/examples/demo.xml \
	/lib/systemd/system/boardpack.service /lib/systemd/system/boardpack.timer \
	/etc/boardpack/boardpack.xml; do
	[ -e "$f" ] || fail "the package did not install $f"
done
dpkg-query -W -f='${Conffiles}' boardpack | grep -q '^ /etc/boardpack/boardpack.xml ' ||
	fail "/etc/boardpack/boardpack.xml is not a conffile"
IFS=: read -r _ _ uid _ _ home shell <<EOF
$(getent passwd boardpack)
EOF
[ "$uid" -lt 1000 ] || fail "boardpack is not a system user (uid $uid)"
[ "$home" = /var/lib/boardpack ] || fail "boardpack's home is $home"
case $shell in */nologin | */false) ;; *) fail "boardpack can log in ($shell)" ;; esac
[ "$(stat -c '%U:%G %a' /var/lib/boardpack)" = "boardpack:boardpack 750" ] ||
	fail "/var/lib/boardpack is $(stat -c '%U:%G %a' /var/lib/boardpack)"
# Not enabled: no links to the units anywhere under /etc/systemd.
[ -z "$(find /etc/systemd -name 'boardpack*' 2>/dev/null)" ] ||
	fail "the package enabled something: $(find /etc/systemd -name 'boardpack*')"
UNIT=/lib/systemd/system/boardpack.service
grep -qx 'User=boardpack' "$UNIT" || fail "the service does not run as boardpack"
grep -qx 'StateDirectory=boardpack' "$UNIT" && grep -qx 'StateDirectoryMode=0750' "$UNIT" ||
	fail "the service's state folder is not /var/lib/boardpack, 0750"
EXEC=$(sed -n 's/^ExecStart=//p' "$UNIT")
case $EXEC in
"/usr/bin/boardpack-monthly -c /etc/boardpack/boardpack.xml") ;;
*) fail "the service runs '$EXEC'" ;;
esac
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify --man=no /lib/systemd/system/boardpack.timer "$UNIT" >"$T/sa" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$T/sa")"
fi
expect_status 0 /usr/bin/boardpack --version
grep -q "^boardpack $VERSION (commit " "$T/out" || fail "--version: $(cat "$T/out")"

# --- man: found by name, formatted without a warning -------------------------
[ "$(man -w boardpack)" = /usr/share/man/man1/boardpack.1.gz ] || fail "man -w boardpack: $(man -w boardpack)"
[ "$(man -w 5 boardpack.xml)" = /usr/share/man/man5/boardpack.xml.5.gz ] || fail "man -w 5 boardpack.xml"
for page in /usr/share/man/man1/boardpack.1.gz /usr/share/man/man1/boardpack-monthly.1.gz \
	/usr/share/man/man5/boardpack.xml.5.gz; do
	man_clean "$page"
	[ "$(wc -l <"$T/man.out")" -gt 20 ] || fail "man -l $page printed almost nothing"
done

# --- the installed completion ------------------------------------------------
if [ -f /usr/share/bash-completion/bash_completion ]; then
	/usr/bin/boardpack --help >"$T/help"
	mkdir "$T/comp"
	bash "$BP_SRCDIR/tests/integration/completion_check.sh" \
		/usr/share/bash-completion/completions/boardpack "$T/help" "$T/comp" >"$T/c.out" 2>&1 ||
		fail "$(cat "$T/c.out")"
fi

# --- the demo, as the service's user, with the installed binary -------------
E=/var/lib/boardpack/exports
install -d -o boardpack -g boardpack -m 750 $E
demo_data $E 500
chown -R boardpack:boardpack $E
# An admin's edit of the conffile.
demo_config /etc/boardpack/boardpack.xml "$E" /var/lib/boardpack/reports
# as_boardpack CMD...: CMD as the boardpack user, from /, with a bare
# environment: PATH finds /usr/bin/boardpack, nothing points at templates.
as_boardpack() {
	(cd / && runuser -u boardpack -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$@")
}
expect_status 0 as_boardpack boardpack run -c /etc/boardpack/boardpack.xml --period 2026-10 --no-email
snap=$(tail -n 1 "$T/out")
case $snap in /var/lib/boardpack/reports/2026-10/*) ;; *) fail "snapshot at '$snap'" ;; esac
expect_status 0 as_boardpack boardpack verify "$snap"
pdftotext "$snap/report.pdf" - 2>/dev/null | grep -q "Acme" ||
	fail "the report PDF does not have the demo's title"
# Other users cannot read the snapshots.
if runuser -u nobody -- cat "$snap/report.html" >/dev/null 2>&1; then
	fail "user nobody can read $snap/report.html"
fi
# The templates it used were /usr/share/boardpack/templates: without them
# the same run stops and says where it looked.
mv /usr/share/boardpack/templates /usr/share/boardpack/templates.off
expect_status 66 as_boardpack boardpack run -c /etc/boardpack/boardpack.xml --period 2026-10 --no-email
mv /usr/share/boardpack/templates.off /usr/share/boardpack/templates
grep -q "/usr/share/boardpack/templates" "$T/err" ||
	fail "without templates the run did not name /usr/share/boardpack/templates: $(cat "$T/err")"
# The service's own command line, with the service's environment: silent
# on success, a second snapshot, no log file.
sleep 1
expect_status 0 as_boardpack BOARDPACK_LOG=- BOARDPACK_SYSLOG=0 $EXEC --period 2026-10 --no-email
[ -z "$(cat "$T/out" "$T/err")" ] || fail "the service's command printed: $(cat "$T/out" "$T/err")"
[ "$(find /var/lib/boardpack/reports/2026-10 -name MANIFEST.sha256 | wc -l)" -eq 2 ] ||
	fail "the service's command wrote no second snapshot"
[ ! -e /var/log/boardpack ] || fail "the service's command wrote a log file"

# --- installed again (an upgrade): the admin's config and state stay --------
expect_status 0 dpkg_install "$DEB"
grep -q "$E/contacts.csv" /etc/boardpack/boardpack.xml || fail "reinstalling replaced the admin's config"
[ "$(stat -c '%U:%G %a' /var/lib/boardpack)" = "boardpack:boardpack 750" ] ||
	fail "after reinstalling, /var/lib/boardpack is $(stat -c '%U:%G %a' /var/lib/boardpack)"
[ -f "$snap/MANIFEST.sha256" ] || fail "reinstalling lost the snapshot $snap"

# --- dpkg -r: only the config and the snapshots remain ----------------------
expect_status 0 dpkg -r boardpack
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' boardpack)" = "rc " ] || fail "boardpack not removed"
scan >"$T/after-remove"
LC_ALL=C comm -23 "$T/before" "$T/after-remove" >"$T/gone"
[ ! -s "$T/gone" ] || fail "dpkg -r removed what it did not install: $(head -n 5 "$T/gone")"
LC_ALL=C comm -13 "$T/before" "$T/after-remove" |
	grep -v -e '^/etc/boardpack$' -e '^/etc/boardpack/boardpack\.xml$' \
		-e '^/var/lib/boardpack$' -e '^/var/lib/boardpack/' \
		-e '^/run/lock/boardpack-boardpack-[0-9]*\.lock$' >"$T/left" || true
[ ! -s "$T/left" ] || fail "dpkg -r left behind: $(head -n 10 "$T/left")"
grep -q "$E/contacts.csv" /etc/boardpack/boardpack.xml || fail "dpkg -r lost the admin's config"
[ -f "$snap/MANIFEST.sha256" ] || fail "dpkg -r lost the snapshot $snap"
getent passwd boardpack >/dev/null || fail "dpkg -r removed the boardpack user"

# --- purge, then the test's own cleanup: the machine as it was --------------
expect_status 0 dpkg --purge boardpack
[ ! -e /etc/boardpack/boardpack.xml ] || fail "dpkg --purge kept the config"
[ -f "$snap/MANIFEST.sha256" ] || fail "dpkg --purge removed the snapshots"
deb_cleanup
scan >"$T/after"
LC_ALL=C diff "$T/before" "$T/after" >"$T/diff" || fail "the machine changed: $(head -n 10 "$T/diff")"
! getent passwd boardpack >/dev/null || fail "the boardpack user is still there"
! getent group boardpack >/dev/null || fail "the boardpack group is still there"
status=$(dpkg-query -W -f='${db:Status-Abbrev}' boardpack 2>/dev/null || true)
case $status in "" | un*) ;; *) fail "dpkg still has boardpack as '$status'" ;; esac
! ls /var/lib/dpkg/info/boardpack.* >/dev/null 2>&1 || fail "dpkg kept $(ls /var/lib/dpkg/info/boardpack.*)"
echo ok
