#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/packaging/completion.sh - bash and zsh completion: every option --help lists is offered, and bash
# completes commands, options, values and capability names as a user types them.
#
#   completion.sh USERNET SRCDIR    (SRCDIR: the source tree's completions/)
set -uo pipefail
usernet=$1 dir=$2
. "$(dirname "$0")/tap.bash"

# offers FILE WORDS...: FILE names every long option of `usernet WORDS... --help`
offers() {
	local file=$1 opt missing=()
	shift
	while read -r opt; do
		grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|$)" "$file" || missing+=("$opt")
	done < <(help_long_options "$usernet" "$@")
	((${#missing[@]} == 0)) || { echo "not offered by $(basename "$file"): ${missing[*]}"; return 1; }
}

# completes "LINE" EXPECTED...: bash completion of LINE (the cursor at its end) offers each EXPECTED
completes() {
	local line=$1
	shift
	bash -c '
		[[ -r /usr/share/bash-completion/bash_completion ]] && . /usr/share/bash-completion/bash_completion
		. "$1"; line=$2; shift 2
		read -ra COMP_WORDS <<<"$line"
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
		_usernet usernet "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		for want; do
			printf "%s\n" "${COMPREPLY[@]}" | grep -qxF -- "$want" || { echo "\"$line\" does not offer $want: ${COMPREPLY[*]}"; exit 1; }
		done' _ "$dir/usernet.bash" "$line" "$@"
}

for words in "" attach run "port add" "port ls" "port rm" stats "capture start" "capture stop"; do
	# shellcheck disable=SC2086
	check "bash completion offers every option of usernet $words --help" offers "$dir/usernet.bash" $words
	# shellcheck disable=SC2086
	check "zsh completion offers every option of usernet $words --help" offers "$dir/_usernet" $words
done
check "bash: the commands" completes "usernet " attach run port stats capture
check "bash: an option of attach" completes "usernet attach --port-m" --port-mode
check "bash: the values of --port-mode" completes "usernet attach --port-mode " auto direct slirp
check "bash: the values of --port-mode=" completes "usernet attach --port-mode=s" slirp
check "bash: capability names, any case" completes "usernet run --cap-add net_b" NET_BIND_SERVICE
check "bash: port subcommands" completes "usernet port " add ls rm
check "bash: the options of port ls" completes "usernet port ls -" --api-socket --output
check "zsh: the completion file parses" zsh -n "$dir/_usernet"
check "zsh: compinit loads _usernet" zsh -fc 'fpath=("$1" $fpath); autoload -Uz compinit && compinit -u -D &&
	autoload -Uz _usernet && whence -w _usernet | grep -q function' _ "$dir"
tap_done
