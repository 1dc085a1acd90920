#!/bin/sh
# make-template-db.sh DIR - the database the broker tests copy: np-admin demo
# plus test users of every role in other places (cheap KDF: 1000 iterations).
set -eu
dir=$1
admin=${NP_ADMIN:-build/np-admin}
rm -rf "$dir"
"$admin" --db "$dir" demo >/dev/null
add() { name=$1; shift; echo "$name-pw" | "$admin" --db "$dir" user add "$name" --iterations 1000 "$@" >/dev/null; }
add vol_bkk --role volunteer --area 10010101
add vol_5002 --role volunteer --area 50020301
add res_bkk --role resident --area 10010101
add bkk_official --role official --area 10
add d5002_official --role official --area 5002
add cm_agency --role agency --area 50 --categories health,education
add nt_national --role operator --area TH
