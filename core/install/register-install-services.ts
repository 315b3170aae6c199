// Registers the install pipeline, the update-module registry and the artifact sources in a container.
import type { DependencyContainer } from "tsyringe";
import type { Platform } from "../capabilities/platform.js";
import type { AgentConfig } from "../config/schema.js";
import type { Logger } from "../logging/logger.js";
import { TOKENS, asInjectionToken } from "../di/tokens.js";
import { resolve, resolveAll } from "../di/resolve.js";
import { InstallPipeline } from "./install-pipeline.js";
import { UpdateModuleRegistry } from "./module-registry.js";
import { SourceRegistry } from "./sources/source-registry.js";
import { FileSource } from "./sources/file-source.js";
import { HttpSource } from "./sources/http-source.js";

/**
 * Called by the composition root after Platform, Config and Logger are registered. The registries look up
 * `update-module` / `artifact-source` capabilities at use time, so plugins set up later are seen.
 */
export function registerInstallServices(container: DependencyContainer): void {
  container.register(asInjectionToken(TOKENS.UpdateModuleRegistry), {
    useFactory: (c) => new UpdateModuleRegistry(() => resolveAll(c, TOKENS.UpdateModule)),
  });
  container.register(asInjectionToken(TOKENS.SourceRegistry), {
    useFactory: (c) => {
      const platform: Platform = resolve(c, TOKENS.Platform);
      const config: AgentConfig = resolve(c, TOKENS.Config);
      const log: Logger = resolve(c, TOKENS.Logger);
      return new SourceRegistry(
        () => resolveAll(c, TOKENS.ArtifactSource),
        [new FileSource(platform), new HttpSource(platform, config.install.http, log)],
      );
    },
  });
  container.register(asInjectionToken(TOKENS.InstallPipeline), { useClass: InstallPipeline });
}
