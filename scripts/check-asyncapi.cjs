// Validates an AsyncAPI document with the AsyncAPI initiative's own parser (structure, schemas
// and references). Prints every finding; exits 1 on any error.
//   node scripts/check-asyncapi.cjs FILE   (with @asyncapi/parser on NODE_PATH)
const { Parser } = require("@asyncapi/parser");
const fs = require("fs");

(async () => {
  const diagnostics = await new Parser().validate(fs.readFileSync(process.argv[2], "utf8"));
  const levels = ["error", "warning", "information", "hint"];
  for (const d of diagnostics) {
    console.log(`${levels[d.severity] || d.severity}: ${d.message} at ${JSON.stringify(d.path)}`);
  }
  const errors = diagnostics.filter((d) => d.severity === 0).length;
  console.log(errors === 0 ? "valid AsyncAPI" : `${errors} error(s)`);
  process.exit(errors === 0 ? 0 : 1);
})();
