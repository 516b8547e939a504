"use strict";
const { greet } = require("@hello-ws/greet");
exports.line = (name, version) => `${greet(name)} (hello-ws ${version})`;
