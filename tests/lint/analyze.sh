#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lint/analyze.sh - static analysis of the product code with clang-tidy and the checks of .clang-tidy
# (the bug-finding families and the Clang static analyser); TAP, one line a file, its findings under it.
#
#   analyze.sh SRCDIR BUILDDIR
#
# BUILDDIR holds meson's compile_commands.json: each file is analysed with the flags it is built with, on
# every CPU, one clang-tidy process a file (the analyser's results then do not depend on the batching).
# A finding is fixed, or, when the code is right, silenced where it is with the reason beside it:
#	call();	/* NOLINT(check-name): why the code is right */
# (NOLINTNEXTLINE(check-name) on the line before, when the line has no room left).
set -uo pipefail
src=$1 build=$2
. "$(dirname "$0")/lint.bash"
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
need_tool "$CLANG_TIDY"

echo "# $("$CLANG_TIDY" --version | grep -i version)"
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
# the .c files of the product that this build compiles (the headers are analysed through them)
files=$(built_product_files "$src" "$build") || { echo "$files"; exit 1; }
mapfile -t files <<<"$files"
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -I{} sh -c \
	'"$1" -p "$2" --quiet "$3/$4" >"$5/$(echo "$4" | tr / _).out" 2>&1' sh "$CLANG_TIDY" "$build" "$src" {} "$logdir"

# findings FILE: what clang-tidy said about FILE (and the headers it includes), status 1 if anything
findings() {
	local log
	log="$logdir/$(echo "$1" | tr / _).out"
	# clang-tidy's own count ("N warnings generated", "Suppressed N warnings") is no finding
	if grep -Eq '(warning|error):' "$log"; then
		src_paths "$src" "$build" <"$log"
		return 1
	fi
}
for f in "${files[@]}"; do
	check "$f" findings "$f"
done
tap_done
