// BlockLineage: which block devices are built on the boot disk (device-mapper chains, LUKS2 containers inside it).

/** A LUKS2 container found on a partition of the boot disk, recognised from its on-disk header. */
export interface LuksContainer {
  /** The partition holding the container ("/dev/mmcblk0p4"). */
  device: string;
  /** LUKS2 header label ("OSDATA_CRYPT"); empty when unset. */
  label: string;
  /** LUKS2 header UUID. */
  uuid: string;
  /** The opened dm-crypt device ("/dev/mapper/osdata_crypt"), when some dm device sits directly on it. */
  mapped?: string;
}

/**
 * A device-mapper partition carved out of a mapped container (kpartx `-p p`: "<name>p<N>"). Its GPT label is in
 * the partition table inside `container`, entry `number`; reading it is the caller's business.
 */
export interface MappedPartition {
  /** The dm partition as the device sees it ("/dev/mapper/osdata_cryptp2"). */
  device: string;
  /** Kernel name ("dm-3"). */
  kname: string;
  /** The mapped container it is carved from ("/dev/mapper/osdata_crypt"). */
  container: string;
  /** Partition number inside the container's table. */
  number: number;
}

export interface BlockLineage {
  /**
   * Kernel names of every device `kname` is built on, nearest first, following /sys/class/block/<dev>/slaves
   * recursively ("dm-3" → ["dm-1", "mmcblk0p4"]). Empty for a plain partition.
   */
  ancestors(kname: string): Promise<string[]>;
  /** True when `device` (a device path) is a partition of `disk` or is built on one. */
  isOnDisk(device: string, disk: string): Promise<boolean>;
  /** Throws OTA_ERR_SLOT_NOT_ON_BOOT_DISK unless `isOnDisk(device, disk)`. */
  assertOnDisk(device: string, disk: string): Promise<void>;
  /** LUKS2 containers on partitions of `disk`. */
  luksContainers(disk: string): Promise<LuksContainer[]>;
  /** Device-mapper partitions whose lineage reaches `disk`, in kernel-name order. */
  mappedPartitions(disk: string): Promise<MappedPartition[]>;
}
