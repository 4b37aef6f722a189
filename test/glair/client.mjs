// Drives the official @glair/vision client, unchanged, against livegate.
// Env: LIVEGATE_URL, API_KEY, API_USERNAME, API_PASSWORD, OUT (a file for
// the JSON report; the client itself logs to stdout).
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
const active = vision.faceBio.activeLivenessSessions;
report.activeCreate = await settle(
  active.create({ success_url: "https://shop.example/done?order=7", cancel_url: "https://shop.example/back", number_of_gestures: 2 }),
);
if (report.activeCreate.ok) {
  report.activeRetrieve = await settle(active.retrieve({ sid: report.activeCreate.body.sid }));
}
const passive = vision.faceBio.passiveLivenessSessions;
report.passiveCreate = await settle(passive.create({ success_url: "https://shop.example/done" }));
if (report.passiveCreate.ok) {
  report.passiveRetrieve = await settle(passive.retrieve({ sid: report.passiveCreate.body.sid }));
}
report.unknownRetrieve = await settle(active.retrieve({ sid: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }));
report.badCreate = await settle(active.create({ success_url: "javascript:alert(1)" }));
report.wrongKey = await settle(
  active.retrieve({ sid: "x" }, { apiKey: "not-a-key-of-this-server" }),
);

writeFileSync(process.env.OUT, JSON.stringify(report));
