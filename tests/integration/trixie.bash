# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/trixie.bash - run commands inside the Debian 13 root of tests/setup-root.sh (Podman 5.4,
# RootlessKit 2.0, pasta 2025), as the test user: the pasta drop-in tests (pasta-*.bats). Load it after lib.bash.
#
# The root (/var/cache/usernet-tests/trixie-root, made once by `tests/setup-root.sh --install`) is never written:
# each bats file gets an overlay of it (upper layer in IT_DIR) in a mount namespace of its own, held by a process
# (TRIXIE_PID) that pivot_root'ed into it (the kernel refuses user namespaces to a chrooted process, Podman needs
# them). Only the mount namespace is new: the network, PID and user namespaces are the host's, so a port that
# Podman publishes is served on the host, and the helpers Podman starts are seen from the host. Root only: the
# runner makes the namespace, then drops to the test user (setpriv) for each command; the product never does this.
#
# Inside the root: the test user (same ids as on the host) with HOME $TRIXIE_HOME (a directory of IT_DIR, so that
# Podman's storage is this file's own), XDG_RUNTIME_DIR /run/user/UID on a tmpfs, and IT_DIR/trixie at TRIXIE_IT
# (/it-SUFFIX of IT_DIR: the copy of usernet, the helper directories, the test's files; out/ is writable by the
# user). The path differs from file to file, so that the helpers of two files running at once (seen from the host by
# their command line) are told apart.
#
# The implementation of `pasta` under test is chosen by one word, WHICH: `real` (the root's /usr/bin/pasta, the
# control) or `usernet` (the binary under test, $IT_USERNET, through a symlink named pasta). pasta_dir WHICH is
# the directory holding that `pasta`, as the root sees it.

TRIXIE_ROOT=${TRIXIE_ROOT:-/var/cache/usernet-tests/trixie-root}
TRIXIE_HOME=/home/$TEST_USER

# IMPL: the implementation of `pasta` that a pasta-*.bats file tests (USERNET_PASTA_IMPL: real or usernet)
IMPL=${USERNET_PASTA_IMPL:-real}

# pasta_impl_setup_file NAMESERVER: the setup_file of a pasta-*.bats file after lib.bash's: check IMPL and the tools,
# say which implementation runs, enter the root (trixie_setup_file NAMESERVER)
pasta_impl_setup_file() {
	need curl socat || return
	[[ $IMPL == real || $IMPL == usernet ]] || fail "USERNET_PASTA_IMPL must be real or usernet, not '$IMPL'" ||
		return
	echo "# pasta implementation: $IMPL" >&3
	trixie_setup_file "$1"
}

# get_is URL TEXT: GET URL from the host (3 s timeout) gives TEXT
get_is() { [[ $(timeout -k 1 5 curl -gsS --max-time 3 "$1" 2>/dev/null) == "$2" ]]; }

# host_addr 4|6: the host's global address of that family
host_addr() {
	ip "-$1" -o addr show scope global | awk '{ sub("/.*", "", $4); print $4; exit }'
}

# trixie_setup_file NAMESERVER: check the root, and start the holder of this file's mount namespace -> TRIXIE_PID;
# the root's /etc/resolv.conf names NAMESERVER (the test's DNS server: pasta forwards DNS there)
trixie_setup_file() {
	local ns=$1
	local w=$IT_DIR/trixie-fs
	TRIXIE_IT=/it-${IT_DIR##*.}
	T=$IT_DIR/setup-file
	install -d -m 0755 "$T"
	need_root "the Debian 13 root is entered with a mount namespace and pivot_root" || return
	[[ -x $TRIXIE_ROOT/usr/bin/podman && -s $TRIXIE_ROOT.stamp ]] ||
		fail "no Debian 13 root at $TRIXIE_ROOT: run 'bash tests/setup-root.sh --install' as root" || return
	install -d -m 0755 "$w/upper" "$w/work" "$w/mnt" "$IT_DIR/trixie"
	install -d -o "$TEST_USER" -g "$TEST_USER" -m 0755 "$IT_DIR/trixie-home"
	install -d -m 0755 "$IT_DIR/trixie/pasta-real" "$IT_DIR/trixie/pasta-usernet"
	install -d -o "$TEST_USER" -g "$TEST_USER" -m 0755 "$IT_DIR/trixie/out"
	install -m 0755 "$IT_USERNET" "$IT_DIR/trixie/usernet"
	ln -sfn /usr/bin/pasta "$IT_DIR/trixie/pasta-real/pasta"
	ln -sfn "$TRIXIE_IT/usernet" "$IT_DIR/trixie/pasta-usernet/pasta"
	trixie_containers_conf || return
	# unshare -m: a new mount namespace (private propagation); the shell script mounts, then pivots and sleeps.
	# Not tracked (spawn): it lives as long as the file, and trixie_teardown_file ends it.
	unshare -m --propagation private -- /bin/sh -ec "$(trixie_enter_script)" trixie "$w" "$IT_DIR" \
		"$TRIXIE_ROOT" "$TEST_USER" "$TEST_UID" "$ns" "$TRIXIE_IT" </dev/null >>"$T/bg.log" 2>&1 3>&- &
	TRIXIE_PID=$!
	wait_until 10 trixie_ready || fail "could not enter the Debian 13 root:" "$(cat "$T/bg.log" 2>/dev/null)" ||
		return
	export TRIXIE_PID TRIXIE_IT
}

# trixie_enter_script: the root's shell script of the holder: $1 scratch dir, $2 IT_DIR, $3 root, $4 user, $5 uid,
# $6 nameserver, $7 TRIXIE_IT
trixie_enter_script() {
	cat <<'EOF'
w=$1 it=$2 root=$3 user=$4 uid=$5 ns=$6 in=$7
m=$w/mnt
mount -t overlay overlay -o "lowerdir=$root,upperdir=$w/upper,workdir=$w/work" "$m"
rm -f "$m/etc/resolv.conf"
echo "nameserver $ns" >"$m/etc/resolv.conf"
mount -t proc proc "$m/proc"
mount --rbind /sys "$m/sys"
mount --rbind /dev "$m/dev"
mount -t tmpfs -o mode=0755 tmpfs "$m/run"
mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
install -d -o "$user" -g "$user" -m 0700 "$m/run/user/$uid"
mount --bind "$it/trixie-home" "$m/home/$user"
mkdir -p "$m$in" "$m/.oldroot"
mount --bind "$it/trixie" "$m$in"
cd "$m"
pivot_root . .oldroot
cd /
umount -l /.oldroot
exec sleep infinity
EOF
}

# trixie_ready: the holder has pivoted into the root (its root is not ours, and it sleeps)
trixie_ready() {
	[[ $(cat "/proc/$TRIXIE_PID/comm" 2>/dev/null) == sleep ]] &&
		[[ -e /proc/$TRIXIE_PID/root/etc/os-release ]] &&
		grep -qs trixie "/proc/$TRIXIE_PID/root/etc/os-release"
}

# TRIXIE_AS_USER: the prefix that runs a command as the test user inside the root ($! is the command's PID)
trixie_as_user_cmd() {
	TRIXIE_AS_USER=(nsenter -t "$TRIXIE_PID" -m -- setpriv "--reuid=$TEST_USER" "--regid=$TEST_USER" --init-groups
		--inh-caps=-all --reset-env -- env --default-signal=INT
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" "HOME=$TRIXIE_HOME" "USER=$TEST_USER"
		"XDG_RUNTIME_DIR=/run/user/$TEST_UID" "PODMAN_IGNORE_CGROUPSV1_WARNING=1")
	# sanitizer settings (the ASan+UBSan CI run) survive --reset-env, as in lib.bash's AS_USER
	local v
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[[ -z ${!v:-} ]] || TRIXIE_AS_USER+=("$v=${!v}")
	done
}

# in_trixie CMD...: run CMD as the test user inside the root, in the foreground, from its HOME
in_trixie() {
	trixie_as_user_cmd
	"${TRIXIE_AS_USER[@]}" sh -c 'cd "$HOME" && exec "$@"' sh "$@"
}

# pasta_dir WHICH: the directory (inside the root) whose `pasta` is the implementation WHICH (real or usernet)
pasta_dir() {
	case $1 in
	real | usernet) echo "$TRIXIE_IT/pasta-$1" ;;
	*) fail "pasta_dir: real or usernet, not '$1'" ;;
	esac
}

# pasta_pids WHICH: the PIDs of the test user's running pasta helpers of WHICH, seen from the host (none: status 1).
# Both are found by their command line: Podman and RootlessKit run DIR/pasta, and the real pasta keeps that argv[0]
# when it re-executes itself as pasta.avx2.
pasta_pids() {
	local dir
	dir=$(pasta_dir "$1") || return
	pgrep -u "$TEST_USER" -f "^$dir/pasta( |\$)"
}
pasta_none() { ! pasta_pids "$1" >/dev/null; }

# pasta_netns_count WHICH: how many namespaces (distinct --netns PATH or target PID) the running helpers of WHICH
# serve (an implementation may run more than one process per namespace)
pasta_netns_count() {
	pasta_pids "$1" | xargs -r ps -o args= -p | awk '{
		for (i = 2; i <= NF; i++) if ($i == "--netns") t = $(i + 1); else if ($i ~ /^--netns=/) t = substr($i, 9)
		if (t == "") t = $NF
		print t; t = "" }' | sort -u | wc -l
}

# pasta_show WHICH: the helpers of WHICH still running, with their command lines (for failure messages)
pasta_show() { pasta_pids "$1" | xargs -r ps -o pid,args -p; }

# trixie_containers_conf: one containers.conf per WHICH in IT_DIR/trixie, pointing helper_binaries_dir at
# pasta_dir WHICH (the list replaces the default: keep Debian's directories, or netavark is not found)
trixie_containers_conf() {
	local which dir
	for which in real usernet; do
		dir=$(pasta_dir "$which") || return
		printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n%s\n' \
			"helper_binaries_dir = [\"$dir\", \"/usr/lib/podman\", \"/usr/libexec/podman\", \"/usr/bin\"]" \
			>"$IT_DIR/trixie/containers-$which.conf"
		chmod 0644 "$IT_DIR/trixie/containers-$which.conf"
	done
}

# pm5 WHICH ARGS...: Podman 5 in the root, as the test user, with the containers.conf of WHICH
pm5() {
	local which=$1
	shift
	in_trixie env "CONTAINERS_CONF=$TRIXIE_IT/containers-$which.conf" podman "$@"
}

# trixie_image: import the root's busybox image (tests/setup-root.sh) into this file's Podman storage -> PM5_IMAGE
PM5_IMAGE=localhost/usernet-busybox:latest
trixie_image() {
	local out
	out=$(pm5 real import --change 'CMD ["/bin/sh"]' /usr/share/usernet-tests/busybox.tar "$PM5_IMAGE" 2>&1) ||
		fail "podman import failed:" "$out"
}

# trixie_teardown_file: remove the containers, end the holder (the mount namespace goes with it), and make the
# files that Podman's user namespace owns removable
trixie_teardown_file() {
	local pid
	if [[ -n ${TRIXIE_PID:-} ]] && alive "$TRIXIE_PID"; then
		pm5 real rm -af -t 0 >/dev/null 2>&1 || true
		# Podman's pause process (it holds the user namespace of the storage) is the file's own: end it
		pid=$(cat "/proc/$TRIXIE_PID/root/run/user/$TEST_UID/libpod/tmp/pause.pid" 2>/dev/null) || pid=
		[[ -z $pid ]] || stop_pid "$pid"
		stop_pid "$TRIXIE_PID"
	fi
}
