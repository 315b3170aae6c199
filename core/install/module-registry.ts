// Finds the update module for a payload type among every loaded `update-module` capability.
import type { UpdateModule } from "../capabilities/update-module.js";
import { OtaError } from "../errors/index.js";

/**
 * Built by a factory in the composition root (resolveAll of TOKENS.UpdateModule, which may be empty), so it
 * takes a getter: modules of plugins set up after the registry was created are still found.
 */
export class UpdateModuleRegistry {
  constructor(private readonly modules: () => readonly UpdateModule[]) {}

  /** Every loaded payload type, sorted (for inventory `update_modules`). */
  types(): string[] {
    return [...new Set(this.modules().map((m) => m.payloadType))].sort();
  }

  /** The first module (load order) for `payloadType`, or undefined. */
  find(payloadType: string): UpdateModule | undefined {
    return this.modules().find((m) => m.payloadType === payloadType);
  }

  /** The module for `payloadType`; throws OTA_ERR_INSTALL_NO_MODULE naming the type and the loaded ones. */
  get(payloadType: string): UpdateModule {
    const module = this.find(payloadType);
    if (!module) {
      const loaded = this.types();
      throw new OtaError(
        "OTA_ERR_INSTALL_NO_MODULE",
        `no update module for payload type "${payloadType}" (loaded: ${loaded.length ? loaded.join(", ") : "none"})`,
        { details: { payloadType, loaded } },
      );
    }
    return module;
  }
}
