#!/usr/bin/env node
// Builds the install tree (dist/package/root) and its tarball from packaging/manifest.json, bundling first if needed.
//
// Usage: node scripts/package.mjs [--out DIR] [--bundle-dir DIR] [--rebuild-bundle]
// The bundle comes from dist/bundle (npm run bundle), or from --bundle-dir; it is built there when missing or
// with --rebuild-bundle (tests build into a temporary directory, never leaving a stale dist/bundle behind).
// Output: DIR/root/ (the files as they land on the device), DIR/install.sh, DIR/ota-agent-<version>.tar.gz
// (top directory ota-agent-<version>/ holding install.sh and root/). Owners in the tarball are root:root and
// times are SOURCE_DATE_EPOCH (default 0), so the same sources give the same tarball.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const out = outIndex >= 0 ? args[outIndex + 1] : join(repo, "dist/package");
if (!out) fail("--out needs a directory");
const bundleIndex = args.indexOf("--bundle-dir");
const bundleDir = bundleIndex >= 0 ? args[bundleIndex + 1] : join(repo, "dist/bundle");
if (!bundleDir) fail("--bundle-dir needs a directory");
const version = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version;
const manifest = JSON.parse(readFileSync(join(repo, "packaging/manifest.json"), "utf8"));

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function run(command, argv, options = {}) {
  const r = spawnSync(command, argv, { stdio: "inherit", ...options });
  if (r.status !== 0) fail(`${command} ${argv.join(" ")} failed (exit ${r.status ?? r.signal})`);
}

/** "*" matches within one path component; everything else is literal. */
function globToRegExp(glob) {
  return new RegExp(`^${glob.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`);
}

/** Host path of a repo-relative file; "dist/bundle/..." lives in the bundle directory. */
function source(file) {
  if (file === "dist/bundle") return bundleDir;
  return file.startsWith("dist/bundle/") ? join(bundleDir, file.slice("dist/bundle/".length)) : join(repo, file);
}

/** Repo-relative files an entry's `from` names. */
function expand(from) {
  if (from.endsWith("/")) {
    const dir = join(repo, from);
    if (!existsSync(dir)) return [];
    const files = [];
    const walk = (d) => {
      for (const name of readdirSync(d).sort()) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(relative(repo, p));
      }
    };
    walk(dir);
    return files;
  }
  const dir = dirname(from);
  const pattern = globToRegExp(basename(from));
  if (!existsSync(source(dir))) return [];
  return readdirSync(source(dir))
    .filter((name) => pattern.test(name) && statSync(join(source(dir), name)).isFile())
    .sort()
    .map((name) => join(dir, name));
}

// 1. The bundle (written by scripts/bundle.mjs); built when missing or when asked.
if (args.includes("--rebuild-bundle") || !existsSync(join(bundleDir, "ota-agent.mjs"))) {
  run(process.execPath, [join(repo, "scripts/bundle.mjs"), "--outdir", bundleDir], { cwd: repo });
}

// 2. The tree.
const root = join(out, "root");
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });
const covered = new Set();
const placed = new Map();
for (const entry of manifest.entries) {
  const files = expand(entry.from);
  if (files.length === 0) {
    if (entry.optional) continue;
    fail(`manifest entry ${entry.from} matches no file`);
  }
  for (const file of files) {
    covered.add(file);
    let dest;
    if (entry.from.endsWith("/")) dest = join(entry.to, relative(entry.from, file));
    else dest = entry.to.endsWith("/") ? join(entry.to, basename(file)) : entry.to;
    if (placed.has(dest) && placed.get(dest) !== file) fail(`${dest} would come from both ${placed.get(dest)} and ${file}`);
    placed.set(dest, file);
    const target = join(root, dest);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    copyFileSync(source(file), target);
    const mode = entry.mode === "keep" ? statSync(source(file)).mode & 0o777 : parseInt(entry.mode, 8);
    // a directory copy keeps executables executable (dracut's module-setup.sh) and plain files plain
    const srcExec = (statSync(source(file)).mode & 0o111) !== 0;
    chmodSync(target, entry.from.endsWith("/") && !srcExec ? mode & 0o666 : mode);
  }
}

// 3. Nothing under the covered directories may be left out.
const ignore = manifest.ignore.map(globToRegExp);
for (const dir of manifest.cover) {
  for (const file of expand(`${dir}/`)) {
    if (!covered.has(file) && !ignore.some((re) => re.test(basename(file)))) {
      fail(`${file} is not placed by packaging/manifest.json (add an entry, or an ignore pattern)`);
    }
  }
}

// 4. The install script beside the tree, and the tarball.
copyFileSync(join(repo, "packaging/install.sh"), join(out, "install.sh"));
chmodSync(join(out, "install.sh"), 0o755);
const tarball = join(out, `ota-agent-${version}.tar.gz`);
const epoch = process.env.SOURCE_DATE_EPOCH ?? "0";
run("tar", [
  "--sort=name",
  "--owner=0",
  "--group=0",
  "--numeric-owner",
  `--mtime=@${epoch}`,
  `--transform=s,^\\.,ota-agent-${version},`,
  "-czf",
  tarball,
  "-C",
  out,
  "./install.sh",
  "./root",
]);
console.log(`package: ${relative(process.cwd(), root) || root} (${placed.size} files), ${relative(process.cwd(), tarball)}`);
