# Archiving on a file system that shares blocks (XFS with reflink, in a
# loop-mounted image): each source in the snapshot is a clone of the
# export it was read from (a local file, read in place), so archiving
# copies nothing, yet it is an inode of its own that a later write to the
# export cannot reach (copy on write), and its bytes and digest are the
# export's.  Needs root (mount) and xfsprogs;
# skipped without them.
. "$BP_SRCDIR/tests/integration/lib.sh"

skip() {
	echo "skipped: $*" >&2
	exit 77
}
[ "$(id -u)" = 0 ] || skip "mounting an XFS image needs root"
command -v mkfs.xfs >/dev/null 2>&1 || skip "no mkfs.xfs (xfsprogs)"
command -v filefrag >/dev/null 2>&1 || skip "no filefrag (e2fsprogs)"
truncate -s 320M "$T/xfs.img"
mkfs.xfs -q -m reflink=1 "$T/xfs.img" 2>"$T/mkfs.err" || skip "mkfs.xfs failed: $(cat "$T/mkfs.err")"
mkdir "$T/mnt"
mount -o loop "$T/xfs.img" "$T/mnt" 2>"$T/mount.err" ||
	skip "cannot mount a loop device here: $(cat "$T/mount.err")"
trap 'umount "$T/mnt" 2>/dev/null || umount -l "$T/mnt" 2>/dev/null; cleanup' EXIT INT TERM

demo_data "$T/mnt/data" 2000
cp "$T/mnt/data/contacts.csv" "$T/contacts.orig"
demo_config "$T/cfg.xml" "$T/mnt/data" "$T/mnt/reports"
expect_status 0 "$BP" run -c "$T/cfg.xml" --period 2026-09 --no-email
snap=$(tail -n 1 "$T/out")
export=$T/mnt/data/contacts.csv

[ "$(stat -c %i "$snap/sources/crm.csv")" != "$(stat -c %i "$export")" ] ||
	fail "sources/crm.csv is the export's inode"
[ "$(stat -c %h "$snap/sources/crm.csv")" = 1 ] || fail "sources/crm.csv has other links"
# FIEMAP marks extents that other files share: a clone, not a copy.
filefrag -v "$snap/sources/crm.csv" >"$T/frag" 2>&1 || fail "filefrag: $(cat "$T/frag")"
grep -q shared "$T/frag" || fail "sources/crm.csv shares no blocks with the export: $(cat "$T/frag")"
cmp "$snap/sources/crm.csv" "$T/contacts.orig" || fail "archived bytes differ from the export"
want=$(sha256sum "$T/contacts.orig" | cut -d ' ' -f 1)
grep -q "^$want  sources/crm.csv\$" "$snap/MANIFEST.sha256" || fail "the manifest's digest is not the export's"

# Overwrite the export in place, within the shared blocks: the snapshot
# keeps its bytes.
printf 'XXXXXXXX' | dd of="$export" bs=1 seek=100 conv=notrunc 2>/dev/null
sync
cmp -s "$export" "$T/contacts.orig" && fail "the test did not change the export"
cmp "$snap/sources/crm.csv" "$T/contacts.orig" || fail "a write to the export reached the snapshot"
expect_status 0 "$BP" verify "$snap"
echo ok
