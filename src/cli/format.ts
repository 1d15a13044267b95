/** Plain-text tables and numbers for terminal output. */

export function table(rows: readonly (readonly string[])[], header: readonly string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}

export const percent = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)}%`;
export const signedPercent = (x: number, digits = 1): string => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(digits)}%`;
export const count = (n: number): string => Math.round(n).toLocaleString("en-US");
export const short = (id: string): string => id.slice(0, 12);
export const isoTime = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");
