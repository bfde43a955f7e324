#!/usr/bin/env node
// Loads the built CLI; `npm ci` builds dist/ through the prepare script.
import { main } from "../dist/cli/main.js";

main(process.argv).then((code) => {
  process.exitCode = code;
});
