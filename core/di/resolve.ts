// Typed resolution helpers over tsyringe containers.
import type { DependencyContainer } from "tsyringe";
import type { Token } from "./tokens.js";

/** Resolves one registration of `token`. */
export function resolve<T>(container: DependencyContainer, token: Token<T>): T {
  return container.resolve<T>(token);
}

/** Resolves every registration of `token` (empty when none). */
export function resolveAll<T>(container: DependencyContainer, token: Token<T>): T[] {
  return container.isRegistered(token, true) ? container.resolveAll<T>(token) : [];
}

/** Resolves `token` when registered, else undefined. */
export function resolveOptional<T>(container: DependencyContainer, token: Token<T>): T | undefined {
  return container.isRegistered(token, true) ? container.resolve<T>(token) : undefined;
}
