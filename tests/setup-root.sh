#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/setup-root.sh - the root-only machine setup that usernet's rootless tests need.
#
#   bash tests/setup-root.sh [--install] [-v]
#   bash tests/setup-root.sh --check
#
# Idempotent, and fast and silent when there is nothing to do (-v says what it checked).
#   --install  install the Debian packages for building and testing (apt-get), when some are missing, and a
#              Debian 13 root holding AppArmor 4's parser (/var/cache/usernet-tests/apparmor-root) that checks
#              the syntax of usernet's AppArmor profile (Debian 12's parser predates the `userns` rule), and a
#              Debian 13 root with Podman 5, RootlessKit 2 and pasta (/var/cache/usernet-tests/trixie-root) for the
#              pasta drop-in tests (tests/integration/trixie.bash)
#   --check    change nothing (any user may run it): exit 1 naming the first step not done. `meson test`
#              only checks; the test command (.ci/run) and a developer run this script as root beforehand
#   always     the unprivileged user usernet-test (home, /etc/subuid and /etc/subgid ranges), a second one
#              usernet-other (the "other user on the host" of the attacker tests),
#              /dev/net/tun with mode 0666 (as distributions ship it), /run/user/UID (0700, owned by the user),
#              and for podman on a hybrid cgroup v1 machine the hugetlb controller mounted (see step 6)
# usernet itself never needs root: only this script does.
set -euo pipefail

TEST_USER=usernet-test
OTHER_USER=usernet-other
BUILD_PACKAGES=(meson ninja-build pkg-config gcc libslirp-dev libglib2.0-dev libcap-dev libseccomp-dev
	libjansson-dev libmnl-dev scdoc)
TEST_PACKAGES=(bats iproute2 zsh bash-completion mmdebstrap man-db uidmap socat iperf3 busybox-static dnsmasq-base slirp4netns passt clang
	libclang-rt-14-dev libcap2-bin procps util-linux podman rootlesskit tshark wrk gnuplot-nox python3
	clang-format clang-tidy iputils-ping)

install=0 verbose=0 check=0
for arg; do
	case $arg in
	--install) install=1 ;;
	--check) check=1 ;;
	-v | --verbose) verbose=1 ;;
	-h | --help)
		sed -n '3,12s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "setup-root.sh: unknown argument: $arg (try --help)" >&2
		exit 2
		;;
	esac
done

verbose() { if ((verbose)); then echo "setup-root: $*"; fi; }
die() {
	echo "setup-root: error: $*" >&2
	exit 1
}
# changed WHAT: about to change the machine (with --check: WHAT is not done, stop there)
changed() {
	if ((check)); then
		die "not done: $* (run 'bash tests/setup-root.sh' as root first)"
	fi
	echo "setup-root: $*"
}

if ((!check)); then
	((EUID == 0)) || die "must run as root (it creates the user $TEST_USER and changes /dev/net/tun)"
	# Several runs may start at once: one at a time.
	exec 9>/run/usernet-setup-root.lock
	flock 9
fi

# 1. Packages, only with --install, and only when some are missing.
if ((install)); then
	missing=()
	for pkg in "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[[ $status == installed ]] || missing+=("$pkg")
	done
	if ((${#missing[@]})); then
		changed "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
	else
		verbose "all packages are installed"
	fi
fi

# 2. The unprivileged test user, with a home and subordinate ids.
if ! id -u "$TEST_USER" >/dev/null 2>&1; then
	changed "creating user $TEST_USER"
	useradd --create-home --user-group --shell /bin/bash "$TEST_USER"
else
	verbose "user $TEST_USER exists"
fi
uid=$(id -u "$TEST_USER")
gid=$(id -g "$TEST_USER")
home=$(getent passwd "$TEST_USER" | cut -d: -f6)
if [[ ! -d $home ]]; then
	changed "creating $home"
	install -d -o "$uid" -g "$gid" -m 0750 "$home"
fi

# 2b. A second unprivileged user, usernet-other: "another user on the same host" of the attacker tests (it binds
# ports, connects to sockets and races files of usernet-test's helper). No subordinate ids, no runtime dir.
if ! id -u "$OTHER_USER" >/dev/null 2>&1; then
	changed "creating user $OTHER_USER"
	useradd --create-home --user-group --shell /bin/bash "$OTHER_USER"
else
	verbose "user $OTHER_USER exists"
fi

# useradd adds an /etc/subuid and /etc/subgid range when login.defs asks for it; make sure of it.
# next_free FILE: the first id after every range in FILE (at least 100000)
next_free() {
	awk -F: 'BEGIN { n = 100000 } NF == 3 && $2 + $3 > n { n = $2 + $3 } END { print n }' "$1" 2>/dev/null ||
		echo 100000
}
for kind in uid gid; do
	file=/etc/sub$kind
	[[ -e $file ]] || ((check)) || touch "$file"
	if grep -q "^$TEST_USER:" "$file" || grep -q "^$uid:" "$file"; then
		verbose "$file has a range for $TEST_USER"
	else
		start=$(next_free "$file")
		changed "adding the range $start-$((start + 65535)) to $file"
		usermod "--add-sub${kind}s" "$start-$((start + 65535))" "$TEST_USER"
	fi
done

# 3. /dev/net/tun with mode 0666 (this machine ships it 0600; unprivileged helpers get EACCES then).
if [[ ! -c /dev/net/tun ]]; then
	changed "creating /dev/net/tun"
	mkdir -p /dev/net
	rm -f /dev/net/tun
	mknod -m 0666 /dev/net/tun c 10 200
fi
if [[ $(stat -c %a /dev/net/tun) != 666 ]]; then
	changed "chmod 0666 /dev/net/tun"
	chmod 0666 /dev/net/tun
else
	verbose "/dev/net/tun has mode 0666"
fi

# 4. A runtime directory for the user (there is no logind here to make it).
rundir=/run/user/$uid
if [[ $(stat -c '%u %g %a' "$rundir" 2>/dev/null) != "$uid $gid 700" ]]; then
	changed "creating $rundir"
	install -d -m 0755 /run/user
	install -d -o "$uid" -g "$gid" -m 0700 "$rundir"
	chown "$uid:$gid" "$rundir"
	chmod 0700 "$rundir"
else
	verbose "$rundir exists"
fi

# 5. Unprivileged user namespaces must be allowed (they are by default on Debian 12): check only.
if [[ $(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1) != 1 ]]; then
	die "unprivileged user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1"
fi
if [[ $(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1) == 0 ]]; then
	die "user namespaces are disabled: sysctl -w user.max_user_namespaces=15000"
fi
verbose "unprivileged user namespaces are allowed"

# 6. Podman (the drop-in tests): on a cgroup v1 machine whose hybrid v2 mount still lists the unmounted hugetlb
#    controller, crun refuses every container ("cgroups in hybrid mode not supported"); mounting hugetlb as a v1
#    hierarchy takes it off that list. Nothing to do on a pure v1 or v2 machine.
if grep -qsw hugetlb /sys/fs/cgroup/unified/cgroup.controllers &&
	! mountpoint -q /sys/fs/cgroup/hugetlb; then
	changed "mounting the hugetlb cgroup controller (crun refuses hybrid cgroups that list it in v2)"
	mkdir -p /sys/fs/cgroup/hugetlb
	mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
else
	verbose "cgroups: nothing for podman to fix"
fi

# find_mirror: the URI of the Debian mirror of this machine's apt sources (not the security archive)
find_mirror() {
	local mirror
	mirror=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[[ -n $mirror ]] || mirror=$(awk '/^deb / && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	[[ -n $mirror ]] || die "cannot find the Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
	echo "$mirror"
}

# 7. With --install: AppArmor 4's parser, to check the syntax of usernet's AppArmor profile (apparmor/usernet.in:
#    Ubuntu >= 23.10 needs its `userns,` rule, which Debian 12's parser 3.0 does not know). A minimal Debian 13 root
#    from the same mirror (about 100 MB, 10 s); tests/packaging/apparmor.sh runs the parser in it with `unshare -r
#    chroot`, as any user.
AA_ROOT=/var/cache/usernet-tests/apparmor-root
if ((install)) && [[ ! -x $AA_ROOT/sbin/apparmor_parser ]]; then
	changed "making a Debian 13 root with AppArmor 4's parser in $AA_ROOT"
	mirror=$(find_mirror)
	rm -rf "$AA_ROOT.new" && mkdir -p "$AA_ROOT.new"
	# Not fatal: only the profile's syntax check needs it, and that test then fails and says why
	if mmdebstrap --quiet --variant=essential --include=apparmor trixie "$AA_ROOT.new" "$mirror"; then
		rm -rf "$AA_ROOT" && mv "$AA_ROOT.new" "$AA_ROOT"
	else
		echo "setup-root: warning: mmdebstrap of the AppArmor parser root failed" >&2
		rm -rf "$AA_ROOT.new"
	fi
else
	verbose "AppArmor parser root: ${install:+$AA_ROOT}"
fi

# 8. With --install: a Debian 13 root with today's engines (Podman 5.4, RootlessKit 2.0, pasta 2025), for the pasta
#    drop-in tests (tests/integration/pasta-*.bats, entered with tests/integration/trixie.bash). About 1 minute and
#    400 MB, once: the stamp names the package list and the test user's ids, and a change of either rebuilds it.
#    Inside: the test user with the same ids as on the host and subordinate ids, containers.conf for this machine
#    (cgroupfs, file event logger) and a busybox image tarball for `podman import` (the tests import it into
#    storage of their own, so the cached root is never written by a test).
TRIXIE_ROOT=/var/cache/usernet-tests/trixie-root
TRIXIE_PACKAGES=podman,passt,rootlesskit,uidmap,crun,busybox-static,socat,iproute2,mount,procps,util-linux
# usernet's own libraries (check with ldd on a build), so that a usernet built here runs in the root
TRIXIE_PACKAGES+=,libslirp0,libglib2.0-0t64,libjansson4,libmnl0,libseccomp2,libcap2,libpcre2-8-0
# and the sanitizers' runtime, for the ASan+UBSan build of .ci/run
TRIXIE_PACKAGES+=,libasan8,libubsan1
trixie_stamp="packages=$TRIXIE_PACKAGES user=$TEST_USER:$uid:$gid version=1"

# trixie_configure DIR: the test user, its subordinate ids, containers.conf and the busybox image in root DIR
trixie_configure() {
	local dir=$1 img applet
	chroot "$dir" groupadd --gid "$gid" "$TEST_USER"
	chroot "$dir" useradd --uid "$uid" --gid "$gid" --create-home --shell /bin/bash "$TEST_USER"
	echo "$TEST_USER:100000:65536" >"$dir/etc/subuid"
	echo "$TEST_USER:100000:65536" >"$dir/etc/subgid"
	install -d -m 0755 "$dir/etc/containers"
	printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$dir/etc/containers/containers.conf"
	# the image: busybox with a symlink per applet and a passwd with root (tests import it as the test user)
	img=$(mktemp -d)
	install -d "$img/bin" "$img/etc" "$img/tmp"
	cp "$dir/bin/busybox" "$img/bin/busybox"
	for applet in $(chroot "$dir" /bin/busybox --list); do
		[[ $applet == busybox ]] || ln -s busybox "$img/bin/$applet"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$img/etc/passwd"
	echo 'root:x:0:' >"$img/etc/group"
	install -d -m 0755 "$dir/usr/share/usernet-tests"
	tar -C "$img" -cf "$dir/usr/share/usernet-tests/busybox.tar" .
	rm -rf "$img"
}

if ((install)) && [[ $(cat "$TRIXIE_ROOT.stamp" 2>/dev/null) != "$trixie_stamp" ]]; then
	changed "making a Debian 13 root with Podman 5, RootlessKit 2 and pasta in $TRIXIE_ROOT"
	mirror=$(find_mirror)
	rm -rf "$TRIXIE_ROOT.new" "$TRIXIE_ROOT.stamp" && mkdir -p "$TRIXIE_ROOT.new"
	if mmdebstrap --quiet --variant=apt --include="$TRIXIE_PACKAGES" trixie "$TRIXIE_ROOT.new" "$mirror" &&
		trixie_configure "$TRIXIE_ROOT.new"; then
		rm -rf "$TRIXIE_ROOT" && mv "$TRIXIE_ROOT.new" "$TRIXIE_ROOT"
		echo "$trixie_stamp" >"$TRIXIE_ROOT.stamp"
	else
		# Not fatal: only the pasta drop-in tests need it, and they then fail and say why
		echo "setup-root: warning: making the Debian 13 root failed" >&2
		rm -rf "$TRIXIE_ROOT.new"
	fi
else
	verbose "Debian 13 root: ${install:+$TRIXIE_ROOT}"
fi
