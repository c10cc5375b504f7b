// Reference point for BENCHMARKS.md: how fast Ajv validates kyoten registrations.
//
// Adds schemas/*/1.0.0.json to one Ajv2020 (allErrors: false), with ajv-formats asserting date,
// date-time, email and uuid and kyoten's custom formats (katakana, jp-municipality-code,
// jp-corporate-number, jp-phone — same rules as src/validation/formats.rs), compiles registration
// once, then times JSON.parse + validate over every line of the file (readline over a stream, so
// memory stays flat); the clock starts once compiled. Schema checks only: kyoten's domain rules
// are not applied, so the generator's short-stay documents (10%) count as valid.
//
// usage: node validate_ajv.mjs FILE.ndjson      (normally run through run.sh, after npm ci)
// prints one JSON line: tool, version, node, documents, valid, invalid, seconds,
// documents_per_second
import { createReadStream, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const schemas = new URL("../../schemas/", import.meta.url);
const ajv = new Ajv2020({ allErrors: false });
// kyoten's annotations: known to Ajv so that strict mode stays on for everything else.
for (const keyword of ["x-codelist", "x-title-en", "x-description-en"]) ajv.addKeyword(keyword);
addFormats(ajv, ["date", "date-time", "email", "uuid"]);

// Full-width katakana U+30A1–U+30FA and ー, plus ASCII/ideographic spaces; one non-space.
ajv.addFormat("katakana", (s) => /^[\u30A1-\u30FAー \u3000]+$/.test(s) && /[^ \u3000]/.test(s));
// 6 digits, prefecture 01–47, check digit (11 − Σ d·w mod 11) mod 10 with weights 6,5,4,3,2.
ajv.addFormat("jp-municipality-code", (s) => {
  if (!/^[0-9]{6}$/.test(s) || s.slice(0, 2) < "01" || s.slice(0, 2) > "47") return false;
  const sum = [6, 5, 4, 3, 2].reduce((acc, w, i) => acc + w * Number(s[i]), 0);
  return (11 - (sum % 11)) % 10 === Number(s[5]);
});
// 13 digits; first = 9 − (Σ P_n·Q_n mod 9), P_n the n-th of the last 12 from the right,
// Q_n = 1 for odd n, 2 for even n.
ajv.addFormat("jp-corporate-number", (s) => {
  if (!/^[0-9]{13}$/.test(s)) return false;
  let sum = 0;
  for (let n = 1; n <= 12; n++) sum += Number(s[13 - n]) * (n % 2 ? 1 : 2);
  return 9 - (sum % 9) === Number(s[0]);
});
// Starts with 0; ASCII digits with single hyphens, none trailing; 10 or 11 digits.
ajv.addFormat("jp-phone", (s) => {
  if (!/^0[0-9]*(-[0-9]+)*$/.test(s)) return false;
  const digits = s.replaceAll("-", "").length;
  return digits >= 10 && digits <= 11;
});

for (const name of ["common", "registration", "facility", "handoff", "handoff_response"]) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(`${name}/1.0.0.json`, schemas), "utf8")));
}
const validate = ajv.getSchema("https://w3id.org/kyoten/schemas/registration/1.0.0");

let documents = 0;
let valid = 0;
const start = process.hrtime.bigint();
const lines = createInterface({ input: createReadStream(process.argv[2]), crlfDelay: Infinity });
for await (const line of lines) {
  documents++;
  if (validate(JSON.parse(line))) valid++;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const { version } = createRequire(import.meta.url)("ajv/package.json");
console.log(JSON.stringify({
  tool: "ajv", version, node: process.versions.node,
  documents, valid, invalid: documents - valid,
  seconds: Number(seconds.toFixed(3)),
  documents_per_second: Number((documents / seconds).toFixed(1)),
}));
