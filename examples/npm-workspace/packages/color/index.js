"use strict";
exports.bold = (s) => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[22m` : s);
