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

/** Every violation as "file:line: what". */
function violations(): string[] {
  const found: string[] = [];
  for (const file of [...sourceFiles("core"), ...sourceFiles("plugins")]) {
    const text = readFileSync(join(root, file), "utf8");
    if (!text.includes("@")) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const where = (node: ts.Node): string =>
      `${relative(root, join(root, file))}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
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
        const ctor = node.members.find(ts.isConstructorDeclaration);
        for (const param of ctor?.parameters ?? []) {
          const injected = ts.getDecorators(param)?.some((d) => ["inject", "injectAll"].includes(decoratorName(d) ?? ""));
          if (!injected) found.push(`${where(param)}: constructor parameter ${param.name.getText()} lacks @inject(TOKEN)`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe("tsyringe rules (DESIGN.md §4)", () => {
  it("every @injectable class injects each constructor parameter explicitly, and nothing registers globally", () => {
    expect(violations()).toEqual([]);
  });
});
