#!/bin/sh
# dracut module 90ota-slots: installs the slot helpers, their udev rules and the pre-mount root check.
# Sourced by dracut (bash), written in POSIX sh like the helpers.

check() {
	return 0
}

depends() {
	echo udev-rules
	return 0
}

install() {
	inst_multiple od sed grep tr readlink dirname
	for h in ota-slot-common ota-bootdev-tag ota-slot-label ota-slot-static; do
		inst_simple "/usr/lib/udev/$h"
	done
	inst_rules 99-ota-00-bootdev.rules 99-ota-01-slot.rules
	if [ -r /boot/slot.map ]; then
		inst_simple /boot/slot.map
	fi
	# shellcheck disable=SC2154 # moddir is set by dracut
	inst_hook pre-mount 50 "$moddir/ota-root-check.sh"
}
