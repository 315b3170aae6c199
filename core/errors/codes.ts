// The catalogue of stable error codes; README.md beside this file documents each one for operators (a test keeps them in step).

/**
 * Every code the agent (core and plugins) can raise, with a one-line meaning. Codes are never renamed or reused:
 * retired ones stay here marked "reserved". Artifact-format codes live in artifacts/errors.ts (the leaf library
 * cannot import core) and are listed in README.md too.
 *
 * Add codes in your area's block, keep the README table in step.
 */
export const ERROR_CODES = {
  // --- config ---
  OTA_ERR_CONFIG_INVALID: "the configuration file or an override has a wrong or unknown key",
  OTA_ERR_CONFIG_UNREADABLE: "the configuration file cannot be read or is not JSON",
  OTA_ERR_DEVICE_TYPE_UNKNOWN: "no device type is configured or found in the data dir",

  // --- plugin host ---
  OTA_ERR_PLUGIN_NOT_FOUND: "a plugin named in the config cannot be found or imported",
  OTA_ERR_PLUGIN_MANIFEST_INVALID: "a plugin's manifest is malformed",
  OTA_ERR_PLUGIN_VERSION_MISMATCH: "a plugin does not support this agent version",
  OTA_ERR_PLUGIN_CONFIG_INVALID: "a plugin's config section is invalid",
  OTA_ERR_PLUGIN_REQUIREMENT_MISSING: "a plugin requires a capability or plugin that nothing provides",
  OTA_ERR_PLUGIN_CONFLICT: "two plugins provide a single-choice capability, or two plugins share a name",
  OTA_ERR_PLUGIN_CYCLE: "plugins require each other in a cycle",
  OTA_ERR_PLUGIN_SETUP_FAILED: "a plugin's setup threw",
  OTA_ERR_PLUGIN_SETUP_TIMEOUT: "a plugin's setup did not finish in time",
  OTA_ERR_PLUGIN_EXPORT_INVALID: "a plugin exported something it did not declare, or missed a declared capability",
  OTA_ERR_CAPABILITY_MISSING: "a capability was asked for that no loaded plugin provides",

  // --- store ---
  OTA_ERR_STORE_CORRUPT: "a stored record could not be parsed; it was moved aside",
  OTA_ERR_STORE_WRITE: "a record could not be written durably",
  OTA_ERR_STORE_SCHEMA: "a stored record has a schema version this agent does not understand",

  // --- platform ---
  OTA_ERR_PROCESS_FAILED: "an external command exited non-zero",
  OTA_ERR_PROCESS_TIMEOUT: "an external command did not finish in time",
  OTA_ERR_PROCESS_SPAWN: "an external command could not be started",
  OTA_ERR_REBOOT_REFUSED: "a reboot was requested where none is allowed (sysroot without a reboot command)",
  OTA_ERR_REBOOT_FAILED: "the reboot command failed",

  // --- cli ---
  OTA_ERR_USAGE: "the command line is wrong",
  OTA_ERR_LOCKED: "another agent process holds the deployment lock",

  // --- slots (issue 4) ---
  OTA_ERR_SLOT_DT_MISSING: "a device-tree property under /proc/device-tree/chosen/bootloader is missing or malformed",
  OTA_ERR_SLOT_BOOT_MODE_UNSUPPORTED: "the firmware booted from a medium the slot layout does not support (only SD/eMMC and NVMe)",
  OTA_ERR_SLOT_DISK_UNREADABLE: "the boot disk or one of its partitions cannot be opened or read",
  OTA_ERR_SLOT_GPT_INVALID: "neither the primary nor the backup GPT of the boot disk is valid",
  OTA_ERR_SLOT_PARTITION_NOT_FOUND: "the partition the firmware booted is not in the partition table or has no device node",
  OTA_ERR_SLOT_LABEL_BAD: "the booted boot partition's label does not name slot a or b (boot_a, boot-b, bootb, ...)",
  OTA_ERR_SLOT_LABEL_UNPAIRED: "a partition label the A/B layout needs (boot_b, system_a, ...) is missing",
  OTA_ERR_SLOT_LABEL_DUPLICATE: "a slot partition label occurs more than once on the boot disk",
  OTA_ERR_SLOT_LINK_MISMATCH: "a /dev/disk/by-slot link disagrees with the partition table",
  OTA_ERR_SLOT_MAP_MISSING: "/boot/slot.map cannot be read",
  OTA_ERR_SLOT_MAP_INVALID: "/boot/slot.map has a bad line, a missing key, a bad number or an unknown kind",
  OTA_ERR_SLOT_MAP_AMBIGUOUS: "a slot.map mapper entry names both or neither of /dev/mapper/<name><N> and <name>p<N>",
  OTA_ERR_SLOT_ACTIVE_UNKNOWN: "the booted boot partition is neither slot's boot partition",
  OTA_ERR_SLOT_OVERLAP: "the resolved other slot shares a partition (or sectors of one) with the active slot",
  OTA_ERR_SLOT_NOT_ON_BOOT_DISK: "a slot device is not backed by the boot disk",
  OTA_ERR_SLOT_LUKS_NOT_FOUND: "a configured LUKS container label is not on the boot disk",
  OTA_ERR_SLOT_KEYSCRIPT_FAILED: "the keyscript for a LUKS container failed",
  OTA_ERR_SLOT_LUKS_OPEN_FAILED: "cryptsetup or kpartx could not open a LUKS container",

  // --- install pipeline and sources (issue 5) ---
  OTA_ERR_SOURCE_UNSUPPORTED: "no artifact source can open this URI (unknown scheme)",
  OTA_ERR_SOURCE_NOT_FOUND: "the artifact file or URL does not exist (missing file, HTTP 404/410)",
  OTA_ERR_SOURCE_HTTP_STATUS: "the download server answered with an unusable status, a wrong range, or a redirect loop",
  OTA_ERR_SOURCE_TLS: "the TLS connection to the download server could not be verified",
  OTA_ERR_SOURCE_TIMEOUT: "the download connected too slowly or stalled, and retries were exhausted",
  OTA_ERR_SOURCE_CONNECTION: "the download connection failed or dropped, and retries were exhausted",
  OTA_ERR_SOURCE_TRUNCATED: "the download ended before the announced size and could not be resumed",
  OTA_ERR_SOURCE_CHANGED: "the file on the server changed between a dropped connection and its resume",
  OTA_ERR_SOURCE_READ: "the artifact file could not be read",
  OTA_ERR_INSTALL_ARTIFACT_INVALID: "the artifact was refused by the reader (format, signature, device type, depends)",
  OTA_ERR_INSTALL_CHECKSUM: "the whole-file SHA-256 of the download does not match the expected one",
  OTA_ERR_INSTALL_NO_MODULE: "no update module is loaded for a payload type of the artifact",
  OTA_ERR_INSTALL_PAYLOAD_INVALID: "a payload does not have the files or content its module expects",
  OTA_ERR_INSTALL_TOO_LARGE: "a payload image is larger than the partition it must be written to",
  OTA_ERR_INSTALL_ACTIVE_SLOT: "an install target is (or resolves to) a partition of the running slot, or the boot disk",
  OTA_ERR_INSTALL_TARGET: "an install target device or file cannot be found or opened",
  OTA_ERR_INSTALL_WRITE: "writing or syncing the target failed (disk full, I/O error)",
  OTA_ERR_INSTALL_VERIFY: "reading back the written target gave other bytes than were written",
  OTA_ERR_INSTALL_ABORTED: "the install was cancelled",
  OTA_ERR_INSTALL_STATE: "the module's saved state in the deployment work dir is missing or unreadable",
  OTA_ERR_INSTALL_VERIFY_REBOOT: "after the reboot, the device is not running the expected slot as a trial",
  OTA_ERR_MODULE_FAILED: "an external update module exited non-zero in a state",
  OTA_ERR_MODULE_TIMEOUT: "an external update module did not finish a state in time and was killed",
  OTA_ERR_MODULE_PROTOCOL: "an external update module broke the Update Module v3 protocol (bad query output, streams)",

  // --- boot control and state machine (issue 6) ---
  OTA_ERR_STATE_LOOP: "a deployment saved its state too often (a reboot or resume loop) and was stopped",
  OTA_ERR_STATE_IN_PROGRESS: "a deployment is already in progress; it must finish (resume, commit, rollback) first",
  OTA_ERR_STATE_UNCOMMITTED_TRIAL: "the device runs an uncommitted trial boot outside any deployment; nothing is installed",
  OTA_ERR_STATE_ABORTED: "the server aborted the deployment (HTTP 409 on a status report)",
  OTA_ERR_STATE_REPORT_FAILED: "the report just before commit never reached the server; the trial was rolled back",
  OTA_ERR_STATE_NOT_APPLICABLE: "commit or rollback was asked for where the deployment cannot take it",
  OTA_ERR_STATE_RECORD_INVALID: "the stored deployment record cannot be used; the deployment takes the rollback path",
  OTA_ERR_SCRIPT_FAILED: "a state script exited non-zero (or could not be started)",
  OTA_ERR_SCRIPT_TIMEOUT: "a state script did not finish within its timeout and was killed",
  OTA_ERR_SCRIPT_RETRY_TIMEOUT: "a state script kept asking to retry later (exit 21) beyond the total retry time",
  OTA_ERR_SCRIPT_VERSION: "a state-scripts directory has a version file with an unsupported version",
  OTA_ERR_HEALTH_FAILED: "a health check found the trial boot unhealthy",
  OTA_ERR_HEALTH_TIMEOUT: "the health checks did not all pass within the deadline",
  OTA_ERR_BOOT_DT_MISSING: "the firmware's device-tree node chosen/bootloader lacks the booted partition",
  OTA_ERR_BOOT_SLOT_MISMATCH: "the firmware's booted partition is not the slot layout's active boot partition",
  OTA_ERR_BOOT_AUTOBOOT_MISSING: "autoboot.txt (or the bootconfig partition holding it) cannot be found",
  OTA_ERR_BOOT_AUTOBOOT_INVALID: "autoboot.txt does not name a slot's boot partition in [all]",
  OTA_ERR_BOOT_AUTOBOOT_TOO_LARGE: "the new autoboot.txt would exceed the firmware's 512-byte limit",
  OTA_ERR_BOOT_AUTOBOOT_WRITE: "autoboot.txt could not be replaced, or read back different; the old file stays",
  OTA_ERR_BOOT_FAT_UNREADABLE: "the raw bootconfig partition is not a FAT file system the agent can read",
  OTA_ERR_BOOT_UNCOMMITTED_TRIAL: "a trial was to be armed while the running slot is not the committed one",
  OTA_ERR_BOOT_TARGET_INVALID: "arm or commit named the wrong slot (arm: the running one; commit: one not running)",
  OTA_ERR_BOOT_TRYBOOT_UNSUPPORTED: "the bootloader's capabilities lack TRYBOOT_A_B or TRYBOOT (an old EEPROM)",
  OTA_ERR_BOOT_REPAIR_REFUSED: "a broken autoboot.txt was not repaired: this is a trial boot, so the running slot is not proven good",

  // --- servers and scheduling (issue 7) ---
  OTA_ERR_SERVER_UNREACHABLE: "the fleet server could not be reached (connection refused or reset, DNS, TLS)",
  OTA_ERR_SERVER_TIMEOUT: "the fleet server did not answer an endpoint in time",
  OTA_ERR_SERVER_UNAUTHORIZED: "the fleet server refused the device's credentials (pending, rejected or wrong token)",
  OTA_ERR_SERVER_STATUS: "the fleet server answered an endpoint with an unexpected HTTP status",
  OTA_ERR_SERVER_RATE_LIMITED: "the fleet server asked the device to slow down (HTTP 429)",
  OTA_ERR_SERVER_BAD_REPLY: "the fleet server's reply was not the JSON the protocol describes",
  OTA_ERR_SERVER_KEY: "the device key pair could not be read, created or used for signing",
  OTA_ERR_SERVER_IDENTITY: "the device identity could not be determined",
  OTA_ERR_SERVER_NO_ARTIFACT: "a server deployment holds no artifact this agent can install",
  OTA_ERR_SCHEDULE_INVALID: "a maintenance window or self-update schedule (cron, time zone, duration) is invalid",
  OTA_ERR_SCHEDULE_SOURCE: "the self-update source (artifact URI or checksum file) could not be read",
  OTA_ERR_DAEMON_NOTHING_TO_POLL: "the daemon has neither a fleet server plugin nor a self-update source",
  OTA_ERR_DAEMON_CONTROL: "the daemon's control socket could not be created, reached or used",
  OTA_ERR_DAEMON_CONTROL_PROTOCOL: "a control socket message was too large, not JSON, or not a known request",

  // --- device integration (issue 8) ---
  OTA_ERR_PERSIST_UNIT_NAME: "a path cannot be turned into a systemd unit name (a \"..\" component, or too long)",
  OTA_ERR_PERSIST_GENERATOR_DIR: "a generator output directory is missing, outside the sysroot or not writable",
  OTA_ERR_PERSIST_NOT_MOUNTED: "the persistent partition is not mounted where the task needs it",
  OTA_ERR_PERSIST_VAR_SEED_MISSING: "the reseed policy is set but the new system carries no /var seed",
  OTA_ERR_PERSIST_VAR_REFRESH: "a fresh /var for the committed slot could not be built",
  OTA_ERR_PERSIST_VAR_SWAP: "a prepared fresh /var could not be swapped in at boot",
  OTA_ERR_PERSIST_SHARED_INIT: "a slot-shared path could not be seeded into the persistent partition",
  OTA_ERR_MACHINE_ID_INVALID: "no valid machine ID was found to persist or apply",
  OTA_ERR_MACHINE_ID_WRITE: "the machine ID could not be written (persistent copy or /run/machine-id)",

  // --- internal ---
  OTA_ERR_INTERNAL: "a broken invariant: this is a bug, please report it",
} as const satisfies Record<`OTA_ERR_${string}`, string>;

export type OtaErrorCode = keyof typeof ERROR_CODES;
