// Runs the dev server from a shell for the demo and manual tries: `npx tsx test/sim/server/run-dev-server.ts --help`.
import { parseArgs } from "node:util";
import { basename } from "node:path";
import { DevServer } from "./dev-server.js";

const USAGE = `usage: run-dev-server [options]
  --port N                 listen on 127.0.0.1:N (default: random)
  --auto-accept            accept Mender devices on their first auth request
  --enterprise             serve the v2 next-deployment endpoint
  --tenant-token T         require this Mender tenant token
  --artifact FILE          create a Mender deployment (and, with --hawkbit-target, a hawkBit action) for FILE
  --artifact-name NAME     its artifact name (default: the file name without .mender)
  --device-type TYPE       compatible device type (repeatable; default raspberrypi5)
  --hawkbit-target ID:TOKEN  register a hawkBit target with a TargetToken
  --hawkbit-sleep HH:MM:SS polling sleep hawkBit tells devices (default 00:00:30)
Prints one JSON line {"url": ...} on stdout, then one line per request on stderr; Ctrl-C stops.`;

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "auto-accept": { type: "boolean" },
    enterprise: { type: "boolean" },
    "tenant-token": { type: "string" },
    artifact: { type: "string" },
    "artifact-name": { type: "string" },
    "device-type": { type: "string", multiple: true },
    "hawkbit-target": { type: "string" },
    "hawkbit-sleep": { type: "string" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const server = await DevServer.start({
  ...(values.port ? { port: Number(values.port) } : {}),
  mender: {
    autoAccept: values["auto-accept"] ?? false,
    enterprise: values.enterprise ?? false,
    ...(values["tenant-token"] ? { tenantToken: values["tenant-token"] } : {}),
  },
  hawkbit: { sleep: values["hawkbit-sleep"] ?? "00:00:30" },
});
const deviceTypes = values["device-type"] ?? ["raspberrypi5"];
if (values.artifact) {
  const artifactName = values["artifact-name"] ?? basename(values.artifact).replace(/\.mender$/, "");
  server.mender.createDeployment({ artifactName, artifact: values.artifact, deviceTypes });
}
if (values["hawkbit-target"]) {
  const [id, token] = values["hawkbit-target"].split(":");
  if (!id || !token) throw new Error("--hawkbit-target wants ID:TOKEN");
  server.hawkbit.addTarget(id, token);
  if (values.artifact) server.hawkbit.createAction({ controllerId: id, artifacts: [{ filename: basename(values.artifact), data: values.artifact }] });
}
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
let seen = 0;
const timer = setInterval(() => {
  for (; seen < server.requests.length; seen++) {
    const r = server.requests[seen];
    if (r) process.stderr.write(`${r.method} ${r.path} ${r.status} ${r.endpoint}${r.violations.length ? ` VIOLATIONS: ${r.violations.join("; ")}` : ""}\n`);
  }
}, 200);
process.once("SIGINT", () => {
  clearInterval(timer);
  void server.stop().then(() => process.exit(0));
});
