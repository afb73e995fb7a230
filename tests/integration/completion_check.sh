# Checks a boardpack bash completion file, for test_completion.sh (the
# checkout's) and test_deb.sh (the installed one):
#   bash completion_check.sh COMPLETION HELP WORK
# COMPLETION is the file, HELP the saved output of `boardpack --help`,
# WORK an empty folder to lay out snapshots in.  It is sourced the way
# bash-completion does, and its function called as readline would for each
# command line below.  Prints what differs and exits 1; exit 0 when all
# match.
set -u
COMPLETION=$1 HELP=$2 WORK=$3
CHECK="$(dirname "$0")/docs_check.py"

# shellcheck disable=SC1091
. /usr/share/bash-completion/bash_completion
# shellcheck disable=SC1090
. "$COMPLETION"

bad=0
problem() {
	echo "completion: $*"
	bad=1
}

# got WORDS...: the candidates for the command line WORDS (the last word is
# the one being completed), sorted, on one line.
got() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_boardpack boardpack "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# expect WANT WORDS...
expect() {
	want=$1
	shift
	have=$(got "$@")
	[ "$have" = "$want" ] || problem "'$*<TAB>' offers '$have', want '$want'"
}

sorted() {
	printf '%s\n' "$@" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# --- commands and options: the same as boardpack --help -----------------
{ read -r help_commands; read -r help_options; } < <(python3 "$CHECK" lists "$HELP")
# shellcheck disable=SC2086
expect "$(sorted $help_commands --help --version)" boardpack ""
expect verify boardpack ve
all=""
for c in $help_commands; do
	offered=$(got boardpack "$c" -)
	[ -n "$offered" ] || problem "'boardpack $c -<TAB>' offers no option"
	for o in $offered; do
		case " $help_options " in
		*" $o "*) ;;
		*) problem "'boardpack $c -<TAB>' offers $o, which boardpack --help does not have" ;;
		esac
	done
	all="$all $offered"
done
for o in $help_options; do
	[ "$o" = --version ] && continue
	case " $all " in
	*" $o "*) ;;
	*) problem "no command completes $o, which boardpack --help lists" ;;
	esac
done
expect "--period" boardpack run --pe

# --- snapshot folders ------------------------------------------------------
stamp=2026-11-01T060003Z
mkdir -p "$WORK/reports/2026-10/$stamp/sources" "$WORK/reports/2026-10/.tmp-x" \
	"$WORK/reports/2026-10/notes" "$WORK/exports"
: >"$WORK/reports/2026-10/$stamp/MANIFEST.sha256"
: >"$WORK/reports/2026-10/readme.txt"
: >"$WORK/boardpack.xml"
: >"$WORK/exports/contacts.csv"

cd "$WORK/reports/2026-10" || exit 1
# Only the snapshot: not a folder without a manifest, a file, or debris.
expect "$stamp" boardpack verify ""
cd "$WORK" || exit 1
# From further up, the folders that lead to a snapshot.
expect reports boardpack verify ""
expect reports/2026-10 boardpack verify reports/
expect "reports/2026-10/$stamp" boardpack verify reports/2026-10/
expect "reports/2026-10/$stamp" boardpack send -c boardpack.xml reports/2026-10/
expect "reports/2026-10/$stamp" boardpack run -c boardpack.xml --from-snapshot reports/2026-10/
# verify and send take one folder; check takes none.
expect "" boardpack verify "reports/2026-10/$stamp" ""
expect "" boardpack check ""
# A config: XML files (and folders to look in).
expect "boardpack.xml exports reports" boardpack run -c ""

exit $bad
