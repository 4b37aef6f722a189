// Drives the official @glair/vision client, unchanged, against livegate.
// Env: as vision.mjs, OUT (a file for the JSON report; the client itself
// logs to stdout).
import { writeFileSync } from "node:fs";
import { settle, vision } from "./vision.mjs";

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
