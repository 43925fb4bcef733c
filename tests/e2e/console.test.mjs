// The console end to end: Debian's Chromium (playwright-core) drives the built console served
// by a real `baryon serve --console-dir <dist>` on a free loopback port, through the signing
// proxy to the engine. Screenshots of each main page go to tests/e2e/artifacts/ (gitignored).
//
//   BARYON_BIN=target/debug/baryon CONSOLE_DIR=web/dist node --test tests/e2e/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, startConsole, until } from "./harness.mjs";

let ctx;
let page;
let baseUrl;
let work;
let api;
let shot;

// Self-managed provisioning reports success for a resource's last deployment (with outputs).
async function succeed(resourceArn, outputs = undefined) {
  await api("NotifyResourceDeploymentStatusChange", { resourceArn, status: "SUCCEEDED", outputs });
}

// What a queue environment's stack outputs (the worker template reads QueueUrl).
const queueOutputs = (name) => [{ key: "QueueUrl", valueString: `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}` }];

// Uploads a fixture bundle and registers it as a version, waits for DRAFT and publishes it.
async function publishVersion(family, templateName, fixture, extra = {}) {
  const bundle = join(work, `${templateName}-${Date.now()}.tar.gz`);
  const dir = join(repoRoot, "tests/fixtures/templates", fixture);
  execFileSync("tar", ["-czf", bundle, "-C", dir, ...readdirSync(dir)]);
  const key = `${templateName}/${Date.now()}.tar.gz`;
  const up = await fetch(`${baseUrl}/api/bundles/templates/${key}`, {
    method: "PUT",
    headers: { "content-type": "application/gzip", "x-baryon-csrf": "1" },
    body: readFileSync(bundle),
  });
  assert.equal(up.status, 200, await up.clone().text());
  const source = await up.json();
  const Family = family === "environment" ? "Environment" : "Service";
  const created = await api(`Create${Family}TemplateVersion`, { templateName, source, ...extra });
  const v = created[`${family}TemplateVersion`];
  const id = { templateName, majorVersion: v.majorVersion, minorVersion: v.minorVersion };
  await until(async () => (await api(`Get${Family}TemplateVersion`, id))[`${family}TemplateVersion`].status === "DRAFT", `${templateName} ${v.majorVersion}.${v.minorVersion} is DRAFT`);
  await api(`Update${Family}TemplateVersion`, { ...id, status: "PUBLISHED" });
  return `${v.majorVersion}.${v.minorVersion}`;
}

before(async () => {
  ctx = await startConsole();
  ({ page, baseUrl, work, api, shot } = ctx);
});

after(async () => {
  await ctx?.stop();
});

test("the dashboard shows the resource counts and empty deployment lists", async () => {
  await page.goto(baseUrl + "/");
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  const card = page.locator('.card[data-kind="Environment templates"]');
  await card.locator(".count").waitFor();
  assert.equal(await card.locator(".count").textContent(), "0");
  // Both deployment lists (in progress, failed) load on their own.
  await until(async () => (await page.locator(".empty", { hasText: "No deployments." }).count()) === 2, "both deployment lists are empty");
  await shot("dashboard");
});

test("an environment template is created from the console", async () => {
  await page.getByRole("link", { name: "Environment templates", exact: true }).click();
  await page.getByText("No templates yet.").waitFor();
  await shot("environment-templates-empty");
  await page.getByRole("link", { name: "Create template" }).click();
  await page.locator('input[name="name"]').fill("not a name!");
  await page.locator(".field-error", { hasText: "regular expression pattern" }).waitFor();
  const create = page.getByRole("button", { name: "Create template" });
  assert.equal(await create.isDisabled(), true);
  await page.locator('input[name="name"]').fill("queue");
  await until(async () => !(await create.isDisabled()), "a valid name enables Create template");
  await page.locator('input[name="displayName"]').fill("Shared queue");
  await page.locator('input[name="selfManaged"]').check();
  await shot("create-environment-template");
  await page.getByRole("button", { name: "Create template" }).click();
  await page.waitForURL(baseUrl + "/templates/environment/queue");
  await page.getByText("CUSTOMER_MANAGED").waitFor();
});

test("a bundle upload registers a version that is then published", async () => {
  const bundle = join(work, "queue-env-v1.tar.gz");
  execFileSync("tar", ["-czf", bundle, "-C", join(repoRoot, "tests/fixtures/templates/queue-env/v1"), "schema", "infrastructure"]);
  await page.locator('input[name="bundle"]').setInputFiles(bundle);
  await page.locator('input[name="versionDescription"]').fill("first version");
  await page.getByRole("button", { name: "Upload and register" }).click();
  const row = page.locator('tr[data-version="1.0"]');
  await row.locator(".badge", { hasText: "DRAFT" }).waitFor();
  await shot("environment-template-draft");
  await row.getByRole("button", { name: "Publish" }).click();
  await row.locator(".badge", { hasText: "PUBLISHED" }).waitFor();
  await row.getByText("recommended").waitFor();
  await shot("environment-template-published");
});

test("an environment is created through the form generated from the schema", async () => {
  await page.getByRole("link", { name: "Create environment" }).click();
  await page.waitForURL(baseUrl + "/environments/new?template=queue");
  const queueName = page.locator("#spec-queue_name");
  await queueName.waitFor();
  // Every input of the schema got a control of its type.
  assert.equal(await page.locator('#spec-retention_seconds').getAttribute("placeholder"), "default: 345600");
  assert.equal(await page.locator('#spec-fifo').getAttribute("type"), "checkbox");
  await page.locator('input[name="name"]').fill("orders-env");
  await page.locator('input[name="repoName"]').fill("acme/infrastructure");
  const submit = page.getByRole("button", { name: "Create environment" });

  // Before anything is typed, the required input is reported on its field.
  const error = page.locator('.field[data-field="queue_name"] .field-error');
  await error.filter({ hasText: 'required input "queue_name" is missing' }).waitFor();
  await queueName.fill("Bad Name");
  await error.filter({ hasText: "3:15: " }).waitFor();
  assert.match(await error.textContent(), /^3:15: .*\^\[a-z\]\[a-z0-9-\]\*\$/);
  assert.equal(await submit.isDisabled(), true);
  await shot("create-environment-invalid");

  await queueName.fill("orders");
  await error.waitFor({ state: "detached" });
  await until(async () => !(await submit.isDisabled()), "a valid spec enables Create environment");

  // The CloudFormation it would apply, rendered in the browser, follows the inputs.
  await page.getByRole("button", { name: "Preview rendered IaC" }).click();
  const rendered = page.locator('.preview-file[data-change="added"]', { hasText: "cloudformation.yaml" });
  await rendered.locator("pre", { hasText: 'QueueName: "orders"' }).waitFor();
  const text = await rendered.locator("pre").textContent();
  assert.match(text, /^Description: Shared queue for orders-env$/m);
  assert.match(text, /^      MessageRetentionPeriod: 345600$/m);
  assert.match(await page.locator(".preview-summary").textContent(), /^1 file\(s\): 1 added, 0 modified/);
  await page.locator("#spec-retention_seconds").fill("7200");
  await rendered.locator("pre", { hasText: "MessageRetentionPeriod: 7200" }).waitFor();
  await shot("create-environment-preview");
  await page.locator("#spec-retention_seconds").fill("");
  await rendered.locator("pre", { hasText: "MessageRetentionPeriod: 345600" }).waitFor();
  await page.getByRole("button", { name: "YAML" }).click();
  assert.match(await page.locator(".yaml-preview").textContent(), /queue_name: "orders"/);
  await shot("create-environment-yaml");
  await submit.click();

  await page.waitForURL(baseUrl + "/environments/orders-env");
  await page.locator(".status-line .badge", { hasText: "IN_PROGRESS" }).waitFor();
  assert.match(await page.locator("pre.spec").textContent(), /queue_name: "orders"/);
  await shot("environment-detail");
});

test("the new environment is listed as IN_PROGRESS and on the dashboard", async () => {
  await page.getByRole("link", { name: "Environments", exact: true }).click();
  const row = page.locator('tr[data-name="orders-env"]');
  await row.locator(".badge", { hasText: "IN_PROGRESS" }).waitFor();
  await shot("environments");
  await page.getByRole("link", { name: "Dashboard" }).click();
  await page.locator('.card[data-kind="Environments"] .count', { hasText: "1" }).waitFor();
  await page.locator("td a", { hasText: "orders-env" }).first().waitFor();
  await shot("dashboard-in-progress");
});

test("a shared URL opens its page directly", async () => {
  await page.goto(baseUrl + "/environments/orders-env");
  await page.locator(".status-line .badge", { hasText: "IN_PROGRESS" }).waitFor();
  await page.goto(baseUrl + "/templates/environment/queue");
  await page.locator('tr[data-version="1.0"] .badge', { hasText: "PUBLISHED" }).waitFor();
});

test("an AWS error is shown readably, as type: message", async () => {
  await page.goto(baseUrl + "/templates/environment/new");
  await page.locator('input[name="name"]').fill("queue");
  const create = page.getByRole("button", { name: "Create template" });
  await until(async () => !(await create.isDisabled()), "a valid name enables Create template");
  await create.click();
  const error = page.locator(".error");
  await error.waitFor();
  assert.match(
    await error.textContent(),
    /^ValidationException: IdempotentParameterMismatch: .*queue already exists with different parameters/,
  );
  await shot("error");
});

test("a service with two instances is created through the wizard", async () => {
  // Two deployed environments on queue 1.0, and a published service template with a pipeline.
  const orders = (await api("GetEnvironment", { name: "orders-env" })).environment;
  await succeed(orders.arn, queueOutputs("orders"));
  const beta = await api("CreateEnvironment", {
    name: "beta-env", templateName: "queue", templateMajorVersion: "1",
    spec: 'proton: EnvironmentSpec\nspec:\n  queue_name: "beta"\n',
    provisioningRepository: { provider: "GITHUB", name: "acme/infrastructure", branch: "main" },
  });
  await succeed(beta.environment.arn, queueOutputs("beta"));
  await api("CreateServiceTemplate", { name: "worker", pipelineProvisioning: "CUSTOMER_MANAGED" });
  await publishVersion("service", "worker", "worker-svc/v1", {
    compatibleEnvironmentTemplates: [{ templateName: "queue", majorVersion: "1" }],
  });

  await page.goto(baseUrl + "/services");
  await page.getByRole("link", { name: "Create service" }).click();
  await page.waitForURL(baseUrl + "/services/new");
  await page.locator('select[name="template"]').selectOption("worker");
  await page.locator('select[name="version"] option[value="1.0"]').waitFor({ state: "attached" });
  await page.getByText("With a pipeline.").waitFor();
  const next = page.getByRole("button", { name: "Next" });
  await next.click();

  // Details: the pipeline makes the repository required.
  await page.locator('input[name="name"]').fill("orders-worker");
  await page.locator(".field-error", { hasText: "this template version has a pipeline" }).first().waitFor();
  assert.equal(await next.isDisabled(), true);
  await page.locator('input[name="repositoryConnectionArn"]').fill("arn:aws:codestar-connections:us-east-1:123456789012:connection/abc");
  await page.locator('input[name="repositoryId"]').fill("acme/worker");
  await until(async () => !(await next.isDisabled()), "the details are valid");
  await shot("create-service-details");
  await next.click();

  // Instances: two, each on its own environment; a bad input is refused before submit.
  await page.locator('input[name="instance-0-name"]').fill("orders");
  await page.locator('select[name="instance-0-environment"]').selectOption("orders-env");
  await page.getByRole("button", { name: "Add instance" }).click();
  await page.locator('input[name="instance-1-name"]').fill("beta");
  await page.locator('select[name="instance-1-environment"]').selectOption("beta-env");
  await page.locator("#i1-spec-batch_size").fill("0");
  await page.locator('.instance[data-instance="1"] .field[data-field="batch_size"] .field-error').waitFor();
  assert.equal(await next.isDisabled(), true);
  await shot("create-service-instances-invalid");
  await page.locator("#i1-spec-batch_size").fill("25");
  await page.locator("#i0-spec-log_level").selectOption('"warn"');
  await until(async () => !(await next.isDisabled()), "the instances are valid");
  await next.click();

  // Pipeline inputs, then the review of the generated spec.
  await page.locator("#pipeline-test_command").fill("cargo test");
  await next.click();
  const spec = await page.locator(".yaml-preview").textContent();
  assert.match(spec, /^proton: ServiceSpec\npipeline:\n  test_command: "cargo test"\ninstances:\n  - name: "orders"\n    environment: "orders-env"\n/);
  assert.match(spec, /  - name: "beta"\n    environment: "beta-env"\n    spec:\n      batch_size: 25\n/);
  await shot("create-service-review");
  // Each instance's CloudFormation, rendered with its environment's outputs; the CodeBuild
  // pipeline shows the bundle directory CodeBuild will run.
  const review = page.locator('section[aria-label="Review"]');
  await review.getByRole("button", { name: "Preview rendered IaC" }).first().click();
  const instanceCfn = review.locator('.preview-file[data-change="added"]', { hasText: "cloudformation.yaml" }).first();
  await instanceCfn.locator("pre", { hasText: "Worker orders of orders-worker" }).waitFor();
  assert.match(await instanceCfn.locator("pre").textContent(), /Value: "https:\/\/sqs\.eu-west-1\.amazonaws\.com\/123456789012\/orders"/);
  await review.getByRole("button", { name: "Preview rendered IaC" }).last().click();
  await review.locator('.preview-file[data-change="added"]', { hasText: "manifest.yaml" }).locator("pre", { hasText: "codebuild" }).waitFor();
  await shot("create-service-review-preview");
  // The steps stay mounted: going back to a step keeps what was typed.
  await page.getByRole("button", { name: "2. Details" }).click();
  assert.equal(await page.locator('input[name="name"]').inputValue(), "orders-worker");
  await page.getByRole("button", { name: "5. Review" }).click();
  await page.getByRole("button", { name: "Create service" }).click();
  await page.waitForURL(baseUrl + "/services/orders-worker");
  await page.locator(".status-line .badge", { hasText: "CREATE_IN_PROGRESS" }).waitFor();

  // The self-managed deployments finish; the page follows until the service is ACTIVE.
  const service = (await api("GetService", { name: "orders-worker" })).service;
  await succeed(`${service.arn}/service-instance/orders`);
  await succeed(`${service.arn}/service-instance/beta`);
  await succeed(`${service.arn}/pipeline`);
  await page.locator(".status-line .badge", { hasText: "ACTIVE" }).waitFor();
  await page.locator("td a", { hasText: "orders" }).first().waitFor();
  await page.locator("td a", { hasText: "beta-env" }).waitFor();
  assert.equal(await page.locator("tbody tr", { has: page.locator('a[href^="/services/orders-worker/instances/"]') }).count(), 2);
  await shot("service-detail");
});

test("an error from CreateService is shown as type: message", async () => {
  await page.goto(baseUrl + "/services/new?template=worker");
  await page.locator('select[name="version"] option[value="1.0"]').waitFor({ state: "attached" });
  await page.getByText("With a pipeline.").waitFor();
  const next = page.getByRole("button", { name: "Next" });
  await next.click();
  await page.locator('input[name="name"]').fill("orders-worker");
  await page.locator('input[name="description"]').fill("a different one");
  await page.locator('input[name="repositoryConnectionArn"]').fill("arn:aws:codestar-connections:us-east-1:123456789012:connection/abc");
  await page.locator('input[name="repositoryId"]').fill("acme/worker");
  await next.click();
  await page.locator('input[name="instance-0-name"]').fill("one");
  await page.locator('select[name="instance-0-environment"]').selectOption("beta-env");
  await until(async () => !(await next.isDisabled()), "the instance is valid");
  await next.click();
  await next.click();
  await page.getByRole("button", { name: "Create service" }).click();
  const error = page.locator(".error");
  await error.waitFor();
  assert.match(await error.textContent(), /^\w+Exception: .*orders-worker/);
});

test("a service's pipeline inputs are edited with a preview of what CodeBuild will read", async () => {
  await page.goto(baseUrl + "/services/orders-worker");
  await page.locator(".status-line .badge", { hasText: "ACTIVE" }).waitFor();
  await page.getByRole("button", { name: "Edit inputs (1.0)" }).click();
  const panel = page.locator(".major-update");
  await panel.locator("h2", { hasText: "Inputs for version 1.0" }).waitFor();
  assert.equal(await page.locator("#upgrade-test_command").inputValue(), "cargo test");
  await page.locator("#upgrade-test_command").fill("cargo test --workspace");
  await panel.getByRole("button", { name: "Preview rendered IaC" }).click();
  const inputs = panel.locator('.preview-file[data-change="modified"]', { hasText: "proton-inputs.json" });
  await inputs.locator(".diff .add", { hasText: "cargo test --workspace" }).waitFor();
  assert.match(await inputs.locator(".diff .del").first().textContent(), /"test_command": "cargo test"/);
  assert.equal(await panel.locator('.preview-file[data-change="unchanged"]', { hasText: "manifest.yaml" }).count(), 1);
  await shot("pipeline-edit-preview");
  await panel.getByRole("button", { name: "Deploy 1.0" }).click();
  let service;
  await until(async () => {
    service = (await api("GetService", { name: "orders-worker" })).service;
    return service.pipeline.deploymentStatus === "IN_PROGRESS";
  }, "the pipeline deploys");
  // Only the pipeline's inputs changed: the instances are kept as they were.
  assert.match(service.pipeline.spec, /pipeline:\n  test_command: "cargo test --workspace"\n/);
  assert.match(service.pipeline.spec, /  - name: "orders"\n    environment: "orders-env"\n/);
  assert.match(service.pipeline.spec, /  - name: "beta"\n    environment: "beta-env"\n/);
  await succeed(`${service.arn}/pipeline`);
  await page.locator("dd", { hasText: "SUCCEEDED" }).first().waitFor();
});

test("a service's description and spec are edited, the spec checked against its schema as typed", async () => {
  await page.goto(baseUrl + "/services/orders-worker");
  await page.locator(".status-line .badge", { hasText: "ACTIVE" }).waitFor();
  await page.getByRole("button", { name: "Edit service" }).click();
  const panel = page.locator(".edit-service");
  const specArea = panel.locator('textarea[name="serviceSpec"]');
  const original = await specArea.inputValue();
  assert.match(original, /^proton: ServiceSpec\n/);
  const update = panel.getByRole("button", { name: "Update service" });
  await specArea.fill(original.replace("batch_size: 25", "batch_size: 0"));
  await panel.locator(".field-error", { hasText: "batch_size" }).waitFor();
  assert.equal(await update.isDisabled(), true);
  await specArea.fill(original.replace(/  - name: "beta"[\s\S]*$/, ""));
  await panel.locator(".field-error", { hasText: "Deletes instance(s): beta" }).waitFor();
  await specArea.fill(original);
  await until(async () => !(await update.isDisabled()), "the original spec is valid");
  await panel.locator('input[name="serviceDescription"]').fill("Works the orders queue");
  await update.click();
  await page.locator("dd", { hasText: "Works the orders queue" }).waitFor();
  const service = (await api("GetService", { name: "orders-worker" })).service;
  assert.equal(service.description, "Works the orders queue");
  assert.equal(service.spec, original);
});

test("the environment list is filtered by template major version, in a shareable address", async () => {
  await page.goto(baseUrl + "/environments");
  await page.locator('tr[data-name="beta-env"]').waitFor();
  await page.locator('select[name="templateFilter"] option[value="queue:1"]').waitFor({ state: "attached" });
  await page.locator('select[name="templateFilter"]').selectOption("queue:1");
  await page.waitForURL(baseUrl + "/environments?template=queue&major=1");
  await page.locator('tr[data-name="orders-env"]').waitFor();
  await page.locator('tr[data-name="beta-env"]').waitFor();
  // No environment runs a major 2 of queue.
  await page.goto(baseUrl + "/environments?template=queue&major=2");
  await page.getByText("No environments yet.").waitFor();
  assert.equal(await page.locator("tr[data-name]").count(), 0);
  await page.locator('select[name="templateFilter"]').selectOption("");
  await page.waitForURL(baseUrl + "/environments");
  await page.locator('tr[data-name="beta-env"]').waitFor();
});

test("an environment is updated to a newer minor version from its page", async () => {
  const v = await publishVersion("environment", "queue", "queue-env/v1", { majorVersion: "1" });
  assert.equal(v, "1.1");
  await page.goto(baseUrl + "/environments/beta-env");
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
  const update = page.getByRole("button", { name: "Update to 1.1" });
  await update.waitFor();
  await shot("environment-update-offered");
  await update.click();
  await page.locator(".status-line .badge", { hasText: "IN_PROGRESS" }).waitFor();
  await page.locator("dd", { hasText: "queue 1.1" }).waitFor();
  const env = (await api("GetEnvironment", { name: "beta-env" })).environment;
  assert.equal(env.templateMinorVersion, "1");
  const deployments = (await api("ListDeployments", { environmentName: "beta-env" })).deployments;
  assert.ok(deployments.length >= 2);
  await succeed(env.arn);
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
  assert.equal(await page.getByRole("button", { name: /^Update to/ }).count(), 0);
  await shot("environment-updated");
});

test("an environment's inputs are edited with a rendered diff before they are deployed", async () => {
  await page.goto(baseUrl + "/environments/beta-env");
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
  await page.getByRole("button", { name: "Edit inputs (1.1)" }).click();
  const panel = page.locator(".major-update");
  await panel.locator("h2", { hasText: "Inputs for version 1.1" }).waitFor();
  assert.equal(await panel.locator('select[name="deploymentType"]').inputValue(), "CURRENT_VERSION:1.1");
  assert.match(await panel.locator(".explain").textContent(), /^CURRENT_VERSION: redeploys version 1\.1/);
  assert.equal(await page.locator("#upgrade-queue_name").inputValue(), "beta");
  await page.locator("#upgrade-retention_seconds").fill("1200");
  await panel.getByRole("button", { name: "Preview rendered IaC" }).click();
  const file = panel.locator('.preview-file[data-change="modified"]', { hasText: "cloudformation.yaml" });
  await file.locator(".diff .add", { hasText: "MessageRetentionPeriod: 1200" }).waitFor();
  assert.deepEqual(await file.locator(".diff .del").allTextContents(), ["-      MessageRetentionPeriod: 345600\n"]);
  assert.deepEqual(await file.locator(".diff .add").allTextContents(), ["+      MessageRetentionPeriod: 1200\n"]);
  assert.match(await file.locator(".diff .hunk").first().textContent(), /^@@ -\d+,\d+ \+\d+,\d+ @@/);
  await shot("environment-edit-preview-diff");
  await panel.getByRole("button", { name: "Deploy 1.1" }).click();
  await page.locator(".status-line .badge", { hasText: "IN_PROGRESS" }).waitFor();
  const env = (await api("GetEnvironment", { name: "beta-env" })).environment;
  assert.match(env.spec, /retention_seconds: 1200/);
  assert.equal(`${env.templateMajorVersion}.${env.templateMinorVersion}`, "1.1");
  const last = (await api("GetDeployment", { id: env.lastAttemptedDeploymentId })).deployment;
  assert.match(last.targetState.environment.spec, /retention_seconds: 1200/);
  await succeed(env.arn);
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
});

test("a component's page shows where it runs, its outputs and deployments", async () => {
  await api("CreateComponent", {
    name: "cache",
    environmentName: "orders-env",
    manifest: 'infrastructure:\n  templates:\n    - file: "cloudformation.yaml"\n      rendering_engine: jinja\n      template_language: cloudformation\n',
    templateFile: "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n",
  });
  await page.goto(baseUrl + "/components");
  await page.getByRole("link", { name: "cache" }).click();
  await page.waitForURL(baseUrl + "/components/cache");
  await page.locator(".status-line .badge", { hasText: "IN_PROGRESS" }).waitFor();
  await page.locator("dd.attached", { hasText: "directly defined" }).waitFor();
  await page.locator("dd a", { hasText: "orders-env" }).waitFor();
  const c = (await api("GetComponent", { name: "cache" })).component;
  await api("NotifyResourceDeploymentStatusChange", {
    resourceArn: c.arn, status: "SUCCEEDED", outputs: [{ key: "BucketName", valueString: "cache-bucket" }],
  });
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
  await page.reload();
  await page.locator("td", { hasText: "cache-bucket" }).waitFor();
  await page.locator("td .badge", { hasText: "SUCCEEDED" }).first().waitFor();
  await shot("component-detail");
});

test("a component's description is changed without a deployment, and a new template redeploys it", async () => {
  await page.goto(baseUrl + "/components/cache");
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
  await page.getByRole("button", { name: "Edit component" }).click();
  await page.locator('input[name="componentDescription"]').fill("Shared cache");
  await page.getByRole("button", { name: "Update component" }).click();
  await page.locator("dd", { hasText: "Shared cache" }).waitFor();
  const before = (await api("ListDeployments", { componentName: "cache" })).deployments.length;
  assert.equal((await api("GetComponent", { name: "cache" })).component.description, "Shared cache");

  await page.getByRole("button", { name: "Edit component" }).click();
  await page.locator('input[name="redeploy"]').check();
  await page.locator('textarea[name="templateFile"]').fill("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Queue:\n    Type: AWS::SQS::Queue\n");
  await page.getByRole("button", { name: "Update component" }).click();
  await page.locator(".status-line .badge", { hasText: "IN_PROGRESS" }).waitFor();
  const deployments = (await api("ListDeployments", { componentName: "cache" })).deployments;
  assert.equal(deployments.length, before + 1);
  const c = (await api("GetComponent", { name: "cache" })).component;
  await succeed(c.arn);
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
});

test("the component list is filtered by environment, in a shareable address", async () => {
  await page.goto(baseUrl + "/components?environment=beta-env");
  await page.getByText("No components.").waitFor();
  await page.locator('select[name="environmentFilter"] option[value="orders-env"]').waitFor({ state: "attached" });
  await page.locator('select[name="environmentFilter"]').selectOption("orders-env");
  await page.waitForURL(baseUrl + "/components?environment=orders-env");
  await page.getByRole("link", { name: "cache" }).waitFor();
  assert.equal(await page.locator('select[name="environmentFilter"]').inputValue(), "orders-env");
});

test("a linked repository and a template's sync config are managed from the console", async () => {
  const connectionArn = "arn:aws:codestar-connections:us-east-1:123456789012:connection/abc";
  await page.goto(baseUrl + "/repositories");
  await page.getByText("No linked repositories.").waitFor();
  const link = page.getByRole("button", { name: "Link repository" });
  await page.locator('input[name="repositoryName"]').fill("acme/templates");
  await page.locator('input[name="connectionArn"]').fill("not an arn");
  await page.locator(".field-error", { hasText: "connectionArn" }).waitFor();
  assert.equal(await link.isDisabled(), true);
  await page.locator('input[name="connectionArn"]').fill(connectionArn);
  await until(async () => !(await link.isDisabled()), "a valid connection ARN enables Link repository");
  await link.click();
  await page.waitForURL(baseUrl + "/repositories/GITHUB/acme/templates");
  await page.goto(baseUrl + "/repositories");
  await page.getByRole("link", { name: "acme/templates" }).click();
  await page.waitForURL(baseUrl + "/repositories/GITHUB/acme/templates");
  await page.locator("dd", { hasText: connectionArn }).waitFor();
  await page.getByText("No sync has run for this branch yet.").waitFor();
  await shot("repository-detail");

  await page.goto(baseUrl + "/templates/environment/queue");
  const panel = page.locator(".template-sync");
  await panel.getByText("Not synced from a repository.").waitFor();
  await panel.locator('input[name="syncRepository"]').fill("acme/templates");
  await panel.getByRole("button", { name: "Sync from repository" }).click();
  await panel.locator(".synced", { hasText: "Synced from GITHUB acme/templates branch main" }).waitFor();
  const stored = await api("GetTemplateSyncConfig", { templateName: "queue", templateType: "ENVIRONMENT" });
  assert.equal(stored.templateSyncConfig.branch, "main");
  await panel.locator('input[name="syncBranch"]').fill("release");
  await panel.locator('input[name="syncSubdirectory"]').fill("queue");
  await panel.getByRole("button", { name: "Update sync" }).click();
  await panel.locator(".synced", { hasText: "branch release, directory queue" }).waitFor();
  await panel.getByText("Latest sync: none yet.").waitFor();
  await shot("template-sync");
  await panel.getByRole("button", { name: "Delete sync" }).click();
  await panel.getByText("Not synced from a repository.").waitFor();
});

test("the dashboard upgrades a selection of out-of-date environments, each showing its progress", async () => {
  assert.equal(await publishVersion("environment", "queue", "queue-env/v1", { majorVersion: "1" }), "1.2");
  await page.goto(baseUrl + "/");
  const orders = page.locator('tr[data-stale="environments/orders-env"]');
  const beta = page.locator('tr[data-stale="environments/beta-env"]');
  await orders.waitFor();
  // orders-env is on 1.0, beta-env on 1.1: both are offered the recommended minor, 1.2.
  assert.deepEqual((await orders.locator("td").allTextContents()).slice(2, 5), ["queue", "1.0", "1.2"]);
  assert.deepEqual((await beta.locator("td").allTextContents()).slice(2, 5), ["queue", "1.1", "1.2"]);
  const minor = page.getByRole("button", { name: "Upgrade selected: minor" });
  assert.equal(await minor.isDisabled(), true);
  await orders.locator('input[type="checkbox"]').check();
  await beta.locator('input[type="checkbox"]').check();
  await shot("dashboard-out-of-date");
  await minor.click();
  const log = page.locator("ul.progress-log");
  await log.getByText("environments/orders-env: deployment of 1.2 started").waitFor();
  await log.getByText("environments/beta-env: deployment of 1.2 started").waitFor();
  for (const name of ["orders-env", "beta-env"]) {
    const env = (await api("GetEnvironment", { name })).environment;
    assert.equal(`${env.templateMajorVersion}.${env.templateMinorVersion}`, "1.2");
    await succeed(env.arn);
  }
  await page.getByText("Every environment and service instance runs its template's recommended version.").waitFor();
  await shot("dashboard-upgraded");
});

test("a service instance is upgraded to a new major version through its inputs form", async () => {
  // worker 2.0 adds a required input without a default: the instance's spec must gain it.
  const v = await publishVersion("service", "worker", "worker-svc/v2", {
    compatibleEnvironmentTemplates: [{ templateName: "queue", majorVersion: "1" }],
  });
  assert.equal(v, "2.0");
  await page.goto(baseUrl + "/services/orders-worker/instances/orders");
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
  await page.getByRole("button", { name: "Update to 2.0" }).click();
  const panel = page.locator(".major-update");
  await panel.locator("h2", { hasText: "Inputs for version 2.0" }).waitFor();
  // The current inputs are carried over; the new required one is refused until it is valid.
  assert.equal(await page.locator("#upgrade-log_level").inputValue(), '"warn"');
  const deploy = panel.getByRole("button", { name: "Deploy 2.0" });
  const retention = panel.locator('.field[data-field="retention_days"]');
  await retention.locator(".field-error").waitFor();
  assert.equal(await deploy.isDisabled(), true);
  await page.locator("#upgrade-retention_days").fill("30");
  await retention.locator(".field-error", { hasText: "14" }).waitFor();
  assert.equal(await deploy.isDisabled(), true);
  await shot("instance-major-update-invalid");
  await page.locator("#upgrade-retention_days").fill("7");
  await until(async () => !(await deploy.isDisabled()), "the 2.0 inputs are valid");
  // 2.0's template adds a dead-letter queue that reads the new input.
  await panel.getByRole("button", { name: "Preview rendered IaC" }).click();
  const file = panel.locator('.preview-file[data-change="modified"]', { hasText: "cloudformation.yaml" });
  await file.locator(".diff .add", { hasText: "MessageRetentionPeriod: 604800" }).waitFor();
  assert.deepEqual(await file.locator(".diff .add").allTextContents(), [
    "+  DeadLetters:\n", "+    Type: AWS::SQS::Queue\n", "+    Properties:\n", "+      MessageRetentionPeriod: 604800\n",
  ]);
  assert.equal(await file.locator(".diff .del").count(), 0);
  await shot("instance-major-update-preview");
  await deploy.click();
  await page.locator(".status-line .badge", { hasText: "IN_PROGRESS" }).waitFor();

  const instance = (await api("GetServiceInstance", { serviceName: "orders-worker", name: "orders" })).serviceInstance;
  assert.equal(instance.templateMajorVersion, "2");
  assert.equal(instance.templateMinorVersion, "0");
  assert.match(instance.spec, /retention_days: 7/);
  assert.match(instance.spec, /log_level: "?warn"?/);
  await succeed(instance.arn);
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Update to 2.0" }).count(), 0);
  // The other instance stays on 1.0 and is still offered the major version.
  const beta = (await api("GetServiceInstance", { serviceName: "orders-worker", name: "beta" })).serviceInstance;
  assert.equal(beta.templateMajorVersion, "1");
  await shot("instance-major-updated");
});

test("an instance's sync blocker is shown on its page and resolved from the console", async () => {
  await page.goto(baseUrl + "/services/orders-worker");
  const sync = page.locator(".service-sync");
  await sync.getByText("The spec is not synced from a repository.").waitFor();
  await sync.locator('input[name="syncRepository"]').fill("acme/templates");
  await sync.getByRole("button", { name: "Sync spec from repository" }).click();
  await sync.locator(".synced", { hasText: "Spec synced from GITHUB acme/templates branch main, file proton/spec.yaml" }).waitFor();
  // beta is changed through the API, outside service sync: its sync is blocked.
  await api("UpdateServiceInstance", { serviceName: "orders-worker", name: "beta", deploymentType: "NONE" });
  await page.goto(baseUrl + "/services/orders-worker/instances/beta");
  const blocker = page.locator("tr.blocker", { hasText: "changed outside service sync" });
  await blocker.locator(".badge", { hasText: "ACTIVE" }).waitFor();
  await shot("instance-sync-blocker");
  ctx.answerPrompt("reviewed the manual change");
  await blocker.getByRole("button", { name: "Resolve" }).click();
  await blocker.locator(".badge", { hasText: "RESOLVED" }).waitFor();
  await blocker.getByText("Resolved: reviewed the manual change").waitFor();
  assert.equal(await blocker.getByRole("button", { name: "Resolve" }).count(), 0);
  const summary = await api("GetServiceSyncBlockerSummary", { serviceName: "orders-worker", serviceInstanceName: "beta" });
  const stored = summary.serviceSyncBlockerSummary.latestBlockers.find((b) => b.createdReason.includes("outside service sync"));
  assert.equal(stored.status, "RESOLVED");
  assert.equal(stored.resolvedReason, "reviewed the manual change");
  // The service page lists the service's own blockers: none.
  await page.goto(baseUrl + "/services/orders-worker");
  await sync.getByText("No sync blockers.").waitFor();
});

test("on a narrow window the pages fit its width and the navigation stays reachable", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const path of ["/", "/environments/orders-env", "/services/orders-worker", "/services/new", "/templates/service/worker"]) {
      await page.goto(baseUrl + path);
      await page.locator("main h1").waitFor();
      await page.locator(".loading").first().waitFor({ state: "detached" }).catch(() => {});
      const m = await page.evaluate(() => {
        const main = document.querySelector("main");
        return { page: document.documentElement.scrollWidth, window: window.innerWidth, main: main.clientWidth, content: main.scrollWidth };
      });
      assert.ok(m.page <= m.window, `${path}: the page is ${m.page}px wide in a ${m.window}px window`);
      // The page gets the window's width (the navigation is above it, not beside it) and
      // nothing in it is wider than that (wide tables scroll on their own).
      assert.ok(m.main >= 0.9 * m.window, `${path}: main is ${m.main}px wide in a ${m.window}px window`);
      assert.ok(m.content <= m.main, `${path}: main's content is ${m.content}px wide in ${m.main}px`);
    }
    await page.goto(baseUrl + "/");
    await page.locator("main h1", { hasText: "Dashboard" }).waitFor();
    await shot("narrow-dashboard");
    const nav = page.locator("nav.side").getByRole("link", { name: "Environments" });
    assert.equal(await nav.isVisible(), true);
    await nav.click();
    await page.waitForURL(baseUrl + "/environments");
    await page.locator("main h1", { hasText: "Environments" }).waitFor();
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});

test("the navigation works from the keyboard", async () => {
  await page.goto(baseUrl + "/");
  await page.locator("main h1", { hasText: "Dashboard" }).waitFor();
  // Tab from the top of the page to the side navigation's "Services" link, then Enter.
  let focused = "";
  for (let i = 0; i < 12 && focused !== "Services"; i++) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => (document.activeElement?.closest("nav") ? document.activeElement.textContent : ""));
  }
  assert.equal(focused, "Services");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, "solid");
  await page.keyboard.press("Enter");
  await page.waitForURL(baseUrl + "/services");
  await page.locator("main h1", { hasText: "Services" }).waitFor();
});

test("a component is deleted from its page after a confirmation", async () => {
  await page.goto(baseUrl + "/components/cache");
  await page.locator(".status-line .badge", { hasText: "SUCCEEDED" }).waitFor();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.waitForURL(baseUrl + "/components");
  const c = (await api("GetComponent", { name: "cache" })).component;
  assert.equal(c?.deploymentStatus ?? "DELETED", c ? "DELETE_IN_PROGRESS" : "DELETED");
});

test("the console raised no uncaught errors", () => {
  assert.deepEqual(ctx.pageErrors, []);
});
