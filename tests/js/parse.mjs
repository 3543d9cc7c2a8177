// Parse Mermaid text from stdin with Mermaid's own parser; exit 1 with its message on error.
// Mermaid sanitises labels with DOMPurify, which needs a DOM: jsdom provides one (no browser).
import { JSDOM } from "jsdom";

const { window } = new JSDOM("");
globalThis.window = window;
globalThis.document = window.document;

const { default: mermaid } = await import("mermaid");

let text = "";
for await (const chunk of process.stdin) text += chunk;

try {
  const result = await mermaid.parse(text);
  process.stdout.write(`${result.diagramType}\n`);
} catch (error) {
  process.stderr.write(`${error?.message ?? error}\n`);
  process.exit(1);
}
