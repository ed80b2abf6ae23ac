#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/packaging/spdx.sh - every source, build and script file of the tree starts with an SPDX licence line,
# and the licence text is at the root.
#
#   spdx.sh SRCDIR
set -uo pipefail
src=$1
. "$(dirname "$0")/tap.bash"

missing() {
	local f bad=()
	while IFS= read -r -d '' f; do
		head -5 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-or-later' || bad+=("${f#"$src"/}")
	done < <(find "$src" \( -path "$src/build*" -o -path "$src/.git" -o -path "$src/bench/results" \) -prune -o \
		-type f \( -name '*.[ch]' -o -name '*.sh' -o -name '*.bash' -o -name '*.bats' -o -name '*.py' \
		-o -name meson.build -o -name meson_options.txt -o -name '*.scd' -o -name '*.in' -o -name _usernet \
		-o -path "$src/.ci/run" -o -path "$src/bench/run" -o -path "$src/demo/run" \) -print0)
	((${#bad[@]} == 0)) || { echo "no SPDX line: ${bad[*]}"; return 1; }
}
check "every source, build and script file has an SPDX line" missing
check "COPYING holds the GPL version 2" grep -q 'GNU GENERAL PUBLIC LICENSE' "$src/COPYING"
tap_done
