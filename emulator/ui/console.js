// Graph calls emulator console: renders ../state, follows ../stream (server-sent
// events) and posts the developer's actions. No framework: keyed DOM updates so
// re-rendering never steals focus or closes an open <details>.

const TIMELINE_CAP = 500; // entries kept per call
const ENDED_CAP = 20; // ended calls kept
const LOG_CAP = 200; // entries in the log of events without a call
const AUDIO_LOG_CAP = 100;
const SEEN_CAP = 5000; // operation and call IDs remembered (completed, dropped)
const PENDING_CAP = 200; // calls whose events are kept before they get a section
const REPLAY = 2000; // events replayed from before the page opened
const RETRY_MIN = 5000; // first delay before reopening a closed event stream, ms
const RETRY_MAX = 30000;
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
const ADVANCE = ['1s', '5s', '30s', '2m'];
const MIC_LABEL = 'Record a message with the microphone';
const TONE_LABEL = 'Use a tone instead';

const $ = (sel, root = document) => root.querySelector(sel);
const api = (path) => new URL(path, location.href).href;
const enc = encodeURIComponent;

// el('li', {class: 'x', 'data-k': 'v', text: '…'}, ...children) builds an element.
function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') n.textContent = v;
    else if (k === 'class') n.className = v;
    else if (k === 'onclick') n.addEventListener('click', v);
    else n.setAttribute(k, v === true ? '' : String(v));
  }
  n.append(...children.filter((c) => c !== null && c !== undefined));
  return n;
}

function setText(n, text) {
  if (n.textContent !== text) n.textContent = text;
}

// syncList makes box's children match items, reusing nodes by key and moving
// only nodes that are out of place (moving a node would drop its focus).
function syncList(box, items, keyOf, create, update) {
  const seen = new Set();
  const list = items.filter((it) => {
    const k = keyOf(it);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const old = new Map();
  for (const n of [...box.children]) {
    if (seen.has(n._key)) old.set(n._key, n);
    else n.remove();
  }
  list.forEach((item, i) => {
    const k = keyOf(item);
    let n = old.get(k);
    if (!n) {
      n = create(item);
      n._key = k;
    }
    update(n, item);
    if (box.children[i] !== n) box.insertBefore(n, box.children[i] || null);
  });
}

// ---- status line and requests ----

const statusEl = $('#status');
function say(msg, isError = false) {
  statusEl.textContent = msg;
  statusEl.classList.toggle('error', isError);
}

// post sends an action; on failure it reports in #status and returns null.
async function post(path, body, type = 'application/json') {
  const what = path.replace(/^\.\.\//, '');
  try {
    const res = await fetch(api(path), {
      method: 'POST',
      headers: { 'Content-Type': type },
      body: type === 'application/json' ? JSON.stringify(body ?? {}) : body,
    });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    scheduleRefresh();
    if (!res.ok) {
      say(`${what}: ${data?.error || `${res.status} ${res.statusText}`}`, true);
      return null;
    }
    return data ?? {};
  } catch (err) {
    say(`${what}: could not reach the emulator (${err.message})`, true);
    return null;
  }
}

// act runs an action for a button, ignoring clicks meanwhile (aria-busy, not
// disabled: disabling a focused button would drop the focus to the page).
async function act(btn, fn) {
  if (btn?.getAttribute('aria-busy') === 'true') return undefined;
  btn?.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } catch (err) {
    say(`Console error: ${err.message}`, true); // never an unhandled rejection
    return undefined;
  } finally {
    btn?.removeAttribute('aria-busy');
  }
}

// ---- time ----

// parseTime keeps the offset the emulator wrote, so times read like its log.
function parseTime(s) {
  if (!s) return null;
  const ms = Date.parse(String(s).replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(ms)) return null;
  const m = /([+-])(\d\d):(\d\d)$/.exec(s);
  const off = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  return { ms, off };
}

function fmtTime(t, withDate = false) {
  if (!t) return '--:--:--.---';
  const iso = new Date(t.ms + t.off * 60000).toISOString(); // wall time in the emulator's zone
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : iso.slice(11, 23);
}

// ---- read model ----

let state = { people: [], calls: [], meetings: [] };
let fetching = false;
let queued = null; // {promise, resolve}: the fetch to run after the one in flight
let lastSeq = 0; // highest event seq seen (or skipped: the stream's start)
let loadTime = null; // emulator time at page load: older prompts are not played
let snapSeq = 0; // the emulator's last seq when the page (re)loaded its state
let streamFrom = 0; // the seq the stream started after: earlier events are not shown
let generation = 0; // bumped when the emulator restarted: reads from before are dropped

// scheduleRefresh fetches ../state: one fetch in flight, at most one queued. Its
// promise (never rejected) settles once a fetch begun after the call is done.
function scheduleRefresh() {
  if (fetching) {
    if (!queued) {
      let resolve;
      const promise = new Promise((r) => { resolve = r; });
      queued = { promise, resolve };
    }
    return queued.promise;
  }
  fetching = true;
  const seqAtFetch = lastSeq;
  const gen = generation;
  return fetch(api('../state'), { cache: 'no-store' })
    .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`${res.status} ${res.statusText}`))))
    .then((s) => {
      if (gen !== generation) return; // read before the emulator restarted
      state = s || {};
      for (const k of ['people', 'calls', 'meetings']) if (!Array.isArray(state[k])) state[k] = []; // Go's nil slices are null
      try { render(seqAtFetch); } catch (err) { say(`Console error: ${err.message}`, true); }
    })
    .catch((err) => { if (gen === generation) say(`Could not read the emulator's state: ${err.message}`, true); })
    .finally(() => {
      fetching = false;
      if (queued) {
        const q = queued;
        queued = null;
        scheduleRefresh().then(q.resolve);
      }
    });
}

// capSet drops a Set's (or Map's) oldest entries beyond max.
function capSet(set, max) {
  for (const k of set.keys()) {
    if (set.size <= max) break;
    set.delete(k);
  }
}

const personByName = (name) => state.people.find((p) => p.name === name);
const callById = (id) => state.calls.find((c) => c.id === id);
const nameOf = (name) => personByName(name)?.displayName || name;

// personOf is who acts on a call: its person, or its first non-bot participant.
function personOf(call) {
  if (!call) return '';
  if (call.person) return call.person;
  return (call.participants || []).find((p) => !p.bot && p.name)?.name || '';
}

function render(seqAtFetch) {
  renderBot();
  renderClock();
  renderPeople();
  renderRinging();
  renderCalls(seqAtFetch);
  renderMeetings();
}

// ---- header: bot and clock ----

function renderBot() {
  const bot = $('#bot');
  bot.classList.toggle('connected', !!state.botConnected);
  const want = state.botConnected
    ? ['Bot connected', state.botName ? `: ${state.botName}` : '', ' — callbacks go to ', state.callbackUrl || '?']
    : ['No bot connected: start one with ', `GRAPHCOMMS_EMULATOR_URL=${location.origin}`, " (see the emulator's start-up text)"];
  if (bot.textContent === want.join('')) return;
  bot.replaceChildren(...want.map((t, i) => ((state.botConnected ? i === 3 : i === 1) ? el('code', { text: t }) : t)));
}

let clockBase = null; // {t, at, virtual}
let clockVirtual = null;
function renderClock() {
  const clock = $('#clock');
  clockBase = { t: parseTime(state.now), at: performance.now(), virtual: !!state.virtualClock };
  tickClock();
  if (clockVirtual === !!state.virtualClock) return;
  clockVirtual = !!state.virtualClock;
  clock.querySelector('.advance')?.remove();
  clock.querySelector('.clock-kind')?.remove();
  clock.append(el('span', { class: 'clock-kind', text: clockVirtual ? 'virtual clock' : 'real clock' }));
  if (!clockVirtual) return;
  const box = el('span', { class: 'advance', role: 'group', 'aria-label': 'Advance the virtual clock' });
  for (const by of ADVANCE) {
    const b = el('button', { type: 'button', 'data-advance': by, text: `+${by}`, 'aria-label': `Advance the clock by ${by}` });
    b.addEventListener('click', () => act(b, () => post('../advance', { by })));
    box.append(b);
  }
  clock.append(box);
}

// tickClock moves a real clock on between refreshes; a virtual one stays put.
function tickClock() {
  if (!clockBase?.t) return;
  const t = { ...clockBase.t };
  if (!clockBase.virtual) t.ms += performance.now() - clockBase.at;
  setText($('#clock .now'), fmtTime(t, true));
}
setInterval(tickClock, 250);

// ---- people ----

function behaviorText(p) {
  const b = p.behavior || {};
  const parts = [];
  if (b.manual) parts.push('rings here until answered');
  else if (b.decline) parts.push('declines');
  else if (b.noAnswer) parts.push('does not answer');
  else if (!b.answerAfter || /^0[a-z]*$/.test(b.answerAfter)) parts.push('answers at once');
  else parts.push(`answers after ${b.answerAfter}`);
  if (b.speech && !/^0[a-z]*$/.test(b.speech)) parts.push(`speaks ${b.speech} when recorded`);
  if (b.hangUpAfter && !/^0[a-z]*$/.test(b.hangUpAfter)) parts.push(`hangs up after ${b.hangUpAfter}`);
  if (p.hasRecording) parts.push('voice message ready');
  return parts.join(', ');
}

function renderPeople() {
  syncList($('#people .people-list'), state.people, (p) => p.name, (p) => {
    const btn = el('button', { type: 'button', class: 'call-bot', text: 'Call the bot' });
    btn.addEventListener('click', () => act(btn, async () => {
      const r = await post('../incoming-call', { from: p.name });
      if (r) say(`${p.name} is calling the bot${r.callId ? ` (call ${r.callId.slice(0, 8)})` : ''}.`);
    }));
    // A voice message can be left before the call: the bot's recordResponse takes the
    // message waiting when it starts.
    const msg = el('div', { class: 'person-message', role: 'group', 'aria-label': `Voice message from ${p.name}` },
      el('span', { text: 'Voice message:' }), ...recordButtons(() => p.name, '', ['Record', 'Tone']));
    return el('li', { 'data-person': p.name },
      el('span', { class: 'person-name' }), el('span', { class: 'kind' }),
      el('span', { class: 'behavior' }), btn, msg);
  }, (li, p) => {
    setText($('.person-name', li), p.displayName && p.displayName !== p.name ? `${p.displayName} (${p.name})` : p.name);
    setText($('.kind', li), p.kind || 'user');
    setText($('.behavior', li), behaviorText(p));
  });
  syncSelect($('#meeting-organizer'), state.people);
  for (const s of document.querySelectorAll('select.meeting-person')) syncSelect(s, state.people);
}

// syncSelect refills a select of people, keeping its choice.
function syncSelect(sel, people) {
  const label = (p) => (p.displayName && p.displayName !== p.name ? `${p.displayName} (${p.name})` : p.name);
  const want = people.map((p) => `${p.name}\n${label(p)}`).join('\n');
  if (sel._options === want) return;
  sel._options = want;
  const v = sel.value;
  sel.replaceChildren(...people.map((p) => new Option(label(p), p.name)));
  if (people.some((p) => p.name === v)) sel.value = v;
}

$('#add-person').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const name = $('#person-name').value.trim();
  if (!name) { say('Give the person a name or a phone number.', true); return; }
  const how = $('#person-behavior').value;
  const body = { name, manual: how === 'manual', decline: how === 'decline', noAnswer: how === 'noanswer' };
  const speech = $('#person-speech').value.trim();
  if (speech) body.speech = `${Number(speech)}s`;
  act(form.querySelector('button[type=submit]'), async () => {
    if (await post('../users', body)) {
      say(`Saved ${name}.`);
      $('#person-name').value = '';
      $('#person-speech').value = '';
    }
  });
});

// ---- ringing ----

function renderRinging() {
  const items = [];
  for (const c of state.calls) for (const who of c.ringing || []) items.push({ id: c.id, who });
  syncList($('#ringing'), items, (r) => `${r.id} ${r.who}`, (r) => {
    const answer = el('button', { type: 'button', class: 'answer', text: 'Answer' });
    const decline = el('button', { type: 'button', class: 'decline', text: 'Decline' });
    answer.addEventListener('click', () => act(answer, () => post(`../calls/${enc(r.id)}/answer`, { who: r.who })));
    decline.addEventListener('click', () => act(decline, () => post(`../calls/${enc(r.id)}/decline`, { who: r.who })));
    return el('li', { 'data-ring': `${r.id} ${r.who}`, 'data-call-id': r.id, 'data-person': r.who },
      el('span', { class: 'ring-text', text: `The bot is calling ${r.who}` }), answer, decline);
  }, () => {});
  document.title = items.length ? `(${items.length}) Ringing — Graph calls emulator` : 'Graph calls emulator';
}

// ---- calls ----

const sections = new Map(); // callId -> {el, ended, call}
const callEvents = new Map(); // callId -> events (capped; .first: seq of the first seen, .born: its start seen), also before the section exists
const dropped = new Set(); // ended calls pushed out of the ended list (newest SEEN_CAP)
const BIRTH = new Set(['call.incoming', 'call.created']); // the first event of a call

function renderCalls(seqAtFetch) {
  const live = new Set(state.calls.map((c) => c.id));
  // Calls that left the read model have ended.
  for (const [id, s] of sections) if (!s.ended && !live.has(id)) endCall(id);
  // Calls that started and ended between two reads: build them from their events.
  const gone = [...callEvents].filter(([id, evs]) => !live.has(id) && !sections.has(id) && evs.length && evs[0].seq <= seqAtFetch);
  gone.sort((a, b) => a[1].at(-1).seq - b[1].at(-1).seq); // the last to end goes on top
  for (const [id] of gone) {
    createSection(id, null);
    endCall(id);
  }
  const box = $('#calls');
  syncList(box, state.calls, (c) => c.id, (c) => {
    const s = sections.get(c.id);
    if (s) { revive(s); return s.el; }
    return createSection(c.id, c).el;
  }, (node, c) => updateSection(sections.get(c.id), c));
}

function callTitle(id, call) {
  if (!call) {
    // Only the events are known: who was involved and which way.
    const evs = callEvents.get(id) || [];
    const who = evs.find((e) => e.who)?.who;
    const incoming = evs.some((e) => e.kind === 'call.incoming');
    call = { person: who || '', direction: incoming ? 'incoming' : 'outgoing' };
  }
  const dir = call.direction || '';
  let who;
  if (call.meeting) who = `Meeting “${state.meetings.find((m) => m.id === call.meeting)?.subject || call.meeting}”`;
  else if (call.group) who = 'Group call';
  else if (call.person) who = nameOf(call.person);
  else who = 'Call';
  const how = dir === 'incoming' ? 'incoming: called the bot'
    : dir === 'outgoing' ? (call.meeting ? 'outgoing: the bot joined' : 'outgoing: the bot called') : dir;
  return `${who} — ${how}`;
}

function createSection(id, call) {
  const sec = el('section', { class: 'call', 'data-call-id': id, tabindex: '-1', 'aria-label': `Call ${id}` });
  const head = el('header', { class: 'call-head' },
    el('h3', { class: 'call-title' }),
    el('span', { class: 'call-state' }),
    el('span', { class: 'hold-note', hidden: true, text: 'on hold — hold music playing' }),
    el('code', { class: 'call-id', title: id, text: id.slice(0, 8) }));
  const info = el('div', { class: 'call-info' },
    el('h4', { text: 'Participants' }), el('ul', { class: 'participants' }),
    el('h4', { text: 'Media in progress' }), el('ul', { class: 'media' }));
  const tl = el('details', { class: 'timeline-box', open: true },
    el('summary', { text: 'Timeline' }),
    el('p', { class: 'timeline-note', hidden: true, text: '(earlier events not loaded)' }),
    el('ol', { class: 'timeline' }));
  sec.append(head, el('div', { class: 'call-body' }, info, tl));
  const s = { el: sec, ended: false, call, id };
  sections.set(id, s);
  addLiveControls(s);
  const ol = $('.timeline', sec);
  for (const ev of callEvents.get(id) || []) appendEntry(ol, ev);
  queueMicrotask(() => { ol.scrollTop = ol.scrollHeight; }); // once it is in the page
  updateCount(s);
  if (call) updateSection(s, call);
  else setText($('.call-title', sec), callTitle(id, null));
  return s;
}

// addLiveControls adds what only a live call has: keypad, hang-up, recording.
function addLiveControls(s) {
  const id = s.id;
  const pad = el('div', { class: 'keypad', role: 'group', 'aria-label': 'Keypad (or type 0-9, * and # in this call)' });
  for (const k of KEYS) {
    const b = el('button', { type: 'button', 'data-key': k, text: k, 'aria-label': `Press ${k}` });
    b.addEventListener('click', () => sendTone(id, k, b));
    pad.append(b);
  }
  const hang = el('button', { type: 'button', class: 'hangup', text: 'Hang up' });
  hang.addEventListener('click', () => act(hang, () => {
    const who = callById(id)?.person;
    return post(`../calls/${enc(id)}/hangup`, who ? { who } : {});
  }));
  const rec = el('div', { class: 'recording', role: 'group', 'aria-label': 'Voice message' },
    el('p', { class: 'record-hint' }), ...recordButtons(() => personOf(callById(id) || sections.get(id)?.call), id));
  const live = el('div', { class: 'live-controls' },
    el('h4', { text: 'Keypad' }), pad, el('h4', { text: 'Voice message' }), rec, hang);
  $('.call-info', s.el).append(live);
}

function updateSection(s, call) {
  s.call = call;
  const sec = s.el;
  setText($('.call-title', sec), callTitle(s.id, call));
  setText($('.call-state', sec), call.state || '');
  sec.dataset.state = call.state || '';

  syncList($('.participants', sec), call.participants || [],
    (p) => (p.bot ? 'bot' : p.name || p.id),
    (p) => el('li', { 'data-name': p.bot ? 'bot' : p.name || p.id }, el('span', { class: 'pname' }), ' ', el('span', { class: 'badges' })),
    (li, p) => {
      setText($('.pname', li), (p.displayName || p.name || p.id || '?') + (p.bot ? ' (bot)' : ''));
      const badges = [p.muted && 'muted', p.inLobby && 'in lobby', p.onHold && 'on hold'].filter(Boolean);
      const b = $('.badges', li);
      if (b.textContent !== badges.join('')) b.replaceChildren(...badges.map((t) => el('span', { class: `badge ${t.replace(' ', '-')}`, text: t })));
    });

  syncList($('.media', sec), call.media || [], (m) => m.operationId, (m) => el('li', {
    'data-operation-id': m.operationId }, el('span', { class: 'media-kind' }), el('span', { class: 'media-uri' })), (li, m) => {
    setText($('.media-kind', li), m.kind || 'media');
    setText($('.media-uri', li), (m.uris || []).join(', '));
  });

  const who = personOf(call);
  const hint = $('.record-hint', sec);
  if (hint) {
    setText(hint, who ? `What ${nameOf(who)} says: now, while the bot records; else at its next recording` : 'No person on this call to record for.');
    for (const b of sec.querySelectorAll('.record-tone, .record-mic')) if (!b.matches('[aria-pressed=true]')) b.disabled = !who;
    const ready = personByName(who)?.hasRecording;
    let r = $('.recording-ready', sec);
    if (ready && !r) $('.recording', sec).append(el('span', { class: 'recording-ready', text: 'Message ready: the bot hears it at its next recording' }));
    if (!ready && r) r.remove();
  }

  const held = (call.participants || []).some((p) => p.onHold);
  $('.hold-note', sec).hidden = !held;
  if (held) startHold(s.id); else stopHold(s.id);
}

// endCall moves a call's section to the ended list, collapsed, with its timeline.
function endCall(id) {
  const s = sections.get(id);
  if (!s || s.ended) return;
  s.ended = true;
  const sec = s.el;
  const hadFocus = sec.contains(document.activeElement);
  sec.classList.add('ended');
  $('.live-controls', sec)?.remove();
  $('.media', sec).replaceChildren();
  $('.hold-note', sec).hidden = true;
  setText($('.call-state', sec), 'terminated');
  sec.dataset.state = 'terminated';
  $('.timeline-box', sec).open = false;
  const ended = $('#ended');
  ended.prepend(sec);
  if (hadFocus) sec.focus({ preventScroll: true });
  stopPrompt(id);
  stopHold(id);
  if (rec?.callId === id) stopMic();
  while (ended.children.length > ENDED_CAP) {
    const last = ended.lastElementChild;
    const lid = last.dataset.callId;
    last.remove();
    sections.delete(lid);
    callEvents.delete(lid);
    dropped.add(lid);
  }
  capSet(dropped, SEEN_CAP);
}

// revive brings back a section thought ended (the read model lagged behind).
function revive(s) {
  if (!s.ended) return;
  s.ended = false;
  s.el.classList.remove('ended');
  s.el.remove();
  addLiveControls(s);
  $('.timeline-box', s.el).open = true;
}

function sendTone(id, key, btn) {
  const call = callById(id);
  const who = personOf(call);
  btn?.classList.add('pressed');
  setTimeout(() => btn?.classList.remove('pressed'), 150);
  return post(`../calls/${enc(id)}/tone`, who ? { keys: key, who } : { keys: key });
}

// Keys 0-9, * and # typed while focus is in a live call press that key.
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || !KEYS.includes(e.key)) return;
  const t = e.target;
  if (!(t instanceof Element) || t.closest('input, textarea, select, [contenteditable]')) return;
  const sec = t.closest('section.call');
  if (!sec || sec.classList.contains('ended')) return;
  e.preventDefault();
  sendTone(sec.dataset.callId, e.key, sec.querySelector(`.keypad button[data-key="${CSS.escape(e.key)}"]`));
});

// ---- timeline ----

function laneOf(kind) {
  if (kind === 'graph.request') return 'request';
  if (kind.startsWith('notification.')) return 'notify';
  // What a person does; the bot's own doings on participants (muting, hold music,
  // metadata, invitations) are the emulator's account of the bot's requests.
  if (/^(participant\.(muted|unmuted|holdMusic|metadata|invited))$/.test(kind)) return 'emulator';
  if (/^(call\.incoming|call\.declined|call\.ringing|tone\.pressed|participant\.|sharing\.|person\.)/.test(kind)) return 'person';
  return 'emulator';
}
const LANE_LABEL = { person: 'person', notify: 'to the bot', request: 'bot request', emulator: 'emulator' };

// pretty formats a JSON body, or returns it as it is (bodies may be cut).
function pretty(s) {
  if (s === undefined || s === null || s === '') return '';
  if (typeof s !== 'string') return JSON.stringify(s, null, 2);
  try { return JSON.stringify(JSON.parse(s), null, 2); } catch { return s; }
}

// shortPath shows what follows the call's ID: "…/playPrompt".
function shortPath(path = '') {
  const m = /^.*\/calls\/[^/?]+(\/.*)$/.exec(path);
  return m ? `…${m[1]}` : path;
}

function notificationSummary(body) {
  try {
    const v = JSON.parse(body)?.value?.[0];
    if (!v) return '';
    const rd = v.resourceData || {};
    const type = String(rd['@odata.type'] || '').replace('#microsoft.graph.', '');
    return [v.changeType, type, rd.state, rd.status].filter(Boolean).join(' ');
  } catch { return ''; }
}

function block(title, text) {
  return [el('h5', { text: title }), el('pre', { text })];
}

function entryFor(ev) {
  const kind = ev.kind || 'event';
  const lane = laneOf(kind);
  const d = ev.data || {};
  let text = [ev.who, ev.detail].filter(Boolean).join(': ');
  let extra = null;
  if (kind === 'graph.request') {
    text = `${d.method || ''} ${shortPath(d.path)} → ${d.status || '?'}`;
    const req = pretty(d.request);
    const res = pretty(d.response);
    extra = el('details', {}, el('summary', { text: 'Request and response' }),
      ...block('Path', `${d.method || ''} ${d.path || ''}`),
      ...(req ? block('Request', req) : []), ...(res ? block(`Response (${d.status || '?'})`, res) : []));
  } else if (lane === 'notify') {
    text = text || notificationSummary(d.body) || kind;
    if (d.body) extra = el('details', {}, el('summary', { text: 'Notification body' }), el('pre', { text: pretty(d.body) }));
  } else if (!text) {
    text = Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' ');
  }
  return el('li', { 'data-kind': kind, 'data-seq': ev.seq, class: `lane-${lane}` },
    el('time', { class: 'time', datetime: ev.time || '', text: fmtTime(parseTime(ev.time)) }),
    el('span', { class: 'lane', text: LANE_LABEL[lane] }),
    el('span', { class: 'kind', text: kind }),
    el('span', { class: 'text', text }),
    extra);
}

function appendEntry(ol, ev, cap = TIMELINE_CAP) {
  const atEnd = ol.scrollTop + ol.clientHeight >= ol.scrollHeight - 8; // follow the end unless scrolled up
  ol.append(entryFor(ev));
  if (atEnd) ol.scrollTop = ol.scrollHeight;
  while (ol.children.length > cap) ol.firstElementChild.remove();
}

function updateCount(s) {
  setText($('.timeline-box > summary', s.el), `Timeline (${$('.timeline', s.el).children.length} events)`);
  // A call under way before the stream's start: its first events were not loaded.
  const evs = callEvents.get(s.id);
  const note = $('.timeline-note', s.el);
  if (note) note.hidden = !(streamFrom > 0 && evs && !evs.born && evs.first <= snapSeq);
}

// createdCall is the ID of the call a bot's POST /communications/calls created
// (the request comes before the call, so the event has no callId).
function createdCall(ev) {
  const d = ev.data || {};
  if (ev.kind !== 'graph.request' || d.method !== 'POST' || !/\/communications\/calls\/?$/.test(d.path || '')) return '';
  try { return JSON.parse(d.response)?.id || ''; } catch { return ''; }
}

// onEvent files one event from the stream: timeline, audio, then a refresh.
function onEvent(ev) {
  if (typeof ev?.seq !== 'number' || ev.seq <= lastSeq) return; // replayed after a reconnect
  lastSeq = ev.seq;
  const id = ev.callId || createdCall(ev);
  if (id && !dropped.has(id)) {
    let evs = callEvents.get(id);
    if (!evs) {
      evs = [];
      evs.first = ev.seq;
      evs.born = false;
      callEvents.set(id, evs);
      capPending();
    }
    if (BIRTH.has(ev.kind) || !ev.callId) evs.born = true;
    evs.push(ev);
    if (evs.length > TIMELINE_CAP) evs.shift();
    const s = sections.get(id);
    if (s) { appendEntry($('.timeline', s.el), ev); updateCount(s); }
  } else if (!id) {
    appendEntry($('#log'), ev, LOG_CAP);
  }
  try { audioFor(ev); } catch (err) { say(`Audio: ${err.message}`, true); }
  scheduleRefresh();
}

// capPending keeps the events of at most PENDING_CAP calls without a section
// (the oldest go first).
function capPending() {
  let n = 0;
  for (const id of callEvents.keys()) if (!sections.has(id)) n++;
  for (const id of callEvents.keys()) {
    if (n <= PENDING_CAP) break;
    if (sections.has(id)) continue;
    callEvents.delete(id);
    n--;
  }
}

// ---- prompts ----

const players = new Map(); // callId -> {audio, urls, i, op, li, stopped}
const completedOps = new Set(); // newest SEEN_CAP

function audioFor(ev) {
  const id = ev.callId;
  const d = ev.data || {};
  if (ev.kind === 'prompt.completed' || ev.kind === 'media.cancelled') {
    if (d.operationId) {
      completedOps.add(d.operationId);
      capSet(completedOps, SEEN_CAP);
    }
    const p = players.get(id);
    if (p && (!d.operationId || !p.op || p.op === d.operationId)) stopPrompt(id);
  } else if (ev.kind === 'call.terminated') {
    stopPrompt(id);
    stopHold(id);
  } else if (ev.kind === 'prompt.started' && id) {
    const t = parseTime(ev.time);
    if (loadTime && t && t.ms < loadTime.ms) return; // history from before the page opened
    if (completedOps.has(d.operationId) || sections.get(id)?.ended) return;
    let urls = d.playUrls;
    if (typeof urls === 'string') { try { urls = JSON.parse(urls); } catch { urls = null; } }
    if (!Array.isArray(urls) || !urls.length) urls = d.uri ? [d.uri] : [];
    urls = urls.filter((u) => typeof u === 'string' && u);
    if (urls.length) playPrompt(id, d.operationId, urls);
  }
}

function logAudio(id, url) {
  const log = $('#audio-log');
  const li = el('li', { 'data-call-id': id, 'data-url': url, 'data-state': 'loading' },
    el('span', { class: 'audio-state', text: 'loading' }), ' ', el('span', { class: 'audio-url', text: url }));
  log.append(li);
  while (log.children.length > AUDIO_LOG_CAP) log.firstElementChild.remove();
  return li;
}

function setAudioState(li, st) {
  if (!li) return;
  li.dataset.state = st;
  setText($('.audio-state', li), st);
}

function playPrompt(id, op, urls) {
  stopPrompt(id);
  const p = { audio: new Audio(), urls, i: -1, op, li: null, stopped: false };
  players.set(id, p);
  playNext(id, p);
}

function playNext(id, p) {
  if (p.stopped) return;
  p.i++;
  if (p.i >= p.urls.length) { players.delete(id); return; }
  const i = p.i;
  const url = p.urls[i];
  const li = logAudio(id, url);
  p.li = li;
  let done = false;
  const finish = (st, msg) => {
    if (done || p.stopped || p.i !== i) return;
    done = true;
    setAudioState(li, st);
    if (msg) say(msg, true);
    playNext(id, p);
  };
  const a = p.audio;
  a.onplaying = () => { if (!done && !p.stopped) setAudioState(li, 'playing'); };
  a.onended = () => finish('ended');
  a.onerror = () => finish('error', `Could not play ${url}: not reachable from this browser, or not audio it can play`);
  a.src = new URL(url, location.href).href;
  a.play().catch((err) => {
    if (err.name === 'AbortError') return; // stopped or replaced
    const why = err.name === 'NotAllowedError' ? 'the browser blocks sound until you click the page' : err.message;
    finish('error', `Could not play ${url}: ${why}`);
  });
}

function stopPrompt(id) {
  const p = players.get(id);
  if (!p) return;
  players.delete(id);
  p.stopped = true;
  const a = p.audio;
  a.onplaying = a.onended = a.onerror = null;
  a.pause();
  a.removeAttribute('src');
  if (p.li && ['loading', 'playing'].includes(p.li.dataset.state)) setAudioState(p.li, 'stopped');
}

// ---- hold music: a quiet oscillator tune per held call ----

let actx = null;
function audioContext() {
  const C = window.AudioContext || window.webkitAudioContext;
  if (!C) return null;
  if (!actx) actx = new C();
  if (actx.state === 'suspended') actx.resume().catch(() => {});
  return actx;
}

const holds = new Map(); // callId -> {timer, gain}
const TUNE = [523.25, 659.25, 783.99, 659.25, 587.33, 698.46, 880, 698.46];

function startHold(id) {
  if (holds.has(id)) return;
  let ctx;
  try { ctx = audioContext(); } catch { ctx = null; }
  if (!ctx) return;
  const gain = ctx.createGain();
  gain.gain.value = 0.05;
  gain.connect(ctx.destination);
  let i = 0;
  const note = () => {
    const t = ctx.currentTime;
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.type = 'triangle';
    o.frequency.value = TUNE[i++ % TUNE.length];
    g.gain.setValueAtTime(0.0001, t);
    g.gain.exponentialRampToValueAtTime(1, t + 0.03);
    g.gain.exponentialRampToValueAtTime(0.0001, t + 0.45);
    o.connect(g).connect(gain);
    o.start(t);
    o.stop(t + 0.5);
  };
  note();
  holds.set(id, { timer: setInterval(note, 500), gain });
}

function stopHold(id) {
  const h = holds.get(id);
  if (!h) return;
  clearInterval(h.timer);
  h.gain.disconnect();
  holds.delete(id);
}

// ---- voice messages: WAV 16 kHz mono 16-bit ----

function wav(samples, rate = 16000) {
  const buf = new ArrayBuffer(44 + samples.length * 2);
  const v = new DataView(buf);
  const str = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
  str(0, 'RIFF'); v.setUint32(4, 36 + samples.length * 2, true); str(8, 'WAVE');
  str(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
  str(36, 'data'); v.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    v.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return buf;
}

async function upload(who, buf, what) {
  const r = await post(`../people/${enc(who)}/recording`, new Blob([buf], { type: 'audio/wav' }), 'audio/wav');
  if (r) say(`${what} for ${who} is ready (${((buf.byteLength - 44) / 32000).toFixed(1)} s): the bot hears it now if it is recording, else at its next recording.`);
}

// recordButtons makes the microphone and tone buttons for whoever whoOf names
// (a call's person, or a person of the list: callId is then empty).
function recordButtons(whoOf, callId, labels = [MIC_LABEL, TONE_LABEL]) {
  const mic = el('button', { type: 'button', class: 'record-mic', text: labels[0], 'aria-pressed': 'false' });
  mic.addEventListener('click', () => toggleMic(mic, whoOf(), callId).catch((err) => say(`Microphone: ${err.message}`, true)));
  const tone = el('button', { type: 'button', class: 'record-tone', text: labels[1] });
  tone.addEventListener('click', () => act(tone, () => uploadTone(whoOf())));
  mic._label = labels[0];
  return [mic, tone];
}

// uploadTone sends 2 s of two mixed sine waves.
function uploadTone(who) {
  if (!who) { say('This call has no person to record for.', true); return null; }
  const n = 32000;
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / 16000;
    const fade = Math.min(1, i / 320, (n - i) / 320);
    s[i] = fade * 0.3 * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 660 * t));
  }
  return upload(who, wav(s), 'A tone');
}

let rec = null; // the recording in progress: {btn, callId, who, stream, ctx, src, node, chunks, timer}

async function toggleMic(btn, who, id) {
  if (rec) {
    if (rec.btn === btn) stopMic();
    else say(`Already recording for ${rec.who}: stop that first.`, true);
    return;
  }
  if (!who) { say('This call has no person to record for.', true); return; }
  if (!navigator.mediaDevices?.getUserMedia) {
    say('This browser gives no microphone here (it needs https or localhost): use a tone instead.', true);
    return;
  }
  if (btn.getAttribute('aria-busy') === 'true') return;
  btn.setAttribute('aria-busy', 'true');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (err) {
    say(`No microphone (${err.name}: ${err.message}): use a tone instead.`, true);
    btn.removeAttribute('aria-busy');
    return;
  }
  let ctx;
  try {
    ctx = new AudioContext();
    ctx.resume().catch(() => {});
    const src = ctx.createMediaStreamSource(stream);
    const chunks = [];
    const node = pcmTap(ctx, (samples) => chunks.push(samples));
    src.connect(node);
    node.connect(ctx.destination); // outputs silence; keeps the node running
    rec = { btn, callId: id, who, stream, ctx, src, node, chunks, timer: setTimeout(stopMic, 60000) };
    btn.textContent = 'Stop';
    btn.setAttribute('aria-pressed', 'true');
    say(`Recording ${who}’s message: press Stop when done (60 s at most).`);
  } catch (err) {
    stream.getTracks().forEach((t) => t.stop());
    ctx?.close().catch(() => {});
    say(`Could not record: ${err.message}`, true);
  } finally {
    btn.removeAttribute('aria-busy');
  }
}

// pcmTap makes a ScriptProcessorNode that hands each block of input samples to
// onSamples. (An AudioWorklet would need a module URL that the page's CSP,
// script-src 'self', does not allow from a Blob.)
function pcmTap(ctx, onSamples) {
  const node = ctx.createScriptProcessor(4096, 1, 1);
  node.onaudioprocess = (e) => onSamples(new Float32Array(e.inputBuffer.getChannelData(0)));
  node.stop = () => { node.onaudioprocess = null; };
  return node;
}

// stopMic ends the recording and uploads it, reporting any failure in #status.
function stopMic() {
  finishMic().catch((err) => say(`Microphone: ${err.message}`, true));
}

async function finishMic() {
  const r = rec;
  if (!r) return;
  rec = null;
  clearTimeout(r.timer);
  r.node.stop();
  r.src.disconnect();
  r.node.disconnect();
  r.stream.getTracks().forEach((t) => t.stop());
  const rate = r.ctx.sampleRate;
  r.ctx.close().catch(() => {});
  r.btn.textContent = r.btn._label;
  r.btn.setAttribute('aria-pressed', 'false');
  const n = r.chunks.reduce((a, c) => a + c.length, 0);
  if (!n) { say('Nothing was recorded.', true); return; }
  const pcm = new Float32Array(n);
  let o = 0;
  for (const c of r.chunks) { pcm.set(c, o); o += c.length; }
  try {
    await upload(r.who, wav(await resample(pcm, rate)), 'The recorded message');
  } catch (err) {
    say(`Could not convert the recording: ${err.message}`, true);
  }
}

// resample converts to 16 kHz with an OfflineAudioContext.
async function resample(pcm, rate) {
  if (rate === 16000) return pcm;
  const off = new OfflineAudioContext(1, Math.max(1, Math.ceil((pcm.length * 16000) / rate)), 16000);
  const buf = off.createBuffer(1, pcm.length, rate);
  buf.copyToChannel(pcm, 0);
  const src = off.createBufferSource();
  src.buffer = buf;
  src.connect(off.destination);
  src.start();
  return (await off.startRendering()).getChannelData(0);
}

// ---- meetings ----

function renderMeetings() {
  syncList($('#meetings .meeting-list'), state.meetings, (m) => m.id, createMeeting, updateMeeting);
}

function createMeeting(m) {
  const id = m.id;
  const path = (verb) => `../meetings/${enc(id)}/${verb}`;
  const sel = el('select', { class: 'meeting-person' });
  syncSelect(sel, state.people);
  const join = el('button', { type: 'button', class: 'join', text: 'Join' });
  const lobby = el('button', { type: 'button', class: 'lobby-join', text: 'Wait in the lobby' });
  join.addEventListener('click', () => sel.value && act(join, () => post(path('join'), { who: sel.value, lobby: false })));
  lobby.addEventListener('click', () => sel.value && act(lobby, () => post(path('join'), { who: sel.value, lobby: true })));
  const copy = el('button', { type: 'button', class: 'copy-url', text: 'Copy join URL' });
  copy.addEventListener('click', () => {
    const url = $('.join-url', sec).textContent;
    if (!navigator.clipboard) { say('No clipboard here: select the URL instead.', true); return; }
    navigator.clipboard.writeText(url).then(() => say('Join URL copied.'), (err) => say(`Could not copy: ${err.message}`, true));
  });
  const sec = el('section', { class: 'meeting', 'data-meeting-id': id },
    el('h3', { class: 'meeting-subject' }),
    el('p', { class: 'join-line' }, el('code', { class: 'join-url' }), ' ', copy),
    el('p', { class: 'meeting-calls' }),
    el('h4', { text: 'In the meeting' }), el('ul', { class: 'roster' }),
    el('h4', { text: 'In the lobby' }), el('ul', { class: 'lobby' }),
    el('div', { class: 'meeting-join' }, el('label', {}, 'Person ', sel), join, lobby));
  sec._path = path;
  return sec;
}

function memberItem(sec, name, verb, label) {
  const b = el('button', { type: 'button', class: verb, text: label });
  b.addEventListener('click', () => act(b, () => post(sec._path(verb), { who: name })));
  return el('li', { 'data-name': name }, el('span', { class: 'member-name', text: nameOf(name) }), ' ', b);
}

function updateMeeting(sec, m) {
  setText($('.meeting-subject', sec), m.subject || '(no subject)');
  setText($('.join-url', sec), m.joinWebUrl || '');
  const n = (m.calls || []).length;
  setText($('.meeting-calls', sec), n ? `Bot calls in it: ${n}` : 'The bot is not in it.');
  syncList($('.roster', sec), m.members || [], (x) => x, (x) => memberItem(sec, x, 'leave', 'Leave'), () => {});
  syncList($('.lobby', sec), m.lobby || [], (x) => x, (x) => memberItem(sec, x, 'admit', 'Admit'), () => {});
}

$('#add-meeting').addEventListener('submit', (e) => {
  e.preventDefault();
  const subject = $('#meeting-subject').value.trim();
  const organizer = $('#meeting-organizer').value;
  if (!organizer) { say('Add a person first: a meeting needs an organizer.', true); return; }
  act(e.currentTarget.querySelector('button[type=submit]'), async () => {
    if (await post('../meetings', { subject, organizer, noJoin: true })) {
      say(`Meeting “${subject}” created.`);
      $('#meeting-subject').value = '';
    }
  });
});

// ---- start: read the state, then follow the stream ----

let es = null; // the one EventSource open
let retryDelay = RETRY_MIN;
let retryTimer = null;
let lastReset = 0; // performance.now() of the last reset the stream sent

// start reads the state, then follows the stream from REPLAY events before it.
async function start() {
  const gen = generation;
  await scheduleRefresh();
  if (gen !== generation) return; // the emulator restarted meanwhile: a newer start runs
  loadTime = parseTime(state.now);
  snapSeq = Math.max(0, Number(state.lastSeq) || 0);
  streamFrom = Math.max(0, snapSeq - REPLAY);
  lastSeq = Math.max(lastSeq, streamFrom);
  openStream(streamFrom, false);
}

// openStream opens the event stream at after, closing any other; reopened says
// whether this is a reconnection (then the state is read again when it opens).
function openStream(after, reopened) {
  clearTimeout(retryTimer);
  retryTimer = null;
  es?.close();
  // The epoch of the emulator this page has seen: a restarted one answers with a reset.
  const epoch = state && state.epoch ? `&epoch=${encodeURIComponent(state.epoch)}` : '';
  const src = new EventSource(api(`../stream?after=${after}${epoch}`));
  es = src;
  let lost = reopened;
  src.onmessage = (e) => {
    if (es !== src) return;
    retryDelay = RETRY_MIN;
    let ev;
    try { ev = JSON.parse(e.data); } catch { return; }
    onEvent(ev);
  };
  src.addEventListener('reset', () => {
    if (es !== src) return;
    retryDelay = RETRY_MIN;
    onReset();
  });
  src.onerror = () => {
    if (es !== src) return;
    if (src.readyState === EventSource.CLOSED) {
      // Closed for good (an answer other than a stream, e.g. 503 with too many open):
      // open a new one later, from the newest event seen.
      src.close();
      es = null;
      say(`event stream closed; reconnecting in ${retryDelay / 1000} s`, true);
      retryTimer = setTimeout(() => openStream(lastSeq, true), retryDelay);
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX);
      return;
    }
    lost = true;
    say('Lost the event stream; reconnecting…', true);
  };
  src.onopen = () => {
    if (es !== src) return;
    if (lost) { lost = false; say('Event stream back.'); scheduleRefresh(); }
  };
}

// onReset: the emulator restarted (the stream was asked for events it has not
// got). Forget everything and start again from a fresh read of its state.
function onReset() {
  es?.close();
  es = null;
  clearTimeout(retryTimer);
  retryTimer = null;
  clearPage();
  say('The emulator restarted');
  const soon = performance.now() - lastReset < 2000; // resets in a row: do not spin
  lastReset = performance.now();
  const again = () => start().catch((err) => say(`Console error: ${err.message}`, true));
  if (soon) retryTimer = setTimeout(() => { retryTimer = null; again(); }, RETRY_MIN);
  else again();
}

// clearPage drops what the page holds of the emulator before it restarted.
function clearPage() {
  generation++; // reads in flight are of the old emulator
  state = { people: [], calls: [], meetings: [] };
  for (const id of [...players.keys()]) stopPrompt(id);
  for (const id of [...holds.keys()]) stopHold(id);
  sections.clear();
  callEvents.clear();
  dropped.clear();
  completedOps.clear();
  $('#calls').replaceChildren();
  $('#ended').replaceChildren();
  $('#log').replaceChildren();
  $('#audio-log').replaceChildren();
  $('#ringing').replaceChildren();
  lastSeq = 0;
  snapSeq = 0;
  streamFrom = 0;
  loadTime = null;
}

start().catch((err) => say(`Console error: ${err.message}`, true));
