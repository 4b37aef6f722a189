// Drives the official @glair/vision client's passive liveness,
// faceBio.passiveLiveness({image}), unchanged, against livegate.
// Env: as vision.mjs, CASES (a JSON list of {name, image}), OUT (a file for
// the JSON report: one {ok, body} per case name).
import { runCases } from "./vision.mjs";

await runCases((vision, c) => vision.faceBio.passiveLiveness({ image: c.image }));
