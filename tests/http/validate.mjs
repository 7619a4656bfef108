// Validates recorded answers of the daemon against its OpenAPI document:
// every JSON body against the schema its route and status declare (JSON
// Schema 2020-12, as OpenAPI 3.1 uses, with formats checked).
//
// Why one process at the end of a test rather than a check per request:
// starting node costs far more than validating, and a test makes hundreds
// of requests; tests/http/httpcommon.py records them and runs this once.
//
//   node validate.mjs OPENAPI.json RECORDS.jsonl
// RECORDS.jsonl: one {"method", "target", "status", "type", "body"} a line.
// Exit 0 when every JSON answer matches, 1 with each mismatch printed.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.WM_HTTP_NODE_MODULES + "/");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const [docPath, recordsPath] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(docPath, "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The whole document is one schema resource: a schema is reached by its
// JSON pointer, and its "#/components/..." references resolve inside it.
ajv.addSchema(doc, "openapi");

// Paths as the router matches them: {id} is one segment, a final {path}
// the rest; templates without {path} first, as the router tries them.
const templates = Object.keys(doc.paths).sort(
  (a, b) => a.includes("{path}") - b.includes("{path}"));
function route(path) {
  for (const t of templates) {
    const source = t.split("/").map((seg) =>
      seg === "{path}" ? ".+" : seg.startsWith("{") ? "[^/]+"
        : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("/");
    if (new RegExp(`^${source}$`).test(path)) return t;
  }
  return null;
}

const pointer = (...parts) =>
  "#/" + parts.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

function responseOf(op, status) {
  let r = op.responses?.[String(status)];
  if (r?.$ref) {
    const name = r.$ref.split("/").pop();
    return { r: doc.components.responses[name], at: ["components", "responses", name] };
  }
  return r ? { r, at: null } : null;
}

const cache = new Map();
function validator(template, method, status) {
  const key = `${method} ${template} ${status}`;
  if (cache.has(key)) return cache.get(key);
  const op = doc.paths[template]?.[method.toLowerCase()];
  let v = null;
  const found = op && responseOf(op, status);
  if (found?.r?.content?.["application/json"]?.schema) {
    const at = found.at ?? ["paths", template, method.toLowerCase(), "responses", String(status)];
    v = ajv.compile({ $ref: "openapi" + pointer(...at, "content", "application/json", "schema") });
  } else if (found) {
    v = "no-json";
  }
  cache.set(key, v);
  return v;
}

const problems = [];
let checked = 0;
const lines = readFileSync(recordsPath, "utf8").split("\n").filter(Boolean);
for (const line of lines) {
  const rec = JSON.parse(line);
  const method = rec.method === "HEAD" ? "GET" : rec.method;
  if (rec.method === "HEAD" || !(rec.type || "").startsWith("application/json")) continue;
  const path = rec.target.split("?")[0];
  const where = `${rec.method} ${rec.target} -> ${rec.status}`;
  const template = route(path);
  if (!template || !doc.paths[template][method.toLowerCase()]) {
    // 404 and 405 before any route: the document's info says their shape.
    if (rec.status === 404 || rec.status === 405) continue;
    problems.push(`${where}: no operation in the document`);
    continue;
  }
  const v = validator(template, method, rec.status);
  if (v === null) {
    problems.push(`${where}: status not documented for ${method} ${template}`);
    continue;
  }
  let body;
  try {
    body = JSON.parse(rec.body);
  } catch (e) {
    problems.push(`${where}: body is not JSON: ${e.message}`);
    continue;
  }
  if (v === "no-json") {
    problems.push(`${where}: JSON answered where the document declares none`);
    continue;
  }
  checked++;
  if (!v(body)) {
    const errors = v.errors.slice(0, 5).map((e) =>
      `  ${e.instancePath || "(root)"} ${e.message}` +
      (e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""));
    problems.push(`${where}: does not match ${method} ${template} ${rec.status}:\n${errors.join("\n")}`);
  }
}
// One line per distinct problem, counted: a loop of requests repeats one.
const counts = new Map();
for (const p of problems) counts.set(p, (counts.get(p) || 0) + 1);
for (const [p, n] of counts) console.log(`OPENAPI MISMATCH${n > 1 ? ` (x${n})` : ""}: ${p}`);
console.log(`openapi: ${checked} JSON answers checked against the document, ${problems.length} mismatches`);
process.exit(problems.length ? 1 : 0);
