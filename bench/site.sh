#!/bin/sh
# site.sh - the public site's build time (issue #17): a demo database with
# 10,000 showcase entries (every fourth with a photo; np-admin history
# load-showcase, through history.c like the plugin) and 100,000 reports, then
# np-admin site build: full (empty OUT), unchanged (nothing to rewrite), and
# after one new entry. Prints one "result" line per build.
#
#   bench/site.sh NP_ADMIN [WORKDIR]
set -eu
admin=$1
w=${2:-$(mktemp -d /tmp/npsite.XXXXXX)}
db=$w/site-db
mkdir -p "$w"
rm -rf "$db" "$w/web"
"$admin" --db "$db" demo >/dev/null
"$admin" --db "$db" history load-showcase 10000 >/dev/null
"$admin" --db "$db" history load 100000 >/dev/null
# build NAME: one build; its wall time from np-admin's own line
build() {
	"$admin" --db "$db" site build "$w/web/public" >"$w/site.out"
	secs=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$w/site.out")
	files=$(sed -n 's/.*; \([0-9]*\) files written, \([0-9]*\) unchanged.*/\1 written \2 unchanged/p' \
		"$w/site.out")
	echo "result site_$1 seconds=$secs files: $files"
}
build full
build unchanged
"$admin" --db "$db" history load-showcase 1 >/dev/null
build one_new_entry
echo "site: $(du -sh "$w/web/public/" | cut -f1) in $(find "$w/web/public/" -type f | wc -l) files"
