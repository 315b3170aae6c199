// Stable `event` ids of the tryboot backend's operator-relevant log lines (journald queries match on these).
export const BOOT_EVENTS = {
  trialArmed: "trial-armed",
  trialDisarmed: "trial-disarmed",
  slotCommitted: "slot-committed",
  reboot: "reboot",
  trialRebootNotArmed: "trial-reboot-not-armed",
  autobootWriteNotAtomic: "autoboot-write-not-atomic",
  autobootRepaired: "autoboot-repaired",
} as const;
