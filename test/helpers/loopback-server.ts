// Test helper: listen an HTTP(S) server on 127.0.0.1 (a free port) and close it with its open connections.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts `server` on a free loopback port; resolves with its base URL (no trailing slash). */
export async function listenLoopback(server: Server, scheme: "http" | "https" = "http"): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Drops open (keep-alive) connections and closes `server`. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
