#!/usr/bin/env node
// The evolvd command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { main } from "../dist/cli/main.js";

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
// Exit once the output is written: a library that still holds a timer or a socket (bull's
// queues while Redis is unreachable) must not keep a stopped daemon alive.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
