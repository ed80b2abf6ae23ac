# SPDX-License-Identifier: GPL-2.0-or-later
# completions/usernet.bash - bash completion of usernet (installed as share/bash-completion/completions/usernet)
#
# Subcommands, their options, the values options take (capability names, modes, levels) and file arguments.
# tests/packaging/completion.sh checks that every option `usernet COMMAND --help` lists is offered here.

_usernet_caps() {
	local caps="ALL AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND BPF CHECKPOINT_RESTORE CHOWN
		DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID IPC_LOCK IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN
		MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW PERFMON SETFCAP SETGID SETPCAP
		SETUID SYSLOG SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO
		SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG WAKE_ALARM"
	COMPREPLY=($(compgen -W "$caps" -- "${1^^}"))
}

# _usernet_value OPTION CUR: complete the value of OPTION; returns 1 when OPTION takes no value we know
_usernet_value() {
	local opt=$1 cur=$2
	case $opt in
	--api-socket | -a | --pcap | --userns-path)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	--rootfs)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	--volume | --workdir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	--netns-type) COMPREPLY=($(compgen -W "pid path" -- "$cur")) ;;
	--target-type) COMPREPLY=($(compgen -W "netns" -- "$cur")) ;;
	--port-mode) COMPREPLY=($(compgen -W "auto direct slirp" -- "$cur")) ;;
	--log-level) COMPREPLY=($(compgen -W "error warn info debug" -- "$cur")) ;;
	--net) COMPREPLY=($(compgen -W "usernet none host" -- "$cur")) ;;
	--seccomp) COMPREPLY=($(compgen -W "default unconfined" -- "$cur")) ;;
	--cap-add | --cap-drop) _usernet_caps "$cur" ;;
	-o | --output) COMPREPLY=($(compgen -W "table json" -- "$cur")) ;;
	--outbound-addr | --outbound-addr6)
		COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
		;;
	--cidr | --mtu | -m | --macaddress | --publish | -p | --ready-fd | -r | --exit-fd | -e | --bypass-fd | --port-max-conns | \
		--pcap-max-size | --sysctl | --user | --guest-addr | --max-size | -s | --dns)
		COMPREPLY=()
		;;
	*) return 1 ;;
	esac
	return 0
}

_usernet() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi

	local cmd="" sub="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			elif [[ -z $sub && ($cmd == port || $cmd == capture) ]]; then
				sub=${words[i]}
			fi
			;;
		esac
	done

	if [[ $cur == --*=* ]]; then
		_usernet_value "${cur%%=*}" "${cur#*=}" && return
	fi
	_usernet_value "$prev" "$cur" && return

	local opts
	case $cmd in
	"")
		COMPREPLY=($(compgen -W "attach run port stats capture --help --version" -- "$cur"))
		return
		;;
	attach)
		opts="--configure --exit-fd --ready-fd --bypass-fd --mtu --enable-ipv6 --cidr --disable-host-loopback --netns-type
			--target-type --userns-path --outbound-addr --outbound-addr6 --disable-dns --dns --macaddress --publish
			--publish-auto --api-socket --port-mode --port-max-conns --log-level --pcap --pcap-max-size
			--enable-sandbox --enable-seccomp --sandbox --debug --help --version"
		;;
	run)
		opts="--publish --cidr --mtu --enable-ipv6 --allow-host-loopback --port-mode --publish-auto --net
			--sysctl --map-subids --user --cap-add --cap-drop --seccomp --display --debug --pcap --pcap-max-size
			--hostname --rootfs --read-only --volume --workdir --help --api-socket --outbound-addr --outbound-addr6
			--log-level --disable-dns --dns --bypass"
		if [[ $cur != -* ]]; then
			COMPREPLY=($(compgen -c -- "$cur"))
			return
		fi
		;;
	port)
		case $sub in
		"") COMPREPLY=($(compgen -W "add ls rm --help" -- "$cur")); return ;;
		add) opts="--api-socket --guest-addr --help" ;;
		ls) opts="--api-socket --output --help" ;;
		rm) opts="--api-socket --help" ;;
		esac
		;;
	stats) opts="--api-socket --watch --output --help" ;;
	capture)
		case $sub in
		"") COMPREPLY=($(compgen -W "start stop --help" -- "$cur")); return ;;
		start)
			opts="--api-socket --max-size --help"
			if [[ $cur != -* ]]; then
				compopt -o filenames 2>/dev/null
				COMPREPLY=($(compgen -f -- "$cur"))
				return
			fi
			;;
		stop) opts="--api-socket --help" ;;
		esac
		;;
	esac
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _usernet usernet
