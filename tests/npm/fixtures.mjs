// Discovers (schema.yaml, spec) pairs to validate in every runtime: the project's own
// fixtures (always) and the aws-samples Proton templates in ../shared (when present).
// A spec is paired with every schema under its sample root whose input type matches the
// spec's kind (EnvironmentSpec ↔ environment_input_type, ServiceSpec ↔ service_input_type).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const ownFixtures = join(repoRoot, "tests/fixtures");
export const sharedSamples = resolve(repoRoot, "../shared/fixtures/proton-samples");

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

function specKind(text) {
  const m = /^proton:\s*["']?(EnvironmentSpec|ServiceSpec)/m.exec(text);
  return m ? m[1] : null;
}

export function pairs(root) {
  const files = walk(root).filter((f) => /\.ya?ml$/.test(f));
  const schemas = files.filter((f) => f.endsWith("/schema/schema.yaml"));
  const result = [];
  for (const specPath of files) {
    const spec = readFileSync(specPath, "utf8");
    const kind = specKind(spec);
    if (!kind) continue;
    const sampleRoot = dirname(dirname(specPath));
    const key = kind === "EnvironmentSpec" ? "environment_input_type" : "service_input_type";
    for (const schemaPath of schemas) {
      if (!schemaPath.startsWith(sampleRoot + "/")) continue;
      const schema = readFileSync(schemaPath, "utf8");
      if (!schema.includes(key)) continue;
      result.push({
        name: `${relative(root, schemaPath)} + ${relative(root, specPath)}`,
        schemaPath,
        specPath,
        schema,
        spec,
      });
    }
  }
  return result;
}

export function allPairs() {
  const own = pairs(ownFixtures);
  const shared = existsSync(sharedSamples) ? pairs(sharedSamples) : null;
  return { own, shared };
}
