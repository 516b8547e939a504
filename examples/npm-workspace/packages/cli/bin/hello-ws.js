#!/usr/bin/env node
"use strict";
const { line } = require("@hello-ws/format");
const { version } = require("../package.json");
let bold = (s) => s;
try {
  ({ bold } = require("@hello-ws/color"));
} catch (_) {
  // optional: installed without it, the greeting is plain
}
console.log(bold(line(process.argv[2] || "world", version)));
