#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lint/format.sh - every tracked .c and .h file is formatted as .clang-format says (TAP, one line a file;
# the diff that clang-format would make is printed under a file that is not).
#
#   format.sh SRCDIR
#
# To format: clang-format -i FILE..., or everything: ninja -C BUILD clang-format (see README.md). The style
# is tuned on clang-format 14 (Debian 12); another version may format a few lines differently.
set -uo pipefail
src=$1
. "$(dirname "$0")/lint.bash"
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
need_tool "$CLANG_FORMAT"

echo "# $("$CLANG_FORMAT" --version)"
# is_formatted FILE: silent when clang-format leaves FILE as it is, else the diff and status 1
is_formatted() {
	"$CLANG_FORMAT" --style=file "$src/$1" | diff -u --label "$1" --label "$1 (clang-format)" "$src/$1" -
}
while IFS= read -r f; do
	check "$f" is_formatted "$f"
done < <(source_files "$src")
tap_done
