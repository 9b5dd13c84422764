/** The benchmark's output: markdown tables printed as they are measured, and the same saved to a file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type Cell = string | number;

export class Report {
  readonly #parts: string[] = [];

  /** A heading or a paragraph, printed and kept. */
  text(markdown: string): void {
    console.log(markdown);
    console.log();
    this.#parts.push(markdown);
  }

  /** A markdown table with aligned columns; notes follow it as a list. */
  table(title: string, headers: string[], rows: Cell[][], notes: string[] = []): void {
    const cells = [headers, ...rows.map((row) => row.map(String))];
    const widths = headers.map((_, i) => Math.max(3, ...cells.map((row) => (row[i] ?? "").length)));
    const line = (row: string[]) => `| ${widths.map((w, i) => (row[i] ?? "").padEnd(w)).join(" | ")} |`;
    const out = [`### ${title}`, "", line(headers), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map((row) => line(row.map(String)))];
    if (notes.length > 0) out.push("", ...notes.map((n) => `- ${n}`));
    this.text(out.join("\n"));
  }

  write(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${this.#parts.join("\n\n")}\n`);
  }
}
