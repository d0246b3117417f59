// facelive demo page: webcam selfie or file upload -> POST /v1/face/liveness -> faces drawn on a
// canvas (box, detector score, landmarks) over the image turned as the server turned it (its EXIF
// orientation), every score against its threshold, and the verdict or error code. No build step.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const appIdInput = $('app-id');
  const apiKeyInput = $('api-key');
  const hint = $('credential-hint');
  const video = $('video');
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d');
  const sendButton = $('send');
  const snapButton = $('camera-snap');
  const verdictBadge = $('verdict');
  const errorBadge = $('error-code');
  const messageText = $('message');
  /** What happened to the camera or the picked file: beside those controls, where the user is. */
  const imageMessage = $('image-message');
  const faceList = $('faces');
  const legend = $('legend');
  const scoresTable = $('scores');
  const raw = $('raw');

  /** The image to send: a data URI, and a decoded <img> when the browser could decode it. */
  let current = null;
  let stream = null;
  /**
   * The camera request in progress or granted, null when the camera is off. It is set before the
   * permission prompt opens (getUserMedia resolves only once the user answers): a second click, or
   * a file picked meanwhile, must not leave a stream on, with the camera light.
   */
  let cameraRequest = null;
  /** The development pair filled in from demo-config.json, if any: it changes on every server start. */
  let devPair = null;
  /** The FileReader of the file picked last. */
  let reading = null;
  /** The image whose check is under way, null when none is. */
  let checking = null;

  /**
   * One image per format, 2x1 grey pixels whose EXIF holds only Orientation 6 (turn a quarter
   * clockwise): drawn 1x2, this browser applies that format's EXIF orientation when it draws an
   * image; drawn 2x1, it draws the pixels as stored (Chromium applies a JPEG's and a PNG's, not a
   * WebP's). The server applies it in every format and says which in the answer's image.orientation.
   */
  const ORIENTATION_PROBES = {
    jpeg: 'data:image/jpeg;base64,/9j/4QAiRXhpZgAATU0AKgAAAAgAAQESAAMAAAABAAYAAAAAAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAABAAIBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z',
    png: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAAAAADRSSBWAAAAGmVYSWZNTQAqAAAACAABARIAAwAAAAEABgAAAAAAANZnS2kAAAAJcEhZcwAAA+gAAAPoAbV7UmsAAAALSURBVAjXY2hoAAABgwEBgE2MsQAAAABJRU5ErkJggg==',
    webp: 'data:image/webp;base64,UklGRlIAAABXRUJQVlA4WAoAAAAIAAAAAQAAAAAAVlA4TBEAAAAvAQAAAAdQwAIWsP+BiOh/AABFWElGGgAAAE1NACoAAAAIAAEBEgADAAAAAQAGAAAAAAAA',
  };
  /** Per format, whether this browser draws images turned by their EXIF orientation (absent: unknown). */
  const appliesExif = {};
  const probed = Promise.all(Object.keys(ORIENTATION_PROBES).map((format) => new Promise((resolve) => {
    const probe = new Image();
    probe.onload = () => {
      const board = document.createElement('canvas');
      board.width = 2;
      board.height = 2;
      const pen = board.getContext('2d');
      pen.drawImage(probe, 0, 0);
      const rgba = pen.getImageData(0, 0, 2, 2).data; // the alpha of pixel (1, 0) at 7, of (0, 1) at 11
      if (rgba[11] && !rgba[7]) appliesExif[format] = true;
      else if (rgba[7] && !rgba[11]) appliesExif[format] = false;
      resolve();
    };
    probe.onerror = () => resolve();
    probe.src = ORIENTATION_PROBES[format];
  })));

  // Credentials: typed by the user, or this run's generated development pair, which the server
  // shares with loopback callers only. The App-ID is kept for this tab; the API-Key only in this
  // page's memory, so that neither a reload nor a window opened from this one (which gets a copy of
  // sessionStorage) has it.
  appIdInput.value = sessionStorage.getItem('facelive.appId') || '';
  appIdInput.addEventListener('input', () => sessionStorage.setItem('facelive.appId', appIdInput.value));
  sessionStorage.removeItem('facelive.apiKey'); // where earlier versions of this page kept it
  fetch('demo-config.json', { cache: 'no-store' })
    .then((res) => (res.ok ? res.json() : null))
    .then((config) => {
      if (config && config.appId && (!appIdInput.value || (appIdInput.value === config.appId && !apiKeyInput.value))) {
        appIdInput.value = config.appId;
        apiKeyInput.value = config.apiKey;
        devPair = { appId: config.appId, apiKey: config.apiKey };
        hint.textContent = "Filled in with this run's generated development credentials.";
      } else if (!appIdInput.value) {
        hint.textContent = 'Enter the App-ID and API-Key configured on the server.';
      } else if (!apiKeyInput.value) {
        hint.textContent = 'Enter the API-Key configured on the server: this page does not keep it when reloaded.';
      }
    })
    .catch(() => { hint.textContent = 'Enter the App-ID and API-Key configured on the server.'; });

  function clearResult() {
    verdictBadge.textContent = '';
    verdictBadge.className = 'badge';
    errorBadge.textContent = '';
    messageText.textContent = '';
    legend.hidden = true;
    faceList.hidden = true;
    faceList.replaceChildren();
    scoresTable.hidden = true;
    scoresTable.tBodies[0].replaceChildren();
    raw.textContent = '';
  }

  /**
   * Check is off while there is no image to send, and says it is busy (aria-disabled, still
   * focusable) while this image's check runs: a button turned off under the keyboard's focus would
   * drop that focus to the page.
   */
  function updateSend() {
    sendButton.disabled = !current;
    if (current !== null && checking === current) sendButton.setAttribute('aria-disabled', 'true');
    else sendButton.removeAttribute('aria-disabled');
  }

  /** What the canvas shows, for those who cannot see it (its role is img). */
  function describeCanvas(text) {
    canvas.setAttribute('aria-label', text);
  }

  function setImage(dataUri) {
    clearResult();
    current = { dataUri, img: null };
    updateSend();
    const img = new Image();
    img.onload = () => {
      if (current && current.dataUri === dataUri) {
        current.img = img;
        draw(null);
      }
    };
    img.onerror = () => {
      if (!current || current.dataUri !== dataUri) return; // another image was chosen meanwhile
      const sentence = 'The browser cannot show this file; the server will judge it.';
      canvas.width = 640;
      canvas.height = 120;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = '#57606a';
      ctx.font = '16px system-ui, sans-serif';
      ctx.fillText(sentence, 16, 64);
      describeCanvas(sentence);
      messageText.textContent = sentence;
    };
    img.src = dataUri;
  }

  /** Turns the camera off (its light too): after a selfie, or when a file is picked instead. */
  function stopCamera() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    cameraRequest = null;
    video.srcObject = null;
    video.hidden = true;
    snapButton.disabled = true;
  }

  $('file').addEventListener('change', (event) => {
    const file = event.target.files && event.target.files[0];
    if (!file) return;
    stopCamera();
    imageMessage.textContent = '';
    // Until this file is read, "Check" has nothing to send: not the previous image, whose verdict
    // would show under this file's name.
    current = null;
    clearResult();
    updateSend();
    const reader = new FileReader();
    reading = reader;
    // Only the file picked last becomes the image, whichever read finishes first.
    reader.onload = () => { if (reading === reader) setImage(String(reader.result)); };
    reader.onerror = () => { if (reading === reader) imageMessage.textContent = 'The file could not be read; pick it again.'; };
    reader.readAsDataURL(file);
  });

  /**
   * What to do when the camera cannot be used, from the name of the error getUserMedia gave: the
   * browser's own words ("Permission denied", "Could not start video source") say what happened, not
   * what to do about it.
   */
  function cameraProblem(err) {
    switch (err && err.name) {
      case 'NotAllowedError': // refused now, earlier, or by the browser's settings
      case 'SecurityError':
        return "The camera is not allowed for this page: allow it in the browser's site settings (the icon at the left of the address bar), then press Start camera again, or upload a file instead.";
      case 'NotFoundError':
      case 'OverconstrainedError':
        return 'No camera was found: connect one and press Start camera again, or upload a file instead.';
      case 'NotReadableError':
      case 'AbortError':
        return 'The camera could not be started: another application may be using it. Close that application and press Start camera again, or upload a file instead.';
      default:
        return 'The camera could not be started; upload a file instead.';
    }
  }

  $('camera-start').addEventListener('click', async () => {
    if (cameraRequest) return; // on, or waiting for permission: one stream, not a second
    imageMessage.textContent = '';
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      // Browsers offer the camera only to secure pages: https, or http on localhost.
      imageMessage.textContent = window.isSecureContext
        ? 'This browser offers no camera to web pages; upload a file instead.'
        : 'The camera is offered only to pages opened over HTTPS or on localhost: open this page so, or upload a file instead.';
      return;
    }
    const request = {};
    cameraRequest = request;
    try {
      const granted = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, facingMode: 'user' }, audio: false });
      if (cameraRequest !== request) {
        // Stopped while the prompt was open (a file was picked): the camera must not come on now.
        for (const track of granted.getTracks()) track.stop();
        return;
      }
      stream = granted;
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      snapButton.disabled = false;
      // Said, as the button that came on is not: a screen reader user hears that there is a picture to take.
      imageMessage.textContent = 'The camera is on: press Take selfie.';
    } catch (err) {
      if (cameraRequest !== request) return;
      stopCamera(); // a stream that cannot play is turned off too
      imageMessage.textContent = cameraProblem(err);
    }
  });

  snapButton.addEventListener('click', () => {
    const shot = document.createElement('canvas');
    shot.width = video.videoWidth || 640;
    shot.height = video.videoHeight || 480;
    shot.getContext('2d').drawImage(video, 0, 0, shot.width, shot.height);
    // Turning the camera off turns this button off too: the keyboard's focus goes on to Check.
    const focused = document.activeElement === snapButton;
    stopCamera();
    imageMessage.textContent = '';
    setImage(shot.toDataURL('image/jpeg', 0.92));
    messageText.textContent = 'Selfie taken; press Check to send it.';
    if (focused) sendButton.focus();
  });

  function flags() {
    const body = {};
    for (const box of document.querySelectorAll('#flags input[type=checkbox]')) body[box.name] = box.checked;
    return body;
  }

  /**
   * The transform that draws stored pixels (width w, height h) as EXIF orientation `o` shows them, on
   * a canvas w x h (orientations 1-4) or h x w (5-8).
   */
  function orientationTransform(o, w, h) {
    switch (o) {
      case 2: return [-1, 0, 0, 1, w, 0]; // mirrored left to right
      case 3: return [-1, 0, 0, -1, w, h]; // turned half way
      case 4: return [1, 0, 0, -1, 0, h]; // mirrored top to bottom
      case 5: return [0, 1, 1, 0, 0, 0]; // mirrored along the diagonal
      case 6: return [0, 1, -1, 0, h, 0]; // turned a quarter clockwise
      case 7: return [0, -1, -1, 0, h, w]; // mirrored along the other diagonal
      case 8: return [0, -1, 1, 0, 0, w]; // turned a quarter anticlockwise
      default: return [1, 0, 0, 1, 0, 0];
    }
  }

  /**
   * The EXIF orientation still to apply to the image as this browser draws it, so that it is the image
   * the server judged (data.image: its width, height and the orientation it applied): 1 where the
   * browser applied that orientation itself or there was none, the answer's where it draws the pixels
   * as stored; null where neither gives the server's size, so that boxes would land off the faces.
   */
  function orientationLeft(img, image) {
    const o = Number.isInteger(image.orientation) && image.orientation >= 1 && image.orientation <= 8 ? image.orientation : 1;
    // A quarter turn shows in the size; a flip or a half turn only in what the probe found.
    const tries = o === 1 ? [1] : appliesExif[image.format] === false ? [o, 1] : [1, o];
    return tries.find((t) => (t >= 5 ? img.naturalHeight === image.width && img.naturalWidth === image.height
      : img.naturalWidth === image.width && img.naturalHeight === image.height)) || null;
  }

  /**
   * The faces drawn, in words under the image: what the boxes' colours and dashes say, for those who
   * cannot see them or tell the colours apart, and in type that grows with the page's zoom.
   */
  function listFaces(faces) {
    faceList.replaceChildren(...faces.map((face, index) => {
      const item = document.createElement('li');
      const kind = face.primary ? 'the primary face (green box, labelled primary), the one liveness, quality and attributes describe'
        : face.counted !== false ? 'another face, counted in nface (amber box)'
          : 'a face listed but not counted in nface (dashed grey box, labelled not counted)';
      item.textContent = `Face ${index + 1}: ${kind}; face detector score ${(face.score * 100).toFixed(0)}%.`;
      return item;
    }));
    faceList.hidden = faces.length === 0;
  }

  /**
   * Draws the image as the server judged it, then each face's box and its landmarks: the primary face
   * in green, another counted face in amber, a face nface leaves out (faces[].counted false) dashed
   * grey, each edged in near-black so that it stands out from light and dark pictures alike. The
   * label, white on near-black, is the face's number, "primary" or "not counted" (the colour is not
   * the only sign), and the face detector's score, which says nothing of liveness. Returns a sentence
   * when the faces could not be drawn.
   */
  function draw(data) {
    if (!current || !current.img) return null;
    const img = current.img;
    const left = data && data.image ? orientationLeft(img, data.image) : 1;
    const turned = left !== null && left >= 5;
    canvas.width = turned ? img.naturalHeight : img.naturalWidth;
    canvas.height = turned ? img.naturalWidth : img.naturalHeight;
    ctx.setTransform(...orientationTransform(left, img.naturalWidth, img.naturalHeight));
    ctx.drawImage(img, 0, 0);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (!data || !Array.isArray(data.faces)) {
      describeCanvas('The chosen image, with no faces drawn.');
      return null;
    }
    if (left === null) {
      describeCanvas('The chosen image, with no faces drawn: the server judged an image of another size.');
      const o = data.image.orientation;
      return `The faces are not drawn: this browser shows the image at ${img.naturalWidth}×${img.naturalHeight} pixels, `
        + `the server judged it at ${data.image.width}×${data.image.height}${o && o !== 1 ? ` (EXIF orientation ${o})` : ''}.`;
    }
    const sx = data.image && data.image.width ? canvas.width / data.image.width : 1;
    const sy = data.image && data.image.height ? canvas.height / data.image.height : 1;
    const line = Math.max(2, Math.round(canvas.width / 300));
    const edge = '#1b1f24';
    data.faces.forEach((face, index) => {
      const { x, y, width, height } = face.box;
      const counted = face.counted !== false;
      const rect = [x * sx, y * sy, width * sx, height * sy];
      ctx.setLineDash(counted ? [] : [line * 3, line * 2]);
      ctx.lineWidth = line * 2;
      ctx.strokeStyle = edge;
      ctx.strokeRect(...rect);
      ctx.lineWidth = line;
      ctx.strokeStyle = face.primary ? '#2da44e' : counted ? '#bf8700' : '#6e7781';
      ctx.strokeRect(...rect);
      ctx.setLineDash([]);
      const size = line * 7;
      ctx.font = `${size}px system-ui, sans-serif`;
      ctx.textBaseline = 'top';
      const label = `face ${index + 1} · ${face.primary ? 'primary · ' : counted ? '' : 'not counted · '}detector ${(face.score * 100).toFixed(0)}%`;
      // Above the box; below it where the box touches the top of the image; inside it where it fills the image.
      const plate = { width: ctx.measureText(label).width + line * 2, height: Math.round(size * 1.3) };
      const above = rect[1] - line - plate.height;
      const below = rect[1] + rect[3] + line;
      const top = above >= 0 ? above : below + plate.height <= canvas.height ? below : rect[1] + line;
      ctx.fillStyle = edge;
      ctx.fillRect(rect[0] - line, top, plate.width, plate.height);
      ctx.fillStyle = '#ffffff';
      ctx.fillText(label, rect[0], top + Math.round(size * 0.15));
      ctx.textBaseline = 'alphabetic';
      ctx.fillStyle = '#0969da';
      for (const point of face.landmarks || []) {
        ctx.beginPath();
        ctx.arc(point.x * sx, point.y * sy, line, 0, Math.PI * 2);
        ctx.fill();
      }
    });
    listFaces(data.faces);
    const n = data.faces.length;
    describeCanvas(n === 0 ? 'The chosen image; no face was found in it.'
      : `The chosen image with ${n} face${n === 1 ? '' : 's'} drawn, each with its box, number, detector score and landmarks; the faces are listed under it.`);
    return null;
  }

  /** A probability or score: three decimals. */
  function fmt(value) {
    return typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(3)) : String(value);
  }

  /** Pixels and degrees: one decimal (whole numbers as they are). */
  function fmt1(value) {
    return typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(1)) : String(value);
  }

  /**
   * One measure against its threshold. `validation` names the validation the measure decides
   * (liveness, quality, attribute), null for an advisory one, reported but deciding no validation
   * (quality: only blur, dark and grayscale decide validate_quality; attributes: by default only
   * sunglasses and mask decide validate_attribute): it is flagged, not failed. A measure whose
   * validation was not requested decided nothing either, and says so.
   */
  function addRow(data, name, score, threshold, ok, validation) {
    const requested = validation !== null && Boolean(data.validations && data.validations.requested && data.validations.requested[validation]);
    const row = scoresTable.tBodies[0].insertRow();
    row.insertCell().textContent = name;
    row.insertCell().textContent = score;
    row.insertCell().textContent = threshold;
    const cell = row.insertCell();
    cell.textContent = ok ? 'ok' : validation === null ? 'flagged (advisory)' : requested ? 'fail' : 'fail (not validated)';
    cell.className = ok ? 'ok' : requested ? 'bad' : 'warn';
  }

  /** Every score next to its threshold: liveness, quality measures, attributes, faces. */
  function showScores(data) {
    if (data.liveness) {
      addRow(data, 'liveness (live probability)', fmt(data.liveness.probability), `≥ ${fmt(data.liveness.threshold)}`, data.liveness.is_live, 'liveness');
    }
    if (data.quality) {
      for (const name of ['blur', 'dark', 'exposure', 'backlight']) {
        const m = data.quality[name];
        if (m) addRow(data, `quality: ${name}`, fmt(m.score), `≤ ${fmt(m.threshold)}`, m.pass, name === 'exposure' || name === 'backlight' ? null : 'quality');
      }
      const g = data.quality.grayscale;
      // The grayscale score is the image's colourfulness: grayscale when it falls under the threshold.
      if (g) addRow(data, `quality: colour (grayscale: ${g.value ? 'yes' : 'no'})`, fmt(g.score), `≥ ${fmt(g.threshold)}`, g.pass, 'quality');
      const f = data.quality.face_size;
      if (f) addRow(data, 'quality: inter-eye distance', `${fmt1(f.inter_eye_px)} px`, `≥ ${fmt1(f.threshold)} px`, f.pass, null);
      const fr = data.quality.framing;
      if (fr) addRow(data, 'quality: framing (image / face box)', fmt(fr.image_to_face), `≥ ${fmt(fr.threshold)}`, fr.pass, null);
      const p = data.quality.pose;
      // pose.pass also weighs the yaw fitted to the landmarks: against its own limit, and as a check
      // on the model's yaw, which fails only where the landmarks' comes within the margin of its limit.
      if (p) {
        const confirmedFrom = p.max_yaw - (p.max_yaw_from_landmarks - p.max_yaw);
        addRow(data, 'quality: pose (degrees)',
          `yaw ${fmt1(p.yaw)}, pitch ${fmt1(p.pitch)}, roll ${fmt1(p.roll)}, yaw from landmarks ${fmt1(p.yaw_from_landmarks)}`,
          `|yaw| ≤ ${fmt1(p.max_yaw)} (or |yaw from landmarks| ≤ ${fmt1(confirmedFrom)}), |pitch| ≤ ${fmt1(p.max_pitch)}, |roll| ≤ ${fmt1(p.max_roll)}, |yaw from landmarks| ≤ ${fmt1(p.max_yaw_from_landmarks)}`,
          p.pass, null);
      }
    }
    if (data.attributes) {
      for (const name of Object.keys(data.attributes)) {
        const a = data.attributes[name];
        addRow(data, `attribute: ${name}`, fmt(a.probability), `< ${fmt(a.threshold)}`, !a.detected, name === 'sunglasses' || name === 'mask' ? 'attribute' : null);
      }
    }
    const nfaceRequested = Boolean(data.validations && data.validations.requested && data.validations.requested.nface);
    addRow(data, 'faces (counted)', String(data.nface), nfaceRequested ? '≤ 1' : 'not validated', data.nface <= 1, 'nface');
    legend.hidden = false;
    scoresTable.hidden = false;
  }

  /**
   * The badge and the sentence under a 200 answer. PASS with no validate_* flag sent checked nothing
   * against a threshold (the API's defaults): the badge says so, not a green PASS.
   */
  function showVerdict(body) {
    const validations = body.data.validations || {};
    const requested = Object.keys(validations.requested || {}).filter((name) => validations.requested[name]);
    let sentence;
    if (body.error_code !== null) {
      verdictBadge.textContent = body.error_code;
      verdictBadge.className = 'badge fail';
      sentence = body.message;
    } else if (requested.length === 0) {
      verdictBadge.textContent = 'PASS — no validation requested';
      verdictBadge.className = 'badge unvalidated';
      sentence = 'Nothing was checked against a threshold: every validate_* flag was off, as the API\'s defaults are. Tick one to have it decide the verdict.';
    } else {
      verdictBadge.textContent = 'PASS';
      verdictBadge.className = 'badge pass';
      sentence = `Passed every requested validation: ${requested.join(', ')}.`;
    }
    messageText.textContent = [sentence, ...retakeAdvice(body.data.quality)].join(' ');
  }

  /**
   * What to change for a better photo, from the quality measures that decide no validation by
   * themselves: liveness judges the face with its surroundings, so a face that fills the picture is
   * judged worse; a small face is judged on few pixels, and one far below the size limit also reads
   * as blurred, so coming closer comes before holding still.
   */
  function retakeAdvice(quality) {
    const advice = [];
    if (!quality) return advice;
    if (quality.framing && !quality.framing.pass) {
      advice.push('The face fills most of the picture: step back so that liveness sees its surroundings.');
    }
    if (quality.face_size && !quality.face_size.pass) {
      advice.push(quality.blur && !quality.blur.pass
        ? 'The face is small in the picture, which also makes it read as blurred: come closer to the camera.'
        : 'The face is small in the picture: come closer to the camera.');
    }
    return advice;
  }

  /**
   * A 200 answer this page could not show (a field missing or of another type than it expects): the
   * server was reached, so this is no network error. What was drawn of it goes; the raw answer stays.
   */
  function showUnexpected() {
    const answer = raw.textContent;
    clearResult();
    raw.textContent = answer;
    draw(null);
    errorBadge.textContent = 'UNEXPECTED_ANSWER';
    messageText.textContent = 'The server answered, but not in the form this page expects, so the result cannot be shown; see Raw answer.';
  }

  sendButton.addEventListener('click', async () => {
    if (!current || checking === current) return; // nothing to send, or this image's check is under way
    // The image this answer is for: a picture chosen while the check runs must not get its result.
    const sent = current;
    checking = sent;
    clearResult();
    draw(null); // the previous answer's face boxes must not stay drawn under this one's error
    updateSend();
    messageText.textContent = 'Checking…';
    try {
      let res;
      let body;
      try {
        res = await fetch('v1/face/liveness', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'App-ID': appIdInput.value, 'API-Key': apiKeyInput.value },
          body: JSON.stringify({ image: sent.dataUri, ...flags() }),
        });
        // A body that is not JSON (a proxy's error page) is no contract body, said below; one cut off
        // while it was read is a network failure.
        body = await res.json().catch((err) => {
          if (err instanceof SyntaxError) return null;
          throw err;
        });
      } catch {
        if (current !== sent) return;
        // fetch rejects only when no answer came; the browser's own words ("Failed to fetch") say
        // nothing a user can act on.
        errorBadge.textContent = 'NETWORK_ERROR';
        messageText.textContent = 'Could not reach the server (stopped or unreachable); try again.';
        return;
      }
      await probed; // which formats this browser turns by their EXIF orientation
      if (current !== sent) return;
      raw.textContent = JSON.stringify(body, null, 2);
      if (res.status === 200 && body && body.data) {
        try {
          showVerdict(body);
          const undrawn = draw(body.data);
          if (undrawn) messageText.textContent += ` ${undrawn}`;
          showScores(body.data);
        } catch {
          showUnexpected();
        }
      } else {
        errorBadge.textContent = body && body.error_code ? body.error_code : `HTTP ${res.status}`;
        const retryAfter = res.headers.get('Retry-After');
        // A restarted server has generated a new pair; this page still holds the one it was loaded with.
        const stalePair = res.status === 401 && devPair !== null
          && appIdInput.value === devPair.appId && apiKeyInput.value === devPair.apiKey;
        messageText.textContent = (body && body.message ? body.message : 'The server gave no contract body.')
          + (retryAfter ? ` (Retry-After: ${retryAfter} s)` : '')
          + (stalePair ? ' The server may have restarted with new development credentials: reload the page.' : '');
      }
    } finally {
      if (checking === sent) checking = null;
      // On only with an image to send: a file picked meanwhile may still be being read.
      updateSend();
    }
  });
})();
