# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/lib.bash - helpers of usernet's rootless integration tests (bats)
#
# The runner (bats) may run as root, as CI does; usernet and everything that stands for "the user" then run as
# the unprivileged user usernet-test (see tests/setup-root.sh), through `as_user`. Run by an unprivileged user,
# the suite runs everything as that user and expects tests/setup-root.sh to have been run already.
#
# Variables a test may use:
#   IT_USERNET   the copy of the binary under test ($USERNET) in IT_DIR, readable by the test user
#   T            a scratch directory of the current test, owned by the test user, mode 0755
#   HOLDER_PID   the namespace holder made by holder_start or usernet_start_session
#   USERNET_PID  the helper started by usernet_start/usernet_start_session; its stdout/stderr are $T/out, $T/err
# Every process a test starts in the background is recorded (PID and start time) and ended by `teardown`.

bats_require_minimum_version 1.5.0

TEST_USER=usernet-test
IT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
IT_REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# AS_USER: the command prefix that runs a command as the test user. It is an array, not only a function, so
# that `"${AS_USER[@]}" CMD &` gives $! = the PID of CMD: setpriv and env exec, no shell stays in between.
# env --default-signal=INT: bash starts background commands with SIGINT ignored; usernet must see SIGINT as
# a terminal would send it.
if ((EUID == 0)); then
	IT_ROOT=1
	TEST_UID=$(id -u "$TEST_USER" 2>/dev/null || echo missing)
	AS_USER=(setpriv "--reuid=$TEST_USER" "--regid=$TEST_USER" --init-groups --inh-caps=-all --reset-env --
		env --default-signal=INT "PATH=$IT_PATH" "XDG_RUNTIME_DIR=/run/user/$TEST_UID")
else
	IT_ROOT=0
	TEST_USER=$(id -un)
	TEST_UID=$(id -u)
	AS_USER=(env --default-signal=INT "PATH=$IT_PATH:$PATH" "XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$TEST_UID}")
fi
# Sanitizer settings (the ASan+UBSan CI run) and meson's MALLOC_PERTURB_ survive setpriv --reset-env.
for _v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS MALLOC_PERTURB_; do
	[[ -n ${!_v:-} ]] && AS_USER+=("$_v=${!_v}")
done
unset _v

# as_user CMD...: run CMD as the test user, in the foreground.
as_user() { "${AS_USER[@]}" "$@"; }

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# ci: true when running in CI, where nothing may skip.
ci() { [[ ${CI:-} == true || ${CI:-} == 1 ]]; }

# skip_unless_ci REASON: skip the test, except in CI, where nothing may skip: fail it there
skip_unless_ci() {
	if ci; then
		fail "cannot run in CI: $*"
		return
	fi
	skip "$*"
}

# need TOOL...: the tools a test needs (tests/setup-root.sh --install installs them)
need() {
	local tool
	for tool; do
		command -v "$tool" >/dev/null 2>&1 || skip_unless_ci "$tool is not installed" || return
	done
}

# need_root WHY: the test needs a root runner (CI always has one)
need_root() {
	((IT_ROOT)) || skip_unless_ci "needs the runner to be root: $*"
}

# ---------------------------------------------------------------------------------------------- processes

# proc_start PID: the start time of PID (field 22 of /proc/PID/stat), to tell a PID from a reused one
proc_start() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split the fields
	set -- $stat
	echo "${20}"
}

# alive PID [START]: PID exists, is not a zombie, and (given START) is still the same process
alive() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split the fields
	set -- "$2" $stat
	[[ $2 != Z && $2 != X ]] || return 1
	[[ -z $1 || $1 == "${21}" ]]
}

# track PID: remember a process this test started, so that teardown ends it and the last test checks it is gone
track() {
	local start
	start=$(proc_start "$1") || return 0
	IT_TRACKED+=("$1:$start")
	echo "$1:$start $BATS_TEST_NUMBER" >>"$IT_DIR/pids"
}

# spawn CMD...: start CMD in the background (no fd 3, stdin /dev/null, output appended to $T/bg.log), track it;
# its PID is in SPAWNED. CMD must be an external command (not a function) for $! to be its PID.
spawn() {
	"$@" </dev/null >>"$T/bg.log" 2>&1 3>&- 5>&- 7>&- &
	SPAWNED=$!
	track "$SPAWNED"
}

# now: microseconds since the epoch; elapsed_since T0: seconds since T0 (a `now`), e.g. 0.25
now() { echo "${EPOCHREALTIME/[.,]/}"; }
elapsed_since() {
	local us=$(($(now) - $1))
	printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000))
}

# wait_until SECONDS CMD...: run CMD every 50 ms until it succeeds; fails after SECONDS (may be fractional)
wait_until() {
	local deadline
	deadline=$(($(now) + $(awk -v t="$1" 'BEGIN { printf "%d", t * 1000000 }')))
	shift
	while :; do
		"$@" && return 0
		(($(now) > deadline)) && return 1
		sleep 0.05
	done
}

not_alive() { ! alive "$@"; }

# wait_gone PID SECONDS [START]: wait until PID has exited (a zombie counts as exited)
wait_gone() { wait_until "$2" not_alive "$1" "${3:-}"; }

# stop_pid PID [START]: SIGTERM, then SIGKILL after 3 s; reaps it when it is our child
stop_pid() {
	local pid=$1 start=${2:-}
	if alive "$pid" "$start"; then
		kill -TERM "$pid" 2>/dev/null || true
		if ! wait_gone "$pid" 3 "$start"; then
			if alive "$pid" "$start"; then kill -KILL "$pid" 2>/dev/null || true; fi
			wait_gone "$pid" 2 "$start" || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------- namespaces

# holder_start [-6] [-m]: as the user, `unshare -rn sleep infinity` -> HOLDER_PID, a process whose user and
# network namespaces are new (the user is root in them). -6: make sure IPv6 is enabled in the new namespace
# (skips without IPv6 in the kernel, outside CI). -m: a new mount namespace too (in_ns then enters it).
holder_start() {
	local v6=0 flags=-rn
	HOLDER_MNT=0
	while (($#)); do
		case $1 in
		-6) v6=1 ;;
		-m) flags=-rnm HOLDER_MNT=1 ;;
		*) fail "holder_start: unknown option $1" || return ;;
		esac
		shift
	done
	if ((v6)) && [[ ! -d /proc/sys/net/ipv6 ]]; then
		skip_unless_ci "the kernel has no IPv6" || return
	fi
	spawn "${AS_USER[@]}" unshare "$flags" sleep infinity
	HOLDER_PID=$SPAWNED
	wait_until 5 holder_ready "$HOLDER_PID" || fail "the namespace holder $HOLDER_PID did not start" || return
	if ((v6)); then
		in_ns sh -c 'for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6
			do echo 0 >"$f"; done' || fail "cannot enable IPv6 in the namespace" || return
	fi
}

# holder_ready PID: PID has exec'd sleep (so its uid map is written) in a network namespace of its own
holder_ready() {
	[[ $(cat "/proc/$1/comm" 2>/dev/null) == sleep ]] &&
		[[ $(readlink "/proc/$1/ns/net") != "$(readlink /proc/$$/ns/net)" ]]
}

# in_ns CMD...: run CMD as the user inside the holder's user and network (and mount, with -m) namespaces,
# where it is root. in_ns_cmd: the same as a command prefix (for spawn).
in_ns_cmd() {
	IN_NS=("${AS_USER[@]}" nsenter -t "$HOLDER_PID" -U -n)
	((${HOLDER_MNT:-0})) && IN_NS+=(-m)
	IN_NS+=(--preserve-credentials --)
}
in_ns() {
	in_ns_cmd
	"${IN_NS[@]}" "$@"
}
spawn_in_ns() {
	in_ns_cmd
	spawn "${IN_NS[@]}" "$@"
}

# root_netns_start: (root only) a network namespace of root's own, used as a "host" namespace whose sysctls a
# test may change without touching the real host -> ROOT_NS_PID; lo is up in it.
root_netns_start() {
	spawn unshare -n sleep infinity
	ROOT_NS_PID=$SPAWNED
	wait_until 5 holder_ready "$ROOT_NS_PID" || fail "root's namespace holder did not start" || return
	nsenter -t "$ROOT_NS_PID" -n ip link set lo up
}

# SESSION_SH: the script of a "session", `unshare -Urm bash -c "$SESSION_SH" session MODE PIDFILE PRE CMD...`
# (run as the user). It runs PRE (shell code, e.g. mounts that only this mount namespace sees), makes a
# namespace holder (`unshare -n sleep infinity`; its PID goes to PIDFILE) and runs `CMD... HOLDER-PID`. With
# MODE exec the script becomes that command (so the caller's $! is its PID); with MODE run it waits for it,
# ends the holder and exits with its status.
#
# Why the holder is made inside the session: CMD (usernet) runs in the session's user namespace, so that its
# mounts (/etc/resolv.conf, /dev/net) apply. A holder made outside by `unshare -rn` would live in a sibling user
# namespace: even though the same user owns both, a process has capabilities in a user namespace only when it
# is in it or in an ancestor of it (as the owner), so usernet could not setns() into the sibling (EPERM).
# Made inside the session, the holder's network namespace is owned by the session's user namespace, where
# usernet already has every capability, and usernet need not join any user namespace. The test itself still
# reaches the holder from outside with in_ns: the session's user namespace is a child of the initial one,
# owned by the test user.
SESSION_SH='
set -e
mode=$1 pidfile=$2 pre=$3
shift 3
eval "$pre"
unshare -n sleep infinity </dev/null >/dev/null 2>&1 3>&- &
h=$!
echo "$h" >"$pidfile"
for i in $(seq 100); do
	if [ "$(cat /proc/$h/comm 2>/dev/null)" = sleep ] &&
		[ "$(readlink /proc/$h/ns/net)" != "$(readlink /proc/$$/ns/net)" ]; then break; fi
	sleep 0.05
done
set +e
[ "$mode" = exec ] && exec "$@" "$h"
"$@" "$h"
rc=$?
kill "$h"
exit $rc
'

# ---------------------------------------------------------------------------------------------- usernet

# usernet_start ARGS...: start `usernet attach --ready-fd 3 ARGS...` as the user in the background
# (USERNET_PREFIX=(...) may put a command such as nsenter in front of it); USERNET_PID. Waits up to 5 s for
# `1` in the ready file; on failure shows the helper's output and fails.
usernet_start() {
	: >"$T/ready"
	"${USERNET_PREFIX[@]}" "${AS_USER[@]}" "$IT_USERNET" attach --ready-fd 3 "$@" \
		3>"$T/ready" >"$T/out" 2>"$T/err" </dev/null 7>&- &
	USERNET_PID=$!
	track "$USERNET_PID"
	usernet_wait_ready
}

# usernet_start_session PRE ARGS...: start usernet in a session (see SESSION_SH): `unshare -Urm`, run PRE,
# make a holder, `exec usernet attach --ready-fd 3 ARGS... HOLDER`. Sets USERNET_PID and HOLDER_PID.
usernet_start_session() {
	local pre=$1
	shift
	: >"$T/ready"
	rm -f "$T/holder.pid"
	"${AS_USER[@]}" unshare -Urm bash -c "$SESSION_SH" session exec "$T/holder.pid" "$pre" \
		"$IT_USERNET" attach --ready-fd 3 "$@" 3>"$T/ready" >"$T/out" 2>"$T/err" </dev/null 7>&- &
	USERNET_PID=$!
	track "$USERNET_PID"
	wait_until 5 test -s "$T/holder.pid" || {
		usernet_show
		fail "the session did not make its namespace holder"
		return
	}
	HOLDER_PID=$(<"$T/holder.pid") HOLDER_MNT=0
	track "$HOLDER_PID"
	usernet_wait_ready
}

usernet_ready_or_gone() { [[ $(<"$T/ready") == 1 ]] || ! alive "$USERNET_PID"; }

usernet_wait_ready() {
	wait_until 5 usernet_ready_or_gone || true
	if [[ $(<"$T/ready") == 1 ]] && alive "$USERNET_PID"; then
		return 0
	fi
	if alive "$USERNET_PID"; then
		usernet_show
		fail "usernet did not become ready within 5 s"
	else
		USERNET_STATUS=0
		wait "$USERNET_PID" 2>/dev/null || USERNET_STATUS=$?
		usernet_show
		fail "usernet exited with status $USERNET_STATUS before it was ready"
	fi
}

# usernet_show: print the helper's stdout and stderr (for a failing test's log)
usernet_show() {
	echo "--- usernet stdout:" >&2
	cat "$T/out" >&2 2>/dev/null || true
	echo "--- usernet stderr:" >&2
	cat "$T/err" >&2 2>/dev/null || true
	echo "---" >&2
}

# usernet_stop [SIGNAL]: signal the helper (TERM by default), wait up to 5 s, reap it: USERNET_STATUS
usernet_stop() {
	kill -"${1:-TERM}" "$USERNET_PID" 2>/dev/null || true
	usernet_reap 5
}

# usernet_reap SECONDS: wait for the helper to exit by itself; USERNET_STATUS (fails if it did not exit)
usernet_reap() {
	if ! wait_gone "$USERNET_PID" "$1"; then
		usernet_show
		fail "usernet $USERNET_PID did not exit within $1 s"
		return
	fi
	USERNET_STATUS=0
	wait "$USERNET_PID" 2>/dev/null || USERNET_STATUS=$?
}

# run_usernet ARGS...: run `usernet ARGS...` as the user in the foreground, through bats' run (status, output,
# stderr), with a 10 s timeout so that a helper that wrongly starts cannot hang the suite (status 124 then).
run_usernet() {
	run --separate-stderr timeout -k 2 10 "${USERNET_PREFIX[@]}" "${AS_USER[@]}" "$IT_USERNET" "$@"
}

# run_usernet_session PRE ARGS...: run `usernet attach ARGS... HOLDER` in a session (see SESSION_SH), foreground
run_usernet_session() {
	local pre=$1
	shift
	run --separate-stderr timeout -k 2 10 "${AS_USER[@]}" unshare -Urm bash -c "$SESSION_SH" session run \
		"$T/holder.pid" "$pre" "$IT_USERNET" attach "$@"
	if [[ -s $T/holder.pid ]]; then
		track "$(<"$T/holder.pid")"
	fi
}

# assert_error CODE FRAGMENT...: after run_usernet*, the exit status is CODE and stderr ends with the one line
# starting `usernet: error: `, which contains every FRAGMENT (fixed strings).
assert_error() {
	local code=$1 line n
	shift
	if [[ $status != "$code" ]]; then
		fail "exit status $status, expected $code" "stdout: $output" "stderr: $stderr"
		return
	fi
	n=$(grep -c '^usernet: error: ' <<<"$stderr" || true)
	line=$(sed '/^$/d' <<<"$stderr" | tail -n 1)
	if [[ $n != 1 || $line != 'usernet: error: '* ]]; then
		fail "stderr should end with one line starting 'usernet: error: '; it was:" "$stderr"
		return
	fi
	for frag; do
		[[ $line == *"$frag"* ]] || fail "the error line lacks '$frag':" "$line" || return
	done
}

# ---------------------------------------------------------------------------------------------- host side

# free_port tcp|udp [COUNT]: a random port in 20000-59999 such that it and the COUNT-1 next ones are free
free_port() {
	local p i j ok
	for i in $(seq 50); do
		p=$((20000 + RANDOM % 40000)) ok=1
		for ((j = 0; j < ${2:-1}; j++)); do
			if listening "$1" $((p + j)); then ok=0; fi
		done
		((ok)) && echo "$p" && return 0
	done
	fail "no free $1 port found"
}

# listening tcp|udp PORT: something listens on PORT in the caller's network namespace
listening() {
	if [[ $1 == udp ]]; then
		[[ -n $(ss -Hlun "sport = :$2" 2>/dev/null) ]]
	else
		[[ -n $(ss -Hltn "sport = :$2" 2>/dev/null) ]]
	fi
}

# host_tcp_server ADDR PORT TEXT: as the user, a TCP server on the host at ADDR:PORT that sends TEXT to each
# client (socat; ADDR may be an IPv6 address, without brackets)
host_tcp_server() {
	local listen
	if [[ $1 == *:* ]]; then listen="TCP6-LISTEN:$2,bind=[$1],reuseaddr,fork"; else
		listen="TCP4-LISTEN:$2,bind=$1,reuseaddr,fork"; fi
	spawn "${AS_USER[@]}" socat "$listen" "SYSTEM:echo $3"
	wait_until 5 listening tcp "$2" || fail "the host server on $1:$2 did not start" || return
}

# tcp_get ADDR PORT: connect (as the caller, 5 s timeout), print what the server sends
tcp_get() {
	local connect
	if [[ $1 == *:* ]]; then connect="TCP6:[$1]:$2"; else connect="TCP4:$1:$2"; fi
	timeout -k 1 10 socat -T 5 -u "$connect,connect-timeout=5" STDOUT
}

# http_get URL: the body at URL (busybox wget, 3 s timeout; not wget's -T: busybox 1.35's wget crashes with it)
http_get() { timeout -k 1 3 busybox wget -q -O - "$1"; }

# ---------------------------------------------------------------------------------------------- bats hooks

setup_file() {
	[[ -n ${USERNET:-} ]] ||
		fail "USERNET is not set: point it at the usernet binary (meson test does), e.g." \
			"USERNET=build/usernet bash tests/integration/run.sh tests/integration/$(basename "$BATS_TEST_FILENAME")" ||
		return
	[[ -x $USERNET ]] || fail "USERNET=$USERNET is not an executable file" || return
	if ((IT_ROOT)); then
		bash "$IT_REPO/tests/setup-root.sh" >&2 || fail "tests/setup-root.sh failed" || return
	else
		# Unprivileged runner: the root-only setup must have been done by root already.
		[[ -r /dev/net/tun && -w /dev/net/tun ]] ||
			fail "/dev/net/tun is not readable and writable for $TEST_USER: run 'bash tests/setup-root.sh' as root" ||
			return
		unshare -rn true 2>/dev/null ||
			fail "cannot make user namespaces as $TEST_USER: run 'bash tests/setup-root.sh' as root" || return
	fi
	need bats unshare nsenter ip ss socat busybox timeout
	# The binary may sit in a build directory the test user cannot read (a 0700 clone): use a copy.
	IT_DIR=$(mktemp -d /tmp/usernet-it.XXXXXX)
	chmod 0755 "$IT_DIR"
	IT_USERNET=$IT_DIR/usernet
	install -m 0755 "$USERNET" "$IT_USERNET"
	: >"$IT_DIR/pids"
	export IT_DIR IT_USERNET
}

teardown_file() {
	if [[ -n ${IT_DIR:-} && -d $IT_DIR && $IT_DIR == /tmp/usernet-it.* ]]; then
		# anything still alive from this file (should be nothing: the last test checks it)
		local pid start rest
		while read -r pid rest; do
			start=${pid#*:} pid=${pid%%:*}
			alive "$pid" "$start" && kill -KILL "$pid" 2>/dev/null
		done <"$IT_DIR/pids"
		rm -rf "$IT_DIR"
	fi
}

setup() {
	IT_TRACKED=()
	USERNET_PREFIX=()
	HOLDER_MNT=0
	T=$IT_DIR/t$BATS_TEST_NUMBER
	rm -rf "$T"
	install -d -m 0755 "$T"
	((IT_ROOT)) && chown "$TEST_USER:" "$T"
	return 0
}

# teardown: end every process the test started, newest first: helpers, servers, holders
teardown() {
	local i entry pid start
	for ((i = ${#IT_TRACKED[@]} - 1; i >= 0; i--)); do
		entry=${IT_TRACKED[i]}
		pid=${entry%%:*} start=${entry#*:}
		stop_pid "$pid" "$start"
	done
	[[ -z ${IT_EXIT_WRITER:-} ]] || exec 7>&-
	return 0
}

# assert_nothing_left: the last test of each file: no usernet process of this file and no tracked process is
# still running.
assert_nothing_left() {
	local left pid start rest
	left=$(pgrep -a -u "$TEST_USER" -f "^$IT_DIR/usernet( |\$)" || true)
	[[ -z $left ]] || fail "usernet processes are left:" "$left" || return
	while read -r pid rest; do
		start=${pid#*:} pid=${pid%%:*}
		if alive "$pid" "$start"; then
			fail "process $pid of test $rest is left: $(tr '\0' ' ' <"/proc/$pid/cmdline")" || return
		fi
	done <"$IT_DIR/pids"
}
