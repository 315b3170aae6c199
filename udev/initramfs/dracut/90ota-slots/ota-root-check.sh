#!/bin/sh
# dracut pre-mount hook: reboot when /dev/disk/by-slot/active/system is missing (the cmdline's root= names it).
# Sourced by dracut's init: it must not exit on success. OTA_SYSROOT (tests only) roots /dev and /proc.

ota_root_check() {
	_sr=${OTA_SYSROOT:-}
	_root=/dev/disk/by-slot/active/system
	if [ -b "$_sr$_root" ]; then
		echo "ota-ab-root: AB: root is $_root" >"$_sr/dev/kmsg" 2>/dev/null
		return 0
	fi
	echo "ota-ab-root: FATAL: AB missing $_root - rebooting" >"$_sr/dev/kmsg" 2>/dev/null
	echo "ota-ab-root: FATAL: AB missing $_root - rebooting" >&2
	reboot -f
	echo b >"$_sr/proc/sysrq-trigger"
	return 1
}

ota_root_check
