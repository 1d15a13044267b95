import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { jsonLogger } from "../../src/cli/logger.js";

const sink = (isTTY: boolean) => {
  const lines: string[] = [];
  const stream = Object.assign(new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }), { isTTY });
  return { lines, stream };
};

describe("the daemon's log", () => {
  it("is JSON lines when its stream is not a terminal", () => {
    const { lines, stream } = sink(false);
    jsonLogger(stream).info({ target: "checkout", experiment: "checkout/g1" }, "experiment started (canary)");
    expect(JSON.parse(lines.join(""))).toMatchObject({ level: 30, msg: "experiment started (canary)", target: "checkout", service: "evolvd" });
  });

  it("reads as a line of text with its fields on a terminal", () => {
    const { lines, stream } = sink(true);
    jsonLogger(stream).warn({ target: "checkout", arm: "abc" }, "arm pulled");
    const text = lines.join("").replace(/\u001b\[[0-9;]*m/g, "");
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: arm pulled\n/);
    expect(text).toContain('target: "checkout"');
    expect(() => JSON.parse(text)).toThrow();
  });
});
