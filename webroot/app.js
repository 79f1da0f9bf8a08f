// FilterScope explorer page: talks to the server's JSON API and its WebSocket (see docs/protocol.md).
'use strict';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token');
/** Set when the API answers 401: what to do about the token; the WebSocket then stops reconnecting, which cannot help. */
let tokenRefused = null;

/** The settings schema (GET /api/params): presets, every param with its bounds and slider, the run fields. */
let schema = null;

const state = {
  /** run: the run on the live image, the page's own or `watched`, another client's (then the same id), else null. */
  model: null, socket: null, run: null, watched: null, galleryRun: null,
  /** The gallery shown, a page at a time (openGallery), or null. */
  gallery: null,
  /**
   * Runs the page stopped on leaving them, to their words for the status line ("classes 0-255", a gallery page left for
   * another) or null: their late events and frames change nothing, and their done judges nothing.
   */
  left: new Map(),
  /** The active runs listed, by run id: the run as listed and its line's text, which frames of one's own runs move on. */
  runLines: new Map(),
  /** What the gallery's tiles are, for its status line: 'filters' or 'classes'. */
  galleryOf: 'filters',
  losses: [], tiles: new Map(), uploaded: null, channel: null, viewPreset: null,
  /** The start message of the run shown, kept inside a saved PNG. */
  runSettings: null,
  /**
   * The tag of the live panel's start ('live 3'), each start its own, until the panel leaves it: a start left before
   * its answers came (another model or start picked within milliseconds) is told by its tag, and its run stopped.
   */
  liveTag: null, liveStarts: 0,
  /** The error of the model the user last picked that failed to load, while the status line shows it. */
  modelError: null,
};

/** The pace the page starts runs at: 200 steps of a small model take about 8 s, slow enough to watch. */
const PAGE_PACE = 25;
/** Frames of one run the page keeps for the timeline; past that every other one goes (step 1 and the newest stay). */
const MAX_KEPT_FRAMES = 1000;

/** Builds an element with text content (never markup: labels come from model files). */
function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** What a gallery tile shows until its first frame: a plain square the colour of the controls, not a broken image. */
const WAITING_TILE = 'data:image/svg+xml,' + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1" fill="#2a2e35"/></svg>');

/** A tile: a button holding an image, captioned. */
function tile(label, caption, onClick, src) {
  const figure = el('figure');
  const button = el('button', null, { class: 'tile', type: 'button', 'aria-label': label, title: label });
  const img = el('img', null, { alt: label, src });
  button.appendChild(img);
  if (onClick) button.addEventListener('click', onClick);
  figure.append(button, el('figcaption', caption));
  return figure;
}

function status(text, isError) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers.Authorization = 'Bearer ' + token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json() : await response.blob();
  if (response.status === 401) {
    tokenRefused = (token ? 'the server refused this page\'s token' : 'this server needs a token')
      + `: open the page as ${location.pathname}?token=TOKEN, with the token the server was started with`;
    throw new Error(tokenRefused);
  }
  if (!response.ok) {
    const error = new Error(body.error ? body.error.message : 'HTTP ' + response.status);
    error.status = response.status;
    throw error;
  }
  return body;
}

// --- models and layers ---

async function loadModels() {
  const models = await api('/api/models');
  const select = $('model');
  select.replaceChildren();
  for (const m of models) {
    const option = new Option(m.id + (m.available ? '' : ' (unavailable)'), m.id);
    option.disabled = !m.available;
    option.title = m.available ? m.description || '' : m.error;
    select.add(option);
  }
  // The bundled default, which the server names in the page, when it is here; else the first model that loads.
  const usable = models.filter((m) => m.available);
  const preferred = usable.filter((m) => m.id === select.dataset.default);
  // Models tried here were not the user's choice: one that fails is marked unavailable in the list, without an error.
  for (const m of preferred.concat(usable.filter((m) => m.id !== select.dataset.default))) {
    select.value = m.id;
    if (await pickModel(m.id, true)) return;
  }
  offerActions(null);
  status('no usable models in the models directory', true);
}

/**
 * Opens a model; one that fails to load leaves nothing to run (see forgetModel), its error in the status line unless
 * `quiet` (the page's own pick), and is marked unavailable in the list when the server says it cannot be used (404).
 */
async function pickModel(id, quiet = false) {
  const mine = ++picks;
  // Until the model's details arrive nothing acts on it: Start would send the previous model's layer and filter
  // under the new model's name (a first read of a large model takes a minute), and the previous model's tiles, pager
  // and Visualize button would start runs of a model no longer picked.
  forgetModel();
  offerActions(null);
  $('model-note').textContent = `opening ${id}…`;
  try {
    const current = await loadModel(id, () => mine === picks);
    if (!current) return false;
    if (state.modelError && $('status').textContent === state.modelError) status('');
    return true;
  } catch (err) {
    if (mine !== picks) return false; // another model was picked meanwhile
    const option = [...$('model').options].find((o) => o.value === id);
    if (option && err.status === 404) {
      option.textContent = id + ' (unavailable)';
      option.disabled = true;
      option.title = err.message;
    }
    state.model = null;
    $('model-note').textContent = err.message;
    for (const list of ['layer', 'class', 'attr-layer']) $(list).replaceChildren();
    offerActions(null);
    if (!quiet) {
      state.modelError = err.message;
      status(err.message, true);
    }
    return false;
  }
}

/** Picks of a model so far: the answer for an earlier pick changes nothing. */
let picks = 0;

/** Shows model `id`, unless `current()` says another was picked while its details were on their way; returns which. */
async function loadModel(id, current = () => true) {
  const model = await api('/api/models/' + encodeURIComponent(id));
  if (!current()) return false;
  state.model = model;
  $('model-note').textContent = (model.description || '') + ' · input ' + model.inputShape.join('x')
    + (model.defaults ? ` · no ${model.id}.json: defaults in use` : '');
  $('size').value = model.inputShape[1];
  const layers = $('layer');
  layers.replaceChildren();
  for (const l of model.layers) {
    layers.add(new Option(`${l.name}${l.alias ? ' (' + l.alias + ')' : ''} · ${l.channels} ch · ${l.outputShape.join('x')}`, l.name));
  }
  // What the server opens the model on: its metadata's view, else its second convolution with a map (docs/protocol.md).
  const view = model.defaultView;
  layers.value = view.layer;
  $('filter').value = view.filter;
  // A preset the last model's view chose gives way to the objective's default when this model names none.
  const preset = view.preset;
  const type = $('objective').value;
  if (preset && type === 'channel') usePreset(preset);
  else if (state.viewPreset && $('preset').value === state.viewPreset) usePreset(schema.defaultPreset[type]);
  state.viewPreset = preset;
  const classes = $('class');
  classes.replaceChildren();
  // A model without class names (an ONNX file with no metadata) still has its output's classes, by number.
  const names = model.classes || [];
  const count = names.length || (hasClassOutput(model) ? model.layers[model.layers.length - 1].channels : 0);
  for (let i = 0; i < count; i++) classes.add(new Option(names[i] != null ? `${i}: ${names[i]}` : `class ${i}`, i));
  const camLayers = $('attr-layer');
  camLayers.replaceChildren();
  // Only layers the server says Grad-CAM can read (maps of more than one position).
  for (const l of model.layers.filter((x) => x.gradCam)) camLayers.add(new Option(l.name, l.name));
  // The server's own default (the last convolution block's output), so the page explains what the API would.
  if (model.gradCamLayer) camLayers.value = model.gradCamLayer;
  offerActions(model);
  onLayerChange();
  return true;
}

/**
 * The latest request of each kind about the image shown (its explanation, its maps, a channel's map): an answer to an
 * earlier one (for an earlier upload, layer, channel or model) arrives late and changes nothing.
 */
const asked = { explain: 0, maps: 0, channel: 0 };

/**
 * Nothing of the previous model stays on the page, nor can start a run: its live run (stopped, or unwatched), maps,
 * channel, upload, explanation, examples, gallery (whose run stops) and the status line about them.
 */
function forgetModel() {
  leaveLive();
  status('');
  for (const kind of Object.keys(asked)) asked[kind] += 1;
  state.uploaded = null;
  state.channel = null;
  $('upload').value = '';
  $('maps').replaceChildren();
  $('channel-detail').hidden = true;
  $('explain').hidden = true;
  $('example-picker').replaceChildren();
  forgetGallery();
}

/**
 * The gallery shown goes, its run stopped (its last frames and its done then match nothing): tiles, progress (its
 * waiting line), pager, and the status line about it.
 */
function forgetGallery() {
  leaveGalleryRun(null);
  if (state.gallery) status('');
  state.gallery = null;
  latest.tiles.clear();
  latest.galleryStep = null;
  $('gallery-grid').replaceChildren();
  state.tiles.clear();
  $('gallery-progress').hidden = true;
  $('gallery-pager').hidden = true;
}

/** Enables what acts on the model chosen, as far as it has what each needs; everything when none can be used. */
function offerActions(model) {
  for (const id of ['start', 'gallery', 'upload']) $(id).disabled = !model;
  $('class-gallery').disabled = !model || (!(model.classes && model.classes.length) && !hasClassOutput(model));
  // The examples route answers 404 for a model without example images: there is nothing to pick.
  $('show-examples').hidden = !model || !model.hasExamples;
}

function hasClassOutput(model) {
  return model.layers.length > 0 && model.layers[model.layers.length - 1].outputShape.length === 1;
}

function currentLayer() {
  return state.model.layers.find((l) => l.name === $('layer').value);
}

function onLayerChange() {
  const layer = currentLayer();
  $('filter').max = layer.channels - 1;
  if (+$('filter').value >= layer.channels) $('filter').value = 0;
  forgetGallery();
  if (state.uploaded) showMaps();
}

function onObjectiveChange() {
  const type = $('objective').value;
  // Each kind of objective has its own default preset (class images want more smoothing than filters).
  if (type !== state.objectiveType) usePreset(schema.defaultPreset[type]);
  state.objectiveType = type;
  $('filter-label').hidden = type === 'class' || type === 'deepdream';
  $('class-label').hidden = type !== 'class';
}

// --- params: every control is built from the settings schema ---

async function loadSchema() {
  schema = await api('/api/params');
  for (const field of schema.run) {
    const input = $(field.name);
    const range = field.slider || field;
    input.min = range.min;
    input.max = range.max;
    input.title = describe(field);
    if (field.default != null) input.value = field.default;
  }
  $('pace').value = PAGE_PACE;
  showPace();
  for (const p of schema.presets) {
    const option = new Option(p.name, p.name);
    option.title = p.help;
    $('preset').add(option);
  }
  buildParams();
  state.objectiveType = $('objective').value;
  usePreset(schema.defaultPreset[state.objectiveType]);
}

function describe(p) {
  const range = p.slider ? `; usual range ${p.slider.min}-${p.slider.max}`
    : p.min != null && p.max != null ? `; ${p.min}-${p.max}` : '';
  return `${p.help}${p.unit ? ' (' + p.unit + range + ')' : range}${p.live ? '' : '; applies to the next run'}`;
}

function control(p) {
  if (p.type === 'boolean') return Object.assign(document.createElement('input'), { type: 'checkbox' });
  if (p.type === 'choice') {
    const select = document.createElement('select');
    for (const c of p.choices) select.add(new Option(c, c));
    return select;
  }
  if (p.type === 'number_list') return Object.assign(document.createElement('input'), { type: 'text', placeholder: 'e.g. 0.9, 1, 1.1' });
  const slider = p.slider || { min: p.min, max: p.max, step: p.type === 'integer' ? 1 : 'any' };
  return Object.assign(document.createElement('input'), { type: 'range', min: slider.min, max: slider.max, step: slider.step });
}

function buildParams() {
  const groups = new Map();
  for (const p of schema.params) {
    if (!groups.has(p.group)) {
      const fieldset = document.createElement('fieldset');
      const legend = document.createElement('legend');
      legend.textContent = p.group;
      fieldset.appendChild(legend);
      $('params').appendChild(fieldset);
      groups.set(p.group, fieldset);
    }
    const label = document.createElement('label');
    label.title = describe(p);
    const name = document.createElement('span');
    name.textContent = p.name + (p.live ? '' : ' (next run)');
    const input = control(p);
    input.id = 'p-' + p.name;
    input.title = label.title;
    input.setAttribute('aria-label', p.name);
    const output = document.createElement('output');
    output.id = 'o-' + p.name;
    label.append(name, input, output);
    groups.get(p.group).appendChild(label);
    input.addEventListener(input.type === 'checkbox' || input.tagName === 'SELECT' ? 'change' : 'input', () => {
      showValue(p);
      if (p.live) scheduleUpdate();
    });
  }
}

function showValue(p) {
  const input = $('p-' + p.name);
  $('o-' + p.name).textContent = input.type === 'range' ? input.value : '';
}

/** Sets every control to the preset's defaults. */
function usePreset(name) {
  $('preset').value = name;
  for (const p of schema.params) {
    const input = $('p-' + p.name);
    const value = p.defaults[name];
    if (p.type === 'boolean') input.checked = value;
    else if (p.type === 'number_list') input.value = value.join(', ');
    else input.value = value;
    showValue(p);
  }
}

function valueOf(p) {
  const input = $('p-' + p.name);
  if (p.type === 'boolean') return input.checked;
  if (p.type === 'choice') return input.value;
  if (p.type === 'number_list') return input.value.split(',').map((v) => v.trim()).filter((v) => v).map(Number);
  return Number(input.value);
}

/** The params to send: all of them for a new run, the live ones for an update. */
function params(liveOnly) {
  const out = {};
  for (const p of schema.params) {
    if (!liveOnly || p.live) out[p.name] = valueOf(p);
  }
  return out;
}

let updateTimer = null;
function scheduleUpdate() {
  clearTimeout(updateTimer);
  updateTimer = setTimeout(() => {
    if (ownRun()) send({ op: 'update', run: ownRun(), params: params(true) });
  }, 120);
}

// --- the WebSocket ---

function connect() {
  return new Promise((resolve) => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/ws${token ? '?token=' + encodeURIComponent(token) : ''}`);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => { state.socket = socket; resolve(socket); };
    socket.onmessage = (e) => (typeof e.data === 'string' ? onEvent(JSON.parse(e.data)) : onFrame(e.data));
    socket.onclose = () => {
      state.socket = null;
      if (tokenRefused) { status(tokenRefused, true); return; }
      status('connection to the server closed; reconnecting…', true);
      setTimeout(() => connect().then(() => status('reconnected')), 1500);
    };
  });
}

function send(message) {
  if (!state.socket) { status('not connected to the server', true); return; }
  state.socket.send(JSON.stringify(message));
}

function objectiveSpec(filters) {
  const type = $('objective').value;
  const layer = $('layer').value;
  if (type === 'class') return { type, index: Number($('class').value) };
  if (type === 'deepdream') return { type, layer };
  if (filters) return { type, layer, filters };
  return { type, layer, filter: Number($('filter').value) };
}

function showPace() {
  const pace = Number($('pace').value);
  $('pace-value').textContent = pace === 0 ? 'full' : pace + '/s';
}

/**
 * Stops a run the page leaves (`words` for the status line when its done comes, see state.left). It may have ended
 * meanwhile (its done on its way): the server then answers not_found, which is no news to the user, so that answer is
 * tagged and dropped.
 */
function stopReplaced(run, words = null) {
  send({ op: 'stop', run, tag: 'replaced' });
  state.left.set(run, words);
}

/** The run on the live image when it is the page's own (Stop, Pace and the live settings act on it), else null. */
function ownRun() {
  return state.watched ? null : state.run;
}

/** Stop acts on the page's own runs going: the live one and the gallery's page. */
function offerStop() {
  $('stop').disabled = !ownRun() && !state.galleryRun;
}

function stopOwnRuns() {
  for (const run of [ownRun(), state.galleryRun]) {
    if (run) send({ op: 'stop', run });
  }
}

/**
 * The live image's run is left: the page's own stops; a watched one is unwatched, so that it computes on only while
 * someone sees it (the server stops a run whose owner left when its last watcher goes). The panel then shows no run.
 */
function leaveLive(note) {
  state.liveTag = null;
  if (state.watched) send({ op: 'unwatch', run: state.watched, tag: 'replaced' });
  else if (state.run) stopReplaced(state.run);
  showNoRun(note);
}

/**
 * The live panel shows no run: its placeholder (with `note`, else the first visit's hint), no numbers, no waiting
 * line, an empty chart and timeline. Nothing of a run left, nor of a refused start, stays beside the next one.
 */
function showNoRun(note) {
  state.run = null;
  state.watched = null;
  state.shownRun = null;
  state.runSettings = null;
  state.losses = [];
  latest.live = null;
  replay.frames = [];
  replay.stride = 1;
  replay.following = true;
  rate.samples = [];
  stopReplay();
  $('live-image').hidden = true;
  $('live-placeholder').hidden = false;
  $('live-hint').hidden = note != null;
  $('live-note').textContent = note || '';
  for (const [id, text] of [['run-id', '-'], ['step', '0'], ['step-total', '0'], ['rate', '0'], ['loss', '-'], ['queue', '']]) {
    $(id).textContent = text;
  }
  offerStop();
  updateTimeline();
  drawLosses();
}

function start() {
  leaveLive('starting…');
  const steps = Number($('steps').value);
  $('step-total').textContent = steps;
  const message = { op: 'start', model: state.model.id, objective: objectiveSpec(), size: Number($('size').value),
    steps, seed: Number($('seed').value), pace: Number($('pace').value), preset: $('preset').value,
    params: params(false), tag: `live ${++state.liveStarts}` };
  state.liveTag = message.tag;
  state.runSettings = message;
  send(message);
  status('starting…');
}

function startGallery() {
  const layer = currentLayer();
  if (layer.outputShape.length !== 3) { status('pick a convolutional layer for a gallery', true); return; }
  const settings = { size: Number($('size').value), steps: schema.gallerySteps, seed: Number($('seed').value),
    preset: $('preset').value, params: params(false) };
  openGallery({ of: 'filters', title: layer.name, all: [...Array(layer.channels).keys()],
    entry: (f) => ({ key: f, label: 'filter ' + f, caption: String(f), pick: () => pickFilter(f) }),
    message: (filters) => ({ op: 'start', model: state.model.id, objective: { type: 'channel', layer: layer.name, filters },
      ...settings, tag: 'gallery' }) });
}

/** Every output class's ideal input at once, with the class objective's default preset. */
function startClassGallery() {
  const count = state.model.layers[state.model.layers.length - 1].channels;
  const names = state.model.classes || [];
  const seed = Number($('seed').value);
  openGallery({ of: 'classes', title: state.model.id, all: [...Array(count).keys()],
    entry: (k) => ({ key: k, label: 'class ' + k + (names[k] != null ? ': ' + names[k] : ''),
      caption: names[k] != null ? names[k] : String(k), pick: () => pickClass(k) }),
    message: (indices) => ({ op: 'start', model: state.model.id, objective: { type: 'class', filters: indices },
      steps: schema.gallerySteps * 2, seed, preset: schema.defaultPreset.class, tag: 'gallery' }) });
}

/**
 * Shows a gallery a page at a time: `of` ('filters' or 'classes'), `all` its indices, `entry` a tile's description and
 * `message` the start of a page's run. The first page asks for them all; a page the server refuses as too_large (a
 * step over its time or memory limit, or more images than one run takes) is asked again at half the size, so a layer
 * of 2,048 filters or a model of 1,000 classes shows as many as the server takes at once, the rest a click away.
 */
function openGallery(gallery) {
  state.gallery = { ...gallery, from: 0, count: gallery.all.length };
  sendGalleryPage();
}

/** The gallery page rendering stops; its last frames and its done must not mark another page's tiles, nor judge it. */
function leaveGalleryRun(words) {
  if (state.galleryRun) stopReplaced(state.galleryRun, words);
  state.galleryRun = null;
  offerStop();
}

/** The gallery page shown in a few words: "filters 0-63" (or "" before the first). */
function galleryPageWords() {
  return $('gallery-page').textContent.replace(/ of \d+$/, '');
}

function sendGalleryPage() {
  const g = state.gallery;
  leaveGalleryRun(galleryPageWords() || 'the gallery');
  const page = g.all.slice(g.from, g.from + g.count);
  state.galleryOf = g.of;
  fillGallery(page.map(g.entry));
  const message = g.message(page);
  g.steps = message.steps;
  send(message);
  const whole = page.length === g.all.length;
  $('gallery-pager').hidden = whole;
  $('gallery-page').textContent = `${g.of} ${page[0]}-${page[page.length - 1]} of ${g.all.length}`;
  showGalleryProgress(0);
  $('gallery-progress').hidden = false;
  $('gallery-previous').disabled = g.from === 0;
  $('gallery-next').disabled = g.from + g.count >= g.all.length;
  status(`rendering ${whole ? 'the gallery of ' + g.title : $('gallery-page').textContent + ' of ' + g.title}…`);
}

/** Moves the gallery a page back (-1) or on (+1), keeping the page size the server took. */
function turnGalleryPage(by) {
  const g = state.gallery;
  g.from = Math.min(Math.max(0, g.from + by * g.count), g.all.length - 1);
  sendGalleryPage();
}

/** A gallery page too large for the server is asked again at half its size (see openGallery); true if it was. */
function shrinkGalleryPage(e) {
  const g = state.gallery;
  if (e.tag !== 'gallery' || e.code !== 'too_large' || !g || g.count <= 1) return false;
  g.count = Math.ceil(g.count / 2);
  sendGalleryPage();
  return true;
}

function fillGallery(entries) {
  const grid = $('gallery-grid');
  grid.replaceChildren();
  state.tiles.clear();
  for (const e of entries) {
    const figure = tile(e.label, e.caption, e.pick, WAITING_TILE);
    grid.appendChild(figure);
    state.tiles.set(e.key, figure);
  }
}

function pickClass(k) {
  $('objective').value = 'class';
  onObjectiveChange();
  $('class').value = k;
  start();
}

function pickFilter(f) {
  $('objective').value = 'channel';
  onObjectiveChange();
  $('filter').value = f;
  for (const [k, fig] of state.tiles) fig.querySelector('button').classList.toggle('selected', k === f);
  start();
}

function onEvent(e) {
  const leftStart = isLiveTag(e.tag) && e.tag !== state.liveTag;
  if (e.type === 'error') {
    if (leftStart) return; // the refusal of a start the page left says nothing of the panel's run
    if (shrinkGalleryPage(e)) return;
    forgetRefused(e);
    if (!(e.tag === 'replaced' && e.code === 'not_found')) status(e.message, true);
    return;
  }
  if (['preparing', 'queued', 'started'].includes(e.type)) {
    // A gallery's start answered after its gallery went (another model picked before the answer) is left at once.
    if (e.tag === 'gallery' && !state.gallery && !state.left.has(e.run)) stopReplaced(e.run);
    // So is a live start the page left before its answer came: another model or start was picked meanwhile.
    if (leftStart && !state.left.has(e.run)) stopReplaced(e.run);
    // A run the page left may still be told its place or start before its done: that changes nothing here.
    if (state.left.has(e.run)) return;
  }
  if (e.type === 'preparing') {
    rememberRun(e);
    showWaiting(e, e.reason);
    status(`run ${e.run} is waiting: ${e.reason}`);
  } else if (e.type === 'queued') {
    rememberRun(e);
    showWaiting(e, `position ${e.position} in the queue`);
    status(`run ${e.run} is queued at position ${e.position}`);
  } else if (e.type === 'started') {
    rememberRun(e);
    if (e.tag === 'gallery') showGalleryProgress(state.gallery.step);
    else $('queue').textContent = '';
    status(`run ${e.run} started`);
    send({ op: 'list' });
  } else if (e.type === 'updated') {
    status(`params applied from step ${e.step}`);
  } else if (e.type === 'done') {
    onDone(e);
  } else if (e.type === 'runs') {
    showRuns(e.runs);
  }
}

/**
 * What a run of the page waits for, beside the image it will draw: the live panel's waiting line, or the gallery's
 * progress line (the live panel says nothing of a gallery's wait).
 */
function showWaiting(e, why) {
  $(e.tag === 'gallery' ? 'gallery-progress' : 'queue').textContent = `waiting: ${why}`;
}

/** The gallery's progress line: the step its page's frames reached (its run then goes, or goes on after a pause). */
function showGalleryProgress(step) {
  state.gallery.step = step;
  $('gallery-progress').textContent = `step ${step} / ${state.gallery.steps}`;
}

/**
 * A start or watch the server refused, the start at once or after its `preparing` (docs/protocol.md): no `done`
 * follows, so nothing waits for its run any longer, and the live panel says the run is not there rather than keep
 * another run's id or numbers beside it.
 */
function forgetRefused(e) {
  if (e.tag === 'gallery') {
    state.galleryRun = null;
    $('gallery-progress').hidden = true;
    offerStop();
  } else if (isLiveTag(e.tag)) { // the panel's own start (one it left was answered nothing)
    showNoRun(`not started: ${e.message}`);
  } else if (e.tag === 'watch') {
    showNoRun(`not watched: ${e.message}`);
  }
}

/** Whether `tag` is a live start's (see state.liveTag). */
function isLiveTag(tag) {
  return typeof tag === 'string' && tag.startsWith('live ');
}

function rememberRun(e) {
  if (e.tag === 'gallery') {
    state.galleryRun = e.run;
  } else {
    state.run = e.run;
    state.shownRun = e.run;
    $('run-id').textContent = e.run;
    updateTimeline();
  }
  offerStop();
}

function onDone(e) {
  if (state.left.has(e.run)) {
    showLeftDone(state.left.get(e.run));
    state.left.delete(e.run);
  } else if (e.run === state.galleryRun) {
    onGalleryDone(e);
  } else if (e.run === state.run) {
    // Its last image stays; a run stopped while it waited for a place leaves no waiting line.
    state.run = null;
    state.watched = null;
    $('queue').textContent = '';
    offerStop();
    status(ended('run', e), e.reason === 'failed');
  } else {
    return;
  }
  send({ op: 'list' });
}

/**
 * "run stopped after 12 steps", "gallery failed after 3 steps: why", "run completed after 200 steps at 143 steps/s"
 * (the pace the server gave it: `seconds` is its time on the device).
 */
function ended(what, e) {
  const pace = e.reason === 'completed' && e.seconds > 0 ? ` at ${Math.round(e.steps / e.seconds)} steps/s` : '';
  return `${what} ${e.reason} after ${e.steps} step${e.steps === 1 ? '' : 's'}${pace}` + (e.message ? ': ' + e.message : '');
}

/**
 * A run the page left ends: for a gallery page left for another, the status line says which page went (its done
 * judges nothing); nothing for others.
 */
function showLeftDone(words) {
  if (words == null) return;
  const showing = state.gallery ? galleryPageWords() : null;
  status(showing === words ? `an earlier rendering of ${words} stopped; rendering them again`
    : `${words} left` + (showing ? `; showing ${showing}` : ''));
}

/** The gallery's page ended, completed or stopped: its tiles get their marks, the status line the verdicts. */
function onGalleryDone(e) {
  state.galleryRun = null;
  offerStop();
  showGalleryProgress(state.gallery.step);
  for (const f of e.dead || []) state.tiles.get(f)?.classList.add('dead');
  // What the marks mean, in the words of gallery's PNG legend (GET /api/params).
  const legend = schema.legend;
  // A flat tile that is its filter's truth is an answer, not a failure: say so under it (as gallery's PNG does).
  for (const f of e.flat || []) {
    const figure = state.tiles.get(f);
    if (!figure) continue;
    figure.classList.add('flat');
    figure.querySelector('figcaption').textContent = f + ' ' + legend.flatMark;
    figure.querySelector('button').title = `filter ${f}: ${legend.flatTruth}`;
  }
  // A filter that answers a flat colour more than any example picture: its tile is a picture like the data, so the
  // colour it prefers is shown beside the caption, with both scores, rather than as the tile.
  for (const p of e.prefersFlat || []) {
    const figure = state.tiles.get(p.filter);
    if (!figure) continue;
    const swatch = el('span', null, { class: 'swatch' });
    swatch.style.background = p.colour;
    const caption = figure.querySelector('figcaption');
    caption.prepend(swatch);
    const says = `prefers flat ${p.colour}, scores ${p.flat.toFixed(3)} vs tile ${p.tile.toFixed(3)}`;
    caption.title = says;
    figure.querySelector('button').title = `filter ${p.filter}: ${says}`;
  }
  status(ended('gallery', e)
    + ((e.dead || []).length ? `; dead ${state.galleryOf}: ${e.dead.join(', ')}` : `; no dead ${state.galleryOf}`)
    + ((e.flat || []).length ? `; ${legend.flatMark}: ${legend.flatTruth}` : '')
    + ((e.prefersFlat || []).length ? `; ${legend.prefersFlat}; hover for the scores` : ''), e.reason === 'failed');
}

// Frames can arrive far faster than a screen refreshes (hundreds per second on small models), so a
// frame only records its numbers; the newest image of each run or tile is drawn once per animation frame.
const latest = { live: null, tiles: new Map(), galleryStep: null };
let paintScheduled = false;

/** The live run's kept frames (step and image blob), for the timeline; bounded by MAX_KEPT_FRAMES. */
const replay = { frames: [], stride: 1, following: true, timer: null };
/** (time, step) samples of the last two seconds, for a steps/s readout that a burst of frames cannot inflate. */
const rate = { samples: [] };

function onFrame(data) {
  const length = new DataView(data).getUint32(0);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, length)));
  const frame = { header, image: new Uint8Array(data, 4 + length) };
  if (header.run === state.galleryRun) {
    latest.tiles.set(header.filter, frame);
    latest.galleryStep = header.step;
  } else if (header.run === state.run) {
    if (header.index !== 0) return;
    latest.live = frame;
    state.losses.push(header.loss);
    keep(header, frame.image);
    const now = performance.now();
    rate.samples.push([now, header.step]);
    while (rate.samples.length > 2 && now - rate.samples[0][0] > 2000) rate.samples.shift();
  } else {
    return;
  }
  if (!paintScheduled) {
    paintScheduled = true;
    requestAnimationFrame(paint);
  }
}

function keep(header, image) {
  if (header.step !== 1 && !header.last && header.step % replay.stride !== 0) return;
  replay.frames.push({ step: header.step, loss: header.loss, blob: new Blob([image], { type: header.mime }) });
  if (replay.frames.length > MAX_KEPT_FRAMES) {
    const last = replay.frames.length - 1;
    replay.frames = replay.frames.filter((f, i) => i % 2 === 0 || i === last);
    replay.stride *= 2;
  }
}

function showImage(img, frame) {
  showBlob(img, new Blob([frame.image], { type: frame.header.mime }));
}

function showBlob(img, blob) {
  const old = img.src;
  img.src = URL.createObjectURL(blob);
  if (old.startsWith('blob:')) URL.revokeObjectURL(old);
  img.hidden = false;
  if (img.id === 'live-image') $('live-placeholder').hidden = true;
}

function paint() {
  paintScheduled = false;
  for (const [filter, frame] of latest.tiles) {
    const img = state.tiles.get(filter)?.querySelector('img');
    if (img) showImage(img, frame);
  }
  latest.tiles.clear();
  if (latest.galleryStep != null) {
    showGalleryProgress(latest.galleryStep);
    moveRunLine(state.galleryRun, latest.galleryStep);
    latest.galleryStep = null;
  }
  const frame = latest.live;
  if (!frame) return;
  latest.live = null;
  moveRunLine(state.run, frame.header.step);
  updateTimeline();
  if (!replay.following) return;
  showImage($('live-image'), frame);
  $('step').textContent = frame.header.step;
  $('loss').textContent = frame.header.loss == null ? '-' : frame.header.loss.toFixed(4);
  const s = rate.samples;
  if (s.length > 1) {
    const seconds = (s[s.length - 1][0] - s[0][0]) / 1000;
    // Under a quarter second of frames says nothing about the rate yet.
    if (seconds >= 0.25) $('rate').textContent = ((s[s.length - 1][1] - s[0][1]) / seconds).toFixed(1);
  }
  drawLosses();
}

// --- the timeline: scrub back over a run's kept frames, replay them, export them ---

function updateTimeline() {
  const n = replay.frames.length;
  const scrubber = $('scrubber');
  scrubber.max = Math.max(0, n - 1);
  scrubber.disabled = n < 2;
  if (replay.following) scrubber.value = scrubber.max;
  $('replay').disabled = n < 2;
  $('follow').disabled = replay.following;
  $('save-png').disabled = n === 0;
  const exportable = state.shownRun && n > 0;
  const link = $('export-gif');
  link.classList.toggle('disabled', !exportable);
  link.setAttribute('aria-disabled', String(!exportable));
  if (exportable) {
    link.href = `/api/runs/${encodeURIComponent(state.shownRun)}/animation?format=gif`
      + (token ? '&token=' + encodeURIComponent(token) : '');
    link.download = state.shownRun + '.gif';
  }
  const shown = replay.frames[Number(scrubber.value)];
  $('scrub-step').textContent = shown ? `step ${shown.step} (${n} kept)` : '';
}

function showKept(index) {
  const f = replay.frames[index];
  if (!f) return;
  $('scrubber').value = index;
  showBlob($('live-image'), f.blob);
  $('step').textContent = f.step;
  $('loss').textContent = f.loss == null ? '-' : f.loss.toFixed(4);
  $('scrub-step').textContent = `step ${f.step} (${replay.frames.length} kept)`;
}

function scrubTo(index) {
  stopReplay();
  replay.following = index >= replay.frames.length - 1;
  $('follow').disabled = replay.following;
  showKept(index);
}

function startReplay() {
  stopReplay();
  replay.following = false;
  $('follow').disabled = false;
  let i = 0;
  const next = () => {
    showKept(i);
    i += 1;
    if (i >= replay.frames.length) { replay.timer = null; return; }
    const frames = Number($('pace').value) || 30;
    replay.timer = setTimeout(next, 1000 / frames);
  };
  next();
}

function stopReplay() {
  clearTimeout(replay.timer);
  replay.timer = null;
}

function follow() {
  stopReplay();
  replay.following = true;
  if (replay.frames.length) showKept(replay.frames.length - 1);
  updateTimeline();
}

/**
 * The PNG keyword under which a saved image carries its run's start message, as the command line's PNGs carry their
 * command; `rerun F.png` renders it again (cli/RerunCommand.java).
 */
const SETTINGS_KEY = 'filterscope:start';

/**
 * The image shown at the timeline's step, as PNG (re-encoded when it came as JPEG), with the run's start message
 * (and that step) in an iTXt chunk, so the picture records how it was made.
 */
async function shownPng() {
  const f = replay.frames[Number($('scrubber').value)];
  if (!f) return null;
  const bitmap = await createImageBitmap(f.blob);
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d').drawImage(bitmap, 0, 0);
  let png = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (state.runSettings) {
    const settings = Object.assign({}, state.runSettings, { step: f.step, op: undefined, tag: undefined });
    png = await withText(png, SETTINGS_KEY, JSON.stringify(settings));
  }
  return { png, name: `${state.shownRun || 'run'}-step${f.step}.png` };
}

async function savePng() {
  const shown = await shownPng();
  if (shown) download(shown.png, shown.name);
}

/** CRC-32 as PNG chunks use it (ISO 3309), one table entry per byte value. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The PNG with an uncompressed UTF-8 iTXt chunk keyword = text right after its IHDR chunk (PNG spec 11.3.4.5). */
async function withText(png, keyword, text) {
  const bytes = new Uint8Array(await png.arrayBuffer());
  const utf8 = new TextEncoder();
  const key = utf8.encode(keyword);
  const value = utf8.encode(text);
  // keyword, NUL, compression flag and method (0, 0), empty language tag and translated keyword (NUL, NUL)
  const data = new Uint8Array(key.length + 5 + value.length);
  data.set(key, 0);
  data.set(value, key.length + 5);
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(utf8.encode('iTXt'), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const afterHeader = 8 + 25; // the signature, then IHDR: length, type, 13 bytes, CRC
  return new Blob([bytes.subarray(0, afterHeader), chunk, bytes.subarray(afterHeader)], { type: 'image/png' });
}

function download(blob, name) {
  const a = el('a', null, { download: name });
  a.href = URL.createObjectURL(blob);
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

/** The objective per step; the x axis spans the steps seen so far (so a long run never squashes into a line). */
function drawLosses() {
  const canvas = $('loss-chart');
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  const log = $('log-scale').checked;
  const all = state.losses.map((v, i) => [i + 1, v]).filter(([, v]) => v != null && (!log || v > 0));
  const left = 52;
  const bottom = canvas.height - 28;
  g.fillStyle = '#8a9099';
  g.font = '12px system-ui, sans-serif';
  g.fillText('step', canvas.width - 34, canvas.height - 4);
  g.save();
  g.translate(12, bottom / 2 + 30);
  g.rotate(-Math.PI / 2);
  g.fillText(log ? 'objective (log)' : 'objective', 0, 0);
  g.restore();
  g.strokeStyle = '#444';
  g.beginPath();
  g.moveTo(left, 4);
  g.lineTo(left, bottom);
  g.lineTo(canvas.width - 4, bottom);
  g.stroke();
  if (all.length < 2) return;
  const width = canvas.width - left - 8;
  // At most one point per pixel column, whatever the number of steps.
  const every = Math.max(1, Math.ceil(all.length / width));
  const points = all.filter((p, i) => i % every === 0 || i === all.length - 1);
  const f = log ? Math.log10 : (v) => v;
  const ys = points.map(([, v]) => f(v));
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  const lastStep = points[points.length - 1][0];
  g.strokeStyle = '#6cf';
  g.beginPath();
  points.forEach(([step], i) => {
    const x = left + ((step - 1) / Math.max(1, lastStep - 1)) * width;
    const y = bottom - 4 - ((ys[i] - min) / (max - min || 1)) * (bottom - 12);
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.stroke();
  g.fillStyle = '#8a9099';
  const label = (v) => (log ? '1e' + v.toFixed(1) : Math.abs(v) >= 1000 ? v.toExponential(1) : v.toFixed(2));
  g.fillText(label(max), 2, 14);
  g.fillText(label(min), 2, bottom);
  g.fillText('1', left, canvas.height - 10);
  g.fillText(String(lastStep), canvas.width - 40 - String(lastStep).length * 6, canvas.height - 10);
}

function showRuns(runs) {
  const list = $('runs');
  list.replaceChildren();
  state.runLines.clear();
  if (!runs.length) list.appendChild(el('li', 'no runs', { class: 'muted' }));
  for (const r of runs) {
    const li = el('li');
    const note = r.run === ownRun() || r.run === state.galleryRun ? 'yours' : r.run === state.watched ? 'watching' : null;
    const button = el('button', 'watch', { type: 'button', title: 'Show this run live on your page, and what it draws in the controls' });
    button.disabled = note != null;
    button.addEventListener('click', () => watch(r));
    const line = document.createTextNode(runLine(r, note));
    li.append(button, line);
    list.appendChild(li);
    state.runLines.set(r.run, { r, line, note });
  }
}

/** A run as listed, with `note` ("yours", "watching") when it is one the page shows. */
function runLine(r, note) {
  return ` ${r.run} · ${r.model} · ${objectiveLabel(r.objective)} · ${r.state} · step ${r.step}/${r.steps}${note ? ' · ' + note : ''}`;
}

/** A run the page shows moves on in the list with its frames (the list is asked again only when a run starts or ends). */
function moveRunLine(run, step) {
  const listed = state.runLines.get(run);
  if (!listed) return;
  listed.r.step = step;
  listed.r.state = 'running';
  listed.line.textContent = runLine(listed.r, listed.note);
}

/** A start message's objective in a few words: "conv3 · filter 7", "class 2", "deepdream · conv5", "conv2 · 32 filters"... */
function objectiveLabel(o) {
  const count = o.filters ? o.filters.length + (o.type === 'class' ? ' classes' : ' filters') : null;
  const which = o.index != null ? 'class ' + o.index : o.filter != null ? 'filter ' + o.filter : count;
  return [o.type === 'channel' || o.type === 'class' ? null : o.type, o.layer, which].filter((part) => part != null).join(' · ');
}

/**
 * Shows another client's run live: its frames on the live image, its model, objective, layer and filter in the
 * controls. The run shown before is left first (stopped if the page's own, unwatched if watched).
 */
async function watch(r) {
  if (r.model !== (state.model && state.model.id)) {
    $('model').value = r.model;
    if (!(await pickModel(r.model))) return;
  }
  leaveLive('watching…');
  state.run = r.run;
  state.watched = r.run;
  state.shownRun = r.run;
  $('run-id').textContent = r.run;
  $('step-total').textContent = r.steps;
  send({ op: 'watch', run: r.run, tag: 'watch' });
  status(`watching run ${r.run}` + (showObjective(r.objective) ? ''
    : `: its objective (${objectiveLabel(r.objective)}) has no control on this page`));
}

/** Sets the controls to objective `o` (a run's, as listed); false if the page has no control for its type. */
function showObjective(o) {
  if (![...$('objective').options].some((option) => option.value === o.type)) return false;
  $('objective').value = o.type;
  onObjectiveChange();
  const layer = state.model.layers.find((l) => l.name === o.layer || l.alias === o.layer);
  // The same layer keeps the gallery shown (a new one stops it).
  if (layer && layer.name !== $('layer').value) {
    $('layer').value = layer.name;
    onLayerChange();
  }
  // A gallery's frames on the live image are its first filter's (or class's).
  const index = [o.type === 'class' ? o.index : o.filter, ...(o.filters || [])].find((i) => i != null);
  if (index != null) $(o.type === 'class' ? 'class' : 'filter').value = index;
  return true;
}

// --- activation maps ---

async function showMaps() {
  const layer = currentLayer();
  if (layer.outputShape.length !== 3) { status('pick a convolutional layer to see its maps', true); return; }
  const mine = ++asked.maps;
  const form = new FormData();
  form.append('image', state.uploaded);
  status('computing activation maps…');
  try {
    // Every channel's map in one answer: a request a channel (161 for emoji-cnn's conv5) ran into the rate limit
    // of an address that two pages share.
    const result = await api(`/api/models/${state.model.id}/activations?layer=${encodeURIComponent(layer.name)}&maps=png`,
      { method: 'POST', body: form });
    if (mine !== asked.maps) return;
    const grid = $('maps');
    grid.replaceChildren();
    $('channel-detail').hidden = true;
    for (const c of result.channels) {
      grid.appendChild(tile(`channel ${c.index}, mean ${c.mean.toFixed(3)}`, String(c.index), () => showChannel(c.index, c.map), c.map));
    }
    status(`${result.channels.length} maps of ${layer.name}, strongest first`);
  } catch (err) {
    if (mine !== asked.maps) return;
    $('maps').replaceChildren();
    status(err.message, true);
  }
}

/** One channel of the maps shown: its map (the grid's, already fetched) large, and the example images it fires on most. */
async function showChannel(index, map) {
  state.channel = index;
  const mine = ++asked.channel;
  const layer = currentLayer();
  $('channel-detail').hidden = false;
  $('channel-index').textContent = index;
  $('channel-map').src = map;
  try {
    const ex = await api(`/api/models/${state.model.id}/examples?layer=${encodeURIComponent(layer.name)}&filter=${index}&n=9`);
    if (mine !== asked.channel) return;
    const box = $('channel-examples');
    box.replaceChildren();
    for (const e of ex.examples) {
      const figure = el('figure');
      figure.append(el('img', null, { src: e.image, alt: `example ${e.index}: ${e.label}`, title: e.label }), el('figcaption', e.label));
      box.appendChild(figure);
    }
  } catch (err) {
    if (mine === asked.channel) status(err.message, true);
  }
}

/** A few of the model's example images, any of which can stand in for an upload. */
async function showExamplePicker() {
  const layer = state.model.layers[0];
  try {
    const ex = await api(`/api/models/${state.model.id}/examples?layer=${encodeURIComponent(layer.name)}&filter=0&n=12`);
    const box = $('example-picker');
    box.replaceChildren();
    for (const e of ex.examples) {
      box.appendChild(tile(`use example ${e.index} (${e.label})`, e.label, async () => {
        $('upload').value = ''; // the file field no longer names what is shown
        useImage(await (await fetch(e.image)).blob());
      }, e.image));
    }
  } catch (err) {
    status(err.message, true);
  }
}

// --- what the model predicts and why ---

/**
 * An uploaded or picked image: its predictions and attribution, and its activation maps. Nothing of the image before
 * stays meanwhile: a file the server refuses leaves its error alone, not the previous image's results beside its name.
 */
function useImage(blob) {
  state.uploaded = blob;
  asked.channel += 1;
  $('explain').hidden = true;
  $('predictions').replaceChildren();
  $('maps').replaceChildren();
  $('channel-detail').hidden = true;
  showBlob($('uploaded-view'), blob);
  $('attr-class').replaceChildren();
  explain();
  showMaps();
}

async function explain() {
  if (!state.uploaded || !hasClassOutput(state.model)) return;
  const mine = ++asked.explain;
  const form = new FormData();
  form.append('image', state.uploaded);
  const query = new URLSearchParams({ method: $('attr-method').value });
  if ($('attr-class').value !== '') query.set('class', $('attr-class').value);
  if ($('attr-method').value === 'gradcam' && $('attr-layer').value) query.set('layer', $('attr-layer').value);
  $('attr-layer').disabled = $('attr-method').value !== 'gradcam';
  try {
    const r = await api(`/api/models/${encodeURIComponent(state.model.id)}/attribution?${query}`, { method: 'POST', body: form });
    if (mine !== asked.explain) return;
    $('explain').hidden = false;
    $('input-view').src = r.input;
    $('attr-input').src = r.input;
    $('attr-heat').src = r.heatmap;
    $('attr-heat').style.opacity = $('attr-opacity').value;
    $('attr-caption').textContent = `why "${r.label}" (${$('attr-method').selectedOptions[0].textContent}${r.layer ? ', ' + r.layer : ''})`;
    const list = $('predictions');
    list.replaceChildren();
    for (const p of r.predictions) {
      const li = el('li', null, { title: `class ${p.class}` });
      const bar = el('span', null, { class: 'bar' });
      bar.style.width = (100 * p.probability).toFixed(1) + '%';
      li.append(el('span', p.label, { class: 'label' }), el('span', (100 * p.probability).toFixed(1) + '%'), bar);
      list.appendChild(li);
    }
    const classes = $('attr-class');
    if (!classes.options.length) {
      const names = state.model.classes || [];
      const count = state.model.layers[state.model.layers.length - 1].channels;
      for (let k = 0; k < count; k++) classes.add(new Option(names[k] != null ? `${k}: ${names[k]}` : String(k), k));
    }
    classes.value = r.class;
  } catch (err) {
    if (mine === asked.explain) status(err.message, true);
  }
}

// --- presentation ---

function togglePresenting() {
  document.body.classList.toggle('presenting');
  $('present').textContent = document.body.classList.contains('presenting') ? 'Leave presentation' : 'Present';
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen().catch((e) => status('full screen refused: ' + e.message, true));
}

// --- wiring ---

function wire() {
  $('preset').addEventListener('change', () => usePreset($('preset').value));
  $('model').addEventListener('change', () => pickModel($('model').value));
  $('layer').addEventListener('change', onLayerChange);
  $('objective').addEventListener('change', onObjectiveChange);
  $('start').addEventListener('click', start);
  $('stop').addEventListener('click', stopOwnRuns);
  $('gallery').addEventListener('click', startGallery);
  $('gallery-previous').addEventListener('click', () => turnGalleryPage(-1));
  $('gallery-next').addEventListener('click', () => turnGalleryPage(1));
  $('class-gallery').addEventListener('click', startClassGallery);
  $('refresh-runs').addEventListener('click', () => send({ op: 'list' }));
  $('upload').addEventListener('change', () => {
    if ($('upload').files[0]) useImage($('upload').files[0]);
  });
  $('pace').addEventListener('input', () => {
    showPace();
    if (ownRun()) send({ op: 'update', run: ownRun(), pace: Number($('pace').value) });
  });
  $('scrubber').addEventListener('input', () => scrubTo(Number($('scrubber').value)));
  $('replay').addEventListener('click', startReplay);
  $('follow').addEventListener('click', follow);
  $('save-png').addEventListener('click', savePng);
  $('log-scale').addEventListener('change', drawLosses);
  $('attr-method').addEventListener('change', explain);
  $('attr-class').addEventListener('change', explain);
  $('attr-layer').addEventListener('change', explain);
  $('attr-opacity').addEventListener('input', () => { $('attr-heat').style.opacity = $('attr-opacity').value; });
  $('present').addEventListener('click', togglePresenting);
  $('fullscreen').addEventListener('click', toggleFullscreen);
  document.addEventListener('keydown', (e) => {
    if ((e.target.closest && e.target.closest('input, select, textarea')) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'p' || e.key === 'P') togglePresenting();
    else if (e.key === 'f' || e.key === 'F') toggleFullscreen();
  });
  $('show-examples').addEventListener('click', showExamplePicker);
  $('visualize-channel').addEventListener('click', () => state.channel != null && pickFilter(state.channel));
}

wire();
drawLosses();
connect().then(() => send({ op: 'list' }));
loadSchema().then(loadModels).catch((e) => status(e.message, true));
