// Picks the artifact source for a URI: the first whose canOpen accepts it, plugins' sources before core's.
import type { ArtifactSource } from "../../capabilities/artifact-source.js";
import { OtaError } from "../../errors/index.js";

/**
 * Plugins' `artifact-source` capabilities are consulted first so a plugin can take over a scheme core also
 * handles (e.g. https through a proxy tunnel); core's file and http sources come last.
 */
export class SourceRegistry {
  constructor(
    private readonly pluginSources: () => readonly ArtifactSource[],
    private readonly coreSources: readonly ArtifactSource[],
  ) {}

  all(): ArtifactSource[] {
    return [...this.pluginSources(), ...this.coreSources];
  }

  /** The source for `uri`; throws OTA_ERR_SOURCE_UNSUPPORTED naming the scheme. */
  get(uri: string): ArtifactSource {
    const source = this.all().find((s) => s.canOpen(uri));
    if (!source) {
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1] ?? "(none)";
      throw new OtaError("OTA_ERR_SOURCE_UNSUPPORTED", `no artifact source can open scheme "${scheme}"`, {
        details: { scheme },
      });
    }
    return source;
  }
}
