#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/packaging/install.sh - `meson install` into a scratch DESTDIR puts every file where a distribution
# expects it, and the installed binary reports the project's version.
#
#   install.sh BUILDDIR VERSION PREFIX BINDIR MANDIR DATADIR LIBEXECDIR SYSCONFDIR COMPAT_LINKS APPARMOR
set -uo pipefail
build=$1 version=$2 prefix=$3 bindir=$4 mandir=$5 datadir=$6 libexecdir=$7 sysconfdir=$8 links=$9 aa=${10}
. "$(dirname "$0")/tap.bash"

dest=$(mktemp -d /tmp/usernet-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
abs() { [[ $1 == /* ]] && echo "$dest$1" || echo "$dest$prefix/$1"; }

check "meson install --destdir" meson install -C "$build" --no-rebuild --quiet --destdir "$dest"
bin=$(abs "$bindir")/usernet
check "the binary is installed" test -x "$bin"
check "usernet --version prints the project's version ($version)" \
	bash -c '[[ $("$1" --version | head -1) == "usernet version $2" ]] || { "$1" --version; exit 1; }' _ "$bin" "$version"
for page in usernet usernet-attach usernet-run usernet-port usernet-stats usernet-capture; do
	check "man page $page(1) is installed" test -s "$(abs "$mandir")/man1/$page.1"
done
check "bash completion is installed" test -s "$(abs "$datadir")/bash-completion/completions/usernet"
check "zsh completion is installed" test -s "$(abs "$datadir")/zsh/site-functions/_usernet"
link=$(abs "$libexecdir")/usernet/slirp4netns
if [[ $links == true ]]; then
	check "-Dcompat-links=true: the slirp4netns link points at the binary" \
		bash -c '[[ $(readlink "$1") == "$2" ]]' _ "$link" "${bin#"$dest"}"
else
	check "-Dcompat-links=false: no slirp4netns link" test ! -e "$link" -a ! -L "$link"
fi
profile=$(abs "$sysconfdir")/apparmor.d/usernet
if [[ $aa == true ]]; then
	check "-Dapparmor=true: the profile names the installed binary" grep -qF "profile usernet ${bin#"$dest"} " "$profile"
else
	check "-Dapparmor=false: no AppArmor profile" test ! -e "$profile"
fi
tap_done
