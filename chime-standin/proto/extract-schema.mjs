// Rebuilds the Chime signalling schema (proto2 text) from the npm package of amazon-chime-sdk-js,
// which ships only the code protobufjs generated from its SignalingProtocol.proto, not the .proto:
//
//   npm pack amazon-chime-sdk-js@3.32.0 && tar xzf amazon-chime-sdk-js-3.32.0.tgz
//   node extract-schema.mjs package > SignalingProtocol.proto
//
// Field numbers and wire types come from each message's encoder, labels from how it writes the
// field (always: required; in a loop: repeated), enum types from the JSDoc, enum values from the
// enum objects. Field names are the .proto's snake_case (protobufjs camel-cases them).
import { readFileSync } from "node:fs";

const dir = process.argv[2] ?? "package";
const version = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")).version;
const js = readFileSync(`${dir}/build/signalingprotocol/SignalingProtocol.js`, "utf8");
const snake = (s) => s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
const out = [];

// Enums: `X = (function() { var valuesById … values[valuesById[1] = "JOIN"] = 1; … })();`
const enums = new Map();
for (const m of js.matchAll(/(?:\$root|\b[A-Z]\w*)\.(\w+) = \(function\(\) \{\n\s*var valuesById = \{\}[^]*?return values;/g)) {
  if (m[0].startsWith("$root.")) enums.set(m[1], enumValues(m[0]));
}

// Messages: each `$root.Name = (function() {` up to the next top-level `$root.`.
const starts = [...js.matchAll(/^\$root\.(\w+) = \(function\(\) \{$/gm)];
for (let i = 0; i < starts.length; i++) {
  const name = starts[i][1];
  const body = js.slice(starts[i].index, starts[i + 1]?.index ?? js.length);
  const encoder = body.match(new RegExp(`${name}\\.encode = function encode[^]*?return writer;`));
  if (!encoder) {
    if (enums.has(name)) out.push(renderEnum(name, enums.get(name), ""));
    continue;
  }
  const jsdoc = new Map(
    [...body.matchAll(/@property \{([^}]+)\} \[?(\w+)\]? /g)].map((p) => [p[2], p[1]]),
  );
  const lines = [`message ${name} {`];
  const nestedEnum = new RegExp(`^    ${name}\\.(\\w+) = \\(function\\(\\) \\{\\n\\s*var valuesById[^]*?return values;`, "gm");
  for (const nested of body.matchAll(nestedEnum)) {
    lines.push(renderEnum(nested[1], enumValues(nested[0]), "  "));
  }
  for (const line of encoder[0].split("\n")) {
    const f = line.match(/\/\* id (\d+), wireType (\d) =\*\/\d+\)(?:\.(\w+)\(message\.(\w+)|\.fork\(\))/);
    const sub = line.match(/\$root\.(\w+)\.encode\(message\.(\w+)/);
    if (!f) continue;
    const field = sub ? sub[2] : f[4];
    let type = sub ? sub[1] : f[3];
    const doc = (jsdoc.get(field) ?? "").replace(/\|null/g, "").replace(/^Array\.<(.*)>$/, "$1");
    if (/^[A-Z]\w*(\.\w+)?$/.test(doc) && !/^I[A-Z]/.test(doc) && !["Long", "Uint8Array"].includes(doc)) type = doc;
    const repeated = /\.length\)$/.test(prev(encoder[0], line)) || /\[i\]/.test(line);
    const required = !/if \(message/.test(prev(encoder[0], line)) && !repeated;
    const label = repeated ? "repeated" : required ? "required" : "optional";
    lines.push(`  ${label} ${type} ${snake(field)} = ${f[1]};`);
  }
  lines.push("}");
  out.push(lines.join("\n"));
}

function enumValues(text) {
  return [...text.matchAll(/values\[valuesById\[(\d+)\] = "(\w+)"\] = \d+;/g)].map((v) => [v[2], v[1]]);
}

function prev(text, line) {
  const all = text.split("\n");
  const at = all.indexOf(line);
  return at > 0 ? all[at - 1].trim() : "";
}

function renderEnum(name, values, indent) {
  const body = values.map(([k, v]) => `${indent}  ${k} = ${v};`).join("\n");
  return `${indent}enum ${name} {\n${body}\n${indent}}`;
}

console.log(`// Copyright Amazon.com, Inc. or its affiliates. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// The Amazon Chime SDK's signalling schema, as amazon-chime-sdk-js ${version} (npm) encodes it:
// rebuilt by extract-schema.mjs from the package's build/signalingprotocol/SignalingProtocol.js,
// which protobufjs generated from the SDK's protocol/SignalingProtocol.proto (the package does
// not ship the .proto itself). Comments and option lines of the original are not recoverable.

syntax = "proto2";
`);
console.log(out.join("\n\n"));
