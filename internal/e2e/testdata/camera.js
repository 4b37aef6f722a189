// The reactive camera (see camera_test.go). Injected through DevTools before
// the page's own scripts, after window.__livegateCameraConfig. It changes
// nothing on the page: getUserMedia hands out a canvas stream drawn from
// the fake device's strip of poses, and a listener on the data channel
// turns the head when the server asks. Nothing is fetched.
(() => {
  "use strict";
  const conf = window.__livegateCameraConfig;
  const md = navigator.mediaDevices;
  if (!conf || !md || typeof md.getUserMedia !== "function") {
    return;
  }
  const cam = { pose: "neutral", log: [] };
  window.__livegateCamera = cam;
  const index = new Map(conf.poses.map((p, i) => [p, i]));

  function note(what, fields) {
    cam.log.push(Object.assign({ t: Math.round(performance.now()), what: what }, fields));
  }
  function setPose(p) {
    if (cam.pose !== p) {
      cam.pose = p;
      note("pose", { pose: p });
    }
  }

  // The poses a gesture goes through, from neutral to its full extent.
  const RAMPS = {
    HEAD_LEFT: ["left10", "left20", "left30"],
    HEAD_RIGHT: ["right10", "right20", "right30"],
    HEAD_UP: ["up10", "up20"],
    HEAD_DOWN: ["down10", "down20"],
    HEAD_00: ["eyes"], // both eyes shut at once, held as the others are
  };
  const OPPOSITE = { HEAD_LEFT: "HEAD_RIGHT", HEAD_RIGHT: "HEAD_LEFT", HEAD_UP: "HEAD_DOWN", HEAD_DOWN: "HEAD_UP" };
  const STEP_MS = 120; // per pose of the ramp: 0 → 30° in 0.36 s
  const HOLD_MS = 1500; // a held moment; long enough for a busy server to analyse a few frames of it
  const WRONG_EVERY_MS = 2000;
  const ZOOM = 1.03; // the picture's scale: covers the drift's edges

  let timers = [];
  let busyUntil = 0; // performance.now() when the motion under way is back at neutral
  function stop() {
    busyUntil = 0;
    for (const t of timers) {
      clearTimeout(t);
    }
    timers = [];
    setPose("neutral");
  }
  function at(ms, fn) {
    timers.push(setTimeout(fn, ms));
  }
  // perform schedules one gesture starting after delay ms; returns its end.
  function perform(gesture, delay) {
    // A motion under way comes back to neutral first, as a head does.
    delay = Math.max(delay, busyUntil - performance.now());
    const ramp = RAMPS[gesture];
    if (!ramp) {
      note("unknown", { gesture: gesture });
      return delay;
    }
    let t = delay;
    at(t, () => note("perform", { gesture: gesture }));
    for (const p of ramp) {
      at(t, () => setPose(p));
      t += STEP_MS;
    }
    t += HOLD_MS - STEP_MS;
    for (const p of ramp.slice(0, -1).reverse().concat(["neutral"])) {
      t += STEP_MS;
      at(t, () => setPose(p));
    }
    busyUntil = performance.now() + t;
    return t;
  }

  function onServer(raw) {
    let m;
    try {
      m = JSON.parse(raw);
    } catch (_) {
      return;
    }
    switch (m && m.type) {
      case "instruction":
        note("instruction", { gesture: m.gesture });
        if (conf.partial) {
          // A hesitant user: starts the motion in time, stops at the first
          // pose of the ramp, below the gesture's threshold, and stays.
          const ramp = RAMPS[m.gesture];
          at(conf.delayMs, () => {
            note("perform", { gesture: m.gesture, partial: true });
            setPose(ramp ? ramp[0] : "neutral");
          });
        } else if (conf.wrong) {
          // A wrong gesture, and again while the try lasts (a server that
          // ends the try at the first one never sees the second).
          const wrong = OPPOSITE[m.gesture] || "HEAD_LEFT";
          for (let k = 0; k < 5; k++) {
            perform(wrong, conf.delayMs + k * WRONG_EVERY_MS);
          }
        } else {
          perform(m.gesture, conf.delayMs);
        }
        break;
      case "wait":
      case "attempt_failed":
      case "done":
      case "closing":
        stop();
        note(m.type, m.reason ? { reason: m.reason } : {});
        break;
      default:
        break;
    }
  }

  if (typeof window.RTCPeerConnection === "function") {
    const create = RTCPeerConnection.prototype.createDataChannel;
    RTCPeerConnection.prototype.createDataChannel = function (...args) {
      const dc = create.apply(this, args);
      dc.addEventListener("message", (e) => onServer(e.data));
      return dc;
    };
  }

  const realGetUserMedia = md.getUserMedia.bind(md);
  md.getUserMedia = async (constraints) => {
    if (!constraints || !constraints.video) {
      return realGetUserMedia(constraints);
    }
    // The whole strip, unscaled: the page's own constraints would have
    // Chromium scale it down to 640×480.
    const real = await realGetUserMedia({
      video: { width: { exact: conf.width }, height: { exact: conf.height } },
      audio: false,
    });
    const video = document.createElement("video");
    video.muted = true;
    video.srcObject = real;
    await video.play();
    const canvas = document.createElement("canvas");
    canvas.width = conf.panelW;
    canvas.height = conf.panelH;
    const g = canvas.getContext("2d");
    const cx = conf.panelW / 2;
    const cy = conf.panelH / 2;
    const draw = () => {
      // The strip loops every 20 frames with the same sway, and a loop
      // that exact is what the server's loop detector calls injection
      // (liveness.Repeats): the frame where the fake device wraps around
      // repeats every 1.33 s. A person's picture never repeats: the camera
      // drifts the picture slowly and aperiodically, as a held phone or a
      // person settling in a chair does (up to 5 px and 3.5 % of
      // brightness, periods of 3 to 12 s that share no multiple), scaled by
      // 3 % so the edges stay covered.
      const s = performance.now() / 1000;
      const wave = (a, period, phase) => a * Math.sin((2 * Math.PI * s) / period + phase);
      const dx = wave(3, 3.1, 0) + wave(2, 7.3, 1);
      const dy = wave(2, 4.3, 2) + wave(1.5, 9.7, 0);
      const gain = 1 + wave(0.02, 5.3, 0) + wave(0.015, 11.9, 0.5);
      const k = index.get(cam.pose) || 0;
      g.setTransform(ZOOM, 0, 0, ZOOM, cx * (1 - ZOOM) + dx, cy * (1 - ZOOM) + dy);
      g.filter = "brightness(" + gain.toFixed(4) + ")";
      g.drawImage(video, 0, 0, conf.panelW, conf.panelH, 0, 0, conf.panelW, conf.panelH);
      if (k > 0) {
        const sx = conf.panelW + (k - 1) * conf.bandW;
        g.drawImage(video, sx, 0, conf.bandW, conf.panelH, conf.bandX, 0, conf.bandW, conf.panelH);
      }
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.filter = "none";
    };
    draw();
    const timer = setInterval(draw, 1000 / 30);
    const out = canvas.captureStream(15);
    for (const track of out.getVideoTracks()) {
      const stopTrack = track.stop.bind(track);
      track.stop = () => {
        clearInterval(timer);
        for (const t of real.getTracks()) {
          t.stop();
        }
        stopTrack();
      };
    }
    note("camera", {});
    return out;
  };
})();
