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

# AS_OTHER / as_other CMD...: run CMD as usernet-other, a second unprivileged user (the attacker "another user
# on the same host"); only with a root runner (need_root), as it takes root to switch to it.
OTHER_USER=usernet-other
AS_OTHER=(setpriv "--reuid=$OTHER_USER" "--regid=$OTHER_USER" --init-groups --inh-caps=-all --reset-env --
	env "PATH=$IT_PATH")
as_other() {
	need_root "switching to $OTHER_USER" || return
	"${AS_OTHER[@]}" "$@"
}

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
# SESSION_FLAGS (default -Urm) replaces unshare's flags: -Urmn gives the session a network namespace of its own,
# a private "host" (dns.bats).
usernet_start_session() {
	local pre=$1
	shift
	: >"$T/ready"
	rm -f "$T/holder.pid"
	"${AS_USER[@]}" unshare "${SESSION_FLAGS:--Urm}" bash -c "$SESSION_SH" session exec "$T/holder.pid" "$pre" \
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
	# Outside the ephemeral range, where outgoing connections (ours or anyone's) cannot take it meanwhile
	pf_free_port "$@"
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

# www TEXT: a directory with an index.html saying TEXT, readable by the user -> WWW
www() {
	WWW=$T/www
	install -d -m 0755 "$WWW"
	echo "$1" >"$WWW/index.html"
	chmod 0644 "$WWW/index.html"
}

# http_is URL TEXT: URL (fetched from the host, as the user) gives TEXT; wait_http URL TEXT: up to 5 s
# until it does, or show the helper's output and the background processes' and fail
http_is() { [[ $(as_user timeout -k 1 3 busybox wget -q -O - "$1" 2>/dev/null) == "$2" ]]; }
wait_http() {
	wait_until 5 http_is "$1" "$2" || {
		usernet_show
		echo "--- background processes:" >&2
		cat "$T/bg.log" >&2 2>/dev/null
		fail "$1 did not give '$2'; last try:" "$(as_user timeout -k 1 3 busybox wget -q -O - "$1" 2>&1)"
	}
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
	# The root-only setup must have been done (by .ci/run, or by hand): check it, change nothing.
	bash "$IT_REPO/tests/setup-root.sh" --check >&2 || fail "the root-only test setup is not done" || return
	if ((!IT_ROOT)); then
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

# ---------------------------------------------------------------------------------------------- published ports
# Helpers of the portfwd-*.bats files: a Python servers-and-clients script, the API socket, namespaces that
# stand for the host and for an outside client.

# pf_py_file: the path of the Python helper (written once per bats file into IT_DIR, readable by the user)
pf_py_file() {
	local f=$IT_DIR/pf.py
	if [[ ! -s $f ]]; then
		pf_py_write >"$f.tmp" && chmod 0644 "$f.tmp" && mv -f "$f.tmp" "$f" || return
	fi
	echo "$f"
}

# pf_py_write: the Python helper. Servers (run inside the namespace, they reply with their own port and the
# address they see the client come from, echo, or send known data) and clients (half-close, reset, slow
# reader, many connections...). Data of SEED and SIZE is random.Random(SEED).randbytes(SIZE) on both sides.
pf_py_write() {
	cat <<'PYEOF'
import argparse, asyncio, hashlib, json, os, random, resource, socket, struct, sys, time

def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def gen(seed, n):
    return random.Random(seed).randbytes(n)

def sha(b):
    return hashlib.sha256(b).hexdigest()

def peer_ip(addr):
    ip = addr[0]
    return ip[7:] if ip.startswith('::ffff:') else ip

def err(*a):
    print(*a, file=sys.stderr, flush=True)

# ------------------------------------------------------------------ servers

class Udp(asyncio.DatagramProtocol):
    def __init__(self, port, mode):
        self.port, self.mode = port, mode
    def connection_made(self, t):
        self.t = t
    def datagram_received(self, data, addr):
        if self.mode == 'echo':
            self.t.sendto(data, addr)
        else:
            self.t.sendto(f'{self.port} {peer_ip(addr)}\n'.encode(), addr)
    def error_received(self, e):
        err('udp error', e)

async def tcp_conn(a, port, reader, writer):
    peer = peer_ip(writer.get_extra_info('peername'))
    try:
        if a.mode == 'peer':
            writer.write(f'{port} {peer}\n'.encode())
        elif a.mode == 'echo':
            while True:
                b = await reader.read(65536)
                if not b:
                    break
                writer.write(b)
                await writer.drain()
        elif a.mode in ('eofreply', 'slowsink'):
            h, n = hashlib.sha256(), 0
            while True:
                b = await reader.read(16384 if a.mode == 'slowsink' else 65536)
                if not b:
                    break
                h.update(b)
                n += len(b)
                if a.mode == 'slowsink':
                    await asyncio.sleep(0.002)
            writer.write(f'{n} {h.hexdigest()}\n'.encode())
            if a.mode == 'eofreply':
                writer.write(gen(a.seed, a.size))
        elif a.mode == 'send':
            writer.write(gen(a.seed, a.size))
        elif a.mode == 'shutfirst':
            # write SIZE bytes and end our side, then read the client's bytes to EOF and log them
            writer.write(gen(a.seed, a.size))
            await writer.drain()
            writer.write_eof()
            h, n = hashlib.sha256(), 0
            while True:
                b = await reader.read(65536)
                if not b:
                    break
                h.update(b)
                n += len(b)
            with open(a.log, 'a') as f:
                f.write(f'{n} {h.hexdigest()}\n')
        elif a.mode == 'rst':
            # write SIZE bytes, then reset the connection
            writer.write(gen(a.seed, a.size))
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.get_extra_info('socket').setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                       struct.pack('ii', 1, 0))
            writer.transport.abort()
            return
        elif a.mode == 'watch':
            writer.write(b'ready\n')
            await writer.drain()
            outcome = 'eof'
            try:
                while True:
                    b = await reader.read(65536)
                    if not b:
                        break
            except ConnectionResetError:
                outcome = 'reset'
            except OSError as e:
                outcome = f'error {e}'
            with open(a.log, 'a') as f:
                f.write(outcome + '\n')
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    except OSError as e:
        err(f'port {port}: client {peer}: {e!r}')
        writer.transport.abort()

async def serve(a):
    raise_nofile()
    servers = []
    for p in a.tcp:
        servers.append(await asyncio.start_server(
            lambda r, w, p=p: tcp_conn(a, p, r, w), a.bind, p, backlog=4096, reuse_address=True))
    loop = asyncio.get_running_loop()
    for p in a.udp:
        await loop.create_datagram_endpoint(lambda p=p: Udp(p, a.mode), local_addr=(a.bind, p))
    if a.ready:
        with open(a.ready + '.tmp', 'w') as f:
            f.write('1\n')
        os.rename(a.ready + '.tmp', a.ready)
    await asyncio.Event().wait()

# ------------------------------------------------------------------ clients

def recv_all(s):
    parts = []
    while True:
        b = s.recv(1 << 20)
        if not b:
            return b''.join(parts)
        parts.append(b)

def family(host):
    return socket.AF_INET6 if ':' in host else socket.AF_INET

def cmd_get(a):
    if a.proto == 'tcp':
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
        if a.send:
            s.sendall(a.send.encode())
        s.shutdown(socket.SHUT_WR)
        sys.stdout.write(recv_all(s).decode())
        return 0
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    s.connect((a.host, a.port))
    s.send((a.send or 'hello').encode())
    sys.stdout.write(s.recv(65536).decode())
    return 0

def cmd_udpecho(a):
    """send datagrams of these sizes, each must come back intact"""
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    s.connect((a.host, a.port))
    for i, n in enumerate(a.sizes):
        d = gen(1000 + i, n)
        s.send(d)
        r = s.recv(65536)
        if r != d:
            err(f'datagram {i} of {n} bytes came back as {len(r)} different bytes')
            return 1
    print('ok')
    return 0

def cmd_echo(a):
    """one TCP connection: send SIZE bytes, read the echo, close"""
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    d = gen(a.seed, a.size)
    s.sendall(d)
    s.shutdown(socket.SHUT_WR)
    r = recv_all(s)
    if r != d:
        err(f'sent {len(d)} bytes, the echo was {len(r)} bytes ({"same" if r == d[:len(r)] else "different"} start)')
        return 1
    s.close()
    print('ok')
    return 0

def cmd_halfclose(a):
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    d = gen(a.seed + 1, a.send_size)
    s.sendall(d)
    s.shutdown(socket.SHUT_WR)
    r = recv_all(s)
    line, _, rest = r.partition(b'\n')
    want = f'{len(d)} {sha(d)}'.encode()
    ok = True
    if line != want:
        err(f'the server saw {line!r}, expected {want!r}')
        ok = False
    exp = gen(a.seed, a.size)
    if rest != exp:
        err(f'reply of {len(rest)} bytes (sha256 {sha(rest)}), expected {len(exp)} (sha256 {sha(exp)})')
        ok = False
    if ok:
        print(f'ok {len(rest)} {sha(rest)}')
    return 0 if ok else 1

def cmd_reset(a):
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    line = b''
    while not line.endswith(b'\n'):
        b = s.recv(1)
        if not b:
            err('EOF before the server said ready')
            return 1
        line += b
    s.sendall(b'some bytes that the server reads')
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
    print('reset sent')
    return 0

def cmd_readreset(a):
    """read until EOF or an error: print 'reset N' or 'eof N' (N bytes read before)"""
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    n = 0
    try:
        while True:
            b = s.recv(65536)
            if not b:
                print(f'eof {n}')
                return 0
            n += len(b)
    except ConnectionResetError:
        print(f'reset {n}')
        return 0

def cmd_shutfirst(a):
    """read the server's SIZE bytes to its EOF, then send SEND-SIZE bytes and end our side"""
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    r = recv_all(s)
    exp = gen(a.seed, a.size)
    if r != exp:
        err(f'received {len(r)} bytes (sha256 {sha(r)}), expected {len(exp)} (sha256 {sha(exp)})')
        return 1
    d = gen(a.seed + 1, a.send_size)
    s.sendall(d)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(a.timeout)
    if s.recv(1) != b'':
        err('data after EOF')
        return 1
    print(f'ok {len(d)} {sha(d)}')
    return 0

def cmd_slowread(a):
    s = socket.socket(family(a.host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.settimeout(a.timeout)
    s.connect((a.host, a.port))
    time.sleep(1)  # let every buffer on the way fill up
    h, n = hashlib.sha256(), 0
    while True:
        b = s.recv(16384)
        if not b:
            break
        h.update(b)
        n += len(b)
        time.sleep(0.002)
    exp = gen(a.seed, a.size)
    got = f'{n} {h.hexdigest()}'
    want = f'{len(exp)} {sha(exp)}'
    if got != want:
        err(f'received {got}, expected {want}')
        return 1
    print(f'ok {got}')
    return 0

def cmd_upload(a):
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    d = gen(a.seed, a.size)
    s.sendall(d)
    s.shutdown(socket.SHUT_WR)
    r = recv_all(s).decode().strip()
    want = f'{len(d)} {sha(d)}'
    if r != want:
        err(f'the server saw {r!r}, expected {want!r}')
        return 1
    print(f'ok {r}')
    return 0

def api_call(path, req):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(json.dumps(req).encode())
    s.shutdown(socket.SHUT_WR)
    return json.loads(recv_all(s))

async def stress(a):
    raise_nofile()
    async def opener(i):
        return await asyncio.wait_for(asyncio.open_connection(a.host, a.port), a.timeout)
    conns = await asyncio.gather(*[opener(i) for i in range(a.conns)], return_exceptions=True)
    errors = [f'connect {i}: {c!r}' for i, c in enumerate(conns) if isinstance(c, BaseException)]
    ok = [(i, c) for i, c in enumerate(conns) if not isinstance(c, BaseException)]
    payloads = {i: f'<{i:05d}>'.encode() + gen(i, 64 + i * 7 % 2000) for i, _ in ok}
    for i, (r, w) in ok:
        w.write(payloads[i])
    async def check(i, r, w):
        await w.drain()
        got = await asyncio.wait_for(r.readexactly(len(payloads[i])), a.timeout)
        if got != payloads[i]:
            raise ValueError(f'connection {i}: the echo differs')
    res = await asyncio.gather(*[check(i, r, w) for i, (r, w) in ok], return_exceptions=True)
    errors += [repr(x) for x in res if isinstance(x, BaseException)]
    active = None
    if a.api:
        for e in api_call(a.api, {'execute': 'list_hostfwd'})['return']['entries']:
            if e['host_port'] == a.port:
                active = e['stats']['active']
    for i, (r, w) in ok:
        w.close()
    await asyncio.gather(*[w.wait_closed() for i, (r, w) in ok], return_exceptions=True)
    print(json.dumps({'opened': len(ok), 'echoed': len(ok) - len([x for x in res if isinstance(x, BaseException)]),
                      'active_at_peak': active, 'errors': errors[:10], 'error_count': len(errors)}))
    return 0 if not errors else 1

async def churn(a):
    """CONNS short connections, PARALLEL at a time: each ends its side at once and reads the server's reply
    (the server replies and closes at once too: both ends of the forwarder become ready together)"""
    raise_nofile()
    errors, done = [], 0
    async def one(i):
        nonlocal done
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(a.host, a.port), a.timeout)
            if a.send:
                w.write(a.send.encode())
            w.write_eof()
            got = await asyncio.wait_for(r.read(), a.timeout)
            w.close()
            if a.expect and got.decode().strip() != a.expect:
                errors.append(f'connection {i}: {got!r}')
            done += 1
        except Exception as e:
            errors.append(f'connection {i}: {e!r}')
    sem = asyncio.Semaphore(a.n)
    async def limited(i):
        async with sem:
            await one(i)
    await asyncio.gather(*[limited(i) for i in range(a.conns)])
    print(json.dumps({'done': done, 'error_count': len(errors), 'errors': errors[:10]}))
    return 0 if not errors else 1

def cmd_maxconns(a):
    """open N connections with an echo round trip each; the next one must be refused; after closing one of
    the N, a new connection works again"""
    held = []
    for i in range(a.n):
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
        s.sendall(b'ping %d' % i)
        if s.recv(100) != b'ping %d' % i:
            err(f'connection {i} of {a.n}: no echo')
            return 1
        held.append(s)
    print(f'held {len(held)}')
    s = None
    try:
        # the reset may come before connect() returns (it polls with a timeout): that is a refusal too
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
        s.sendall(b'one too many')
        b = s.recv(100)
        outcome = 'eof' if not b else f'data {b!r}'
    except (ConnectionResetError, BrokenPipeError):
        outcome = 'reset'
    except socket.timeout:
        outcome = 'timeout'
    print(f'extra {outcome}')
    if s:
        s.close()
    held.pop().close()
    deadline = time.time() + a.timeout
    while True:
        try:
            s = socket.create_connection((a.host, a.port), timeout=a.timeout)
            s.sendall(b'again')
            if s.recv(100) == b'again':
                print('after close ok')
                break
        except OSError:
            pass
        if time.time() > deadline:
            print('after close refused')
            break
        time.sleep(0.1)
    return 0

def cmd_stall(a):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.path)
    if a.send:
        s.sendall(a.send.encode())
    print('connected', flush=True)
    time.sleep(a.seconds)
    return 0

def cmd_mksock(a):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(a.path)
    return 0

def cmd_bind(a):
    """hold a host port (without SO_REUSEADDR) until killed"""
    s = socket.socket(family(a.host), socket.SOCK_DGRAM if a.proto == 'udp' else socket.SOCK_STREAM)
    s.bind((a.host, a.port))
    if a.proto == 'tcp':
        s.listen()
    print('bound', flush=True)
    time.sleep(3600)

def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    ports = lambda s: [int(x) for x in s.split(',') if x]
    s = sub.add_parser('serve')
    s.add_argument('--tcp', type=ports, default=[])
    s.add_argument('--udp', type=ports, default=[])
    s.add_argument('--bind', default='0.0.0.0')
    s.add_argument('--mode', default='peer', choices=['peer', 'echo', 'eofreply', 'slowsink', 'send', 'shutfirst', 'rst', 'watch'])
    s.add_argument('--size', type=int, default=0)
    s.add_argument('--seed', type=int, default=1)
    s.add_argument('--log')
    s.add_argument('--ready')
    for name in ('get', 'udpecho', 'echo', 'halfclose', 'reset', 'slowread', 'upload', 'stress', 'maxconns',
                 'readreset', 'shutfirst', 'churn'):
        c = sub.add_parser(name)
        if name == 'get':
            c.add_argument('proto', choices=['tcp', 'udp'])
        c.add_argument('host')
        c.add_argument('port', type=int)
        c.add_argument('--timeout', type=float, default=10)
        c.add_argument('--send')
        c.add_argument('--size', type=int, default=0)
        c.add_argument('--send-size', type=int, default=0)
        c.add_argument('--seed', type=int, default=1)
        c.add_argument('--sizes', type=ports, default=[])
        c.add_argument('--conns', type=int, default=1000)
        c.add_argument('--n', type=int, default=5)
        c.add_argument('--api')
        c.add_argument('--expect')
    c = sub.add_parser('stall')
    c.add_argument('path')
    c.add_argument('--send')
    c.add_argument('--seconds', type=float, default=60)
    c = sub.add_parser('mksock')
    c.add_argument('path')
    c = sub.add_parser('bind')
    c.add_argument('proto', choices=['tcp', 'udp'])
    c.add_argument('host')
    c.add_argument('port', type=int)
    a = p.parse_args()
    if a.cmd == 'serve':
        return asyncio.run(serve(a))
    if a.cmd == 'stress':
        return asyncio.run(stress(a))
    if a.cmd == 'churn':
        return asyncio.run(churn(a))
    return globals()['cmd_' + a.cmd](a)

try:
    sys.exit(main())
except OSError as e:
    err(f'{sys.argv[1]}: {e!r}')
    sys.exit(3)
PYEOF
}

# pf_serve ARGS...: start `pf.py serve ARGS...` as the user inside the holder's namespaces (spawn_in_ns) and
# wait until it listens on all its ports (it writes a ready file). NOFILE=(...) may put a command in front.
pf_serve() {
	local ready=$T/serve.ready.$RANDOM
	in_ns_cmd
	spawn "${NOFILE[@]}" "${IN_NS[@]}" python3 "$(pf_py_file)" serve --ready "$ready" "$@"
	wait_until 10 test -s "$ready" || {
		cat "$T/bg.log" >&2 2>/dev/null
		fail "the server inside the namespace did not start: pf.py serve $*"
	}
}

# pf_client ARGS...: run a `pf.py` client as the user, with a timeout (status 124 if it hangs); PF_NS=(...) may
# put a command in front (e.g. nsenter into another network namespace)
pf_client() { "${PF_NS[@]}" "${AS_USER[@]}" timeout -k 2 "${PF_CLIENT_TIMEOUT:-30}" python3 "$(pf_py_file)" "$@"; }

# pf_reply_is WANT GET-ARGS...: `pf.py get GET-ARGS...` (a client as the user) prints WANT
pf_reply_is() {
	local want=$1
	shift
	[[ $(PF_CLIENT_TIMEOUT=8 pf_client get "$@" --timeout 3 2>/dev/null) == "$want" ]]
}

# pf_expect WANT GET-ARGS...: wait up to 10 s until `pf.py get GET-ARGS...` prints WANT, e.g.
# `pf_expect "80 10.0.2.100" tcp 127.0.0.1 $hp`; on failure show the helper's output and the last reply
pf_expect() {
	local want=$1
	shift
	wait_until 10 pf_reply_is "$want" "$@" && return
	usernet_show
	echo "--- background processes:" >&2
	cat "$T/bg.log" >&2 2>/dev/null
	fail "'get $*' did not give '$want'; last try:" "$(PF_CLIENT_TIMEOUT=8 pf_client get "$@" --timeout 3 2>&1)"
}

# nofile_raise [COUNT]: make sure the commands of the test may open COUNT (8192) fds. usernet and pf.py raise
# their soft limit to the hard one themselves; when the hard limit is lower, NOFILE=(prlimit ...) raises both
# for the command it prefixes (root with CAP_SYS_RESOURCE only; the test skips otherwise, outside CI).
nofile_raise() {
	local want=${1:-8192} hard
	NOFILE=()
	hard=$(ulimit -Hn)
	[[ $hard == unlimited ]] || ((hard >= want)) && return 0
	if ((IT_ROOT)) && prlimit --nofile="$want:$want" true 2>/dev/null; then
		NOFILE=(prlimit --nofile="$want:$want" --)
	else
		skip_unless_ci "the hard limit of open files is $hard, under the $want this test needs, and cannot be raised"
	fi
}

# ---------------------------------------------------------------------------------------------- API socket

# api_setup: API=$T/api/sock, in a directory only the user can write to (0700, owned by the user)
api_setup() {
	install -d -m 0700 "$T/api"
	((IT_ROOT)) && chown "$TEST_USER:" "$T/api"
	API=$T/api/sock
}

# api_raw REQUEST: as the user, send REQUEST (as is) to the API socket $API with socat, print the reply
api_raw() { printf '%s' "$1" | as_user timeout -k 1 10 socat -t 5 - "UNIX-CONNECT:$API"; }

# api_list: the list_hostfwd reply
api_list() { api_raw '{"execute":"list_hostfwd"}'; }

# api_expect REQUEST REPLY: the reply to REQUEST is byte for byte REPLY (compact JSON, no newline)
api_expect() {
	api_raw "$1" >"$T/api.reply" 2>"$T/api.stderr" || true
	cmp -s "$T/api.reply" <(printf '%s' "$2") && return
	fail "request: $1" "expected reply: $2" "actual reply:   $(cat -A "$T/api.reply")" "$(cat "$T/api.stderr")"
}

# pf_json EXPR: evaluate the Python expression EXPR with d = the JSON document read from stdin, print it
pf_json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# rule_stat ID KEY: the stats KEY (active, total, bytes_to_guest...) of rule ID, from list_hostfwd
rule_stat() {
	api_list | pf_json "[e['stats']['$2'] for e in d['return']['entries'] if e['id'] == $1][0]"
}

# rule_stat_is ID KEY VALUE: wait_until-friendly check
rule_stat_is() { [[ $(rule_stat "$1" "$2" 2>/dev/null) == "$3" ]]; }

# fd_count PID: number of open fds of PID
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# ---------------------------------------------------------------------------------------------- host namespaces

# outside_start: (root) a network namespace for an "outside" client (OUTSIDE_PID), joined by a veth pair to
# the host namespace ROOT_NS_PID (root_netns_start first): 198.51.100.1/24 on the host's end (pf-host),
# 198.51.100.2/24 on the client's end (pf-out). Both namespaces go away with their holders (teardown), and the
# veth pair with them.
outside_start() {
	spawn unshare -n sleep infinity
	OUTSIDE_PID=$SPAWNED
	wait_until 5 holder_ready "$OUTSIDE_PID" || fail "the outside client's namespace holder did not start" || return
	nsenter -t "$ROOT_NS_PID" -n ip link add pf-host type veth peer name pf-out netns "$OUTSIDE_PID" &&
		nsenter -t "$ROOT_NS_PID" -n ip addr add 198.51.100.1/24 dev pf-host &&
		nsenter -t "$ROOT_NS_PID" -n ip link set pf-host up &&
		nsenter -t "$OUTSIDE_PID" -n ip link set lo up &&
		nsenter -t "$OUTSIDE_PID" -n ip addr add 198.51.100.2/24 dev pf-out &&
		nsenter -t "$OUTSIDE_PID" -n ip link set pf-out up || fail "cannot set up the veth pair" || return
	# the carrier is up on both ends (IPv4 has no DAD: the addresses are usable then)
	wait_until 5 link_up "$OUTSIDE_PID" pf-out || fail "pf-out did not come up"
	wait_until 5 link_up "$ROOT_NS_PID" pf-host || fail "pf-host did not come up"
}

# link_up PID DEV: DEV in the network namespace of PID is up with a carrier
link_up() { [[ $(nsenter -t "$1" -n ip -o link show dev "$2" 2>/dev/null) == *'state UP'* ]]; }

# usernet_stop_ok: SIGTERM the helper: it must exit 0 within 5 s with no sanitizer report on stderr (the
# ASan+UBSan build reports leaks and errors at exit, which teardown would not see)
usernet_stop_ok() {
	usernet_stop TERM || return
	if [[ $USERNET_STATUS != 0 ]]; then
		usernet_show
		fail "usernet exited with status $USERNET_STATUS after SIGTERM"
		return
	fi
	if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY: ' "$T/err" 2>/dev/null; then
		usernet_show
		fail "the sanitizers reported errors"
	fi
}

# pf_free_port tcp|udp [COUNT]: like free_port, but a port below the ephemeral range (ip_local_port_range), so
# that no outgoing connection takes it meanwhile, and such that no socket at all (TCP or UDP, any state) uses
# it or the COUNT-1 next ones
pf_free_port() {
	local lo hi p i j ok
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	for i in $(seq 100); do
		if ((lo > 11000)); then
			p=$((10000 + RANDOM % (lo - 10000 - 10)))
		else
			p=$((hi + 1 + RANDOM % (65535 - hi - 10)))
		fi
		ok=1
		for ((j = 0; j < ${2:-1}; j++)); do
			[[ -z $(ss -Hatun "sport = :$((p + j))" 2>/dev/null) ]] || ok=0
		done
		((ok)) && echo "$p" && return 0
	done
	fail "no free $1 port found"
}

# ---------------------------------------------------------------------------------------------- usernet run
# Helpers of run.bats (`usernet run`, the launcher). The launcher is named "the launcher" here; "the sandbox" is
# the command it runs and whatever that command starts.

# run_sandbox ARGS...: run `usernet run ARGS...` as the user in the foreground through bats' run (status,
# output = the command's stdout, stderr), stdin /dev/null, with a 60 s timeout (status 124 then).
# RUN_PREFIX=(...) may put a command in front of usernet (run as the user too, e.g. `unshare -U`).
# RUN_EXPECT=N: the status must be N (bats' `run -N`; without it, bats warns about a status of 127).
run_sandbox() {
	run ${RUN_EXPECT:+"-$RUN_EXPECT"} --separate-stderr timeout -k 5 60 "${AS_USER[@]}" \
		${RUN_PREFIX[@]+"${RUN_PREFIX[@]}"} "$IT_USERNET" run "$@" </dev/null
	run_no_sanitizer_report "$stderr"
}

# run_no_sanitizer_report TEXT: TEXT (the stderr of the launcher, which its helper shares) has no report of
# the sanitizers (ASan, LSan, UBSan builds), which the exit status need not show: the helper's is not the
# launcher's
run_no_sanitizer_report() {
	if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer' <<<"$1"; then
		fail "the sanitizers reported errors:" "$1"
	fi
}

# run_sandbox_session RESOLV ARGS...: like run_sandbox, in a user+mount namespace of the user's own
# (unshare -Urm) whose /etc/resolv.conf is the file RESOLV (bind-mounted): the network helper's DNS
# forwarder reads the host's nameserver from there (see the DNS test of attach-net.bats)
run_sandbox_session() {
	local resolv=$1
	shift
	run --separate-stderr timeout -k 5 60 "${AS_USER[@]}" unshare -Urm \
		sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' session "$resolv" \
		"$IT_USERNET" run "$@" </dev/null
	run_no_sanitizer_report "$stderr"
}

# run_spawn ARGS...: start `usernet run ARGS...` as the user in the background, every signal at its default
# disposition (as from a login shell; bash would leave SIGINT and SIGQUIT ignored), stdin /dev/null, stdout
# and stderr in $T/run.out and $T/run.err; RUN_PID (tracked: teardown ends it)
run_spawn() {
	"${AS_USER[@]}" env --default-signal "$IT_USERNET" run "$@" </dev/null >"$T/run.out" 2>"$T/run.err" \
		3>&- 5>&- 7>&- &
	RUN_PID=$!
	track "$RUN_PID"
}

# run_show: the background launcher's stdout and stderr (for a failing test's log)
run_show() {
	echo "--- usernet run stdout:" >&2
	cat "$T/run.out" >&2 2>/dev/null || true
	echo "--- usernet run stderr:" >&2
	cat "$T/run.err" >&2 2>/dev/null || true
	echo "---" >&2
}

# run_reap SECONDS: wait for the background launcher RUN_PID to exit by itself: RUN_STATUS
run_reap() {
	if ! wait_gone "$RUN_PID" "$1"; then
		run_show
		fail "usernet run $RUN_PID did not exit within $1 s"
		return
	fi
	RUN_STATUS=0
	wait "$RUN_PID" 2>/dev/null || RUN_STATUS=$?
	run_no_sanitizer_report "$(cat "$T/run.err" 2>/dev/null)"
}

# RUN_USAGE: the exit status of `usernet run` for a bad command line (125, as Podman's)
RUN_USAGE=125

# bad ARGS... -- FRAGMENT...: `usernet run ARGS... -- touch $T/marker` exits $RUN_USAGE with one error line
# containing every FRAGMENT, and runs nothing (run.bats, run-rootfs.bats)
bad() {
	local args=()
	while [[ $1 != -- ]]; do
		args+=("$1")
		shift
	done
	shift
	run_sandbox "${args[@]}" -- touch "$T/marker"
	assert_error "$RUN_USAGE" "$@" || fail "(usernet run ${args[*]})" || return
	[[ ! -e $T/marker ]] || fail "usernet run ${args[*]}: the command ran"
}

# run_field NAME: the value of the "NAME:<blanks>VALUE" line of $output (as in /proc/PID/status)
run_field() { awk -F':[ \t]*' -v k="$1" '$1 == k { print $2; exit }' <<<"$output"; }

# run_expect_fields NAME=VALUE...: after run_sandbox ... -- cat /proc/self/status, each field has that value
run_expect_fields() {
	local kv got bad=()
	for kv; do
		got=$(run_field "${kv%%=*}")
		[[ $got == "${kv#*=}" ]] || bad+=("${kv%%=*}: $got, expected ${kv#*=}")
	done
	((${#bad[@]} == 0)) && return
	fail "${bad[@]}" "(status $status; stderr: $stderr)" "$(grep -E '^(Uid|Gid|Cap|NoNewPrivs|Seccomp)' <<<"$output")"
}

# run_expect_caps SET AMBIENT: the bounding, permitted, effective and inheritable sets are SET and the
# ambient set is AMBIENT (16 hex digits each, as /proc/PID/status shows them)
run_expect_caps() {
	run_expect_fields "CapBnd=$1" "CapPrm=$1" "CapEff=$1" "CapInh=$1" "CapAmb=$2"
}

# run_re TEXT: TEXT as a basic regular expression that matches it literally
run_re() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }

# run_left PREFIX: the live processes (not zombies) whose command line starts with PREFIX: "PID CMDLINE" lines
run_left() {
	local pid rest
	while read -r pid rest; do
		alive "$pid" && echo "$pid $rest"
	done < <(pgrep -a -f "^$(run_re "$1")" || true)
	return 0
}

# run_userns_members NS: the live processes in the user namespace NS ("user:[4026532000]", as
# readlink /proc/PID/ns/user shows it): "PID CMDLINE" lines
run_userns_members() {
	local ino=${1//[^0-9]/} i path pid
	[[ -n $ino ]] || return 0
	while read -r i path; do
		[[ $i == "$ino" ]] || continue
		pid=${path#/proc/} pid=${pid%%/*}
		alive "$pid" && echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	done < <(stat -L -c '%i %n' /proc/[0-9]*/ns/user 2>/dev/null)
	return 0
}

# run_leftovers [NS]: every process that should be gone once the launcher exited: usernet processes of this
# file (launchers, helpers), processes of this test's scratch directory (copies of programs such as
# $T/linger), members of the sandbox's user namespace NS
run_leftovers() {
	run_left "$IT_DIR/usernet"
	run_left "$T/"
	[[ -z ${1:-} ]] || run_userns_members "$1"
}

run_no_leftovers() { [[ -z $(run_leftovers "$@") ]]; }

# run_expect_clean [NS]: after the launcher exited, nothing of it is left (see run_leftovers). The launcher
# SIGKILLs what the command left behind right before it exits, and a process takes a moment to die after a
# SIGKILL: a grace of 5 s, which a passing run does not wait for. On failure, the test ends what is left (all
# of it is this test's; the PIDs cannot have been reused meanwhile, as these processes are alive).
run_expect_clean() {
	local left pid rest
	wait_until 5 run_no_leftovers "$@" && return
	left=$(run_leftovers "$@")
	while read -r pid rest; do
		[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
	done <<<"$left"
	fail "processes are left after usernet run exited:" "$left"
}

# run_www TEXT: $T/www/index.html saying TEXT, readable by the user (for busybox httpd -h "$T/www" inside)
run_www() {
	install -d -m 0755 "$T/www"
	echo "$1" >"$T/www/index.html"
	chmod 0644 "$T/www/index.html"
	((IT_ROOT)) && chown -R "$TEST_USER:" "$T/www"
	return 0
}

# run_http_expect URL TEXT: URL answers TEXT within 20 s (the background launcher's output shown if not)
run_http_expect() {
	# shellcheck disable=SC2016 # $1 is the inner shell's
	wait_until 20 sh -c 'busybox wget -q -O - "$1" 2>/dev/null | grep -qxF "$2"' sh "$1" "$2" || {
		run_show
		fail "$1 did not answer $2"
		return
	}
	run http_get "$1"
	[[ $status == 0 && $output == "$2" ]] || fail "GET $1: status $status, $output"
}

# run_linger: $T/linger, a copy of sleep whose path tells its processes apart (run_left "$T/linger")
run_linger() { install -m 0755 "$(command -v sleep)" "$T/linger"; }

# run_subid FILE: the test user's first range in FILE (/etc/subuid or /etc/subgid): "START COUNT"
run_subid() {
	awk -F: -v n="$TEST_USER" -v u="$TEST_UID" '$1 == n || $1 == u { print $2, $3; exit }' "$1"
}

# run_dnsmasq_start ADDR NAME IP IP6: (root) a DNS server on ADDR:53 that answers NAME with IP (A) and IP6
# (AAAA: busybox nslookup asks both, and fails when one is refused), dnsmasq as in the DNS test of
# attach-net.bats, and wait until it answers
run_dnsmasq_start() {
	spawn dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
		--listen-address="$1" --port=53 --address="/$2/$3" --address="/$2/$4" --pid-file= \
		--user=nobody --group=nogroup --log-facility=- --log-queries
	wait_until 10 sh -c 'busybox nslookup "$1" "$2" 2>/dev/null | grep -qF "$3"' sh "$2" "$1" "$3" || {
		cat "$T/bg.log" >&2
		fail "dnsmasq on $1 does not answer $2"
	}
}

# dns_server_start: (root) the DNS server of the forwarder tests: dnsmasq on 127.0.0.77:53 answering
# usernet.test with 192.0.2.42, and $T/resolv.conf naming it, for a session (usernet_start_session) or a mount
# namespace that bind-mounts it over /etc/resolv.conf
dns_server_start() {
	need_root "dnsmasq listens on port 53 of 127.0.0.77" || return
	need dnsmasq || return
	run_dnsmasq_start 127.0.0.77 usernet.test 192.0.2.42 2001:db8::42 || return
	echo 'nameserver 127.0.0.77' >"$T/resolv.conf"
	chmod 0644 "$T/resolv.conf"
}

# run_try_syscall: RUN_TRY, a copy (readable by the user) of tests/try-syscall of the build that USERNET
# belongs to, or of $TRY_SYSCALL; skips (outside CI) when there is none
run_try_syscall() {
	local src=${TRY_SYSCALL:-$(dirname "$USERNET")/tests/try-syscall}
	RUN_TRY=$IT_DIR/try-syscall
	[[ -x $RUN_TRY ]] && return
	[[ -x $src ]] || skip_unless_ci "no try-syscall at $src (set TRY_SYSCALL)" || return
	install -m 0755 "$src" "$RUN_TRY.tmp" && mv -f "$RUN_TRY.tmp" "$RUN_TRY"
}

# ---------------------------------------------------------------------------------------------- USERNET_ATTACH_EXTRA
# (appended for the helper's isolation, confine/isolate.c; append-only block)
# USERNET_ATTACH_EXTRA="--sandbox": options added to every `usernet attach` that usernet_start,
# usernet_start_session, run_usernet (attach only) and run_usernet_session start, to run the whole suite with
# them, e.g. USERNET_ATTACH_EXTRA=--sandbox USERNET=build/usernet bash tests/integration/run.sh FILE.bats
# sandboxed: USERNET_ATTACH_EXTRA confines every helper
sandboxed() { [[ " ${USERNET_ATTACH_EXTRA:-} " =~ \ --(sandbox|enable-sandbox|enable-seccomp)\  ]]; }
if [[ -n ${USERNET_ATTACH_EXTRA:-} ]]; then
	read -r -a IT_ATTACH_EXTRA <<<"$USERNET_ATTACH_EXTRA"
	eval "it_extra_orig_$(declare -f usernet_start)"
	eval "it_extra_orig_$(declare -f usernet_start_session)"
	eval "it_extra_orig_$(declare -f run_usernet)"
	eval "it_extra_orig_$(declare -f run_usernet_session)"
	usernet_start() { it_extra_orig_usernet_start "${IT_ATTACH_EXTRA[@]}" "$@"; }
	usernet_start_session() { it_extra_orig_usernet_start_session "$1" "${IT_ATTACH_EXTRA[@]}" "${@:2}"; }
	run_usernet_session() { it_extra_orig_run_usernet_session "$1" "${IT_ATTACH_EXTRA[@]}" "${@:2}"; }
	run_usernet() {
		if [[ ${1:-} == attach ]]; then
			it_extra_orig_run_usernet attach "${IT_ATTACH_EXTRA[@]}" "${@:2}"
		else
			it_extra_orig_run_usernet "$@"
		fi
	}
fi
