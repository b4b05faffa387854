// Sundial console: the live parts of the server-rendered pages.
//
// Every change goes through the native API (/api/v1) with the session's
// CSRF token. Data from the server is only ever written with textContent
// or attributes, never parsed as HTML.
(function () {
  'use strict';

  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';
  const runEvents = ['run_submitted', 'run_succeeded', 'run_failed', 'run_missed', 'run_skipped', 'run_timeout', 'run_interrupted', 'run_released'];
  const flashKey = 'sundial-flash';

  // api calls the native API and answers {ok, status, data}; data is the
  // decoded JSON body ({code, message, field} for errors).
  async function api(method, path, body, headers) {
    const h = { Accept: 'application/json' };
    if (csrf) h['X-CSRF-Token'] = csrf;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    Object.assign(h, headers || {});
    let res;
    try {
      res = await fetch(path, {
        method: method, headers: h, credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      return { ok: false, status: 0, data: { message: 'The server did not answer (' + e.message + ').' } };
    }
    let data = {};
    const text = await res.text();
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = { message: text }; }
    }
    return { ok: res.ok, status: res.status, data: data || {} };
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function link(href, text) {
    const a = el('a', text);
    a.href = href;
    return a;
  }

  function jobPath(id) { return '/jobs/' + encodeURIComponent(id); }
  function runPath(id) { return '/runs/' + encodeURIComponent(id); }

  // flash shows a message (strings and nodes) in the page's live region.
  function flash(parts, bad) {
    const box = document.getElementById('flash');
    if (!box) return;
    box.replaceChildren.apply(box, parts.map(function (p) { return typeof p === 'string' ? document.createTextNode(p) : p; }));
    box.classList.toggle('bad', !!bad);
    box.hidden = false;
  }

  // flashNext keeps a message for the next page (after a reload or a move).
  function flashNext(text) {
    try { sessionStorage.setItem(flashKey, text); } catch (e) { /* storage disabled */ }
  }

  function showKeptFlash() {
    let text = null;
    try { text = sessionStorage.getItem(flashKey); sessionStorage.removeItem(flashKey); } catch (e) { return; }
    if (text) flash([text]);
  }

  // Times: every <time class="local"> gets the browser's local time and zone.
  const localZone = (Intl.DateTimeFormat().resolvedOptions().timeZone) || 'your time zone';
  const localFormat = new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'short', day: 'numeric',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });

  function localTimes(root) {
    root.querySelectorAll('time.local').forEach(function (t) {
      const d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime())) return;
      t.textContent = 'yours: ' + localFormat.format(d) + ' (' + localZone + ')';
      t.title = 'In your browser\'s time zone, ' + localZone;
    });
  }

  // zonedText writes an API time ("2025-03-03T09:30:00+08:00") as the
  // pages do: date, time and offset.
  function zonedText(s) {
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d(?::\d\d)?)$/.exec(s || '');
    if (!m) return s || '—';
    return m[1] + ' ' + m[2] + ' ' + (m[3] === 'Z' ? '+00:00' : m[3]);
  }

  function whenNodes(s) {
    const frag = document.createDocumentFragment();
    if (!s) { frag.append('—'); return frag; }
    frag.append(el('span', zonedText(s), 'zoned'), ' ');
    const t = el('time', null, 'local');
    t.setAttribute('datetime', s);
    frag.append(t);
    localTimes(frag);
    return frag;
  }

  function seconds(d) {
    if (d === null || d === undefined) return '—';
    if (d < 1) return Math.round(d * 1000) + 'ms';
    if (d < 60) return (Math.round(d * 100) / 100) + 's';
    const m = Math.floor(d / 60);
    return m + 'm' + Math.round(d - m * 60) + 's';
  }

  function statusBadge(status) {
    return el('span', status, 'status status-' + status);
  }

  function finished(status) { return status !== 'submitted' && status !== 'running'; }

  // Actions: buttons with data-action, for operators and admins.
  async function act(btn, method, path, done) {
    btn.disabled = true;
    const res = await api(method, path);
    btn.disabled = false;
    if (!res.ok) {
      flash([res.data.message || ('The server answered ' + res.status + '.')], true);
      return;
    }
    done(res);
  }

  function confirmDelete(btn) {
    const dlg = document.getElementById('confirm-delete');
    const id = btn.dataset.job;
    document.getElementById('confirm-delete-name').textContent = btn.dataset.name || id;
    document.getElementById('confirm-delete-id').textContent = id;
    dlg.returnValue = '';
    dlg.addEventListener('close', async function () {
      if (dlg.returnValue !== 'delete') { btn.focus(); return; }
      const res = await api('DELETE', '/api/v1' + jobPath(id));
      if (!res.ok) {
        flash([res.data.message || ('The server answered ' + res.status + '.')], true);
        return;
      }
      flashNext('Job ' + id + ' deleted.');
      if (location.pathname === jobPath(id)) location.assign('/jobs');
      else location.reload();
    }, { once: true });
    dlg.showModal();
  }

  document.addEventListener('click', function (ev) {
    const btn = ev.target.closest('button[data-action]');
    if (!btn) return;
    const id = btn.dataset.job;
    const base = id !== undefined ? '/api/v1' + jobPath(id) : '';
    switch (btn.dataset.action) {
      case 'job-pause':
        act(btn, 'POST', base + '/pause', function () { flashNext('Job ' + id + ' paused.'); location.reload(); });
        break;
      case 'job-resume':
        act(btn, 'POST', base + '/resume', function () { flashNext('Job ' + id + ' resumed.'); location.reload(); });
        break;
      case 'job-run':
        act(btn, 'POST', base + '/run', function (res) {
          flash(['Run ', link(runPath(res.data.id), res.data.id), ' of ' + id + ' ' + res.data.status + '.']);
        });
        break;
      case 'job-delete':
        confirmDelete(btn);
        break;
      case 'scheduler-pause':
        act(btn, 'POST', '/api/v1/scheduler/pause', function () { flashNext('Scheduler paused.'); location.reload(); });
        break;
      case 'scheduler-resume':
        act(btn, 'POST', '/api/v1/scheduler/resume', function () { flashNext('Scheduler resumed.'); location.reload(); });
        break;
    }
  });

  // The job form: trigger builder, live preview, JSON checks, submit.
  function jobForm(form) {
    const typeSel = form.querySelector('#f-trigger-type');
    const zone = form.querySelector('#f-timezone');
    const formError = form.querySelector('#form-error');
    const words = document.getElementById('preview-words');
    const fires = document.getElementById('preview-fires');
    const note = document.getElementById('preview-note');
    const submit = form.querySelector('#job-submit');
    const edit = form.dataset.mode === 'edit';

    const zones = document.getElementById('zones');
    if (zones && localZone) {
      const o = el('option');
      o.value = localZone;
      zones.append(o);
    }

    function showBuilder() {
      form.querySelectorAll('[data-builder]').forEach(function (b) { b.hidden = b.dataset.builder !== typeSel.value; });
      zone.closest('.field').hidden = typeSel.value === 'json';
    }

    // fieldElement finds the visible input an API field names, trying
    // shorter paths ("trigger.triggers[1].hour" → "trigger") when needed.
    function fieldElement(field) {
      let f = field || '';
      if (typeSel.value === 'interval' && /^trigger\.(weeks|days|hours|minutes|seconds)$/.test(f)) f = 'trigger.every';
      while (f) {
        const found = Array.from(form.querySelectorAll('[data-field="' + CSS.escape(f) + '"]'))
          .filter(function (e) { return !e.closest('[hidden]'); });
        if (found.length) return found[0];
        const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
        f = cut > 0 ? f.slice(0, cut) : '';
      }
      return null;
    }

    function showError(field, message, focus) {
      if (field && message.indexOf(field + ': ') === 0) message = message.slice(field.length + 2);
      const input = fieldElement(field);
      const slot = input ? document.getElementById('err-' + input.id) : null;
      if (slot) {
        // Shown at an enclosing field (the JSON of an "or"): keep the path.
        const at = input.dataset.field;
        if (field && at !== field && field.indexOf(at) === 0 && at !== 'trigger.every') {
          message = field.slice(at.length).replace(/^\./, '') + ': ' + message;
        }
        slot.textContent = message;
        slot.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        if (focus) input.focus();
        return;
      }
      formError.textContent = (field ? field + ': ' : '') + message;
      formError.hidden = false;
      if (focus) formError.scrollIntoView({ block: 'center' });
    }

    function clearErrors(scope) {
      (scope || form).querySelectorAll('.field-error').forEach(function (e) { e.hidden = true; e.textContent = ''; });
      (scope || form).querySelectorAll('[aria-invalid]').forEach(function (e) { e.removeAttribute('aria-invalid'); });
      if (!scope) formError.hidden = true;
    }

    // trigger reads the builder: {trigger} or {error: {field, message}}.
    function trigger() {
      const type = typeSel.value;
      const b = form.querySelector('[data-builder="' + CSS.escape(type) + '"]');
      if (type === 'json') {
        let t;
        try { t = JSON.parse(b.querySelector('#t-json').value); } catch (e) {
          return { error: { field: 'trigger', message: 'is not valid JSON: ' + e.message } };
        }
        if (!t || typeof t !== 'object' || Array.isArray(t)) {
          return { error: { field: 'trigger', message: 'must be a JSON object with a "type", such as {"type": "or", "triggers": [...]}' } };
        }
        return { trigger: t };
      }
      const t = { type: type };
      let bad = null;
      b.querySelectorAll('[data-key]').forEach(function (input) {
        const key = input.dataset.key;
        const v = input.value.trim();
        if (key === 'every' || key === 'unit' || v === '') return;
        if (input.hasAttribute('data-number')) {
          const n = Number(v);
          if (!Number.isFinite(n)) bad = bad || { field: 'trigger.' + key, message: 'must be a number' };
          t[key] = n;
        } else {
          t[key] = v;
        }
      });
      if (bad) return { error: bad };
      if (type === 'interval') {
        const every = b.querySelector('[data-key="every"]');
        const unit = b.querySelector('[data-key="unit"]').value;
        if (every.value.trim() === '') return { error: { field: 'trigger.every', message: 'say how often, such as 5 minutes' } };
        t[unit] = Number(every.value);
      }
      if (zone.value.trim()) t.timezone = zone.value.trim();
      return { trigger: t };
    }

    // JSON fields: args must be an array, kwargs an object.
    function parseJSONField(input, field, kind) {
      const text = input.value.trim();
      if (text === '') return { value: kind === 'array' ? [] : {} };
      let v;
      try { v = JSON.parse(text); } catch (e) { return { error: { field: field, message: 'is not valid JSON: ' + e.message } }; }
      if (kind === 'array' && !Array.isArray(v)) return { error: { field: field, message: 'must be a JSON array, such as ["a", 1]' } };
      if (kind === 'object' && (v === null || typeof v !== 'object' || Array.isArray(v))) {
        return { error: { field: field, message: 'must be a JSON object, such as {"key": "value"}' } };
      }
      return { value: v };
    }

    const triggerSet = typeSel.closest('fieldset');
    let previewTimer = null;
    let previewSeq = 0;

    async function preview() {
      const seq = ++previewSeq;
      clearErrors(triggerSet);
      const t = trigger();
      if (t.error) {
        showError(t.error.field, t.error.message);
        fires.replaceChildren();
        words.textContent = '';
        note.textContent = 'Fix the trigger to see when it fires.';
        return;
      }
      const res = await api('POST', '/api/v1/triggers/preview', { trigger: t.trigger, count: 10 });
      if (seq !== previewSeq) return; // a newer preview is on its way
      if (!res.ok) {
        showError(res.data.field || 'trigger', res.data.message || ('The server answered ' + res.status + '.'));
        fires.replaceChildren();
        words.textContent = '';
        note.textContent = 'Fix the trigger to see when it fires.';
        return;
      }
      words.textContent = res.data.description || '';
      fires.replaceChildren.apply(fires, (res.data.fires || []).map(function (f) {
        const li = el('li');
        li.append(whenNodes(f));
        return li;
      }));
      note.textContent = (res.data.fires || []).length === 0 ? 'This trigger never fires from now on.' :
        (res.data.done ? 'The schedule ends after these.' : '');
    }

    function schedulePreview() {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(preview, 300);
    }

    function checkJSONField(input) {
      const field = input.dataset.field;
      const slot = document.getElementById('err-' + input.id);
      slot.hidden = true;
      input.removeAttribute('aria-invalid');
      const r = parseJSONField(input, field, field === 'args' ? 'array' : 'object');
      if (r.error) showError(r.error.field, r.error.message);
    }

    typeSel.addEventListener('change', function () { showBuilder(); schedulePreview(); });
    triggerSet.addEventListener('input', function (e) { if (e.target !== typeSel) schedulePreview(); });
    triggerSet.addEventListener('change', function (e) { if (e.target.tagName === 'SELECT' && e.target !== typeSel) schedulePreview(); });
    ['f-args', 'f-kwargs'].forEach(function (id) {
      const input = document.getElementById(id);
      let timer = null;
      input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { checkJSONField(input); }, 300); });
    });

    function numberOrNull(id) {
      const v = document.getElementById(id).value.trim();
      return v === '' ? null : Number(v);
    }

    form.addEventListener('submit', async function (e) {
      e.preventDefault();
      clearErrors();
      const errors = [];
      const body = {};
      const task = document.getElementById('f-task').value;
      if (!task) errors.push({ field: 'task', message: 'choose the task the job runs' });
      body.task = task;
      if (!edit) {
        const id = document.getElementById('f-id').value.trim();
        if (id) body.id = id;
      }
      const name = document.getElementById('f-name').value.trim();
      if (name) body.name = name;
      else if (edit) body.name = form.dataset.jobId;
      body.description = document.getElementById('f-description').value.trim();
      body.tags = document.getElementById('f-tags').value.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
      const t = trigger();
      if (t.error) errors.push(t.error); else body.trigger = t.trigger;
      const args = parseJSONField(document.getElementById('f-args'), 'args', 'array');
      if (args.error) errors.push(args.error); else body.args = args.value;
      const kwargs = parseJSONField(document.getElementById('f-kwargs'), 'kwargs', 'object');
      if (kwargs.error) errors.push(kwargs.error); else body.kwargs = kwargs.value;
      body.misfire_grace_time = numberOrNull('f-misfire');
      const maxInstances = numberOrNull('f-max-instances');
      if (maxInstances !== null) body.max_instances = maxInstances;
      const timeout = numberOrNull('f-timeout');
      if (timeout !== null) body.timeout = timeout;
      body.coalesce = document.getElementById('f-coalesce').checked;
      const retry = { attempts: numberOrNull('f-retry-attempts') || 0 };
      [['backoff', 'f-retry-backoff'], ['max_backoff', 'f-retry-max-backoff'], ['multiplier', 'f-retry-multiplier']].forEach(function (p) {
        const v = numberOrNull(p[1]);
        if (v !== null) retry[p[0]] = v;
      });
      body.retry = retry;
      if (!edit && document.getElementById('f-paused').checked) body.paused = true;
      if (errors.length) {
        errors.forEach(function (er, i) { showError(er.field, er.message, i === 0); });
        return;
      }
      submit.disabled = true;
      const res = edit ?
        await api('PATCH', '/api/v1' + jobPath(form.dataset.jobId), body, { 'If-Match': form.dataset.etag }) :
        await api('POST', '/api/v1/jobs', body);
      submit.disabled = false;
      if (res.ok) {
        flashNext(edit ? 'Job saved.' : 'Job created.');
        location.assign(jobPath(res.data.id));
        return;
      }
      showError(res.data.field, res.data.message || ('The server answered ' + res.status + '.'), true);
    });

    showBuilder();
    preview();
  }

  // Runs list: new and finished runs arrive from the event stream.
  function liveRuns(table) {
    const job = table.dataset.job;
    const status = table.dataset.status;
    const from = table.dataset.from ? new Date(table.dataset.from) : null;
    const state = document.getElementById('live-state');
    let url = '/api/v1/events?types=' + runEvents.join(',');
    if (job) url += '&job=' + encodeURIComponent(job);
    const es = new EventSource(url);
    es.addEventListener('open', function () { state.textContent = 'live'; state.classList.add('on'); });
    es.addEventListener('error', function () { state.textContent = 'reconnecting…'; state.classList.remove('on'); });
    runEvents.forEach(function (type) {
      es.addEventListener(type, function (e) {
        const ev = JSON.parse(e.data);
        if (!ev.run) return;
        if (from && !isNaN(from.getTime()) && new Date(ev.run.scheduled_at) < from) return;
        upsertRun(table.tBodies[0], ev.run, status);
      });
    });
  }

  function runRow(run) {
    const tr = el('tr');
    tr.dataset.run = run.id;
    const c1 = el('td');
    const a = link(runPath(run.id), '');
    a.append(el('code', run.id));
    c1.append(a);
    if (run.manual) c1.append(' ', el('span', 'manual', 'badge'));
    const c2 = el('td');
    c2.append(link(jobPath(run.job_id), run.job_id));
    const c3 = el('td');
    c3.append(statusBadge(run.status));
    const c4 = el('td');
    c4.append(whenNodes(run.scheduled_at));
    const c5 = el('td', finished(run.status) && run.duration !== null ? seconds(run.duration) : '—');
    const c6 = el('td');
    c6.append(el('code', run.node || ''));
    tr.append(c1, c2, c3, c4, c5, c6);
    return tr;
  }

  function upsertRun(tbody, run, status) {
    const old = tbody.querySelector('tr[data-run="' + CSS.escape(run.id) + '"]');
    if (status && run.status !== status) {
      if (old) old.remove();
      return;
    }
    const row = runRow(run);
    if (old) {
      old.replaceWith(row);
    } else {
      row.classList.add('fresh');
      tbody.prepend(row);
      while (tbody.rows.length > 100) tbody.deleteRow(-1);
    }
    const empty = document.getElementById('no-runs');
    if (empty) empty.remove();
  }

  // Run page: an unfinished run is followed until it ends.
  function followRun(box) {
    const id = box.dataset.runId;
    const es = new EventSource('/api/v1/events?types=' + runEvents.join(',') + '&job=' + encodeURIComponent(box.dataset.jobId));
    let done = false;
    function end() {
      if (done) return;
      done = true;
      es.close();
      location.reload();
    }
    // The run may have ended before the stream opened: ask once it is open.
    es.addEventListener('open', async function () {
      const res = await api('GET', '/api/v1' + runPath(id));
      if (res.ok && finished(res.data.status)) end();
    });
    runEvents.forEach(function (type) {
      es.addEventListener(type, function (e) {
        const ev = JSON.parse(e.data);
        if (ev.run && ev.run.id === id && finished(ev.run.status)) end();
      });
    });
  }

  function start() {
    showKeptFlash();
    localTimes(document);
    const form = document.getElementById('job-form');
    if (form) jobForm(form);
    const runs = document.querySelector('#runs-table[data-live]');
    if (runs) liveRuns(runs);
    const run = document.querySelector('#run[data-pending]');
    if (run) followRun(run);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}());
