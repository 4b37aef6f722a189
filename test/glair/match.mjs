// Drives the official @glair/vision client's face matching,
// faceBio.match({captured, stored}), unchanged, against livegate.
// Env: LIVEGATE_URL, API_KEY, API_USERNAME, API_PASSWORD, CASES (a JSON list
// of {name, captured, stored}), OUT (a file for the JSON report: one
// {ok, body} per case name; the client itself logs to stdout).
import { writeFileSync } from "node:fs";
import { Vision } from "@glair/vision";

const vision = new Vision({
  baseUrl: process.env.LIVEGATE_URL,
  apiKey: process.env.API_KEY,
  username: process.env.API_USERNAME,
  password: process.env.API_PASSWORD,
});

// The client throws the parsed JSON body of any non-2xx response.
async function settle(promise) {
  try {
    return { ok: true, body: await promise };
  } catch (err) {
    return { ok: false, body: err instanceof Error ? { thrown: String(err) } : err };
  }
}

const report = {};
for (const c of JSON.parse(process.env.CASES)) {
  report[c.name] = await settle(vision.faceBio.match({ captured: c.captured, stored: c.stored }));
}
writeFileSync(process.env.OUT, JSON.stringify(report));
