// `ota-agent plugins`: the loaded plugins, their versions, sources, capabilities and set-up times.
import type { CoreCommand } from "../core-command.js";
import { EXIT } from "../exit-codes.js";
import { rejectArgs } from "../reject-args.js";

export const pluginsCommand: CoreCommand = {
  name: "plugins",
  summary: "list loaded plugins: version, source, what each provides, set-up time",
  usage: "ota-agent plugins [--json]\n\nLists the plugins the configuration loads, in set-up order.",
  readOnly: true,
  async run(args, ctx) {
    rejectArgs("plugins", args);
    const agent = await ctx.agent();
    const plugins = agent.plugins.map((p) => ({
      name: p.name,
      version: p.version,
      source: p.source,
      origin: p.origin,
      provides: p.provides,
      setupMs: p.setupMs,
      ...(p.description ? { description: p.description } : {}),
    }));
    if (ctx.io.json) {
      ctx.io.stdout.write(JSON.stringify({ agentVersion: agent.info.version, plugins }, null, 2) + "\n");
      return EXIT.OK;
    }
    if (plugins.length === 0) {
      ctx.io.stdout.write("no plugins loaded\n");
      return EXIT.OK;
    }
    const rows = plugins.map((p) => [
      p.name,
      p.version,
      p.source === "builtin" ? "builtin" : `${p.source} ${p.origin}`,
      `${p.setupMs} ms`,
      p.provides.join(", ") || "-",
    ]);
    ctx.io.stdout.write(table(["PLUGIN", "VERSION", "SOURCE", "SETUP", "PROVIDES"], rows));
    return EXIT.OK;
  },
};

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ") + "\n";
  return line(header) + rows.map(line).join("");
}
