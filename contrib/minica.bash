# bash completion for minica: commands, each command's options, profiles
# and serials.  Installed by 'make install' into
# PREFIX/share/bash-completion/completions/minica.  Everything is asked of
# minica itself (its --help, 'issue --help' for the profiles, 'list --all'
# for the serials), so it follows the CA the command line names.

# The options that come before the word being completed and name the CA.
_minica_home_args() {
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--home) [[ $((i + 1)) -lt COMP_CWORD ]] && printf '%s\n' --home "${COMP_WORDS[i + 1]}" ;;
		--home=*) printf '%s\n' "${COMP_WORDS[i]}" ;;
		esac
	done
}

_minica() {
	local cur prev cmd i words=() home=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	mapfile -t home < <(_minica_home_args)
	# The command: the first word that is not a global option or its value.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--home | --passphrase-file | --passphrase-fd) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		case $prev in
		--home) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
		--passphrase-file) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
		--passphrase-fd) return ;;
		esac
		if [[ $cur == -* ]]; then
			words=(--home --passphrase-file --passphrase-fd --help --version)
		else
			mapfile -t words < <(minica help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
		fi
		mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
		return
	fi
	case $prev in
	--out | --root | --home | --certs-dir | --easyrsa | --from) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
	--*file | --csr | --batch | --p12 | --ca-cert | --ca-key | --cert | --key)
		[[ $cmd == issue && $prev == --key ]] && { mapfile -t COMPREPLY < <(compgen -W "rsa2048 rsa3072 rsa4096 ec256 ec384" -- "$cur"); return; }
		mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
	--profile) mapfile -t words < <(_minica_profiles); mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur"); return ;;
	--serial) mapfile -t words < <(_minica_serials); mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur"); return ;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t words < <(minica "$cmd" --help 2>/dev/null | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
		return
	fi
	case $cmd in
	help) mapfile -t words < <(minica help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }') ;;
	issue) mapfile -t words < <(_minica_profiles) ;;
	show) mapfile -t words < <(echo ca; _minica_serials) ;;
	deploy | undeploy | renew) mapfile -t words < <(_minica_profiles; _minica_serials) ;;
	revoke) mapfile -t words < <(_minica_serials) ;;
	snippet) words=(postfix dovecot nginx nginx-acme) ;;
	acme) if [[ $prev == eab ]]; then words=(new list revoke); else words=(serve accounts deactivate eab); fi ;;
	*) return ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
}

_minica_profiles() {
	minica "${home[@]}" issue --help 2>/dev/null | awk '/^Profiles:/ { on = 1; next } on && /^  [^ ]/ { print $1 } on && /^$/ { on = 0 }'
}

# Serials in full: piped, list prints them whole.
_minica_serials() {
	minica "${home[@]}" list --all 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9a-f]+$/ { print $1 }'
}

complete -F _minica minica
