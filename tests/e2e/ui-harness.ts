/**
 * Browser-test helpers: Debian's Chromium (installed by scripts/test.sh's set-up, never downloaded) driven by
 * playwright-core, screenshots into the git-ignored artifacts/ui/ folder, and an axe-core run.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const ARTIFACTS = join(resolve(import.meta.dir, "..", ".."), "artifacts", "ui");
const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** Launches the system's Chromium headless; throws with the install command when it is missing. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? CHROMIUM_PATHS.find((p) => existsSync(p));
  if (!executablePath) throw new Error("no Chromium found: `apt-get install -y chromium` (scripts/test.sh does it)");
  return chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

/** Saves a full-page screenshot as artifacts/ui/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Writes a JSON report beside the screenshots. */
export function report(name: string, value: unknown): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core (from node_modules) on the page; its violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: join(resolve(import.meta.dir, "..", ".."), "node_modules", "axe-core", "axe.min.js") });
  // In-page code as source text: the test program has no DOM types.
  return (await page.evaluate(`axe.run(document).then((r) => r.violations.map((v) =>
    ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`)) as AxeViolation[];
}
