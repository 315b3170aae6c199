// Writes generator log lines to the kernel log (/dev/kmsg), the only log a systemd generator reliably has.
import type { Platform } from "../../core/capabilities/platform.js";
import type { Logger } from "../../core/logging/logger.js";

/** syslog priorities used in /dev/kmsg's "<N>" prefix. */
const PRIORITY = { warn: 4, info: 6 } as const;

/**
 * Generators run before journald: their stdout/stderr go nowhere useful, so each line becomes one /dev/kmsg record
 * ("<6>ota-agent-generator: ..."), visible in `dmesg` and later in `journalctl -k`. Falls back to the logger when
 * /dev/kmsg cannot be written (tests, containers). Never throws: logging must not stop a generator.
 */
export class KernelLog {
  constructor(
    private readonly platform: Platform,
    private readonly log: Logger,
    private readonly tag = "ota-agent-generator",
  ) {}

  info(event: string, message: string): Promise<void> {
    this.log.info({ event }, message);
    return this.write("info", message);
  }

  warn(event: string, message: string): Promise<void> {
    this.log.warn({ event }, message);
    return this.write("warn", message);
  }

  private async write(level: keyof typeof PRIORITY, message: string): Promise<void> {
    // kmsg records are limited (about 1 KiB); one line each
    const line = `<${PRIORITY[level]}>${this.tag}: ${message.replace(/\s*\n\s*/g, " ").slice(0, 900)}\n`;
    try {
      const handle = await this.platform.fs.open("/dev/kmsg", "a");
      try {
        const bytes = Buffer.from(line, "utf8");
        await handle.write(bytes, 0, bytes.length, 0);
      } finally {
        await handle.close();
      }
    } catch {
      // the logger line above is all there is
    }
  }
}
