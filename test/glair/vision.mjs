// What every driver of the official @glair/vision client here shares: the
// client, configured from the environment (LIVEGATE_URL, API_KEY,
// API_USERNAME, API_PASSWORD), and settle, which turns a call into the
// report's {ok, body}.
import { writeFileSync } from "node:fs";
import { Vision } from "@glair/vision";

export const vision = new Vision({
  baseUrl: process.env.LIVEGATE_URL,
  apiKey: process.env.API_KEY,
  username: process.env.API_USERNAME,
  password: process.env.API_PASSWORD,
});

// The client throws the parsed JSON body of any non-2xx response.
export async function settle(promise) {
  try {
    return { ok: true, body: await promise };
  } catch (err) {
    return { ok: false, body: err instanceof Error ? { thrown: String(err) } : err };
  }
}

// runCases calls call(vision, c) for each case of CASES (a JSON list of
// objects with a name) and writes {name: {ok, body}} to OUT.
export async function runCases(call) {
  const report = {};
  for (const c of JSON.parse(process.env.CASES)) {
    report[c.name] = await settle(call(vision, c));
  }
  writeFileSync(process.env.OUT, JSON.stringify(report));
}
