// The @baryon/model npm package, imported by Node as a user would, and the same package in
// Debian's Chromium: both must give exactly the native `baryon validate --json` results.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { allPairs, repoRoot, sharedSamples } from "./fixtures.mjs";
import { launchChromium } from "../e2e/harness.mjs";

const pkgDir = join(repoRoot, "build/npm/baryon-model");
const pkgJson = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const model = await import(join(pkgDir, pkgJson.module));
model.initSync({ module: readFileSync(join(pkgDir, "baryon_model_bg.wasm")) });

const { own, shared } = allPairs();
const everyPair = [...own, ...(shared ?? [])];

function native(pair) {
  const bin = process.env.BARYON_BIN;
  assert.ok(bin, "BARYON_BIN must point at the native baryon binary");
  try {
    return JSON.parse(
      execFileSync(bin, ["validate", "--json", "--schema", pair.schemaPath, "--spec", pair.specPath], {
        encoding: "utf8",
      }),
    );
  } catch (e) {
    // Exit status 1 means "invalid spec"; the JSON is still on stdout.
    if (e.status === 1 && e.stdout) return JSON.parse(e.stdout);
    throw e;
  }
}

test("the package declares an ES module, wasm and TypeScript types", () => {
  assert.equal(pkgJson.type, "module");
  assert.equal(pkgJson.types, "baryon_model.d.ts");
  const dts = readFileSync(join(pkgDir, "baryon_model.d.ts"), "utf8");
  for (const decl of [
    "export function validateSpec(schema_yaml: string, spec_yaml: string): SpecValidation;",
    "export function parseManifest(yaml: string): ManifestResult;",
    "export function parseArn(arn: string): ArnResult;",
    "export function validateRequest(operation: string, json: string): RequestValidation;",
    "export interface Diagnostic {",
  ]) {
    assert.ok(dts.includes(decl), `missing from .d.ts: ${decl}`);
  }
});

test("the project's own fixtures are found", () => {
  assert.ok(own.length >= 3, `expected at least 3 own pairs, found ${own.length}`);
});

test("a spec with a wrong type, a missing input and a pattern violation gets three positioned diagnostics", () => {
  const pair = own.find(
    (p) => p.specPath.endsWith("queue-env-three-errors.yaml") && p.schemaPath.includes("/queue-env/"),
  );
  const result = model.validateSpec(pair.schema, pair.spec);
  assert.equal(result.ok, false);
  assert.deepEqual(
    result.diagnostics.map((d) => [d.path, d.line, d.col]),
    [
      ["spec", 3, 1],
      ["spec.retention_seconds", 4, 22],
      ["spec.alarm_email", 6, 16],
    ],
  );
});

test("validateRequest answers with the AWS ValidationException message", () => {
  const r = model.validateRequest("GetService", "{}");
  assert.deepEqual(r, {
    ok: false,
    service: "Proton",
    errorType: "ValidationException",
    message:
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    violations: [
      {
        path: "name",
        message: "Value null at 'name' failed to satisfy constraint: Member must not be null",
      },
    ],
  });
});

test("listOperations has all 87 Proton operations", () => {
  assert.equal(model.listOperations("proton").length, 87);
});

test("Node gives exactly the native results for every fixture pair", () => {
  if (shared === null) console.log(`SKIPPED shared samples: ${sharedSamples} not present`);
  for (const pair of everyPair) {
    assert.deepEqual(model.validateSpec(pair.schema, pair.spec), native(pair), pair.name);
  }
});

test("the aws-samples spec/schema pairs are part of the parity set", (t) => {
  // Which samples are valid (and the one real typo among them) is pinned by the native
  // domain test (crates/model/tests/domain.rs); here they only widen the parity set.
  if (shared === null) {
    t.skip(`SKIPPED: ${sharedSamples} not present`);
    return;
  }
  assert.ok(shared.length >= 11, `expected ≥ 11 sample pairs, found ${shared.length}`);
});

// --- Chromium ---------------------------------------------------------------------------

let server;
let browser;
let baseUrl;

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>baryon-model</title>");
      return;
    }
    const file = url.pathname.replace(/^\/pkg\//, "");
    if (!/^[\w.-]+$/.test(file)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(join(pkgDir, file));
      const type = file.endsWith(".wasm") ? "application/wasm" : "text/javascript";
      res.writeHead(200, { "content-type": type });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("Chromium gives exactly the Node results for every fixture pair", async () => {
  const page = await browser.newPage();
  await page.goto(baseUrl + "/");
  const inputs = everyPair.map((p) => ({ schema: p.schema, spec: p.spec }));
  const results = await page.evaluate(async (inputs) => {
    const m = await import("/pkg/baryon_model.js");
    await m.default({ module_or_path: "/pkg/baryon_model_bg.wasm" });
    return inputs.map((i) => m.validateSpec(i.schema, i.spec));
  }, inputs);
  assert.equal(results.length, everyPair.length);
  everyPair.forEach((pair, i) => {
    assert.deepEqual(results[i], model.validateSpec(pair.schema, pair.spec), pair.name);
  });
  await page.close();
});
