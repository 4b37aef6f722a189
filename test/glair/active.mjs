// Drives the official @glair/vision client's single-image check,
// faceBio.activeLiveness({image, gestureCode}), unchanged, against livegate.
// Env: as vision.mjs, CASES (a JSON list of {name, image, gestureCode}), OUT
// (a file for the JSON report: one {ok, body} per case name).
import { runCases } from "./vision.mjs";

await runCases((vision, c) => vision.faceBio.activeLiveness({ image: c.image, gestureCode: c.gestureCode }));
