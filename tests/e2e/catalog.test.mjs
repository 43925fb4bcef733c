// Service Catalog in the console end to end: an administrator creates a portfolio and a
// product from an uploaded CloudFormation template, makes it launchable; an end user launches
// it through the parameter form, sees it AVAILABLE with its outputs on moto's CloudFormation,
// updates it to a second version, terminates it. Real `baryon serve --cloudformation-endpoint
// <moto_server>`, Debian's Chromium. Screenshots go to tests/e2e/artifacts/.
//
//   BARYON_BIN=target/debug/baryon CONSOLE_DIR=web/dist node --test tests/e2e/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot, startConsole, until } from "./harness.mjs";

const fixture = (name) => join(repoRoot, "tests/fixtures/catalog", name);

let ctx;
let page;
let baseUrl;
let shot;
let portfolioUrl;
let productUrl;
let provisionedUrl;

before(async () => {
  ctx = await startConsole({ moto: true });
  ({ page, baseUrl, shot } = ctx);
});

after(async () => {
  await ctx?.stop();
});

const field = (name) => page.locator(`[name="${name}"]`);
const fieldOf = (name) => page.locator(".field", { has: page.locator(`[name="${name}"]`) });

test("a portfolio is created from the console", async () => {
  await page.goto(baseUrl + "/catalog/admin/portfolios");
  await page.getByText("No portfolios yet.").waitFor();
  await field("displayName").fill("Shared");
  await field("providerName").fill("Platform team");
  await field("description").fill("What every team may launch");
  await page.getByRole("button", { name: "Create portfolio" }).click();
  await page.waitForURL(/\/catalog\/admin\/portfolios\/port-/);
  portfolioUrl = page.url();
  await page.getByRole("heading", { name: "Shared" }).waitFor();
  await page.getByText("No products in this portfolio.").waitFor();
});

test("a product is created with its first version uploaded as a template", async () => {
  await page.goto(baseUrl + "/catalog/admin/products");
  await page.getByText("No products yet.").waitFor();
  await page.getByRole("link", { name: "Create product" }).click();
  const create = page.getByRole("button", { name: "Create product" });
  await field("name").fill("queue");
  await page.locator(".field-error", { hasText: "Enter the product's owner." }).waitFor();
  assert.equal(await create.isDisabled(), true);
  await field("owner").fill("platform");
  await field("description").fill("An SQS queue");
  await until(async () => !(await create.isDisabled()), "a named, owned product can be created");
  await page.locator('input[name="template"]').setInputFiles(fixture("queue-v1.json"));
  await shot("catalog-create-product");
  await create.click();
  await page.waitForURL(/\/catalog\/admin\/products\/prod-/);
  productUrl = page.url();
  await page.getByRole("heading", { name: "queue" }).waitFor();
  // The row whose name cell is v1 (the random artifact ids in the rows may contain "v1").
  const v1 = page.locator("tr", { has: page.locator("td:first-child", { hasText: /^v1$/ }) });
  await v1.getByText("active", { exact: true }).waitFor();
  await page.getByText("In no portfolio: end users cannot launch it.").waitFor();
});

test("a product added to a portfolio becomes launchable", async () => {
  await page.goto(baseUrl + "/catalog");
  await page.getByText("No products can be launched yet").waitFor();
  await page.goto(portfolioUrl);
  await page.locator('select[name="product"] option', { hasText: "queue" }).waitFor({ state: "attached" });
  await page.locator('select[name="product"]').selectOption({ label: "queue" });
  await page.getByRole("button", { name: "Add to portfolio" }).click();
  await page.locator("tr", { hasText: "queue" }).getByRole("button", { name: "Remove" }).waitFor();
  await shot("catalog-portfolio");
  await page.goto(productUrl);
  await page.locator("tr", { hasText: "Shared" }).waitFor();
});

test("the launch form is generated from the version's parameters and refuses bad values", async () => {
  await page.goto(baseUrl + "/catalog");
  await page.locator("tr", { hasText: "queue" }).getByRole("link", { name: "Launch" }).click();
  await page.waitForURL(/\/catalog\/products\/prod-.*\/launch/);
  await field("QueueName").waitFor();
  // QueueName has no default (required); Stage's AllowedValues became a select.
  assert.equal(await fieldOf("QueueName").locator(".required").count(), 1);
  assert.equal(await field("Stage").evaluate((e) => e.tagName), "SELECT");
  assert.deepEqual(await field("Stage").locator("option").allTextContents(), ["— choose —", "dev", "prod"]);
  assert.equal(await fieldOf("QueueName").locator(".hint").textContent(), "The queue's name");
  const launch = page.getByRole("button", { name: "Launch" });
  await field("provisionedProductName").fill("orders-queue");
  await fieldOf("QueueName").locator(".field-error", { hasText: "Enter a value" }).waitFor();
  assert.equal(await launch.isDisabled(), true);
  await field("QueueName").fill("q".repeat(81));
  await fieldOf("QueueName").locator(".field-error", { hasText: "At most 80 characters." }).waitFor();
  assert.equal(await launch.isDisabled(), true);
  await field("QueueName").fill("orders");
  await until(async () => !(await launch.isDisabled()), "valid parameters enable Launch");
  await shot("catalog-launch");
});

test("a launched product becomes AVAILABLE with its stack's outputs", async () => {
  await page.getByRole("button", { name: "Launch" }).click();
  await page.waitForURL(/\/catalog\/provisioned\/pp-/);
  provisionedUrl = page.url();
  await page.locator(".status-line .badge", { hasText: "AVAILABLE" }).waitFor();
  const queueUrl = page.locator("tr", { hasText: "QueueUrl" });
  await queueUrl.getByText("Where to send").waitFor();
  assert.match(await queueUrl.locator("td").nth(1).textContent(), /orders$/);
  const record = page.locator("tr", { hasText: "PROVISION_PRODUCT" });
  await record.locator(".badge", { hasText: "SUCCEEDED" }).waitFor();
  await shot("catalog-provisioned-product");
  await page.goto(baseUrl + "/catalog/provisioned");
  const row = page.locator("tr", { hasText: "orders-queue" });
  await row.locator(".badge", { hasText: "AVAILABLE" }).waitFor();
  assert.match(await row.textContent(), /queue/);
});

test("a second version is added and the first deprecated by the administrator", async () => {
  await page.goto(productUrl);
  await field("versionName").fill("v2");
  await field("versionDescription").fill("adds a bucket");
  await page.locator('input[name="template"]').setInputFiles(fixture("queue-v2.json"));
  await page.getByRole("button", { name: "Add version" }).click();
  await page.locator("tr", { hasText: "adds a bucket" }).waitFor();
  // The row whose name cell is v1 (the random artifact ids in the rows may contain "v1").
  const v1 = page.locator("tr", { has: page.locator("td:first-child", { hasText: /^v1$/ }) });
  await v1.getByRole("button", { name: "Deprecate" }).click();
  await v1.getByText("DEPRECATED").waitFor();
  await v1.getByRole("button", { name: "Undeprecate" }).waitFor();
  await shot("catalog-product-versions");
});

test("the provisioned product is updated to the new version with a changed parameter", async () => {
  await page.goto(provisionedUrl);
  await page.locator(".status-line .badge", { hasText: "AVAILABLE" }).waitFor();
  await page.getByRole("button", { name: "Update" }).first().click();
  const form = page.locator("form.update-form");
  await form.locator('select[name="version"] option', { hasText: "v2" }).waitFor({ state: "attached" });
  await form.locator('select[name="version"]').selectOption({ label: "v2" });
  await form.locator('select[name="Stage"]').waitFor();
  // Empty fields keep the previous values: QueueName is not required on update.
  assert.equal(await form.locator(".required").count(), 0);
  await form.locator('select[name="Stage"]').selectOption("prod");
  await form.getByRole("button", { name: "Update" }).click();
  await page.locator("tr", { hasText: "UPDATE_PROVISIONED_PRODUCT" }).locator(".badge", { hasText: "SUCCEEDED" }).waitFor();
  await page.locator(".status-line .badge", { hasText: "AVAILABLE" }).waitFor();
  const bucket = page.locator("tr", { hasText: "BucketName" });
  await bucket.waitFor();
  assert.equal(await bucket.locator("td").nth(1).textContent(), "orders-bucket");
  await shot("catalog-updated");
});

test("the provisioned product is terminated and its records remain", async () => {
  await page.getByRole("button", { name: "Terminate" }).click();
  await page.getByText("This provisioned product no longer exists").waitFor();
  await page.locator("tr", { hasText: "TERMINATE_PROVISIONED_PRODUCT" }).locator(".badge", { hasText: "SUCCEEDED" }).waitFor();
  assert.equal(await page.locator("tr", { hasText: "PROVISION_PRODUCT" }).count() >= 1, true);
  await page.goto(baseUrl + "/catalog/provisioned");
  await page.getByText("No provisioned products.").waitFor();
});

test("an AWS error from Service Catalog is shown readably", async () => {
  await page.goto(portfolioUrl);
  await page.locator("tr", { hasText: "queue" }).waitFor();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.locator(".error", { hasText: "ResourceInUseException" }).waitFor();
});

test("the Service Catalog pages raised no uncaught errors", () => {
  assert.deepEqual(ctx.pageErrors, []);
});
