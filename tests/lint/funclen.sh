#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lint/funclen.sh - no function of the product code is over 100 lines (the house style asks for under
# 80: those between 80 and 100 are listed, and pass). TAP, one line a folder.
#
#   funclen.sh SRCDIR BUILDDIR
#
# The lengths are clang-tidy's (readability-function-size: the lines of the body, blank lines and comments
# included), on the code as BUILDDIR compiles it (its compile_commands.json).
set -uo pipefail
src=$1 build=$2
. "$(dirname "$0")/lint.bash"
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
MAX_LINES=100 STYLE_LINES=80
need_tool "$CLANG_TIDY"

config="{Checks: '-*,readability-function-size', HeaderFilterRegex: '/($(
	IFS='|'
	echo "${PRODUCT_DIRS[*]}"
))/[^/]*\\.h\$', ExtraArgs: ['-Wno-format-nonliteral', '-Wno-unknown-warning-option'],
	CheckOptions: [{key: readability-function-size.LineThreshold, value: $STYLE_LINES}]}"
files=$(built_product_files "$src" "$build") || { echo "$files"; exit 1; }
mapfile -t files <<<"$files"
raw=$(printf '%s\n' "${files[@]/#/$src/}" |
	xargs -P "$(nproc)" -n 1 "$CLANG_TIDY" -p "$build" --quiet --config="$config" 2>&1 | src_paths "$src" "$build")
# "LINES FILE:LINE FUNCTION" for every function over STYLE_LINES lines
long=$(awk '/ warning: function .* exceeds/ {
		match($0, /function '"'"'[^'"'"']*'"'"'/)
		fn = substr($0, RSTART + 10, RLENGTH - 11)
		where = $1
		sub(/:[0-9]+:$/, "", where)
	}
	/ note: [0-9]+ lines including/ { print $3, where, fn }' <<<"$raw" | sort -u | sort -rn)

# parsed: clang-tidy read every file (a file it cannot compile has no function to measure)
parsed() {
	! grep -E ' error: ' <<<"$raw"
}
# over DIR: the functions of DIR over MAX_LINES (status 1 if any)
over() {
	awk -v dir="$1/" -v max="$MAX_LINES" 'index($2, dir) == 1 && $1 > max { print; bad = 1 } END { exit bad }' \
		<<<"$long"
}
check "clang-tidy compiles every file" parsed
for dir in "${PRODUCT_DIRS[@]}"; do
	check "$dir: no function over $MAX_LINES lines" over "$dir"
done
if [[ $long ]]; then
	echo "# over $STYLE_LINES lines (the style's limit; lines, file:line, function):"
	sed 's/^/#   /' <<<"$long"
fi
tap_done
