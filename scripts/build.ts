#!/usr/bin/env bun
/**
 * Builds the single binary dist/vllm-mlx: `bun build --compile` of the CLI, carrying the chosen backend's
 * native libraries (libvmlx, libmlx, the wheel's vendored libraries, Metal's mlx.metallib) in the wheel's
 * relative layout. A generated entry module under dist/.build/ embeds them `with { type: "file" }` and
 * registers them (src/mlx/ffi/embedded.ts) before the CLI starts. The chat UI (ui/build.ts) is built too and
 * embedded as one JSON file, registered with src/server/ui.ts.
 *
 * `--target linux-x64|darwin-arm64` builds dist/vllm-mlx-<target> for that platform instead (scripts/targets.ts);
 * on Linux, darwin-arm64 cross-builds libvmlx.dylib first (scripts/darwin/native.ts).
 *
 * @example
 *   bun scripts/build.ts --backend cpu
 *   bun scripts/build.ts --target darwin-arm64
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { EMBEDDED_SHARP_DIR } from "../src/media/sharp.ts";
import { encodeUiBundle } from "../src/server/ui.ts";
import { buildUi, scriptAndStyleSize } from "../ui/build.ts";
import { type Backend, MLX_VERSION, mlxRoot, parseBackendArg, REPO_ROOT, sharedLibName } from "./paths.ts";
import { sharpNative } from "./sharp-native.ts";
import { kernelsDescription, parseTargetArg, type Target, targetPlan } from "./targets.ts";

interface NativeFile {
  rel: string;
  abs: string;
  size: number;
}

function filesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((name) => join(dir, name)).filter((p) => statSync(p).isFile());
}

/** mlx/lib/* (libvmlx, libmlx, mlx.metallib) and the vendored folders auditwheel/delocate add. */
export function nativeFiles(root: string): NativeFile[] {
  const vendored = readdirSync(root).filter((d) => d.endsWith(".libs")).map((d) => join(root, d));
  const paths = [...filesIn(join(root, "mlx", "lib")), ...vendored.flatMap(filesIn), ...filesIn(join(root, "mlx", ".dylibs"))];
  return paths.sort().map((abs) => ({ rel: relative(root, abs), abs, size: statSync(abs).size }));
}

/**
 * sharp's addon and libvips for the target (scripts/sharp-native.ts), under `sharp/` in their node_modules layout
 * so the addon's relative RPATH finds libvips once unpacked; src/media/sharp.ts loads the unpacked addon.
 */
export async function sharpFiles(target?: string): Promise<NativeFile[]> {
  const pair = await sharpNative(target ?? `${process.platform}-${process.arch}`);
  return [pair.addon, pair.libvips].map((rel) => {
    const abs = join(pair.root, rel);
    return { rel: join(EMBEDDED_SHARP_DIR, rel), abs, size: statSync(abs).size };
  });
}

function contentHash(files: NativeFile[]): string {
  const hasher = new Bun.CryptoHasher("sha256");
  for (const f of files) {
    hasher.update(`${f.rel}\0${f.size}\0`);
    hasher.update(readFileSync(f.abs));
  }
  return hasher.digest("hex").slice(0, 12);
}

function entryModule(key: string, library: string, files: NativeFile[], uiBundle: string, kernels: string): string {
  const src = (p: string) => JSON.stringify(join(REPO_ROOT, "src", p));
  const lines = [
    `import { registerEmbedded } from ${src("mlx/ffi/embedded.ts")};`,
    `import { registerEmbeddedUi } from ${src("server/ui.ts")};`,
    `import uiBundle from ${JSON.stringify(uiBundle)} with { type: "file" };`,
    `registerEmbeddedUi(uiBundle);`,
  ];
  files.forEach((f, i) => lines.push(`import file${i} from ${JSON.stringify(f.abs)} with { type: "file" };`));
  const entries = files.map((f, i) => `    { rel: ${JSON.stringify(f.rel)}, source: file${i}, size: ${f.size} },`);
  lines.push(
    `registerEmbedded({`,
    `  key: ${JSON.stringify(key)},`,
    `  library: ${JSON.stringify(library)},`,
    `  kernels: ${JSON.stringify(kernels)},`,
    `  files: [`,
    ...entries,
    `  ],`,
    `});`,
    `await import(${src("cli/main.ts")});`,
  );
  return `${lines.join("\n")}\n`;
}

async function build(requested: Backend, target?: Target): Promise<void> {
  const plan = target ? targetPlan(target, requested) : undefined;
  const backend = plan?.backend ?? requested;
  if (plan?.target === "darwin-arm64" && process.platform !== "darwin") {
    const { buildDarwinNative } = await import("./darwin/native.ts");
    buildDarwinNative();
  }
  const root = mlxRoot(backend);
  const library = join("mlx", "lib", plan?.libName ?? sharedLibName("vmlx"));
  if (!existsSync(join(root, library))) {
    console.error(`build: ${join(root, library)} is missing; run: bun scripts/native.ts --backend ${backend}`);
    process.exit(1);
  }
  const files = [...nativeFiles(root).filter((f) => !plan?.exclude.includes(relative(join("mlx", "lib"), f.rel))),
    ...await sharpFiles(plan?.target)];
  const kernels = kernelsDescription(backend, join(root, library));
  const pkgVersion = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
  const key = `${pkgVersion}-${MLX_VERSION}-${backend}-${contentHash(files)}`;

  const workDir = join(REPO_ROOT, "dist", ".build");
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const ui = await buildUi();
  const uiBundle = join(workDir, "ui.json");
  writeFileSync(uiBundle, encodeUiBundle(ui));
  const entry = join(workDir, "entry.ts");
  writeFileSync(entry, entryModule(key, library, files, uiBundle, kernels));

  const outfile = plan?.outfile ?? join(REPO_ROOT, "dist", "vllm-mlx");
  // The engine worker, the prompt worker and the desktop app's server worker are further entrypoints: the binary
  // spawns them by their paths under --root (./src/engine/worker/worker.ts, ./src/engine/frontend/prompt-worker.ts,
  // ./src/desktop/server-worker.ts).
  const worker = join(REPO_ROOT, "src", "engine", "worker", "worker.ts");
  const promptWorker = join(REPO_ROOT, "src", "engine", "frontend", "prompt-worker.ts");
  const appWorker = join(REPO_ROOT, "src", "desktop", "server-worker.ts");
  // The pooling engine's worker (embedding and rerank models): ./src/engine/pooling/worker.ts.
  const poolingWorker = join(REPO_ROOT, "src", "engine", "pooling", "worker.ts");
  // The grammar thread that the engine worker starts (./src/engine/structured/grammar-thread.ts).
  const grammarThread = join(REPO_ROOT, "src", "engine", "structured", "grammar-thread.ts");
  // The spec-check thread that the server's thread starts (./src/engine/structured/spec-check-thread.ts).
  const specCheckThread = join(REPO_ROOT, "src", "engine", "structured", "spec-check-thread.ts");
  // sharp's addon packages stay external: src/media/sharp.ts points their require at the unpacked addon.
  const cmd = [process.execPath, "build", "--compile", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
    ...(plan ? [`--target=${plan.bunTarget}`] : []), "--external", "@img/sharp-*", `--root=${REPO_ROOT}`,
    "--outfile", outfile, entry, worker,
    promptWorker, appWorker, poolingWorker, grammarThread, specCheckThread];
  const proc = Bun.spawnSync(cmd, { cwd: REPO_ROOT, stdout: "inherit", stderr: "inherit" });
  if (proc.exitCode !== 0) {
    console.error(`build: '${cmd.join(" ")}' failed with exit code ${proc.exitCode}`);
    process.exit(proc.exitCode ?? 1);
  }
  rmSync(workDir, { recursive: true, force: true });
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const carried = files.reduce((s, f) => s + f.size, 0);
  console.log(`build: ${relative(REPO_ROOT, outfile)} (${mib(statSync(outfile).size)}; native ${key}: ` +
    `${files.length} files, ${mib(carried)}; UI JS + CSS ${(scriptAndStyleSize(ui).gzip / 1024).toFixed(1)} KiB gzipped)`);
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const target = parseTargetArg(argv);
  // darwin-arm64 is always Metal: no backend needs detecting for it.
  await build(target === "darwin-arm64" ? "metal" : parseBackendArg(argv), target);
}
