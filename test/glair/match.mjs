// Drives the official @glair/vision client's face matching,
// faceBio.match({captured, stored}), unchanged, against livegate.
// Env: as vision.mjs, CASES (a JSON list of {name, captured, stored}), OUT
// (a file for the JSON report: one {ok, body} per case name).
import { runCases } from "./vision.mjs";

await runCases((vision, c) => vision.faceBio.match({ captured: c.captured, stored: c.stored }));
