#!/bin/sh
# Installs the ota-agent tree into an image root (an rpi-image-gen customize hook, or a mounted image): files, the
# default or given config, unit enablement, systemd-version-dependent drop-ins, and optionally the /var seed.
#
# usage: install.sh --root DIR [--tree DIR] [--config FILE] [--device-type NAME] [--server-url URL]
#                   [--tenant-token TOKEN] [--verify-key FILE]... [--no-udev] [--no-enable]
#                   [--reset-machine-id] [--var-seed] [--systemd-major N]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tree=$here/root
root=
config=
device_type=
server_url=
tenant_token=
verify_keys=
udev=yes
enable=yes
reset_machine_id=no
var_seed=no
systemd_major=

say() { printf 'ota-agent install: %s\n' "$*"; }
die() {
	printf 'ota-agent install: error: %s\n' "$*" >&2
	exit 1
}
need() { [ "$#" -ge 2 ] || die "$1 needs a value"; }

while [ "$#" -gt 0 ]; do
	case "$1" in
	--root) need "$@"; root=$2; shift 2 ;;
	--tree) need "$@"; tree=$2; shift 2 ;;
	--config) need "$@"; config=$2; shift 2 ;;
	--device-type) need "$@"; device_type=$2; shift 2 ;;
	--server-url) need "$@"; server_url=$2; shift 2 ;;
	--tenant-token) need "$@"; tenant_token=$2; shift 2 ;;
	--verify-key)
		need "$@"
		[ -r "$2" ] || die "verify key $2 is not readable"
		verify_keys="$verify_keys
$2"
		shift 2
		;;
	--no-udev) udev=no; shift ;;
	--no-enable) enable=no; shift ;;
	--reset-machine-id) reset_machine_id=yes; shift ;;
	--var-seed) var_seed=yes; shift ;;
	--systemd-major) need "$@"; systemd_major=$2; shift 2 ;;
	-h | --help) sed -n '2,8p' "$0"; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[ -n "$root" ] || die "--root DIR is required"
[ -d "$root" ] || die "image root $root is not a directory"
[ -d "$tree/usr" ] || die "install tree $tree has no usr/ (run npm run package first)"
root=$(cd "$root" && pwd)

# --- 1. files. A config already in the image is kept unless --config replaces it. ---
set -- --exclude=./etc/ota-agent/config.json
if [ "$udev" = no ]; then
	# rpi-image-gen's rpi-ab-slot-mapper layer already makes the same by-slot links and initramfs checks
	set -- "$@" --exclude='./usr/lib/udev/ota-*' --exclude='./usr/lib/udev/rules.d/99-ota-*' \
		--exclude=./usr/share/initramfs-tools --exclude=./usr/lib/dracut
fi
tar -C "$tree" -cf - "$@" . | tar -C "$root" --keep-directory-symlink --no-same-owner -xpf -
say "files installed into $root"

# --- 2. configuration ---
json_str() {
	# JSON string for $1; control characters are refused rather than guessed at
	case "$1" in
	*"$(printf '\t')"* | *"$(printf '\r')"*) die "value contains a control character: $1" ;;
	esac
	printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}
mkdir -p "$root/etc/ota-agent"
if [ -n "$config" ]; then
	[ -r "$config" ] || die "config $config is not readable"
	install -m 0600 "$config" "$root/etc/ota-agent/config.json"
	say "config: copied $config"
elif [ ! -e "$root/etc/ota-agent/config.json" ]; then
	keys_json=
	if [ -n "$verify_keys" ]; then
		mkdir -p "$root/etc/ota-agent/keys"
		old_ifs=$IFS
		IFS='
'
		for key in $verify_keys; do
			[ -n "$key" ] || continue
			name=$(basename "$key")
			install -m 0644 "$key" "$root/etc/ota-agent/keys/$name"
			keys_json="$keys_json${keys_json:+, }$(json_str "/etc/ota-agent/keys/$name")"
		done
		IFS=$old_ifs
	fi
	{
		printf '{\n  "dataDir": "/persistent/common/ota-agent",\n  "log": { "level": "info" }'
		[ -z "$device_type" ] || printf ',\n  "deviceType": %s' "$(json_str "$device_type")"
		[ -z "$keys_json" ] || printf ',\n  "artifacts": { "verifyKeys": [%s] }' "$keys_json"
		if [ -n "$server_url" ]; then
			printf ',\n  "plugins": {\n    "server-mender": { "serverUrl": %s' "$(json_str "$server_url")"
			[ -z "$tenant_token" ] || printf ', "tenantToken": %s' "$(json_str "$tenant_token")"
			printf ' }\n  }'
		fi
		printf '\n}\n'
	} >"$root/etc/ota-agent/config.json"
	# may hold a tenant token
	chmod 0600 "$root/etc/ota-agent/config.json"
	say "config: written /etc/ota-agent/config.json"
else
	say "config: kept the image's /etc/ota-agent/config.json"
fi

# --- 3. the target's systemd major version, for the PrivateDevices drop-ins (needed below 257) ---
detect_systemd_major() {
	status=$root/var/lib/dpkg/status
	if [ -r "$status" ]; then
		v=$(awk '/^Package: /{p=($2=="systemd")} p&&/^Version: /{print $2; exit}' "$status")
		v=${v#*:}
		v=${v%%[!0-9]*}
		if [ -n "$v" ]; then
			echo "$v"
			return
		fi
	fi
	for lib in "$root"/usr/lib/systemd/libsystemd-shared-*.so "$root"/usr/lib/*/systemd/libsystemd-shared-*.so; do
		[ -e "$lib" ] || continue
		v=${lib##*/libsystemd-shared-}
		v=${v%%[!0-9]*}
		if [ -n "$v" ]; then
			echo "$v"
			return
		fi
	done
}
[ -n "$systemd_major" ] || systemd_major=$(detect_systemd_major)
case "$systemd_major" in
'' | *[!0-9]*)
	say "systemd version of the image unknown: installing the PrivateDevices drop-ins (harmless on 257+)"
	compat=yes
	;;
*) if [ "$systemd_major" -lt 257 ]; then compat=yes; else compat=no; fi ;;
esac
if [ "$compat" = yes ]; then
	for d in "$root"/usr/share/ota-agent/compat/*.d; do
		[ -d "$d" ] || continue
		mkdir -p "$root/etc/systemd/system/${d##*/}"
		cp "$d"/*.conf "$root/etc/systemd/system/${d##*/}/"
	done
	say "systemd ${systemd_major:-?} < 257: PrivateDevices=no drop-ins for timesyncd and resolved installed"
else
	say "systemd $systemd_major: no PrivateDevices drop-ins needed"
fi

# --- 4. enable units: the [Install] WantedBy= of each shipped unit, as systemctl enable would link it ---
if [ "$enable" = yes ]; then
	# ota-agent-commit.service is the daemon's alternative for standalone installs: never enabled together with it
	for name in ota-agent.service ota-agent-machine-id-sync.service; do
		unit=$root/usr/lib/systemd/system/$name
		[ -e "$unit" ] || continue
		sed -n 's/^WantedBy=//p' "$unit" | tr ' ' '\n' | while read -r target; do
			[ -n "$target" ] || continue
			mkdir -p "$root/etc/systemd/system/$target.wants"
			ln -sf "/usr/lib/systemd/system/$name" "$root/etc/systemd/system/$target.wants/$name"
			say "enabled $name ($target)"
		done
	done
fi

# --- 5. machine-id: an empty file means "not a first boot" to systemd and makes it generate a runtime ID; a baked-in
#        ID would be shared by every device, "uninitialized" would make every boot a first boot on a read-only root ---
if [ "$reset_machine_id" = yes ]; then
	: >"$root/etc/machine-id"
	chmod 0444 "$root/etc/machine-id"
	say "machine-id: /etc/machine-id emptied"
fi

# --- 6. the /var seed for freshVar.policy=reseed: the image's /var now, without volatile contents ---
if [ "$var_seed" = yes ]; then
	seed=$root/usr/lib/ota-agent/var-seed
	rm -rf "$seed"
	mkdir -p "$seed"
	tar -C "$root/var" --numeric-owner --anchored --exclude='./tmp/*' --exclude='./cache/*' \
		--exclude='./log/*' --exclude='./lib/apt/lists/*' -cpf - . | tar -C "$seed" --numeric-owner -xpf -
	say "var seed: $seed"
fi

# --- 7. Node.js in the image ---
node_version=$(awk '/^Package: /{p=($2=="nodejs")} p&&/^Version: /{print $2; exit}' "$root/var/lib/dpkg/status" 2>/dev/null || true)
node_major=${node_version#*:}
node_major=${node_major%%[!0-9]*}
if [ ! -e "$root/usr/bin/node" ]; then
	say "warning: the image has no /usr/bin/node; install nodejs (>= 20) or the agent will not start"
elif [ -n "$node_major" ] && [ "$node_major" -lt 20 ]; then
	say "warning: the image's nodejs is $node_version; ota-agent needs Node.js 20 or later"
fi
say "done"
