// Serves one artifact body with HTTP Range support (206, 416, ETag, If-Range), optionally dropping the connection midway.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHash } from "node:crypto";

export interface DownloadOptions {
  /** Destroy the socket after this many body bytes (a dropped connection mid-download). */
  dropAfterBytes?: number;
}

/** ETag as hawkBit makes it: the quoted SHA-1 of the content. */
export function etagOf(data: Buffer): string {
  return `"${createHash("sha1").update(data).digest("hex")}"`;
}

export function serveRange(req: IncomingMessage, res: ServerResponse, data: Buffer, options: DownloadOptions = {}): number {
  const etag = etagOf(data);
  const total = data.length;
  res.setHeader("Accept-Ranges", "bytes");
  res.setHeader("ETag", etag);
  res.setHeader("Content-Type", "application/octet-stream");
  let start = 0;
  let end = total - 1;
  let status = 200;
  const range = req.headers.range;
  const ifRange = req.headers["if-range"];
  if (range !== undefined && (ifRange === undefined || ifRange === etag)) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (m && (m[1] !== "" || m[2] !== "")) {
      if (m[1] === "") {
        start = Math.max(0, total - Number(m[2]));
      } else {
        start = Number(m[1]);
        end = m[2] === "" ? total - 1 : Math.min(Number(m[2]), total - 1);
      }
      if (start >= total || start > end) {
        res.writeHead(416, { "Content-Range": `bytes */${total}` });
        res.end();
        return 416;
      }
      status = 206;
      res.setHeader("Content-Range", `bytes ${start}-${end}/${total}`);
    }
  }
  const body = data.subarray(start, end + 1);
  res.writeHead(status, { "Content-Length": body.length });
  if (options.dropAfterBytes !== undefined && options.dropAfterBytes < body.length) {
    res.write(body.subarray(0, options.dropAfterBytes), () => res.socket?.destroy());
    return status;
  }
  res.end(body);
  return status;
}
