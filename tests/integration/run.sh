#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/run.sh - run one bats file of the integration tests, with TAP output (meson's protocol)
#
#   USERNET=build/usernet bash tests/integration/run.sh FILE.bats
#
# As root, it first makes sure of the root-only setup (tests/setup-root.sh: idempotent, silent and fast when
# done); the tests then run usernet as the unprivileged user usernet-test. As another user, that setup must
# have been done by root before.
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

if ((EUID == 0)); then
	# stdout is the TAP stream: the setup's messages go to stderr
	bash "$here/../setup-root.sh" >&2
fi

exec bats --tap "$file"
