// The LlamaSteer chat page: talks to /hub/chat over SignalR with the MessagePack protocol (scripts served by the host).
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const state = {
    conn: null, setup: null, generationId: null, running: false, conversation: [],
    tokens: { steered: [], plain: [] }, termsByRevision: {}, planTimer: null, pendingPlan: false,
  };

  const showError = (message) => { const e = $('error'); e.textContent = message; e.hidden = false; };
  const clearError = () => { const e = $('error'); e.textContent = ''; e.hidden = true; };
  const setStatus = (text) => { $('status').textContent = text; document.body.dataset.status = text; };
  // A HubException reaches the client inside SignalR's own sentence; show the server's message alone.
  const errorText = (e) => {
    const m = String((e && e.message) || e);
    const i = m.indexOf('HubException: ');
    return i >= 0 ? m.slice(i + 'HubException: '.length) : m;
  };

  function apiKey() { return sessionStorage.getItem('llamasteer-key') || ''; }

  async function connect() {
    const key = apiKey();
    const conn = new signalR.HubConnectionBuilder()
      .withUrl('/hub/chat', key ? { accessTokenFactory: () => key } : {})
      .withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol())
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    conn.onclose((e) => { setStatus('disconnected'); if (e) showError(errorText(e)); });
    try {
      await conn.start();
      state.setup = await conn.invoke('Describe');
    } catch (e) {
      const why = errorText(e);
      conn.stop().catch(() => {});
      setStatus('disconnected');
      if (/loading/i.test(why)) { showError(why); setTimeout(connect, 2000); return; }
      // Otherwise most often a server started with --api-key-file: ask for a key.
      $('keyRow').hidden = false;
      showError('Cannot connect to the chat hub: ' + why);
      return;
    }
    state.conn = conn;
    renderSetup(state.setup);
    setStatus('ready');
  }

  function renderSetup(setup) {
    $('model').textContent = `${setup.model} · ${setup.chat ? 'chat template' : 'base model: plain completion'} · ${setup.layerCount} layers`;
    $('maxTokens').max = setup.maxTokens;
    const box = $('vectors');
    box.textContent = '';
    if (setup.vectors.length === 0) box.textContent = 'No vectors are registered (llamasteer serve --vectors DIR, or POST /v1/steering/vectors).';
    for (const v of setup.vectors) {
      const div = document.createElement('div');
      div.className = 'vector';
      div.dataset.id = v.id;
      div.dataset.name = v.name;
      const lim = setup.strengthLimit;
      div.innerHTML = `
        <div class="row"><span class="name"></span><span class="muted small"></span></div>
        <div class="row"><input type="range" class="strength" min="${-lim}" max="${lim}" step="0.05" value="0"><span class="value">0</span></div>
        <div class="row">layers <input class="layers"> <select class="operator"><option>add</option><option>ablate</option><option>clamp</option></select>
          <label class="clasbox" ${v.clas ? '' : 'hidden'}><input type="checkbox" class="clas"> CLAS</label></div>`;
      div.querySelector('.name').textContent = v.name;
      div.querySelector('.muted').textContent = `layers ${v.layers} · ±${lim}`;
      div.querySelector('.layers').value = v.layers;
      div.querySelector('.strength').setAttribute('aria-label', `strength of ${v.name}`);
      const slider = div.querySelector('.strength');
      slider.addEventListener('input', () => { div.querySelector('.value').textContent = Number(slider.value).toFixed(2); planChanged(); });
      for (const sel of ['.layers', '.operator', '.clas']) div.querySelector(sel).addEventListener('change', planChanged);
      box.appendChild(div);
    }
    const list = $('presetList');
    list.textContent = '';
    for (const p of setup.presets) list.add(new Option(p, p));
  }

  function currentVectors() {
    return [...document.querySelectorAll('#vectors .vector')].map((div) => ({
      id: div.dataset.id,
      strength: Number(div.querySelector('.strength').value),
      layers: div.querySelector('.layers').value.trim() || null,
      operator: div.querySelector('.operator').value,
      clas: div.querySelector('.clas').checked,
    }));
  }

  function applyVectors(vectors) {
    for (const v of vectors) {
      const div = [...document.querySelectorAll('#vectors .vector')].find((d) => d.dataset.id === v.id || d.dataset.name === v.id);
      if (!div) { showError(`The preset names vector '${v.id}', which this server does not have.`); continue; }
      div.querySelector('.strength').value = v.strength;
      div.querySelector('.value').textContent = Number(v.strength).toFixed(2);
      div.querySelector('.layers').value = v.layers || div.querySelector('.layers').value;
      div.querySelector('.operator').value = v.operator || 'add';
      div.querySelector('.clas').checked = !!v.clas;
    }
  }

  // Slider moves during a generation become plan changes, at most one in flight; the last position wins.
  function planChanged() {
    if (!state.running || !state.generationId) return;
    clearTimeout(state.planTimer);
    state.planTimer = setTimeout(sendPlan, 30);
  }

  async function sendPlan() {
    if (state.pendingPlan) { state.planTimer = setTimeout(sendPlan, 30); return; }
    state.pendingPlan = true;
    try {
      const revision = await state.conn.invoke('ChangePlan', state.generationId, currentVectors());
      document.body.dataset.planRevision = revision;
    } catch (e) {
      showError(errorText(e));
    } finally {
      state.pendingPlan = false;
    }
  }

  function resetAnswers(compare) {
    for (const side of ['steered', 'plain']) {
      state.tokens[side] = [];
      $(side + 'Text').textContent = '';
      $(side + 'Map').textContent = '';
      $(side + 'Detail').textContent = '';
    }
    $('plainAnswer').hidden = !compare;
    state.termsByRevision = {};
  }

  async function send(ev) {
    ev.preventDefault();
    if (!state.conn || state.running) return;
    const text = $('prompt').value;
    if (!text.trim()) { showError('Type a message first.'); return; }
    clearError();
    const user = { role: 'user', content: text };
    const messages = state.setup.chat ? [...state.conversation, user] : [user];
    const compare = $('compare').checked;
    resetAnswers(compare);
    const turn = document.createElement('div');
    turn.className = 'turn user';
    turn.textContent = text;
    $('log').appendChild(turn);
    $('prompt').value = '';
    const request = {
      messages, vectors: currentVectors(), compare,
      maxTokens: Number($('maxTokens').value), temperature: Number($('temperature').value),
      seed: $('seed').value === '' ? null : Number($('seed').value), paceMs: Number($('pace').value),
    };
    state.running = true;
    document.body.dataset.running = 'true';
    $('send').disabled = true;
    $('stop').disabled = false;
    setStatus('writing');
    state.conn.stream('Generate', request).subscribe({
      next: onEvent,
      complete: () => finish(user),
      error: (e) => { showError(errorText(e)); finish(null); },
    });
  }

  function finish(user) {
    state.running = false;
    document.body.dataset.running = 'false';
    $('send').disabled = false;
    $('stop').disabled = true;
    if (user && state.setup.chat) {
      state.conversation.push(user, { role: 'assistant', content: state.tokens.steered.map((t) => t.text).join('') });
    }
    setStatus('ready');
    document.body.dataset.finished = String(Number(document.body.dataset.finished || 0) + 1);
  }

  function onEvent(ev) {
    switch (ev.kind) {
      case 'started':
        state.generationId = ev.id;
        document.body.dataset.generation = ev.id;
        state.termsByRevision[0] = ev.terms;
        fillTermChoice(ev.terms);
        break;
      case 'plan':
        state.termsByRevision[ev.revision] = ev.terms;
        break;
      case 'token':
        addToken(ev);
        break;
      case 'done':
        $(ev.side + 'Answer').dataset.stop = ev.stopReason;
        break;
    }
  }

  function fillTermChoice(terms) {
    const sel = $('mapTerm');
    const keep = sel.value;
    sel.textContent = '';
    terms.forEach((t, i) => sel.add(new Option(t.split(' ')[0], String(i))));
    if (keep && Number(keep) < terms.length) sel.value = keep;
  }

  const visible = (text) => (text === '' ? '∅' : text.replace(/\n/g, '⏎'));

  function addToken(ev) {
    const side = ev.side;
    const list = state.tokens[side];
    list.push(ev);
    $(side + 'Text').textContent += ev.text;
    const cell = document.createElement('span');
    cell.className = 'tok';
    cell.textContent = visible(ev.text);
    cell.dataset.index = ev.index;
    cell.dataset.token = ev.token;
    cell.dataset.revision = ev.revision;
    cell.dataset.applied = ev.applied.join(',');
    cell.dataset.projection = ev.projection.join(',');
    if (list.length > 1 && list[list.length - 2].revision !== ev.revision) cell.classList.add('changed');
    const names = ev.terms.length ? ev.terms : ['(unsteered)'];
    cell.title = `#${ev.index} ${JSON.stringify(ev.text)} · plan revision ${ev.revision}\n` + (ev.applied.length
      ? names.map((n, j) => `${n}: applied ${fmt(ev.applied[j])}, projection ${fmt(ev.projection[j])}`).join('\n')
      : 'not steered');
    cell.addEventListener('mouseenter', () => { $(side + 'Detail').textContent = cell.title; });
    $(side + 'Map').appendChild(cell);
    colour(side);
  }

  const fmt = (x) => (Number.isFinite(x) ? x.toFixed(4) : '—');

  // Red for positive, blue for negative; strength against the slider limit, projection against the answer's largest.
  function colour(side) {
    const mode = $('mapMode').value;
    const term = Number($('mapTerm').value || 0);
    const cells = $(side + 'Map').children;
    const list = state.tokens[side];
    let scale = state.setup.strengthLimit;
    if (mode === 'projection') {
      scale = 0;
      for (const t of list) if (Number.isFinite(t.projection[term])) scale = Math.max(scale, Math.abs(t.projection[term]));
    }
    for (let i = 0; i < cells.length; i++) {
      const v = mode === 'projection' ? list[i].projection[term] : list[i].applied[term];
      if (v === undefined || !Number.isFinite(v) || scale === 0) { cells[i].style.background = '#f1f2f5'; continue; }
      const a = Math.min(1, Math.abs(v) / scale);
      cells[i].style.background = v >= 0 ? `rgba(214, 64, 46, ${0.08 + 0.8 * a})` : `rgba(46, 98, 214, ${0.08 + 0.8 * a})`;
    }
  }

  async function loadPreset() {
    const name = $('presetList').value;
    if (!name) { showError('There are no presets yet: save one first.'); return; }
    clearError();
    try {
      applyVectors(await state.conn.invoke('LoadPreset', name));
      planChanged();
    } catch (e) {
      showError(errorText(e));
    }
  }

  async function savePreset() {
    const name = $('presetName').value.trim();
    if (!name) { showError('Name the preset first.'); return; }
    clearError();
    const headers = { 'Content-Type': 'application/json' };
    if (apiKey()) headers.Authorization = 'Bearer ' + apiKey();
    const body = JSON.stringify({ model: state.setup.model, vectors: currentVectors() });
    const r = await fetch('/v1/steering/presets/' + encodeURIComponent(name), { method: 'PUT', headers, body });
    if (!r.ok) {
      let message = `Saving the preset failed (HTTP ${r.status}).`;
      try { message = (await r.json()).error.message; } catch { /* keep the status line */ }
      showError(message);
      return;
    }
    if (![...$('presetList').options].some((o) => o.value === name)) $('presetList').add(new Option(name, name));
    $('presetList').value = name;
    setStatus(`saved preset ${name}`);
  }

  $('composer').addEventListener('submit', send);
  $('prompt').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('composer').requestSubmit(); } });
  $('stop').addEventListener('click', async () => {
    try { await state.conn.invoke('Cancel', state.generationId); } catch (e) { showError(errorText(e)); }
  });
  $('clear').addEventListener('click', () => { state.conversation = []; $('log').textContent = ''; resetAnswers($('compare').checked); clearError(); });
  $('presetLoad').addEventListener('click', loadPreset);
  $('presetSave').addEventListener('click', savePreset);
  $('mapMode').addEventListener('change', () => { colour('steered'); colour('plain'); });
  $('mapTerm').addEventListener('change', () => { colour('steered'); colour('plain'); });
  $('apiKey').addEventListener('change', () => { sessionStorage.setItem('llamasteer-key', $('apiKey').value); clearError(); connect(); });
  connect();
})();
