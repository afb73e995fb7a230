# A sample of the fault suites `make fault` runs in full (tests/fault/):
# every 100th allocation site of a run and a send failed in turn, and
# every 50th write, flush, rename or creation in the output folder failed
# with ENOSPC and with EIO; besides, by name and with ENOSPC, the calls
# whose failure once printed libxml2's own lines, named no folder or the
# wrong one, or told of recipients as recorded that were not:
# metrics.xml's write, the seal's flush of a file, of sources/ and of the
# manifest, the output folder's flush after the rename, and the write of
# delivery.log after a batch was sent.  Each must end with exit 70 or 73,
# one clear line, no snapshot sealed, the earlier snapshot intact and the
# next run clean (tests/fault/alloc and tests/fault/io say exactly what
# is checked).
set -eu
: "${BP_SRCDIR:=$(pwd)}"
[ -f "$BP_SRCDIR/build/iofail.so" ] ||
	{ echo "build/iofail.so not built (make build/iofail.so)" >&2; exit 77; }
sh "$BP_SRCDIR/tests/fault/alloc" --every 100
sh "$BP_SRCDIR/tests/fault/io" --every 50 \
	--match '^m[0-9]+ write .*/metrics\.xml$' \
	--match '^m[0-9]+ fsync .*/\.tmp-[^/]*/cohorts\.csv$' \
	--match '^m[0-9]+ fsync .*/\.tmp-[^/]*/sources$' \
	--match '^m[0-9]+ fsync .*/\.MANIFEST\.sha256\.tmp$' \
	--match '^m[0-9]+ fsync .*/out$' \
	--match '^m[0-9]+ write .*/delivery\.log$'
# The archive writes a contacts export of more than 1 MiB in direct
# chunks on a thread of its own, then its partial tail: each of those
# writes fails cleanly too.
FAULT_CONTACTS=8000 sh "$BP_SRCDIR/tests/fault/io" --every 1000 --no-send \
	--match '^t[0-9]+ pwrite .*/sources/crm\.csv$'
