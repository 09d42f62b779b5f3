#!/usr/bin/env bash
# The morning routine of a migration-service analyst, for a scheduler (cron, systemd).
#
#   examples/nightly.sh DATE EXPORT... [-- AUDIT_OPTION...]
#
# Audits the export(s) as of DATE into dated files in $NIGHTLY_DIR (default: nightly/):
#   report-DATE.csv    everyone flagged (the cases)
#   rejects-DATE.csv   rows that could not be used, with file, line and reason
#   summary-DATE.json  row accounting, counts, timings
#   due-DATE.csv       persons in the country who must leave within $DUE_WITHIN days (7)
#   diff-DATE.csv      what changed since the latest earlier report: new cases to open,
#                      cases that cleared, cases whose figures changed
# AUDIT_OPTIONs go to `stayaudit audit` as they are (e.g. --permits permits.csv).
# $STAYAUDIT is the binary (default: stayaudit on the PATH).
#
# Exit status: 0 nothing new, 1 new cases since the previous night, 2 an error (no
# report was written, or the comparison failed): a scheduler can alert on 1 and page on 2.
set -uo pipefail

stayaudit=${STAYAUDIT:-stayaudit}
dir=${NIGHTLY_DIR:-nightly}
within=${DUE_WITHIN:-7}
if [ $# -lt 2 ]; then
  echo "usage: $0 DATE EXPORT... [-- AUDIT_OPTION...]" >&2
  exit 2
fi
date=$1
shift
exports=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  exports+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift
mkdir -p "$dir" || exit 2

report="$dir/report-$date.csv"
"$stayaudit" audit "${exports[@]}" --as-of "$date" \
  -o "$report" --rejects "$dir/rejects-$date.csv" --summary "$dir/summary-$date.json" \
  --due-within "$within" --due "$dir/due-$date.csv" "$@" || exit 2

# The latest report from an earlier night, if there is one.
previous=""
for file in "$dir"/report-*.csv; do
  [ -e "$file" ] || continue
  [[ "$file" < "$report" ]] && previous=$file
done
if [ -z "$previous" ]; then
  echo "nightly: first night in $dir: nothing to compare with" >&2
  exit 0
fi
"$stayaudit" diff "$previous" "$report" -o "$dir/diff-$date.csv" --fail-on-new
status=$?
[ $status -le 1 ] || exit 2
exit $status
