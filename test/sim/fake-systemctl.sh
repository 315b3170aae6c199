#!/bin/sh
# The simulated device's `systemctl`: answers from the state the firmware model wrote at boot.
# POSIX sh on purpose: health checks call it on every trial boot of every scenario, and a shell starts in ~1 ms.
# Reads <sysroot>/run/sim/systemd.json (SimDevice writes it: "state" on its own line, one unit per line);
# the sysroot is OTA_SIM_SYSROOT (set by SimPlatform.run) or the sysroot/ beside this script's bin/ folder.
# Supports: is-system-running [--wait], is-active UNIT..., is-failed UNIT..., list-units --failed, reboot [ARG],
# --version. Options it does not know are ignored.
DEV=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
SR=${OTA_SIM_SYSROOT:-$DEV/sysroot}
F="$SR/run/sim/systemd.json"
quiet=0
failed=0
verb=""
for a in "$@"; do
	case "$a" in
	-q | --quiet) quiet=1 ;;
	--failed) failed=1 ;;
	--version) verb=--version ;;
	-*) ;;
	*) [ -z "$verb" ] && verb=$a ;;
	esac
done

say() { [ "$quiet" = 1 ] || printf '%s\n' "$1"; }
sys_state() {
	if [ -f "$F" ]; then sed -n 's/^  "state": "\(.*\)",\{0,1\}$/\1/p' "$F" | head -n 1; else echo offline; fi
}
unit_state() {
	_u=$(printf '%s' "$1" | sed 's/[].[\*^$/]/\\&/g')
	_s=""
	[ -f "$F" ] && _s=$(sed -n "s/^    \"$_u\": \"\(.*\)\",\{0,1\}\$/\1/p" "$F" | head -n 1)
	echo "${_s:-inactive}"
}
units() {
	# the non-option words after the verb; "--" ends options
	_seen=0
	for a in "$@"; do
		case "$a" in -*) continue ;; esac
		if [ "$_seen" = 0 ]; then _seen=1; continue; fi
		case "$a" in *.*) echo "$a" ;; *) echo "$a.service" ;; esac
	done
}

case "$verb" in
is-system-running)
	s=$(sys_state)
	say "$s"
	[ "$s" = running ]
	exit
	;;
is-active | is-failed)
	want=active
	rc_bad=3
	[ "$verb" = is-failed ] && want=failed && rc_bad=1
	ok=1
	n=0
	for u in $(units "$@"); do
		n=$((n + 1))
		s=$(unit_state "$u")
		say "$s"
		[ "$s" = "$want" ] || ok=0
	done
	[ "$n" -gt 0 ] && [ "$ok" = 1 ] && exit 0
	exit "$rc_bad"
	;;
list-units)
	if [ "$failed" != 1 ]; then
		echo "sim systemctl: list-units supports only --failed" >&2
		exit 1
	fi
	[ -f "$F" ] && sed -n 's/^    "\(.*\)": "failed",\{0,1\}$/\1 loaded failed failed \1/p' "$F" | while read -r line; do say "$line"; done
	exit 0
	;;
reboot)
	shift_done=0
	arg=""
	for a in "$@"; do
		if [ "$shift_done" = 0 ]; then
			[ "$a" = reboot ] && shift_done=1
			continue
		fi
		case "$a" in -*) continue ;; esac
		arg=${arg:+$arg }$a
	done
	mkdir -p "$DEV/firmware"
	esc=$(printf '%s' "$arg" | sed 's/[\\"]/\\&/g')
	if [ -n "$arg" ]; then printf '{"arg":"%s"}\n' "$esc" >"$DEV/firmware/reboot-request.json.tmp"; else printf '{}\n' >"$DEV/firmware/reboot-request.json.tmp"; fi
	mv "$DEV/firmware/reboot-request.json.tmp" "$DEV/firmware/reboot-request.json"
	exit 0
	;;
--version)
	say "systemd 252 (ota-agent simulator)"
	exit 0
	;;
*)
	echo "sim systemctl: unsupported command: $*" >&2
	exit 1
	;;
esac
