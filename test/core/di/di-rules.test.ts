// Enforces the tsyringe rules on every source file: explicit @inject on each constructor parameter, no global registration.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../../../", import.meta.url));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

function decoratorName(decorator: ts.Decorator): string | undefined {
  const expr = decorator.expression;
  if (ts.isCallExpression(expr)) return expr.expression.getText();
  return expr.getText();
}

/** Every violation in one source text as "file:line: what"; counts the @injectable classes it saw. */
function checkSource(file: string, text: string, seen: { injectables: number }): string[] {
  const found: string[] = [];
  if (!text.includes("@")) return found;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const where = (node: ts.Node): string => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isDecorator(node)) {
      const name = decoratorName(node);
      if (name === "singleton" || name === "registry" || name === "autoInjectable" || name === "scoped") {
        found.push(`${where(node)}: @${name} registers into the global container or hides injection; register in the composition root`);
      }
      if (name === "injectable" && ts.isCallExpression(node.expression) && node.expression.arguments.length > 0) {
        found.push(`${where(node)}: @injectable({ token }) registers into the global container at import`);
      }
    }
    if (ts.isClassDeclaration(node) && ts.getDecorators(node)?.some((d) => decoratorName(d) === "injectable")) {
      seen.injectables += 1;
      const ctor = node.members.find(ts.isConstructorDeclaration);
      for (const param of ctor?.parameters ?? []) {
        const injected = ts.getDecorators(param)?.some((d) => ["inject", "injectAll"].includes(decoratorName(d) ?? ""));
        if (!injected) found.push(`${where(param)}: constructor parameter ${param.name.getText()} lacks @inject(TOKEN)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every violation in core/ and plugins/. */
function violations(seen: { injectables: number }): string[] {
  return [...sourceFiles("core"), ...sourceFiles("plugins")].flatMap((file) =>
    checkSource(relative(root, join(root, file)), readFileSync(join(root, file), "utf8"), seen),
  );
}

describe("tsyringe rules (DESIGN.md §4)", () => {
  it("every @injectable class injects each constructor parameter explicitly, and nothing registers globally", () => {
    const seen = { injectables: 0 };
    expect(violations(seen)).toEqual([]);
    // The scan really walked the tree: core has injectable services (install pipeline, deployment runner).
    expect(seen.injectables).toBeGreaterThanOrEqual(2);
  });

  it("the checker reports a parameter without @inject, @singleton and @injectable({ token }) (it is not vacuous)", () => {
    const probe = [
      '@injectable()',
      "class A { constructor(@inject(TOKENS.Logger) readonly log: Logger, readonly bare: Platform) {} }",
      "@singleton()",
      "class B {}",
      "@injectable({ token: TOKENS.Logger })",
      "class C {}",
    ].join("\n");
    expect(checkSource("probe.ts", probe, { injectables: 0 })).toEqual([
      "probe.ts:2: constructor parameter bare lacks @inject(TOKEN)",
      "probe.ts:3: @singleton registers into the global container or hides injection; register in the composition root",
      "probe.ts:5: @injectable({ token }) registers into the global container at import",
    ]);
  });
});
