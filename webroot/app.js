// FilterScope explorer page: talks to the server's JSON API and its WebSocket (see docs/protocol.md).
'use strict';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token');

/** The settings schema (GET /api/params): presets, every param with its bounds and slider, the run fields. */
let schema = null;

const state = {
  model: null, socket: null, run: null, galleryRun: null, steps: 0,
  losses: [], started: 0, framesAt: [], tiles: new Map(), uploaded: null, channel: null, queue: [], viewPreset: null,
};

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
  if (!response.ok) throw new Error(body.error ? body.error.message : 'HTTP ' + response.status);
  return body;
}

// --- models and layers ---

async function loadModels() {
  const models = await api('/api/models');
  const select = $('model');
  select.innerHTML = '';
  for (const m of models) {
    const option = new Option(m.id + (m.available ? '' : ' (unavailable)'), m.id);
    option.disabled = !m.available;
    option.title = m.available ? m.description || '' : m.error;
    select.add(option);
  }
  const first = models.find((m) => m.available);
  if (!first) { status('no usable models in the models directory', true); return; }
  select.value = first.id;
  await loadModel(first.id);
}

async function loadModel(id) {
  const model = await api('/api/models/' + encodeURIComponent(id));
  state.model = model;
  $('model-note').textContent = (model.description || '') + ' · input ' + model.inputShape.join('x')
    + (model.defaults ? ` · no ${model.id}.json: defaults in use` : '');
  $('size').value = model.inputShape[1];
  const layers = $('layer');
  layers.innerHTML = '';
  for (const l of model.layers) {
    layers.add(new Option(`${l.name}${l.alias ? ' (' + l.alias + ')' : ''} · ${l.channels} ch · ${l.outputShape.join('x')}`, l.name));
  }
  // The model's own first picture when its metadata names one, else its second convolution's first filter.
  const view = model.defaultView;
  const convs = model.layers.filter((l) => l.outputShape.length === 3 && l.kind.includes('conv'));
  if (view) layers.value = view.layer;
  else if (convs.length) layers.value = convs[Math.min(1, convs.length - 1)].name;
  $('filter').value = view ? view.filter : 0;
  // A preset the last model's view chose gives way to the objective's default when this model names none.
  const preset = view && view.preset;
  const type = $('objective').value;
  if (preset && type === 'channel') usePreset(preset);
  else if (state.viewPreset && $('preset').value === state.viewPreset) usePreset(schema.defaultPreset[type]);
  state.viewPreset = preset;
  const classes = $('class');
  classes.innerHTML = '';
  (model.classes || []).forEach((c, i) => classes.add(new Option(`${i}: ${c}`, i)));
  onLayerChange();
}

function currentLayer() {
  return state.model.layers.find((l) => l.name === $('layer').value);
}

function onLayerChange() {
  const layer = currentLayer();
  $('filter').max = layer.channels - 1;
  if (+$('filter').value >= layer.channels) $('filter').value = 0;
  $('gallery-grid').innerHTML = '';
  state.tiles.clear();
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
    input.min = field.min;
    input.max = field.max;
    input.title = field.help;
    if (field.default != null) input.value = field.default;
  }
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
  const range = p.slider ? `; usual range ${p.slider.min}-${p.slider.max}` : '';
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
    if (state.run) send({ op: 'update', run: state.run, params: params(true) });
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

function start() {
  if (state.run) send({ op: 'stop', run: state.run });
  state.losses = [];
  state.framesAt = [];
  state.steps = Number($('steps').value);
  $('step-total').textContent = state.steps;
  send({ op: 'start', model: state.model.id, objective: objectiveSpec(), size: Number($('size').value),
    steps: state.steps, seed: Number($('seed').value), preset: $('preset').value, params: params(false), tag: 'live' });
  status('starting…');
}

function startGallery() {
  const layer = currentLayer();
  if (layer.outputShape.length !== 3) { status('pick a convolutional layer for a gallery', true); return; }
  if (state.galleryRun) send({ op: 'stop', run: state.galleryRun });
  const filters = [...Array(layer.channels).keys()];
  const grid = $('gallery-grid');
  grid.innerHTML = '';
  state.tiles.clear();
  for (const f of filters) {
    const figure = document.createElement('figure');
    figure.innerHTML = `<button class="tile" type="button" aria-label="filter ${f}"><img alt="filter ${f}"></button><figcaption>${f}</figcaption>`;
    figure.querySelector('button').addEventListener('click', () => pickFilter(f));
    grid.appendChild(figure);
    state.tiles.set(f, figure);
  }
  send({ op: 'start', model: state.model.id, objective: { type: 'channel', layer: layer.name, filters },
    size: Number($('size').value), steps: schema.gallerySteps, seed: Number($('seed').value), preset: $('preset').value,
    params: params(false), tag: 'gallery' });
  status('rendering the gallery of ' + layer.name + '…');
}

function pickFilter(f) {
  $('objective').value = 'channel';
  onObjectiveChange();
  $('filter').value = f;
  for (const [k, fig] of state.tiles) fig.querySelector('button').classList.toggle('selected', k === f);
  start();
}

function onEvent(e) {
  if (e.type === 'error') { status(e.message, true); return; }
  if (e.type === 'queued') {
    rememberRun(e);
    $('queue').textContent = `waiting: position ${e.position} in the queue`;
    status(`run ${e.run} is queued at position ${e.position}`);
  } else if (e.type === 'started') {
    rememberRun(e);
    $('queue').textContent = '';
    if (e.tag !== 'gallery') state.started = performance.now();
    status(`run ${e.run} started`);
  } else if (e.type === 'updated') {
    status(`params applied from step ${e.step}`);
  } else if (e.type === 'done') {
    onDone(e);
  } else if (e.type === 'runs') {
    showRuns(e.runs);
  } else if (e.type === 'watching') {
    state.run = e.run;
    $('run-id').textContent = e.run;
    $('stop').disabled = true;
    status(`watching run ${e.run}`);
  }
}

function rememberRun(e) {
  if (e.tag === 'gallery') { state.galleryRun = e.run; return; }
  state.run = e.run;
  $('run-id').textContent = e.run;
  $('stop').disabled = false;
}

function onDone(e) {
  if (e.run === state.galleryRun) {
    state.galleryRun = null;
    for (const f of e.dead || []) state.tiles.get(f)?.classList.add('dead');
    status(`gallery ${e.reason}` + ((e.dead || []).length ? `; dead filters: ${e.dead.join(', ')}` : '; no dead filters'));
    return;
  }
  if (e.run === state.run) {
    $('stop').disabled = true;
    state.run = null;
    status(`run ${e.reason} after ${e.steps} steps` + (e.message ? ': ' + e.message : ''), e.reason === 'failed');
  }
}

// Frames can arrive far faster than a screen refreshes (hundreds per second on small models), so a
// frame only records its numbers; the newest image of each run or tile is drawn once per animation frame.
const latest = { live: null, tiles: new Map() };
let paintScheduled = false;

function onFrame(data) {
  const length = new DataView(data).getUint32(0);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, length)));
  const frame = { header, image: new Uint8Array(data, 4 + length) };
  if (header.run === state.galleryRun) {
    latest.tiles.set(header.filter, frame);
  } else if (header.run === state.run) {
    latest.live = frame;
    state.losses.push(header.loss);
    const now = performance.now();
    state.framesAt.push(now);
    while (state.framesAt.length > 60) state.framesAt.shift();
  } else {
    return;
  }
  if (!paintScheduled) {
    paintScheduled = true;
    requestAnimationFrame(paint);
  }
}

function showImage(img, frame) {
  const old = img.src;
  img.src = URL.createObjectURL(new Blob([frame.image], { type: frame.header.mime }));
  if (old.startsWith('blob:')) URL.revokeObjectURL(old);
}

function paint() {
  paintScheduled = false;
  for (const [filter, frame] of latest.tiles) {
    const img = state.tiles.get(filter)?.querySelector('img');
    if (img) showImage(img, frame);
  }
  latest.tiles.clear();
  const frame = latest.live;
  if (!frame) return;
  latest.live = null;
  showImage($('live-image'), frame);
  $('step').textContent = frame.header.step;
  $('loss').textContent = frame.header.loss == null ? '-' : frame.header.loss.toFixed(4);
  const times = state.framesAt;
  if (times.length > 1) {
    const seconds = (times[times.length - 1] - times[0]) / 1000;
    $('rate').textContent = seconds > 0 ? ((times.length - 1) / seconds).toFixed(1) : '0';
  }
  drawLosses();
}

function drawLosses() {
  const canvas = $('loss-chart');
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  const all = state.losses.filter((v) => v != null);
  if (all.length < 2) return;
  // At most one point per pixel column, whatever the number of steps.
  const every = Math.max(1, Math.ceil(all.length / canvas.width));
  const values = all.filter((v, i) => i % every === 0);
  const min = values.reduce((a, b) => Math.min(a, b));
  const max = values.reduce((a, b) => Math.max(a, b));
  g.strokeStyle = '#6cf';
  g.beginPath();
  values.forEach((v, i) => {
    const x = ((i * every) / Math.max(1, state.steps - 1)) * (canvas.width - 4) + 2;
    const y = canvas.height - 4 - ((v - min) / (max - min || 1)) * (canvas.height - 8);
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.stroke();
  g.fillStyle = '#8a9099';
  g.fillText(max.toFixed(3), 4, 12);
  g.fillText(min.toFixed(3), 4, canvas.height - 4);
}

function showRuns(runs) {
  const list = $('runs');
  list.innerHTML = '';
  if (!runs.length) list.innerHTML = '<li class="muted">no runs</li>';
  for (const r of runs) {
    const li = document.createElement('li');
    li.innerHTML = `<button type="button">watch</button> ${r.run} · ${r.model} · ${r.state} · step ${r.step}/${r.steps}`;
    li.querySelector('button').addEventListener('click', () => {
      state.losses = [];
      state.steps = r.steps;
      $('step-total').textContent = r.steps;
      send({ op: 'watch', run: r.run });
    });
    list.appendChild(li);
  }
}

// --- activation maps ---

async function showMaps() {
  const layer = currentLayer();
  if (layer.outputShape.length !== 3) { status('pick a convolutional layer to see its maps', true); return; }
  const form = new FormData();
  form.append('image', state.uploaded);
  status('computing activation maps…');
  try {
    const result = await api(`/api/models/${state.model.id}/activations?layer=${encodeURIComponent(layer.name)}`,
      { method: 'POST', body: form });
    const grid = $('maps');
    grid.innerHTML = '';
    const detailTile = (c) => {
      const figure = document.createElement('figure');
      figure.innerHTML = `<button class="tile" type="button" aria-label="channel ${c.index}, mean ${c.mean.toFixed(3)}">
        <img alt="map of channel ${c.index}"></button><figcaption>${c.index}</figcaption>`;
      figure.querySelector('button').addEventListener('click', () => showChannel(c.index));
      return figure;
    };
    for (const c of result.channels) grid.appendChild(detailTile(c));
    // Each tile shows its own map; fetch them in order of strength.
    for (const c of result.channels) {
      const blob = await api(`/api/models/${state.model.id}/activations?layer=${encodeURIComponent(layer.name)}&channel=${c.index}&format=png`,
        { method: 'POST', body: form });
      const img = grid.querySelector(`[aria-label^="channel ${c.index},"] img`);
      if (img) img.src = URL.createObjectURL(blob);
    }
    status(`${result.channels.length} maps of ${layer.name}, strongest first`);
  } catch (err) {
    status(err.message, true);
  }
}

async function showChannel(index) {
  state.channel = index;
  const layer = currentLayer();
  $('channel-detail').hidden = false;
  $('channel-index').textContent = index;
  const form = new FormData();
  form.append('image', state.uploaded);
  try {
    const blob = await api(`/api/models/${state.model.id}/activations?layer=${encodeURIComponent(layer.name)}&channel=${index}&format=png`,
      { method: 'POST', body: form });
    $('channel-map').src = URL.createObjectURL(blob);
    const ex = await api(`/api/models/${state.model.id}/examples?layer=${encodeURIComponent(layer.name)}&filter=${index}&n=9`);
    const box = $('channel-examples');
    box.innerHTML = '';
    for (const e of ex.examples) {
      const figure = document.createElement('figure');
      figure.innerHTML = `<img src="${e.image}" alt="example ${e.index}: ${e.label}"><figcaption>${e.label}</figcaption>`;
      box.appendChild(figure);
    }
  } catch (err) {
    status(err.message, true);
  }
}

/** A few of the model's example images, any of which can stand in for an upload. */
async function showExamplePicker() {
  const layer = state.model.layers[0];
  try {
    const ex = await api(`/api/models/${state.model.id}/examples?layer=${encodeURIComponent(layer.name)}&filter=0&n=12`);
    const box = $('example-picker');
    box.innerHTML = '';
    for (const e of ex.examples) {
      const figure = document.createElement('figure');
      figure.innerHTML = `<button class="tile" type="button" aria-label="use example ${e.index} (${e.label})">
        <img src="${e.image}" alt=""></button><figcaption>${e.label}</figcaption>`;
      figure.querySelector('button').addEventListener('click', async () => {
        state.uploaded = await (await fetch(e.image)).blob();
        showMaps();
      });
      box.appendChild(figure);
    }
  } catch (err) {
    status(err.message, true);
  }
}

// --- wiring ---

function wire() {
  $('preset').addEventListener('change', () => usePreset($('preset').value));
  $('model').addEventListener('change', () => loadModel($('model').value).catch((e) => status(e.message, true)));
  $('layer').addEventListener('change', onLayerChange);
  $('objective').addEventListener('change', onObjectiveChange);
  $('start').addEventListener('click', start);
  $('stop').addEventListener('click', () => state.run && send({ op: 'stop', run: state.run }));
  $('gallery').addEventListener('click', startGallery);
  $('refresh-runs').addEventListener('click', () => send({ op: 'list' }));
  $('upload').addEventListener('change', () => {
    state.uploaded = $('upload').files[0];
    if (state.uploaded) showMaps();
  });
  $('show-examples').addEventListener('click', showExamplePicker);
  $('visualize-channel').addEventListener('click', () => state.channel != null && pickFilter(state.channel));
}

wire();
connect().then(() => send({ op: 'list' }));
loadSchema().then(loadModels).catch((e) => status(e.message, true));
