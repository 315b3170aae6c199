// The `ota-agent` process entry: hands the built-in plugin set to core's CLI (it lives here because core never imports plugins/).
import { runCli } from "../core/cli/run-cli.js";
import { builtinPlugins } from "./builtin.js";

process.exitCode = await runCli(process.argv.slice(2), { builtinPlugins });
