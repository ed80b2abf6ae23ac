#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/packaging/man.sh - the man pages: each renders with `man -l` without a warning, and documents every
# option its command's --help lists.
#
#   man.sh USERNET MANDIR    (MANDIR: where meson built the pages)
set -uo pipefail
usernet=$1 mandir=$2
. "$(dirname "$0")/tap.bash"

# renders PAGE: man -l renders PAGE with no warning from groff (a line it cannot break, an unknown macro...)
renders() {
	local warnings
	[[ -s $1 ]] || { echo "$1 is missing or empty"; return 1; }
	warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null) || { echo "man -l failed"; return 1; }
	[[ -z $warnings ]] || { echo "$warnings"; return 1; }
}

# documents PAGE WORDS...: every long option of `usernet WORDS... --help` is in PAGE
documents() {
	local page=$1 text opt missing=()
	shift
	text=$(MANWIDTH=200 man -l "$page" 2>/dev/null)
	while read -r opt; do
		grep -qF -- "$opt" <<<"$text" || missing+=("$opt")
	done < <(help_long_options "$usernet" "$@")
	((${#missing[@]} == 0)) || { echo "not in $(basename "$page"): ${missing[*]}"; return 1; }
}

for page in usernet usernet-attach usernet-run usernet-port usernet-stats usernet-capture; do
	check "$page(1) renders without warnings" renders "$mandir/$page.1"
done
check "usernet(1) has every option of usernet --help" documents "$mandir/usernet.1"
check "usernet-attach(1) has every option of usernet attach --help" documents "$mandir/usernet-attach.1" attach
check "usernet-run(1) has every option of usernet run --help" documents "$mandir/usernet-run.1" run
for sub in add ls rm; do
	check "usernet-port(1) has every option of usernet port $sub --help" documents "$mandir/usernet-port.1" port "$sub"
done
check "usernet-stats(1) has every option of usernet stats --help" documents "$mandir/usernet-stats.1" stats
check "usernet-capture(1) has every option of usernet capture --help" documents "$mandir/usernet-capture.1" capture
check "usernet-attach(1) documents every API command" \
	bash -c 'for c in add_hostfwd list_hostfwd remove_hostfwd stats start_capture stop_capture; do
		MANWIDTH=200 man -l "$1" | grep -qw "$c" || { echo "missing: $c"; exit 1; }; done' _ "$mandir/usernet-attach.1"
tap_done
