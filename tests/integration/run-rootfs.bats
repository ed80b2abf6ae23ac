#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# usernet run --rootfs DIR (launcher/rootfs.c): pivot_root into a busybox root made by the test, its /dev,
# /proc, /tmp, /etc files; --read-only, --volume, --workdir, --user NAME from the root's /etc/passwd; nothing
# of the host reachable (a host UNIX socket); bad command lines

load lib

# rootfs_make: ROOT=$T/root, a busybox root owned by the test user: /bin (busybox and its applets), /etc
# (passwd with root and alice 1000:1000, group with staff 50, a resolv.conf of its own), /home/alice.
# Nothing else: /dev, /proc, /sys, /tmp are made by usernet as mount points.
rootfs_make() {
	need busybox || return
	ROOT=$T/root
	as_user sh -c '
		set -e
		mkdir -p "$1/bin" "$1/etc" "$1/home/alice"
		cp "$(command -v busybox)" "$1/bin/busybox"
		for a in $("$1/bin/busybox" --list); do
			[ "$a" = busybox ] || ln -s busybox "$1/bin/$a"
		done
		printf "%s\n" root:x:0:0:root:/root:/bin/sh alice:x:1000:1000:Alice:/home/alice:/bin/sh >"$1/etc/passwd"
		printf "%s\n" root:x:0: alice:x:1000: staff:x:50:alice >"$1/etc/group"
		echo "nameserver 192.0.2.1" >"$1/etc/resolv.conf"
	' _ "$ROOT"
}

# every test gets its root: lib.bash's setup, then rootfs_make
eval "lib_$(declare -f setup)"
setup() {
	lib_setup
	rootfs_make
}

# expect_ok: the last run_sandbox exited 0
expect_ok() { [[ $status == 0 ]] || fail "status $status" "stdout: $output" "stderr: $stderr"; }

# ---------------------------------------------------------------------------------------------- the root

@test "--rootfs: the command runs in the busybox root, at /, and sees none of the host's files" {
	as_user touch "$T/host-marker"
	run_sandbox --net none --rootfs "$ROOT" -- sh -c 'pwd; ls -A /; ls /bin/busybox;
		test -e "$1/host-marker" && echo host-visible; test -e /usr/bin/socat && echo host-usr; true' _ "$T"
	expect_ok
	[[ ${lines[0]} == / ]] || fail "working directory: ${lines[0]}"
	[[ $(sed -n 2,7p <<<"$output" | tr '\n' ' ') == 'bin dev etc home proc sys ' ]] ||
		fail "/ inside: $output"
	[[ $output != *host-visible* && $output != *host-usr* ]] || fail "host files are visible: $output"
	run_expect_clean
}

@test "--rootfs: /proc shows only the sandbox (PID 1 is usernet's init), /sys is read-only" {
	run_sandbox --net none --rootfs "$ROOT" -- sh -c 'ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\n" " "; echo;
		cat /proc/1/comm; if touch /sys/x 2>/dev/null; then echo sys-writable; fi; grep " /sys " /proc/mounts'
	expect_ok
	local pid
	for pid in ${lines[0]}; do
		((pid < 20)) || fail "a process outside the sandbox is visible: $pid (of ${lines[0]})"
	done
	[[ ${lines[0]} == '1 2 '* ]] || fail "pids inside: ${lines[0]}"
	[[ $output != *sys-writable* ]] || fail "/sys is writable"
	[[ ${lines[2]} == *' ro,'* || ${lines[2]} == *' ro '* ]] || fail "/sys mount: ${lines[2]}"
}

@test "--rootfs: /dev holds null zero full random urandom tty, pts (own instance), shm, links; nothing else" {
	run_sandbox --net none --rootfs "$ROOT" -- sh -c 'ls -A /dev | tr "\n" " "; echo; ls -A /dev/pts | tr "\n" " "; echo;
		echo x >/dev/null && wc -c </dev/null; head -c 5 /dev/zero | wc -c; head -c 5 /dev/urandom | wc -c;
		if echo x >/dev/full; then echo full-writable; fi; readlink /dev/ptmx; readlink /dev/fd'
	expect_ok
	[[ ${lines[0]} == 'fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ' ]] ||
		fail "/dev: ${lines[0]}"
	[[ ${lines[1]} == 'ptmx ' ]] || fail "/dev/pts (a new instance holds only ptmx): ${lines[1]}"
	[[ ${lines[2]} == 0 && ${lines[3]} == 5 && ${lines[4]} == 5 ]] || fail "null, zero, urandom: $output"
	[[ $output != *full-writable* ]] || fail "/dev/full took a write"
	[[ ${lines[5]} == pts/ptmx && ${lines[6]} == /proc/self/fd ]] || fail "links: $output"
}

@test "--rootfs with a terminal: /dev/console is the terminal" {
	need script
	# script(1) gives usernet a pseudo-terminal as stdin, stdout and stderr
	run timeout -k 5 60 "${AS_USER[@]}" script -qec \
		"$IT_USERNET run --net none --rootfs $ROOT -- sh -c 'test -c /dev/console && echo console-ok; tty'" \
		/dev/null </dev/null
	[[ $status == 0 && $output == *console-ok* ]] || fail "status $status: $output"
}

@test "--rootfs: /etc/resolv.conf names the built-in DNS, /etc/hosts localhost and the host name; DIR unchanged" {
	run_sandbox --rootfs "$ROOT" -- sh -c 'cat /etc/resolv.conf; cat /etc/hosts'
	expect_ok
	[[ ${lines[0]} == 'nameserver 10.0.2.3' ]] || fail "resolv.conf: $output"
	grep -qE '^127\.0\.0\.1[[:space:]]+localhost$' <<<"$output" || fail "hosts: $output"
	grep -qE '^10\.0\.2\.100[[:space:]]+usernet$' <<<"$output" || fail "hosts (the host name): $output"
	[[ $(<"$ROOT/etc/resolv.conf") == 'nameserver 192.0.2.1' ]] || fail "DIR's resolv.conf was written"
	[[ ! -s $ROOT/etc/hosts ]] || fail "DIR's hosts was written: $(<"$ROOT/etc/hosts")"
}

@test "--rootfs with --disable-dns: resolv.conf names the --dns addresses, or is the host's without them" {
	run_sandbox --rootfs "$ROOT" --disable-dns --dns 192.0.2.53 -- cat /etc/resolv.conf
	expect_ok
	[[ $output == 'nameserver 192.0.2.53' ]] || fail "resolv.conf with --dns: $output"
	run_sandbox --rootfs "$ROOT" --disable-dns -- cat /etc/resolv.conf
	expect_ok
	[[ $output == "$(cat /etc/resolv.conf)" ]] || fail "resolv.conf is not the host's: $output"
	run_sandbox --display --rootfs "$ROOT" --disable-dns --dns 192.0.2.53 -- true
	[[ $output == *'/etc/resolv.conf: generated, names 192.0.2.53'* ]] || fail "--display: $output"
}

@test "--rootfs: /tmp is an empty tmpfs of the sandbox's own" {
	as_user touch /tmp/usernet-rootfs-host-file-$$
	run_sandbox --net none --rootfs "$ROOT" -- sh -c 'ls -A /tmp | wc -l; grep " /tmp " /proc/mounts; touch /tmp/x && echo tmp-ok'
	rm -f /tmp/usernet-rootfs-host-file-$$
	expect_ok
	[[ ${lines[0]} == 0 && ${lines[1]} == 'tmpfs /tmp tmpfs '* && ${lines[2]} == tmp-ok ]] || fail "$output"
}

# ---------------------------------------------------------------------------------------------- host UNIX sockets

@test "a host UNIX socket: reachable by path with --net none alone, not with --rootfs --net none" {
	need socat
	spawn "${AS_USER[@]}" socat "UNIX-LISTEN:$T/sock,fork" SYSTEM:'echo hello-from-host'
	wait_until 5 test -S "$T/sock" || fail "the host's UNIX socket server did not start"
	# without --rootfs the host's files are the command's: --net none does not cut this path (README)
	run_sandbox --net none -- socat -T 5 - "UNIX-CONNECT:$T/sock"
	expect_ok
	[[ $output == hello-from-host ]] || fail "without --rootfs: $output"
	# with --rootfs no path leads there: neither the path itself nor through /proc
	run_sandbox --net none --rootfs "$ROOT" -- sh -c 'for p in "$1" /proc/1/root"$1" /proc/self/cwd"$1"; do
		test -e "$p" && echo "reachable: $p"; done; echo checked' _ "$T/sock"
	expect_ok
	[[ $output == checked ]] || fail "$output"
}

# ---------------------------------------------------------------------------------------------- --read-only

@test "--read-only: writing to the root fails; /tmp, /dev/null and /dev/shm stay writable" {
	run_sandbox --net none --rootfs "$ROOT" --read-only -- sh -c 'if touch /newfile; then echo root-writable; fi
		if echo x >>/etc/passwd; then echo etc-writable; fi
		touch /tmp/x && echo tmp-ok; echo x >/dev/null && echo null-ok; touch /dev/shm/x && echo shm-ok'
	expect_ok
	[[ $output != *root-writable* && $output != *etc-writable* ]] || fail "the root took a write: $output"
	[[ $output == *tmp-ok*null-ok*shm-ok* ]] || fail "$output"
	[[ ! -e $ROOT/newfile ]] || fail "DIR got the file"
	[[ $stderr == *'Read-only file system'* ]] || fail "stderr: $stderr"
}

# ---------------------------------------------------------------------------------------------- --volume

@test "--volume: rw writes show on the host, ro refuses writes; DEST made if missing; a file volume" {
	as_user mkdir "$T/rw" "$T/ro"
	as_user sh -c 'echo host-ro >"$1/ro/f"; echo file-content >"$1/file"' _ "$T"
	run_sandbox --net none --rootfs "$ROOT" -v "$T/rw:/data" --volume "$T/ro:/mnt/deep/ro:ro" \
		-v "$T/file:/etc/file.conf:ro" -- sh -c 'echo inside >/data/new && echo rw-ok; cat /mnt/deep/ro/f
		if echo x >/mnt/deep/ro/g; then echo ro-writable; fi; cat /etc/file.conf
		if echo x >>/etc/file.conf; then echo file-writable; fi'
	expect_ok
	[[ $(<"$T/rw/new") == inside ]] || fail "the rw volume's write is not on the host"
	[[ $output == *rw-ok*host-ro*file-content* ]] || fail "$output"
	[[ $output != *ro-writable* && $output != *file-writable* ]] || fail "a ro volume took a write: $output"
	[[ ! -e $T/ro/g ]] || fail "the ro volume's host directory got a file"
	[[ $(<"$T/file") == file-content ]] || fail "the ro file changed"
}

@test "--volume on a --read-only root: a rw volume takes writes, a ro volume's subdirectories do not" {
	as_user mkdir -p "$T/rw" "$T/ro/sub"
	run_sandbox --net none --rootfs "$ROOT" --read-only -v "$T/rw:/data" -v "$T/ro:/ro:ro" -- \
		sh -c 'touch /data/x && echo data-ok; if touch /ro/sub/x; then echo sub-writable; fi'
	expect_ok
	[[ $output == data-ok ]] || fail "$output"
}

# ---------------------------------------------------------------------------------------------- --workdir, --user

@test "--workdir: -w /home/alice, default / with --rootfs; without --rootfs a host directory; missing: 125" {
	run_sandbox --net none --rootfs "$ROOT" -w /home/alice -- pwd
	expect_ok
	[[ $output == /home/alice ]] || fail "$output"
	run_sandbox --net none --rootfs "$ROOT" --workdir /data -v "$T:/data" -- pwd
	expect_ok
	[[ $output == /data ]] || fail "$output"
	run_sandbox --net none -w "$T" -- pwd
	expect_ok
	[[ $output == "$T" ]] || fail "$output"
	RUN_EXPECT=125 run_sandbox --net none --rootfs "$ROOT" -w /nonexistent -- pwd
	[[ $stderr == *'--workdir /nonexistent'* ]] || fail "stderr: $stderr"
}

@test "--user NAME[:GROUP] from the root's /etc/passwd and /etc/group (alice 1000:1000, staff 50), with its supplementary groups" {
	need newuidmap newgidmap
	run_sandbox --net none --map-subids --rootfs "$ROOT" --user alice -- sh -c 'id -u; id -g; id -un; id -G'
	expect_ok
	# the supplementary groups that list alice (staff), as Podman's --user NAME
	[[ ${lines[*]} == '1000 1000 alice 1000 50' ]] || fail "$output"
	run_sandbox --display --net none --map-subids --rootfs "$ROOT" --user alice -- true
	[[ $output == *'supplementary groups: 50'* ]] || fail "--display: $output"
	run_sandbox --net none --map-subids --rootfs "$ROOT" --user alice:staff -- sh -c 'id -u; id -g'
	expect_ok
	[[ ${lines[*]} == '1000 50' ]] || fail "$output"
	run_sandbox --net none --rootfs "$ROOT" --user root -- id -u
	expect_ok
	[[ $output == 0 ]] || fail "$output"
}

@test "--user: a name only the host knows is unknown in the root; unknown names are refused clearly" {
	run_sandbox --rootfs "$ROOT" --user "$TEST_USER" -- true
	assert_error "$RUN_USAGE" "no user '$TEST_USER' in $ROOT/etc/passwd"
	run_sandbox --rootfs "$ROOT" --user alice:wheel -- true
	assert_error "$RUN_USAGE" "no group 'wheel' in $ROOT/etc/group"
	run_sandbox --rootfs "$ROOT" --user alice -- true
	assert_error "$RUN_USAGE" '--user 1000:1000 does not exist in the user namespace'
}

# ---------------------------------------------------------------------------------------------- --display, errors

@test "--display: the root, its mounts, the volumes and the workdir; nothing made" {
	as_user mkdir "$T/vol"
	run_sandbox --display --rootfs "$ROOT" --read-only -v "$T/vol:/data:ro" -w /data -- touch "$T/marker"
	expect_ok
	[[ $output == *"root:             $ROOT (pivot_root, old root detached), read-only"* ]] || fail "$output"
	[[ $output == *"/dev:           tmpfs: null zero full random urandom tty"* ]] || fail "$output"
	[[ $output == *"volume:         $T/vol on /data (read-only)"* ]] || fail "$output"
	[[ $output == *"workdir:        /data"* ]] || fail "$output"
	[[ ! -e $T/marker && ! -e $ROOT/dev && ! -e $ROOT/data ]] || fail "--display made something"
	run_sandbox --display -- true
	[[ $output == *"root:             the host's (no --rootfs"* ]] || fail "$output"
}

@test "bad command line: --volume specs, --rootfs, --read-only or --volume without --rootfs, relative --workdir" {
	as_user mkdir "$T/vol"
	bad --rootfs "$ROOT" -v "$T/vol" -- "--volume '$T/vol'" 'expected HOST:DEST[:ro|rw]'
	bad --rootfs "$ROOT" -v "$T/vol:data" -- "--volume '$T/vol:data'" 'absolute path'
	bad --rootfs "$ROOT" -v "$T/vol:/" -- 'absolute path below /'
	bad --rootfs "$ROOT" -v "$T/vol:/a/../../etc" -- 'no . or .. component'
	bad --rootfs "$ROOT" -v "$T/vol:/data:rx" -- "the option must be ro or rw, not 'rx'"
	bad --rootfs "$ROOT" -v "$T/vol:/data:ro:x" -- 'expected HOST:DEST'
	bad --rootfs "$ROOT" -v "$T/missing:/data" -- "HOST $T/missing" 'No such file'
	bad -v "$T/vol:/data" -- '--volume needs --rootfs'
	bad --read-only -- '--read-only needs --rootfs'
	bad --rootfs "$T/missing" -- "--rootfs $T/missing" 'No such file'
	bad --rootfs "$T/vol/../root/etc/passwd" -- 'not a directory'
	bad --rootfs "$ROOT" -w data -- '--workdir data: give an absolute path'
}

@test "nothing is left running (run-rootfs)" {
	assert_nothing_left
}
