# What the cache and the snapshots protect: a sealed snapshot shares no
# inode with the cache (a reflink where the file system has them, else a
# copy) and holds exactly the bytes that were read; snapshots and the cache
# are closed to other users; links and folders others can write are
# refused; --from-snapshot refuses a snapshot that fails verify; a login
# page or a file whose header row is not the export never replaces the
# last good download.
. "$BP_SRCDIR/tests/integration/lib.sh"

demo_data "$T/data" 1500
demo_config "$T/cfg.xml" "$T/data" "$T/reports"

mode() { stat -c %a "$1"; }

# The contacts over HTTPS, so they pass through the cache; the other
# sources are local files, read in place.
mkdir "$T/www"
cp "$T/data/contacts.csv" "$T/www/contacts.csv"
start_https "$T/www"
sed -e "s|url=\"[^\"]*contacts.csv\"|url=\"https://127.0.0.1:$PORT/contacts.csv\" ca-file=\"$CA\"|" \
	"$T/cfg.xml" >"$T/https.xml"
grep -q "127.0.0.1:$PORT/contacts.csv" "$T/https.xml" || fail "the test could not point crm at the server"

# 1. The snapshot's sources are files of their own, with the bytes read:
#    not the cache's inode for a download, not the export's own for a
#    local file (which is read in place, never copied into the cache).
expect_status 0 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email
snap=$(tail -n 1 "$T/out")
cache=$T/reports/.cache
[ "$(stat -c %i "$snap/sources/crm.csv")" != "$(stat -c %i "$cache/crm")" ] ||
	fail "sources/crm.csv is the cache's inode"
[ "$(stat -c %h "$snap/sources/crm.csv")" = 1 ] || fail "sources/crm.csv has other links"
[ "$(stat -c %h "$cache/crm")" = 1 ] || fail "the cache's crm has other links"
cmp "$snap/sources/crm.csv" "$T/data/contacts.csv" || fail "archived bytes differ from the export"
want=$(sha256sum "$T/data/contacts.csv" | cut -d ' ' -f 1)
grep -q "^$want  sources/crm.csv\$" "$snap/MANIFEST.sha256" ||
	fail "the manifest's digest of sources/crm.csv is not that of the export"
[ ! -e "$cache/deals" ] || fail "a local export was copied into the cache"
[ "$(stat -c %i "$snap/sources/deals.csv")" != "$(stat -c %i "$T/data/deals.csv")" ] ||
	fail "sources/deals.csv is the export's own inode"
cmp "$snap/sources/deals.csv" "$T/data/deals.csv" || fail "archived deals differ from the export"
# A later write into the cache's file, or into the export, in place
# cannot reach the snapshot.
printf 'x\n' >>"$cache/crm"
cp "$T/data/deals.csv" "$T/deals.keep"
printf 'x\n' >>"$T/data/deals.csv"
expect_status 0 "$BP" verify "$snap"
cp "$T/deals.keep" "$T/data/deals.csv"

# 2. Owner-only: folders 0700, sealed files 0400, the cache 0700/0600, and
#    sealing a snapshot no longer changes the cache's modes.
for d in "$T/reports/2026-09" "$snap" "$snap/sources" "$cache"; do
	[ "$(mode "$d")" = 700 ] || fail "$d is $(mode "$d"), want 700"
done
for f in "$snap/report.html" "$snap/report.pdf" "$snap/MANIFEST.sha256" "$snap/sources/crm.csv"; do
	[ "$(mode "$f")" = 400 ] || fail "$f is $(mode "$f"), want 400"
done
for f in "$cache"/crm; do
	[ "$(mode "$f")" = 600 ] || fail "$f is $(mode "$f"), want 600"
done
[ "$(mode "$T/reports/.lock")" = 600 ] || fail ".lock is $(mode "$T/reports/.lock")"

# 3. --from-snapshot verifies first, as send does: a changed source is
#    refused with verify's message and status, and nothing is sealed.
cp -a "$snap" "$T/tampered"
chmod u+w "$T/tampered/sources" "$T/tampered/sources/crm.csv"
sed -i '2d' "$T/tampered/sources/crm.csv"
before=$(find "$T/reports/2026-09" -mindepth 1 -maxdepth 1 | wc -l)
expect_status 65 "$BP" run -c "$T/cfg.xml" --from-snapshot "$T/tampered" --no-email
grep -q "file 'sources/crm.csv' changed since the snapshot was made" "$T/err" ||
	fail "not verify's message: $(cat "$T/err")"
[ "$(find "$T/reports/2026-09" -mindepth 1 -maxdepth 1 | wc -l)" = "$before" ] ||
	fail "a snapshot was made from a tampered one"
expect_status 0 "$BP" run -c "$T/cfg.xml" --from-snapshot "$snap" --no-email

# 4. A link planted at a cache entry: --offline refuses to read through it;
#    a download replaces the link itself, never its target.
echo "keep me" >"$T/victim"
rm -f "$cache/crm"
ln -s "$T/victim" "$cache/crm"
expect_status 66 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email --offline
grep -q "in the cache ('$cache/crm') is a symbolic link" "$T/err" || fail "link not named: $(cat "$T/err")"
expect_status 0 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email
[ "$(cat "$T/victim")" = "keep me" ] || fail "the link's target was written"
[ -f "$cache/crm" ] && [ ! -L "$cache/crm" ] || fail "the cache entry is still a link"

# 5. Folders others can write, or another user's, are refused with the fix.
chmod 0777 "$cache"
expect_status 73 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email
grep -q "cache folder '$cache' is writable by others (mode 0777).*chmod go-w '$cache'" "$T/err" ||
	fail "open cache not explained: $(cat "$T/err")"
expect_status 73 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email --offline
chmod 0700 "$cache"
chmod 0770 "$T/reports/2026-09"
expect_status 73 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email
grep -q "period folder '$T/reports/2026-09' is writable by its group" "$T/err" ||
	fail "open period folder not explained: $(cat "$T/err")"
chmod 0700 "$T/reports/2026-09"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$cache"
	expect_status 73 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email
	grep -q "cache folder '$cache' belongs to user 'nobody'.*chown" "$T/err" ||
		fail "another user's cache not explained: $(cat "$T/err")"
	chown root "$cache"
fi
expect_status 0 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email

# 6. Over HTTPS: a login page that opens with white space and a long
#    comment, then a CSV whose header is not the export's: each is refused
#    (65), says the last good download is kept, and the cache keeps it;
#    --offline still runs from it.
expect_status 0 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email
cp "$cache/crm" "$T/good.csv"
{
	printf '\n%1200s\n' ''
	printf '<!-- %s -->\n' "$(printf 'x%.0s' $(seq 1 700))"
	printf '<html><head><title>Sign in</title></head><body><form>Password</form></body></html>\n'
} >"$T/www/contacts.csv"
expect_status 65 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email
grep -q "returned an HTML page" "$T/err" || fail "login page not named: $(cat "$T/err")"
grep -q "the last good download (.*) is kept in the cache and was not replaced" "$T/err" ||
	fail "the kept download is not mentioned: $(cat "$T/err")"
cmp "$cache/crm" "$T/good.csv" || fail "the login page replaced the cache's download"
printf 'error,detail\nquota exceeded,try again tomorrow\n' >"$T/www/contacts.csv"
for cmd in run fetch; do
	expect_status 65 "$BP" $cmd -c "$T/https.xml" --period 2026-09 --no-email
	grep -q "no header row with a 'Record ID' column" "$T/err" ||
		fail "$cmd: the wrong header is not explained: $(cat "$T/err")"
	grep -q "is kept in the cache and was not replaced" "$T/err" ||
		fail "$cmd: the kept download is not mentioned: $(cat "$T/err")"
	cmp "$cache/crm" "$T/good.csv" || fail "$cmd: a file without the header replaced the cache's download"
done
expect_status 0 "$BP" run -c "$T/https.xml" --period 2026-09 --no-email --offline
echo ok
