#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/run.sh - run one bats file of the integration tests, with TAP output (meson's protocol)
#
#   USERNET=build/usernet bash tests/integration/run.sh FILE.bats
#
# The root-only setup (bash tests/setup-root.sh, as root) must have been done before: the tests only check it
# and change nothing on the machine. Run as root, they run usernet as the unprivileged user usernet-test.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if (($# != 1)); then
	echo "usage: USERNET=PATH bash $0 FILE.bats" >&2
	exit 2
fi
file=$1
[[ -e $file || $file == /* ]] || file=$here/$file

if [[ -n ${USERNET:-} && $USERNET != /* ]]; then
	USERNET=$(realpath -- "$USERNET")
	export USERNET
fi


exec bats --tap "$file"
