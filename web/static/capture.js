// livegate capture screen: camera, then WebRTC to the server, which asks
// for gestures over the data channel and is the only judge of them. The
// protocol is docs/protocol.md. Everything this script needs comes from the
// page: the data-* attributes of #capture and, for text, #capture-strings
// (so both languages share this file and the CSP needs no inline script).
(() => {
  "use strict";

  const root = document.getElementById("capture");
  if (!root) {
    return;
  }
  const conf = root.dataset;
  const $ = (sel) => root.querySelector(sel);
  const video = $("#preview");
  const ring = $("#ring");
  const glyph = $("#glyph");
  const hintEl = $("#hint");
  const stepEl = $("#step");
  const instructionEl = $("#instruction");
  const overall = $("#overall");
  const cancelBox = $("#capture-cancel");
  const cancelForm = cancelBox && cancelBox.querySelector("form");
  const liveRegion = document.getElementById("live-region");

  const strings = {};
  for (const el of root.querySelectorAll("#capture-strings [data-key]")) {
    strings[el.dataset.key] = el.textContent;
  }
  function text(key, vars) {
    let s = strings[key] || "";
    for (const k of Object.keys(vars || {})) {
      s = s.split("{" + k + "}").join(String(vars[k]));
    }
    return s;
  }

  // The camera is asked for the frame rate the server analyses
  // (data-frame-rate, the server's LIVEGATE_ANALYSIS_FPS; 15 when absent):
  // every frame sent is decoded by the server (VP8 inter frames need all
  // the frames before them), so frames above the analysed rate cost its CPU
  // and the uplink for nothing. Browsers drop frames to meet the max; a
  // camera that still cannot meet it is asked again without it (LOOSE), and
  // the server then paces the analysis.
  const FPS = Number(conf.frameRate) > 0 ? Number(conf.frameRate) : 15;
  const VIDEO = {
    facingMode: "user",
    width: { ideal: 640 },
    height: { ideal: 480 },
    frameRate: { ideal: FPS, max: FPS },
  };
  const CONSTRAINTS = { video: VIDEO, audio: false };
  const LOOSE = { video: Object.assign({}, VIDEO, { frameRate: { ideal: FPS } }), audio: false };
  const GATHER_MS = 2000; // protocol: send the offer at most 2 s after creating it
  const HELLO_MS = 15000; // no hello this long after the answer: the connection failed
  const HINT_MS = 2000; // a hint not repeated for this long is cleared
  const REDIRECT_MS = 2500; // time to read the result before leaving
  const CANCEL_MS = 3000; // no answer to a cancel message: post the form instead

  // In-app browsers and WebViews that commonly block the camera. They get
  // the "open in your browser" screen only when the camera is unavailable.
  const IN_APP = /FBAN|FBAV|FB_IAB|Instagram|Line\/|MicroMessenger|TikTok|musical_ly|Snapchat|Twitter|LinkedInApp|; wv\)/;

  let stream = null;
  let peer = null;
  let channel = null;
  let generation = 0; // bumps on each connection, so stale callbacks stay quiet
  let ended = false; // the session is over (done or closing)
  let helloTimer = 0;
  let hintTimer = 0;
  let cancelTimer = 0;
  let lastSaid = "";
  let firstInstruction = true;
  let total = 0; // gestures in this attempt, from the last instruction
  let passive = false; // a passive session: the server's hello says so

  function say(message) {
    if (liveRegion && message && message !== lastSaid) {
      liveRegion.textContent = message;
      lastSaid = message;
    }
  }

  // show makes one screen visible. Cancel stays under the screens where the
  // user can still leave; focus moves to the new screen's heading so that
  // keyboard and screen reader users land on what changed.
  function show(name, focus) {
    let shown = null;
    for (const s of root.querySelectorAll("[data-screen]")) {
      const on = s.dataset.screen === name;
      s.hidden = !on;
      if (on) {
        shown = s;
      }
    }
    root.dataset.state = name;
    if (name === "in-app") {
      releaseClaim();
    }
    if (cancelBox) {
      cancelBox.hidden = !(shown && shown.hasAttribute("data-cancelable")) || ended;
    }
    const heading = shown && shown.querySelector("h1");
    if (heading && focus !== false) {
      heading.focus();
    }
  }

  // releaseClaim gives the session up on the in-app screen, whose way
  // forward is to open the link in a real browser: that browser must be
  // able to claim it. Sent once; a failure leaves the claim as it was.
  let released = false;
  function releaseClaim() {
    if (released || !conf.releaseUrl) {
      return;
    }
    released = true;
    fetch(conf.releaseUrl, {
      method: "POST",
      headers: { "X-CSRF-Token": conf.csrfToken },
      credentials: "same-origin",
    }).catch(() => {});
  }

  function stopCamera() {
    if (stream) {
      for (const t of stream.getTracks()) {
        t.stop();
      }
    }
    stream = null;
    if (video) {
      video.srcObject = null;
    }
  }

  function closePeer() {
    generation++;
    clearTimeout(helloTimer);
    if (channel) {
      channel.onmessage = channel.onclose = null;
    }
    if (peer) {
      peer.onconnectionstatechange = null;
      peer.close();
    }
    peer = channel = null;
  }

  function send(type) {
    if (channel && channel.readyState === "open") {
      const m = { v: 1, type: type };
      if (type === "ready") {
        // The camera's label is stream evidence for the server (a virtual
        // camera names itself); labels are empty without camera permission.
        const t = stream && stream.getVideoTracks()[0];
        if (t && t.label) {
          m.camera_label = t.label.slice(0, 200);
        }
      }
      channel.send(JSON.stringify(m));
      return true;
    }
    return false;
  }

  // cameraError names the screen for a getUserMedia failure.
  function cameraError(err, inApp) {
    const name = err && err.name;
    if (inApp && name !== "NotFoundError" && name !== "NotReadableError") {
      return "in-app";
    }
    switch (name) {
      case "NotAllowedError":
      case "PermissionDeniedError":
      case "SecurityError":
        return "denied";
      case "NotFoundError":
      case "DevicesNotFoundError":
      case "OverconstrainedError":
        return "no-camera";
      case "NotReadableError":
      case "TrackStartError":
      case "AbortError":
        return "busy";
      default:
        return "unsupported";
    }
  }

  // The eye closures (HEAD_00, HEAD_01, HEAD_10) are held until the server
  // has seen them; a user with the eyes shut cannot read the screen, so the
  // page tells them to open the eyes again with a short tone and, where the
  // device can, a vibration (the text "open your eyes" is there too, for
  // those who cannot hear it). The AudioContext is made inside the click
  // that starts the camera: browsers allow sound only after a user gesture.
  const EYE_CLOSURES = new Set(["HEAD_00", "HEAD_01", "HEAD_10"]);
  let audio = null;

  function unlockAudio() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && typeof Ctx === "function") {
      try {
        audio = new Ctx();
      } catch (_) {
        audio = null;
      }
    }
    if (audio && audio.state === "suspended") {
      audio.resume().catch(() => {});
    }
  }

  function openEyesCue() {
    root.dataset.cue = String((Number(root.dataset.cue) || 0) + 1);
    if (navigator.vibrate) {
      navigator.vibrate(200);
    }
    if (!audio) {
      return;
    }
    const t = audio.currentTime;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + 0.26);
  }

  async function start() {
    ended = false;
    unlockAudio();
    const inApp = IN_APP.test(navigator.userAgent);
    const md = navigator.mediaDevices;
    if (!md || typeof md.getUserMedia !== "function" || typeof window.RTCPeerConnection !== "function") {
      show(inApp ? "in-app" : "unsupported");
      return;
    }
    show("starting", false);
    try {
      stream = await md.getUserMedia(CONSTRAINTS);
    } catch (err) {
      if (!err || err.name !== "OverconstrainedError") {
        show(cameraError(err, inApp));
        return;
      }
      try {
        stream = await md.getUserMedia(LOOSE);
      } catch (err2) {
        show(cameraError(err2, inApp));
        return;
      }
    }
    performance.mark("livegate:camera");
    video.srcObject = stream;
    for (const t of stream.getVideoTracks()) {
      // Unplugged, or taken by the system: the same screen as a busy camera.
      t.addEventListener("ended", () => {
        if (!ended) {
          closePeer();
          stopCamera();
          show("busy");
        }
      });
    }
    connect();
  }

  function waitForGathering(pc) {
    if (pc.iceGatheringState === "complete") {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      };
      const check = () => {
        if (pc.iceGatheringState === "complete") {
          finish();
        }
      };
      const timer = setTimeout(finish, GATHER_MS);
      pc.addEventListener("icegatheringstatechange", check);
    });
  }

  // preferVP8 puts VP8 first: the server decodes VP8 only.
  function preferVP8(transceiver) {
    const caps = window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities && RTCRtpReceiver.getCapabilities("video");
    if (!caps || typeof transceiver.setCodecPreferences !== "function") {
      return;
    }
    const vp8 = caps.codecs.filter((c) => /^video\/vp8$/i.test(c.mimeType));
    const helpers = caps.codecs.filter((c) => /^video\/(rtx|red|ulpfec)$/i.test(c.mimeType));
    if (vp8.length > 0) {
      try {
        transceiver.setCodecPreferences(vp8.concat(helpers));
      } catch (_) {
        // The browser negotiates its own order; the server still insists on VP8.
      }
    }
  }

  function resetLive(instruction) {
    show("live", false);
    instructionEl.textContent = instruction;
    stepEl.textContent = "";
    glyph.removeAttribute("data-gesture");
    overall.value = 0;
    setRing(0);
    clearHint();
  }

  async function connect() {
    closePeer();
    const gen = generation;
    const stale = () => gen !== generation;
    resetLive(text("connecting"));
    say(text("connecting"));
    let iceServers = [];
    try {
      iceServers = JSON.parse(conf.iceServers || "[]");
    } catch (_) {
      iceServers = [];
    }
    try {
      const pc = new RTCPeerConnection({
        iceServers: iceServers,
        iceTransportPolicy: conf.iceTransportPolicy === "relay" ? "relay" : "all",
      });
      peer = pc;
      const track = stream.getVideoTracks()[0];
      preferVP8(pc.addTransceiver(track, { direction: "sendonly", streams: [stream] }));
      const dc = pc.createDataChannel("livegate");
      channel = dc;
      dc.onmessage = (e) => {
        if (!stale()) {
          onMessage(e.data);
        }
      };
      dc.onclose = () => {
        if (!stale() && !ended) {
          connectionFailed();
        }
      };
      pc.onconnectionstatechange = () => {
        if (!stale() && pc.connectionState === "failed" && !ended) {
          connectionFailed();
        }
      };
      await pc.setLocalDescription(await pc.createOffer());
      await waitForGathering(pc);
      if (stale()) {
        return;
      }
      const res = await fetch(conf.offerUrl, {
        method: "POST",
        headers: { "Content-Type": "application/sdp", "X-CSRF-Token": conf.csrfToken },
        body: pc.localDescription.sdp,
        credentials: "same-origin",
        cache: "no-store",
      });
      if (stale()) {
        return;
      }
      if (res.status !== 201 && res.status !== 200) {
        offerRefused(res.status);
        return;
      }
      const answer = await res.text();
      if (stale()) {
        return;
      }
      await pc.setRemoteDescription({ type: "answer", sdp: answer });
      performance.mark("livegate:answer");
      helloTimer = setTimeout(() => {
        if (!stale()) {
          connectionFailed();
        }
      }, HELLO_MS);
    } catch (_) {
      if (!stale()) {
        connectionFailed();
      }
    }
  }

  function connectionFailed() {
    closePeer();
    show("connection-failed");
  }

  // offerRefused maps the offer's error status (docs/protocol.md) to a
  // screen. A session that ended or is held by another browser, or a
  // device or address locked out after too many failed attempts (429), is
  // best explained by the server's own page, so the page reloads once.
  function offerRefused(status) {
    closePeer();
    if (status === 410) {
      end("expired");
      return;
    }
    if (status === 400) {
      stopCamera();
      show("unsupported");
      return;
    }
    if (status === 403 || status === 404 || status === 409 || status === 429) {
      const u = new URL(location.href);
      if (!u.searchParams.has("reloaded")) {
        u.searchParams.set("reloaded", "1");
        stopCamera();
        location.replace(u.toString());
        return;
      }
    }
    show("connection-failed");
  }

  function setRing(value) {
    const v = Math.max(0, Math.min(1, Number(value) || 0)) * 100;
    ring.setAttribute("stroke-dasharray", v.toFixed(1) + " 100");
    ring.setAttribute("stroke-opacity", v > 0 ? "1" : "0"); // no round cap dot at 0
  }

  function clearHint() {
    clearTimeout(hintTimer);
    hintEl.hidden = true;
    hintEl.textContent = "";
  }

  function showHint(message, sticky) {
    if (!message) {
      return;
    }
    clearTimeout(hintTimer);
    if (hintEl.textContent !== message) {
      say(message);
    }
    hintEl.textContent = message;
    hintEl.hidden = false;
    if (!sticky) {
      hintTimer = setTimeout(clearHint, HINT_MS);
    }
  }

  // wait is the server's random pause before an instruction: the user
  // holds still and learns the gesture only when it is asked, so the page
  // shows no gesture now (a recording cannot know when to move).
  function wait(m) {
    show("live", false);
    clearHint();
    setRing(0);
    glyph.removeAttribute("data-gesture");
    delete root.dataset.gesture;
    root.dataset.waiting = String(m.index);
    total = m.total;
    stepEl.textContent = text("step_of", { n: m.index + 1, total: m.total });
    instructionEl.textContent = text("wait");
    say(text("wait"));
  }

  function instruction(m) {
    const words = text(m.gesture) || text("get_ready");
    if (firstInstruction) {
      firstInstruction = false;
      performance.mark("livegate:first-instruction");
    }
    show("live", false);
    clearHint();
    setRing(0);
    glyph.dataset.gesture = m.gesture;
    delete root.dataset.waiting;
    total = m.total;
    stepEl.textContent = text("step_of", { n: m.index + 1, total: m.total });
    instructionEl.textContent = words;
    root.dataset.gesture = m.gesture;
    say(words);
  }

  function attemptFailed(m) {
    const left = Math.max(0, Number(m.attempts_left) || 0);
    root.dataset.attemptsLeft = String(left);
    $("#fail-reason").textContent = text("reason:" + m.reason) || text("reason:NOT_MATCH");
    $("#attempts-left").textContent = left === 1 ? text("attempts_left_one") : text("attempts_left_other", { n: left });
    const again = $('[data-action="try-again"]');
    again.hidden = left === 0; // the last one: "done" with the failed outcome follows
    $("#attempts-left").hidden = left === 0;
    show("attempt-failed");
  }

  // end shows a closing screen: the session can no longer go on here.
  function end(screen) {
    ended = true;
    clearTimeout(cancelTimer);
    closePeer();
    stopCamera();
    show(screen);
  }

  function done(m) {
    let target = null;
    try {
      const u = new URL(m.redirect, location.href);
      if (u.protocol === "https:" || u.protocol === "http:") {
        target = u.toString();
      }
    } catch (_) {
      target = null;
    }
    if (m.outcome === "canceled") {
      ended = true;
      clearTimeout(cancelTimer);
      closePeer();
      stopCamera();
      if (target) {
        location.assign(target);
      } else if (cancelForm) {
        cancelForm.submit();
      }
      return;
    }
    const screen = m.outcome === "success" ? "success" : "failed";
    for (const a of root.querySelectorAll(`[data-screen="${screen}"] [data-redirect]`)) {
      if (target) {
        a.href = target;
      } else {
        a.hidden = true;
      }
    }
    end(screen);
    if (target) {
      setTimeout(() => location.assign(target), REDIRECT_MS);
    }
  }

  // passiveProgress shows a passive session's burst: the server collects
  // frames while the user looks at the camera; value 0 is its start (or a
  // restart, when the face moved or left), 1 its end.
  function passiveProgress(m) {
    const v = Math.max(0, Math.min(1, Number(m.value) || 0));
    show("live", false);
    stepEl.textContent = "";
    instructionEl.textContent = text("wait");
    say(text("wait"));
    root.dataset.burst = String(Math.round(v * 100));
    setRing(v);
    overall.value = Math.round(v * 100);
  }

  const CLOSING = {
    revoked: "revoked",
    expired: "expired",
    replaced: "replaced",
    shutdown: "shutdown",
    time_limit: "time-limit",
  };

  function onMessage(raw) {
    let m;
    try {
      m = JSON.parse(raw);
    } catch (_) {
      return;
    }
    if (!m || m.v !== 1 || ended) {
      return;
    }
    // A passive session (docs/protocol.md): no gestures, and progress is
    // the burst the server collects while the user looks at the camera.
    if (m.type === "hello") {
      passive = m.passive === true;
      root.dataset.passive = String(passive);
    }
    if (passive && m.type === "progress") {
      passiveProgress(m);
      return;
    }
    switch (m.type) {
      case "hello":
        clearTimeout(helloTimer);
        performance.mark("livegate:hello");
        resetLive(text("get_ready"));
        say(text("get_ready"));
        send("ready");
        break;
      case "wait":
        wait(m);
        break;
      case "instruction":
        instruction(m);
        break;
      case "progress":
        setRing(m.value);
        overall.value = Math.round(Math.max(0, Math.min(1, Number(m.overall) || 0)) * 100);
        break;
      case "hint":
        showHint(text("hint:" + m.code), false);
        break;
      case "face":
        if (m.present) {
          clearHint();
        } else {
          showHint(text("face_lost"), true);
        }
        break;
      case "matched":
        setRing(1);
        if (total > 0) {
          overall.value = Math.round(((m.index + 1) / total) * 100);
        }
        if (EYE_CLOSURES.has(m.gesture)) {
          openEyesCue();
          instructionEl.textContent = text("open_eyes");
          say(text("open_eyes"));
        } else {
          say(text("matched"));
        }
        break;
      case "attempt_failed":
        attemptFailed(m);
        break;
      case "saving":
        // The attempt is over, and its result waits for the server's
        // store: say so, and wait for done (never a success before it).
        clearHint();
        instructionEl.textContent = text("saving");
        say(text("saving"));
        break;
      case "done":
        done(m);
        break;
      case "closing":
        if (m.reason === "shutdown" || m.reason === "time_limit") {
          // The session goes on: the user may connect again.
          closePeer();
          show(CLOSING[m.reason]);
        } else if (CLOSING[m.reason]) {
          end(CLOSING[m.reason]);
        } else {
          connectionFailed(); // a reason this page does not know: offer a retry
        }
        break;
      default:
        break;
    }
  }

  async function copyLink(button) {
    const field = button.closest(".copy-link").querySelector("[data-page-link]");
    let ok = false;
    try {
      await navigator.clipboard.writeText(field.value);
      ok = true;
    } catch (_) {
      field.focus();
      field.select();
      ok = document.execCommand && document.execCommand("copy");
    }
    if (ok) {
      liveRegion.textContent = "";
      lastSaid = "";
      say(text("copied"));
    }
  }

  root.addEventListener("click", (e) => {
    const button = e.target.closest("[data-action]");
    if (!button) {
      return;
    }
    switch (button.dataset.action) {
      case "camera":
        start();
        break;
      case "connect":
        if (stream) {
          connect();
        } else {
          start();
        }
        break;
      case "try-again":
        if (send("ready")) {
          resetLive(text("get_ready"));
          say(text("get_ready"));
          instructionEl.focus();
        } else {
          connect();
        }
        break;
      case "reload":
        location.reload();
        break;
      case "copy":
        copyLink(button);
        break;
      default:
        break;
    }
  });

  // Cancel: over the data channel when it is open (the server answers done
  // with the redirect), else, or when no answer comes, the form's POST.
  if (cancelForm) {
    cancelForm.addEventListener("submit", (e) => {
      if (ended || !send("cancel")) {
        closePeer();
        stopCamera();
        return;
      }
      e.preventDefault();
      cancelTimer = setTimeout(() => cancelForm.submit(), CANCEL_MS);
    });
  }

  const pageLink = new URL(conf.pageUrl || location.pathname, location.href).toString();
  for (const field of root.querySelectorAll("[data-page-link]")) {
    field.value = pageLink;
  }

  // Leaving the page ends the connection at once; coming back from the
  // back-forward cache starts again.
  window.addEventListener("pagehide", () => {
    closePeer();
    stopCamera();
  });
  window.addEventListener("pageshow", (e) => {
    if (e.persisted && !ended) {
      start();
    }
  });

  start();
})();
