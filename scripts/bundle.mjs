#!/usr/bin/env node
// Builds one-file command lines for devices with esbuild: dist/bundle/ota-agent.mjs and dist/bundle/ota-artifact.mjs.
//
// Lazy loading: esbuild without `splitting` inlines every dynamic import() into the one file, but keeps it lazy:
// an imported module's top level runs only when the import() runs (esbuild's __esm wrappers), so unused plugins and
// pino-pretty cost parse time only. One self-contained file per command is what a device wants (copy one file).
// DI works without decorator metadata: every constructor parameter has an explicit @inject(TOKEN).
//
// Memory: V8 keeps a module's whole source text alive for lazy compilation, as a one-byte string only while every
// character is Latin-1; one "—" in a kept comment doubles it. `minifyWhitespace` drops comments and indentation
// (2.3 MB -> 1.2 MB of source, one-byte); identifiers stay unminified so stack traces keep their names.
//
// Node built-ins: in one ESM file every `import ... from "node:https"` would be hoisted to the file's top and load
// at start-up (http, tls, crypto, zlib, dns, vm, worker_threads... for `ota-agent --version`). The lazyBuiltins
// plugin turns each such import into a require() inside the importing module's lazy init, so a built-in loads
// when the first module that uses it runs.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
// `--outdir DIR` builds elsewhere (tests bundle into a temp dir, never over the tree's dist/).
const outIndex = process.argv.indexOf("--outdir");
const outDir = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : root + "dist/bundle";
const tempDir = outDir + "/.bundle-entries";
mkdirSync(outDir, { recursive: true });
mkdirSync(tempDir, { recursive: true });

// ESM output still runs CommonJS dependencies that call require(): give them one.
const banner = {
  js: [
    'import { createRequire as __otaCreateRequire } from "node:module";',
    "const require = __otaCreateRequire(import.meta.url);",
  ].join("\n"),
};

const builtins = new Set(builtinModules.flatMap((m) => (m.startsWith("node:") ? [m] : [m, `node:${m}`])));
/** Routes `import` statements of Node built-ins through a CommonJS shim (`module.exports = require(id)`). */
const lazyBuiltins = {
  name: "lazy-node-builtins",
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!builtins.has(args.path)) return undefined;
      if (args.kind !== "import-statement" || args.namespace === "lazy-builtin") return { path: args.path, external: true };
      return { path: args.path, namespace: "lazy-builtin" };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: false,
  legalComments: "none",
  minifyWhitespace: true,
  banner,
  plugins: [lazyBuiltins],
  tsconfig: root + "tsconfig.json",
  logLevel: "warning",
};

const targets = [{ name: "ota-agent", entry: root + "plugins/entry.ts" }];

const artifactMain = root + "artifacts/cli/main.ts";
if (existsSync(artifactMain)) {
  // main.ts exports main() and runs nothing; the bundle needs a runner around it.
  const runner = tempDir + "/ota-artifact.ts";
  writeFileSync(
    runner,
    `import { main } from ${JSON.stringify(artifactMain)};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
  );
  targets.push({ name: "ota-artifact", entry: runner });
} else {
  console.log("bundle: artifacts/cli/main.ts is missing: skipping ota-artifact.mjs");
}

for (const target of targets) {
  const outfile = `${outDir}/${target.name}.mjs`;
  const result = await build({ ...common, entryPoints: [target.entry], outfile, metafile: true });
  assertLean(result.metafile);
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`bundle: ${outfile.startsWith(root) ? outfile.slice(root.length) : outfile} ${(bytes / 1024).toFixed(0)} KiB`);
}
rmSync(tempDir, { recursive: true, force: true });

/**
 * Fails the build when zod's `z` namespace object is bundled: `import { z } from "zod"` keeps all of zod (every
 * locale, JSON-schema conversion: ~600 KiB, ~3.5 MB of RSS), `import * as z from "zod"` lets esbuild keep only what
 * is used.
 */
function assertLean(metafile) {
  const kept = Object.values(metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0));
  const locale = kept.map(([p]) => p).find((p) => /node_modules\/zod\/.*\/locales\/(?!(?:en|index)\.js)[a-z-]+\.js$/i.test(p));
  if (locale) {
    console.error(`bundle: ${locale} is bundled: some file has \`import { z } from "zod"\`; write \`import * as z from "zod"\``);
    process.exit(1);
  }
}
