// Fixture for encrypted layouts: rpi-image-gen's "crypt" PMAP (system_a/b + persistent inside OSDATA_CRYPT on p4), plus a decoy stick.
import { luksHeaderBytes } from "../../../plugins/devmapper/luks-header.js";
import type { SlotSysrootSpec } from "../../helpers/slot-sysroot.js";

/** dm-0 = osdata_crypt on mmcblk0p4; dm-1..3 = its kpartx partitions; dm-4/5 = a LUKS stick (sda1) with slot labels. */
export function cryptSpec(partition: number, opts: { opened?: boolean; stick?: boolean } = {}): SlotSysrootSpec {
  const opened = opts.opened ?? true;
  return {
    partition,
    labels: ["bootconfig", "boot_a", "boot_b", "osdata"],
    partitionContent: { 4: luksHeaderBytes("OSDATA_CRYPT") },
    dm: [
      ...(opened
        ? [
            { kname: "dm-0", name: "osdata_crypt", slaves: ["mmcblk0p4"], table: ["system_a", "system_b", "persistent"] },
            { kname: "dm-1", name: "osdata_cryptp1", slaves: ["dm-0"] },
            { kname: "dm-2", name: "osdata_cryptp2", slaves: ["dm-0"] },
            { kname: "dm-3", name: "osdata_cryptp3", slaves: ["dm-0"] },
          ]
        : []),
      ...(opts.stick
        ? [
            { kname: "dm-4", name: "stick_crypt", slaves: ["sda1"], table: ["system_a", "system_b", "persistent"] },
            { kname: "dm-5", name: "stick_cryptp1", slaves: ["dm-4"] },
            { kname: "dm-6", name: "stick_cryptp2", slaves: ["dm-4"] },
            { kname: "dm-7", name: "stick_cryptp3", slaves: ["dm-4"] },
          ]
        : []),
    ],
  };
}
