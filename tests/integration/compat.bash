# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/compat.bash - helpers of the drop-in tests (compat*.bats): usernet under the name
# slirp4netns, the real slirp4netns as the control, and Podman and RootlessKit run as the test user.
# Load it after lib.bash. The contract: /work/shared/reference/compat.md, docs/COMPAT.md.
#
# Every scenario takes WHICH: `usernet` (the binary under test, through a symlink named slirp4netns) or
# `control` (Debian's slirp4netns 1.2.0). The control runs first: when it fails too, the environment is at
# fault, not usernet.

# compat_setup_file: S4_USERNET (a symlink slirp4netns -> the copy of usernet under test) and S4_CONTROL
compat_setup_file() {
	install -d -m 0755 "$IT_DIR/s4nn"
	ln -sfn "$IT_USERNET" "$IT_DIR/s4nn/slirp4netns"
	S4_USERNET=$IT_DIR/s4nn/slirp4netns
	S4_CONTROL=$(command -v slirp4netns || echo /usr/bin/slirp4netns)
	export S4_USERNET S4_CONTROL
}

# s4_bin WHICH: the path of the helper binary for WHICH (usernet or control)
s4_bin() {
	case $1 in
	usernet) echo "$S4_USERNET" ;;
	control) echo "$S4_CONTROL" ;;
	*) fail "s4_bin: usernet or control, not '$1'" ;;
	esac
}

# s4_pids WHICH: the PIDs of the test user's running helpers of WHICH (none: empty output, status 1)
s4_pids() {
	local bin
	bin=$(s4_bin "$1") || return
	pgrep -u "$TEST_USER" -f "^$bin( |\$)"
}
s4_none() { ! s4_pids "$1" >/dev/null; }

# curl_has URL TEXT: GET URL from the host (3 s timeout) and find TEXT in the body
curl_has() { timeout -k 1 5 curl -gsS --max-time 3 "$1" 2>/dev/null | grep -qF -- "$2"; }

# udp_echo_is ADDR PORT: a datagram to ADDR:PORT comes back as "echo:" plus itself (tests/udp-echo)
udp_echo_is() {
	local out
	out=$(echo "ping-$2" | timeout -k 1 3 socat -T 1 - "UDP4:$1:$2" 2>/dev/null) || true
	[[ $out == "echo:ping-$2" ]]
}

# compat_udp_echo: IT_DIR/udp-echo, a copy (readable by the user) of tests/udp-echo of the build that USERNET
# belongs to, or of $UDP_ECHO
compat_udp_echo() {
	local src=${UDP_ECHO:-$(dirname "$USERNET")/tests/udp-echo}
	[[ -x $IT_DIR/udp-echo ]] && return
	[[ -x $src ]] || fail "no udp-echo at $src (build the tests, or set UDP_ECHO)" || return
	install -m 0755 "$src" "$IT_DIR/udp-echo"
}

# ---------------------------------------------------------------------------------------------- Podman
# Podman runs as the test user with a HOME and XDG_RUNTIME_DIR of this bats file (its own storage, pause
# process and runtime state), always in a mount namespace whose /etc/resolv.conf names the test's DNS server
# (127.0.0.77): the helper Podman starts forwards DNS there. containers.conf files, one per WHICH, set
# network_cmd_path. Root only (the mount namespace); CI runs as root.

PM_IMAGE=localhost/usernet-busybox:latest

# podman_setup_file: the Podman environment of this file and the busybox image in its storage
podman_setup_file() {
	local which bin
	PM_HOME=$IT_DIR/pm-home
	# short: the API socket RUN/libpod/tmp/<64 hex>.net must stay under 108 bytes for Podman to connect to it
	PM_RUN=/run/user/$TEST_UID/it${IT_DIR##*.}
	install -d -o "$TEST_USER" -g "$TEST_USER" -m 0700 "$PM_HOME" "$PM_RUN"
	echo 'nameserver 127.0.0.77' >"$IT_DIR/pm-resolv.conf"
	chmod 0644 "$IT_DIR/pm-resolv.conf"
	for which in usernet control; do
		bin=$(s4_bin "$which")
		printf '[engine]\nnetwork_cmd_path = "%s"\n' "$bin" >"$IT_DIR/pm-$which.conf"
		chmod 0644 "$IT_DIR/pm-$which.conf"
	done
	export PM_HOME PM_RUN
	# the first podman command starts the pause process that holds Podman's namespaces: with no pipe of ours
	pm control info </dev/null >"$IT_DIR/pm-info.log" 2>&1 ||
		fail "podman info failed:" "$(tail -n 20 "$IT_DIR/pm-info.log")" || return
	podman_image
}

# podman_image: a busybox image (busybox-static and a symlink per applet, /etc/passwd) imported as PM_IMAGE
podman_image() {
	local dir=$IT_DIR/pm-image applet
	rm -rf "$dir"
	install -d "$dir/bin" "$dir/etc" "$dir/tmp"
	install -m 0755 "$(command -v busybox)" "$dir/bin/busybox"
	for applet in $("$dir/bin/busybox" --list); do
		[[ $applet == busybox ]] || ln -s busybox "$dir/bin/$applet"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
	echo 'usernet drop-in test page' >"$dir/etc/page.html"
	tar -C "$dir" -cf "$IT_DIR/pm-image.tar" .
	chmod 0644 "$IT_DIR/pm-image.tar"
	pm control import --change 'CMD ["/bin/sh"]' "$IT_DIR/pm-image.tar" "$PM_IMAGE" >/dev/null ||
		fail "podman import of the busybox image failed"
}

# pm WHICH ARGS...: `podman ARGS...` as the test user with the network command of WHICH (60 s timeout)
pm() {
	local which=$1
	shift
	# from /: Podman fails in a working directory the test user cannot enter (a 0700 checkout)
	timeout -k 5 60 unshare -m --propagation private sh -c 'mount --bind "$1" /etc/resolv.conf && cd / && shift &&
		exec "$@"' \
		sh "$IT_DIR/pm-resolv.conf" "${AS_USER[@]}" "HOME=$PM_HOME" "XDG_RUNTIME_DIR=$PM_RUN" \
		"CONTAINERS_CONF=$IT_DIR/pm-$which.conf" podman "$@"
}

# podman_teardown_file: remove every container, stop the pause process, remove the storage
podman_teardown_file() {
	[[ -n ${PM_RUN:-} && -d $PM_RUN ]] || return 0
	pm control rm -af -t 0 >/dev/null 2>&1 || true
	local pause
	pause=$(cat "$PM_RUN/libpod/tmp/pause.pid" 2>/dev/null) && kill -KILL "$pause" 2>/dev/null
	rm -rf "$PM_RUN" "$PM_HOME" 2>/dev/null || true
	return 0
}

# pm_api_sockets: the API socket files Podman's runtime directory holds (its helpers' --api-socket)
pm_api_sockets() { find "$PM_RUN/libpod/tmp" -name '*.net' 2>/dev/null; }

# ---------------------------------------------------------------------------------------------- RootlessKit

# rk_start WHICH DRIVER ARGS...: as the test user, `rootlesskit --net=slirp4netns --slirp4netns-binary=BIN
# --port-driver=DRIVER --state-dir=$T/rk ARGS... sh -c CHILD` where CHILD serves $T/www on port 80 (busybox
# httpd) and waits for $T/rk-stop. RK_PID: rootlesskit; RK_CHILD: the child in the new namespaces.
rk_start() {
	local which=$1 driver=$2 bin
	shift 2
	bin=$(s4_bin "$which") || return
	install -d -o "$TEST_USER" -m 0755 "$T/www"
	echo "rootlesskit page $which" >"$T/www/index.html"
	chmod 0644 "$T/www/index.html"
	rm -f "$T/rk-stop"
	"${AS_USER[@]}" rootlesskit --net=slirp4netns "--slirp4netns-binary=$bin" "--port-driver=$driver" \
		--state-dir="$T/rk" --copy-up=/etc "$@" \
		sh -c 'busybox httpd -f -p 80 -h "$1" & while [ ! -e "$2" ]; do sleep 0.1; done; kill $!' \
		child "$T/www" "$T/rk-stop" </dev/null >"$T/rk.out" 2>&1 7>&- &
	RK_PID=$!
	track "$RK_PID"
	wait_until 10 test -s "$T/rk/child_pid" || {
		cat "$T/rk.out" >&2
		fail "rootlesskit did not start its child"
		return
	}
	RK_CHILD=$(<"$T/rk/child_pid")
	wait_until 5 rk_listening || {
		cat "$T/rk.out" >&2
		fail "httpd did not start in the child"
	}
}

# rk_in CMD...: run CMD as the user in the child's user and network namespaces (root there)
rk_in() { "${AS_USER[@]}" nsenter -t "$RK_CHILD" -U -n --preserve-credentials -- "$@"; }

rk_listening() { [[ -n $(rk_in ss -Hltn 'sport = :80' 2>/dev/null) ]]; }

# rkctl ARGS...: rootlessctl on this RootlessKit's API socket
rkctl() { "${AS_USER[@]}" rootlessctl --socket "$T/rk/api.sock" "$@"; }

# rk_stop: end the child; RootlessKit must then stop the helper (SIGKILL) and exit by itself within 5 s:
# it waits until nothing holds the helper's output pipe any more. RK_STATUS: its exit status.
rk_stop() {
	touch "$T/rk-stop"
	if ! wait_gone "$RK_PID" 5; then
		cat "$T/rk.out" >&2
		fail "rootlesskit did not exit within 5 s after its child ended (something holds the helper's pipe?)"
		return
	fi
	RK_STATUS=0
	wait "$RK_PID" 2>/dev/null || RK_STATUS=$?
}
