# SPDX-License-Identifier: GPL-2.0-or-later
# tests/packaging/tap.bash - a few lines of TAP for the packaging checks (meson's protocol 'tap')
#
#   check "DESCRIPTION" COMMAND...   runs COMMAND, prints ok/not ok; its output is shown as diagnostics on failure
#   tap_done                         prints the plan and exits 1 if a check failed
TAP_N=0 TAP_FAILED=0

check() {
	local desc=$1 out
	shift
	TAP_N=$((TAP_N + 1))
	if out=$("$@" 2>&1); then
		echo "ok $TAP_N - $desc"
	else
		echo "not ok $TAP_N - $desc"
		sed 's/^/# /' <<<"$out"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

tap_done() {
	echo "1..$TAP_N"
	((TAP_FAILED == 0))
}

# help_long_options USERNET WORDS...: the long options that `USERNET WORDS... --help` lists, one per line
help_long_options() {
	local usernet=$1
	shift
	"$usernet" "$@" --help 2>&1 | grep -oE '(^|[ ,])--[a-z0-9-]+' | sed 's/^[ ,]*//' | sort -u
}
