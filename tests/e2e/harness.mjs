// What every end-to-end test file shares: a real `baryon serve --console-dir <dist>` on a free
// loopback port (optionally with moto_server as its CloudFormation), Debian's Chromium driven
// by playwright-core, calls through the console's own proxy, and screenshots.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const artifacts = join(repoRoot, "tests/e2e/artifacts");
const consoleDir = resolve(repoRoot, process.env.CONSOLE_DIR ?? "web/dist");
export const TIMEOUT = 30_000;

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// Polls `check` until it returns true (the UI updates asynchronously after an input).
export async function until(check, what) {
  const deadline = Date.now() + TIMEOUT;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Debian's Chromium, headless, through playwright-core (CHROMIUM overrides the path).
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

// Starts a child process and waits until `url` answers 2xx.
async function startProcess(bin, args, url, logFile, name, extraEnv = {}) {
  const log = openSync(logFile, "w");
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BARYON_"))),
    ...extraEnv,
  };
  const child = spawn(bin, args, { stdio: ["ignore", log, log], env });
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; log: ${logFile}`);
    try {
      const r = await fetch(url);
      if (r.ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not start; log: ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopProcess(child) {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

// Everything one test file drives: `baseUrl`, `page`, `work` (a scratch directory), `api`,
// `shot`, `pageErrors`; `stop()` ends it all. `moto: true` starts moto_server (from
// tests/.venv) and passes it to baryon as `--cloudformation-endpoint`.
export async function startConsole({ moto = false } = {}) {
  const bin = process.env.BARYON_BIN;
  assert.ok(bin, "BARYON_BIN must point at the baryon binary");
  mkdirSync(artifacts, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "baryon-console-e2e-"));
  const children = [];
  const args = [];
  // moto accepts any key; the engine signs its CloudFormation calls with these.
  const engineEnv = {};
  if (moto) {
    const motoPort = await freePort();
    const motoUrl = `http://127.0.0.1:${motoPort}`;
    const motoBin = join(repoRoot, "tests/.venv/bin/moto_server");
    children.push(await startProcess(motoBin, ["-H", "127.0.0.1", "-p", String(motoPort)], motoUrl + "/moto-api/", join(work, "moto.log"), "moto_server"));
    args.push("--cloudformation-endpoint", motoUrl);
    Object.assign(engineEnv, { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1" });
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  children.push(await startProcess(
    bin,
    ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", join(work, "data"), "--console-dir", consoleDir, ...args],
    baseUrl + "/health",
    join(work, "server.log"),
    "baryon serve",
    engineEnv,
  ));
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  // Confirmations are accepted; a prompt is answered with the next of `answerPrompt`'s texts.
  const promptAnswers = [];
  page.on("dialog", (d) => d.accept(d.type() === "prompt" ? (promptAnswers.shift() ?? "") : undefined));

  // Calls the engine through the console's own proxy (set-up steps a test does not click
  // through). `service`: proton or servicecatalog.
  async function call(service, op, body) {
    const r = await fetch(`${baseUrl}/api/${service}/${op}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-baryon-csrf": "1" },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${op}: ${r.status} ${text}`);
    return JSON.parse(text);
  }

  return {
    baseUrl,
    page,
    answerPrompt: (text) => promptAnswers.push(text),
    work,
    pageErrors,
    api: (op, body) => call("proton", op, body),
    catalog: (op, body) => call("servicecatalog", op, body),
    shot: (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true }),
    async stop() {
      await browser.close();
      for (const c of children.reverse()) await stopProcess(c);
      // Kept when a test failed (the logs say why): KEEP_E2E_WORK=1.
      if (!process.env.KEEP_E2E_WORK) rmSync(work, { recursive: true, force: true });
    },
  };
}
