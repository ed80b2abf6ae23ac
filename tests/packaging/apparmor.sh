#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/packaging/apparmor.sh - the AppArmor profile parses with AppArmor 4's parser (apparmor_parser -Q -K:
# syntax and semantics, nothing loaded), and a broken profile does not (the check can fail).
#
#   apparmor.sh PROFILE
# Debian 12's parser (3.0) predates the `userns` rule: tests/setup-root.sh --install makes a Debian 13 root
# with parser 4 in /var/cache/usernet-tests/apparmor-root, entered here with `unshare -r chroot` (any user).
set -uo pipefail
profile=$1
. "$(dirname "$0")/tap.bash"
root=/var/cache/usernet-tests/apparmor-root

parser=()
if command -v apparmor_parser >/dev/null && [[ $(apparmor_parser --version | head -1) =~ version\ ([0-9]+) ]] &&
	((BASH_REMATCH[1] >= 4)); then
	parser=(apparmor_parser)
elif [[ -x $root/sbin/apparmor_parser ]]; then
	parser=(unshare -r chroot "$root" apparmor_parser)
fi
if ((${#parser[@]} == 0)); then
	if [[ ${CI:-} == true ]]; then
		check "an AppArmor 4 parser is available (tests/setup-root.sh --install)" false
	else
		echo "1..0 # SKIP no AppArmor 4 parser: run tests/setup-root.sh --install as root"
		exit 0
	fi
	tap_done
	exit
fi

parses() { "${parser[@]}" -Q -K <"$1"; }
check "the profile parses ($("${parser[@]}" --version | head -1))" parses "$profile"
broken=$(mktemp)
trap 'rm -f "$broken"' EXIT
sed 's/userns,/userns bogus,/' "$profile" >"$broken"
check "a broken copy of it does not" bash -c '! "$@"' _ parses "$broken"
check "it grants userns" grep -qE '^\s*userns,' "$profile"
tap_done
