// Drives the real YAML language server (npm: yaml-language-server) over stdio
// LSP with caseshare's committed app schema: on a file with an invalid module
// kind it must publish a diagnostic on that line, and at a new key inside a
// module it must offer the schema's module keys as completions.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const schemaUrl = pathToFileURL(join(repo, "schemas", "app.schema.json")).href;
const work = mkdtempSync(join(tmpdir(), "caseshare-lsp-"));
mkdirSync(join(work, "apps"));
const file = join(work, "apps", "chw.yaml");
const lines = [
  `# yaml-language-server: $schema=${schemaUrl}`,
  "format_version: 2",
  "name: CHW App",
  'commcare_version: "2.53.0"',
  "modules:",
  "  - name: Pregnancy",
  "    kind: basik",
  "    ",
];
const text = lines.join("\n") + "\n";
writeFileSync(file, text);
const uri = pathToFileURL(file).href;
const BAD_LINE = 6; // `kind: basik`, 0-based
const NEW_KEY = { line: 7, character: 4 };

const server = spawn(process.execPath, [join(here, "node_modules", "yaml-language-server", "bin", "yaml-language-server"), "--stdio"], {
  stdio: ["pipe", "pipe", "inherit"],
});
let buffer = Buffer.alloc(0);
let nextId = 1;
const pending = new Map();
const listeners = [];
const settings = { yaml: { validate: true, completion: true, hover: true, schemaStore: { enable: false } } };

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }));
  server.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
  server.stdin.write(body);
}
function request(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise((resolve) => pending.set(id, resolve));
}
function notify(method, params) {
  send({ method, params });
}
server.stdout.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.slice(0, end).toString())[1]);
    if (buffer.length < end + 4 + length) return;
    const message = JSON.parse(buffer.slice(end + 4, end + 4 + length).toString());
    buffer = buffer.slice(end + 4 + length);
    if (message.id !== undefined && message.method) {
      // A request from the server: answer configuration, acknowledge the rest.
      const result = message.method === "workspace/configuration" ? message.params.items.map((i) => (i.section === "yaml" ? settings.yaml : settings[i.section] ?? null)) : null;
      send({ id: message.id, result });
    } else if (message.id !== undefined) {
      pending.get(message.id)?.(message.result);
      pending.delete(message.id);
    } else {
      listeners.forEach((l) => l(message));
    }
  }
});
function waitFor(predicate, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), ms);
    listeners.push((m) => {
      if (predicate(m)) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`ok: ${name}`);
  } else {
    failed++;
    console.log(`FAILED: ${name}: ${detail}`);
  }
}

try {
  await request("initialize", {
    processId: process.pid,
    rootUri: pathToFileURL(work).href,
    capabilities: { workspace: { configuration: true }, textDocument: { completion: { completionItem: { snippetSupport: false } } } },
  });
  notify("initialized", {});
  notify("workspace/didChangeConfiguration", { settings });
  const published = waitFor((m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri && m.params.diagnostics.length > 0, 30000);
  notify("textDocument/didOpen", { textDocument: { uri, languageId: "yaml", version: 1, text } });
  const diagnostics = (await published).params.diagnostics;
  const onLine = diagnostics.filter((d) => d.range.start.line === BAD_LINE);
  console.log(`   published: ${diagnostics.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join("; ")}`);
  check(
    "a diagnostic on the line of `kind: basik`",
    onLine.length > 0 && onLine.some((d) => /basic|advanced|shadow|allowed|accepted/i.test(d.message)),
    JSON.stringify(diagnostics),
  );
  const completion = await request("textDocument/completion", { textDocument: { uri }, position: NEW_KEY });
  const items = (Array.isArray(completion) ? completion : completion?.items ?? []).map((i) => i.label);
  const wanted = ["case_type", "forms", "source_module", "id"];
  check("the schema's module keys as completions", wanted.every((k) => items.includes(k)), JSON.stringify(items));
} catch (e) {
  check("the language server answered", false, String(e));
} finally {
  server.kill();
}
console.log(`lsp: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
