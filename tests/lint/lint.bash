# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lint/lint.bash - what the lint checks share: TAP lines (tests/packaging/tap.bash), the tool check,
# the list of files
#
#   need_tool NAME                 exits (TAP skip, or a failure when CI is set) if NAME is not installed
#   source_files SRCDIR DIRS...    tracked .c and .h files under DIRS (every folder when none), one a line
#   built_product_files SRC BUILD  the .c files of the product that BUILD compiles (its compile_commands.json
#                                  names them), one a line; exits with a failing TAP line if there are none
#   src_paths SRC BUILD            a filter: the paths of sources that clang-tidy prints, as dir/file.c
#   PRODUCT_DIRS                   the folders of the product code
. "$(dirname "${BASH_SOURCE[0]}")/../packaging/tap.bash"

PRODUCT_DIRS=(common netns slirp portfwd confine helper launcher cli)

need_tool() {
	command -v "$1" >/dev/null && return 0
	if [[ ${CI:-} ]]; then
		echo "not ok 1 - $1 is installed (bash tests/setup-root.sh --install installs it)"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP $1 is not installed (Debian: apt-get install $1)"
	exit 0
}

source_files() {
	local src=$1 dir specs=()
	shift
	for dir in "${@:-.}"; do
		specs+=("$dir/*.c" "$dir/*.h")
	done
	if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$src" ls-files -- "${specs[@]}"
	else
		# not a git checkout (a release tarball): the same files, found
		(cd "$src" && find "${@:-.}" \( -path './build*' -o -name .git \) -prune -o -type f -name '*.[ch]' \
			-print | sed 's|^\./||' | sort)
	fi
}

# src_paths SRCDIR BUILDDIR: a filter that writes the paths of source files that clang-tidy prints
# (BUILDDIR/../SRC/dir/file.c, ../SRC/dir/file.c, /abs/SRC/dir/file.c) as dir/file.c
src_paths() {
	local sabs babs rel
	sabs=$(realpath -m "$1")
	babs=$(realpath -m "$2")
	rel=$(realpath -m --relative-to="$babs" "$sabs")
	sed -e "s,$babs/$rel/,,g" -e "s,$sabs/,,g" -e "s,\(^\|[ ']\)$rel/,\1,g"
}

built_product_files() {
	local src=$1 build=$2 db=$2/compile_commands.json f files=()
	if [[ -f $db ]]; then
		while IFS= read -r f; do
			grep -q "\"file\": \".*/${f//./\\.}\"" "$db" && files+=("$f")
		done < <(source_files "$src" "${PRODUCT_DIRS[@]}" | grep '\.c$')
	fi
	if ((${#files[@]} == 0)); then
		echo "not ok 1 - $db names the product's files (meson setup makes it)"
		echo "1..1"
		exit 1
	fi
	printf '%s\n' "${files[@]}"
}
