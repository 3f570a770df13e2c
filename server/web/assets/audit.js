/* global window, document, XMLHttpRequest, URL */
/* traceledger auditor console: calls the REST API (/api/v1) with the admin token. Plain ES2019, no framework. */
(function () {
  'use strict';
  var API = '/api/v1';
  var T = JSON.parse(document.getElementById('audit-i18n').textContent);
  var session = window.sessionStorage;
  var state = { departments: [], alerts: [], current: null, trail: [] };
  var $ = function (id) {
    return document.getElementById(id);
  };

  function show(x) {
    var out = $('out');
    out.textContent = typeof x === 'string' ? x : x && x.error ? errorText(x) : JSON.stringify(x, null, 2);
  }

  /** Bare HTTP statuses (an answer without the API's error envelope) as the API's error codes. */
  var STATUS_CODES = { 400: 'invalid-input', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 413: 'payload-too-large', 429: 'rate-limited', 500: 'internal', 502: 'unavailable', 503: 'unavailable', 504: 'unavailable' };

  /** A failed call in the page's language: Chinese words for the error code on zh; `code: message` (the API's English) on en. */
  function errorText(e) {
    var err = e && e.error;
    if (T.lang !== 'zh') return err ? err.code + ': ' + err.message : String(e);
    if (!err) return T.errors.other;
    var code = STATUS_CODES[err.code] || err.code;
    return T.errors[code] || T.errors.other;
  }

  /** A trail step's sentence in the page's language (the API gives it in both). */
  function stepMessage(s) {
    if (T.lang === 'zh') return s.message_zh || T.stepStatus[s.status] || '';
    return s.message;
  }

  function token() {
    return $('token').value.trim();
  }

  /** One API call; opts.type sends the body as is with that content type, opts.blob answers a Blob, opts.progress follows the upload. */
  function call(method, path, body, opts) {
    opts = opts || {};
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, API + path);
      if (token()) xhr.setRequestHeader('Authorization', 'Bearer ' + token());
      if (body !== undefined) xhr.setRequestHeader('Content-Type', opts.type || 'application/json');
      if (opts.blob) xhr.responseType = 'blob';
      else xhr.setRequestHeader('Accept', 'application/json');
      if (opts.progress && xhr.upload) xhr.upload.onprogress = opts.progress;
      xhr.onload = function () {
        if (opts.blob && xhr.status >= 200 && xhr.status < 300) return resolve({ blob: xhr.response, name: fileName(xhr.getResponseHeader('Content-Disposition')) });
        if (opts.blob) {
          return xhr.response.text().then(function (text) {
            reject(parse(text, xhr));
          });
        }
        var data = parse(xhr.responseText, xhr);
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(data);
      };
      xhr.onerror = function () {
        reject({ error: { code: 'network', message: 'network error' } });
      };
      xhr.send(body === undefined ? null : opts.type ? body : JSON.stringify(body));
    });
  }

  function parse(text, xhr) {
    try {
      var data = JSON.parse(text);
      if (xhr.status >= 300 && !(data && data.error)) return { error: { code: String(xhr.status), message: xhr.statusText } };
      return data;
    } catch {
      return xhr.status >= 300 ? { error: { code: String(xhr.status), message: xhr.statusText } } : text;
    }
  }

  function fileName(disposition) {
    var m = /filename="?([^";]+)"?/.exec(disposition || '');
    return m ? m[1] : 'audit-report';
  }

  // --- small DOM helpers ---------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'className') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function td(content, className) {
    return el('td', className ? { className: className } : {}, [content === null || content === undefined ? '' : content]);
  }

  function when(iso) {
    if (!iso) return '';
    try {
      return new Date(iso).toLocaleString(T.lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    } catch {
      return iso;
    }
  }

  function deptName(id) {
    for (var i = 0; i < state.departments.length; i++) if (state.departments[i].departmentId === id) return state.departments[i].name || id.slice(0, 10) + '…';
    return id.slice(0, 10) + '…';
  }

  // --- departments and alerts ------------------------------------------------

  function loadAll() {
    if (!token()) return show(T.needToken);
    return Promise.all([call('GET', '/departments'), call('GET', '/alerts')]).then(function (r) {
      state.departments = r[0].items || [];
      state.alerts = r[1].items || [];
      renderDepartments();
      renderAlerts($('alerts'), state.alerts, true);
      $('alert-count').textContent = '(' + state.alerts.length + ')';
      show('');
      if (state.current) openDepartment(state.current);
    }, show);
  }

  function renderDepartments() {
    var body = $('departments');
    body.textContent = '';
    state.departments.forEach(function (d) {
      var open = el('button', { type: 'button', className: 'btn btn-small', 'data-dept': d.departmentId, text: T.open });
      open.addEventListener('click', function () {
        openDepartment(d.departmentId);
      });
      var flagged = state.alerts.some(function (a) {
        return a.departmentId === d.departmentId;
      });
      var tr = el('tr', { className: (d.departmentId === state.current ? 'selected ' : '') + (flagged ? 'flagged' : '') }, [
        td(d.name || d.departmentId),
        td(el('span', { className: 'mono', text: d.uscc || '' })),
        td(String(d.records), 'num'),
        td(String(d.lastSeq), 'num'),
        td(when(d.lastIssuedAt)),
        td(open),
      ]);
      body.appendChild(tr);
    });
  }

  function renderAlerts(list, alerts, withDept) {
    list.textContent = '';
    if (alerts.length === 0) {
      list.appendChild(el('li', { className: 'none', text: T.noAlerts }));
      return;
    }
    alerts.forEach(function (a) {
      var records = el('span', {}, [T.concerns + '：']);
      a.recordIds.forEach(function (id) {
        var inTrail = state.trail.some(function (e) {
          return e.recordId === id;
        });
        records.appendChild(inTrail ? el('a', { className: 'chip', href: '#rec-' + id, text: id }) : el('span', { className: 'chip', text: id }));
      });
      list.appendChild(
        el('li', { className: 'sev-' + a.severity, 'data-kind': a.kind }, [
          el('div', {}, [el('span', { className: 'sev', text: T.severity[a.severity] || a.severity }), el('span', { className: 'kind', text: T.kinds[a.kind] || a.kind }), ' · ', el('small', { text: when(a.detectedAt) })]),
          el('div', { text: T.lang === 'zh' ? a.message_zh : a.message_en }),
          el('div', {}, [withDept ? el('small', { text: T.answerable + '：' + deptName(a.departmentId) + ' · ' }) : null, records]),
        ]),
      );
    });
  }

  // --- one department --------------------------------------------------------

  function openDepartment(id) {
    state.current = id;
    renderDepartments();
    var d = state.departments.filter(function (x) {
      return x.departmentId === id;
    })[0];
    $('dept-title').textContent = d ? (d.name || id) + (d.uscc ? '（' + d.uscc + '）' : '') : id;
    $('department-card').hidden = false;
    $('verdict').hidden = true;
    $('verdict').setAttribute('data-verdict', 'none');
    $('steps').textContent = '';
    return call('GET', '/departments/' + encodeURIComponent(id) + '/trail?limit=1000').then(function (trail) {
      state.trail = trail.entries || [];
      renderTrail();
      renderAlerts(
        $('dept-alerts'),
        state.alerts.filter(function (a) {
          return a.departmentId === id || a.recordIds.some(inTrail);
        }),
        true,
      );
      $('department-card').scrollIntoView({ block: 'start', behavior: 'smooth' });
    }, show);
  }

  function inTrail(recordId) {
    return state.trail.some(function (e) {
      return e.recordId === recordId;
    });
  }

  function renderTrail() {
    var body = $('trail');
    body.textContent = '';
    if (state.trail.length === 0) {
      body.appendChild(el('tr', {}, [el('td', { colspan: '8', text: T.noRecords })]));
      return;
    }
    state.trail.forEach(function (e) {
      var f = e.fields || {};
      var other = e.step === 'request' || e.step === 'receipt' ? f.providingDepartment : f.requestingDepartment;
      var item = f.catalogueItem ? f.catalogueItem.id + ' v' + f.catalogueItem.version : '';
      var kinds = state.alerts.filter(function (a) {
        return a.recordIds.indexOf(e.recordId) >= 0;
      });
      var badges = el(
        'span',
        {},
        kinds.map(function (a) {
          return el('span', { className: 'sev sev-' + a.severity, title: T.lang === 'zh' ? a.message_zh : a.message_en, text: T.kinds[a.kind] || a.kind });
        }),
      );
      body.appendChild(
        el('tr', { id: 'rec-' + e.recordId, className: kinds.length ? 'flagged' : '' }, [
          td(String(e.seq), 'num'),
          td(when(e.issuedAt)),
          td(T.stepsOf[e.step] || e.step),
          td(el('span', { className: 'mono', text: e.recordId })),
          td(other ? other.name : ''),
          td(item),
          td(T.entryStatus[e.status] || e.status),
          td(badges),
        ]),
      );
    });
  }

  function verify() {
    if (!state.current) return show(T.chooseDept);
    var box = $('verdict');
    box.hidden = false;
    box.setAttribute('data-verdict', 'checking');
    box.textContent = T.verifying;
    $('steps').textContent = '';
    call('GET', '/departments/' + encodeURIComponent(state.current) + '/trail/verify').then(function (v) {
      // The verdict and the trail's alerts together: an untampered trail with a high alert is not a green headline.
      var id = state.current;
      var alerts = state.alerts.filter(function (a) {
        return a.departmentId === id || a.recordIds.some(inTrail);
      });
      var high = alerts.filter(function (a) {
        return a.severity === 'high';
      }).length;
      var tone = v.verdict === 'valid' && high > 0 ? 'attention' : v.verdict;
      box.setAttribute('data-verdict', tone);
      box.setAttribute('data-alerts', String(alerts.length));
      box.textContent = '';
      var word = tone === 'attention' ? '⚠ ' + T.attention.replace('{high}', String(high)) : (v.verdict === 'valid' ? '✓ ' : v.verdict === 'invalid' ? '✗ ' : '… ') + (T.verdict[v.verdict] || v.verdict);
      box.appendChild(el('span', { className: 'verdict-word', text: word }));
      var failed = v.firstProblem
        ? v.steps.filter(function (s) {
            return s.step === v.firstProblem.step;
          })[0]
        : null;
      box.appendChild(el('small', { text: T.verdictLine[v.verdict] + (failed ? (T.steps[failed.step] || failed.step) + ' — ' + stepMessage(failed) : '') + (alerts.length > 0 ? ' ' + T.alertsLine.replace('{n}', String(alerts.length)).replace('{high}', String(high)) : '') }));
      var steps = $('steps');
      v.steps.forEach(function (s) {
        steps.appendChild(
          el('li', { className: 's-' + s.status, 'data-step': s.step, 'data-code': s.code || '' }, [
            el('span', { className: 'st', text: s.status === 'passed' ? '✓' : s.status === 'failed' ? '✗' : '…' }),
            el('b', { text: T.steps[s.step] || s.step }),
            ' ',
            // The step's name in the API is an identifier in English: shown on the English page only.
            el('span', { className: 'muted', text: (T.lang === 'zh' ? '' : s.step + ' · ') + (T.stepStatus[s.status] || s.status) }),
            el('small', { text: stepMessage(s) }),
          ]),
        );
      });
    }, function (e) {
      box.setAttribute('data-verdict', 'invalid');
      box.textContent = errorText(e);
    });
  }

  // --- audit reports -----------------------------------------------------------

  function report(format) {
    if (!state.current) return show(T.chooseDept);
    var q = ['format=' + format];
    // The date pickers are in Beijing time (UTC+8): whole days there.
    if ($('from').value) q.push('from=' + encodeURIComponent($('from').value + 'T00:00:00+08:00'));
    if ($('to').value) q.push('to=' + encodeURIComponent($('to').value + 'T23:59:59+08:00'));
    call('GET', '/departments/' + encodeURIComponent(state.current) + '/audit-report?' + q.join('&'), undefined, { blob: true }).then(function (r) {
      var url = URL.createObjectURL(r.blob);
      var a = el('a', { href: url, download: format === 'csv' ? r.name : r.name.replace(/\.csv$/, '') + (/\.json$/.test(r.name) ? '' : '.json') });
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(function () {
        URL.revokeObjectURL(url);
      }, 10000);
      show(r.name);
    }, show);
  }

  // --- dataset check -------------------------------------------------------------

  function checkDataset(ev) {
    ev.preventDefault();
    var id = $('delivery').value.trim();
    var file = $('file').files[0];
    var sha = $('sha').value.trim();
    var rows = $('rows').value.trim();
    if (!id || (!file && !sha)) return show(T.needDelivery);
    var box = $('dataset-result');
    box.hidden = false;
    box.setAttribute('data-verdict', 'checking');
    box.textContent = T.uploading;
    var path = '/deliveries/' + encodeURIComponent(id) + '/check';
    var done = function (r) {
      box.setAttribute('data-verdict', r.match ? 'valid' : 'invalid');
      box.textContent = '';
      box.appendChild(el('span', { className: 'verdict-word', text: (r.match ? '✓ ' : '✗ ') + (r.match ? T.match : T.mismatch) }));
      box.appendChild(el('small', { className: 'mono', text: T.recorded + '：' + r.recorded.dataSha256 + ' · ' + r.recorded.rowCount }));
      box.appendChild(el('small', { className: 'mono', text: T.given + '：' + r.given.sha256 + (r.given.rowCount !== undefined ? ' · ' + r.given.rowCount : '') + (r.bytes !== undefined ? ' · ' + r.bytes + ' B' : '') }));
    };
    var fail = function (e) {
      box.setAttribute('data-verdict', 'invalid');
      box.textContent = errorText(e);
    };
    if (file) {
      // The browser streams the file from disk; the server hashes it as it arrives.
      var progress = function (p) {
        if (p.lengthComputable) box.textContent = T.uploading + ' ' + Math.round((100 * p.loaded) / p.total) + '%';
      };
      call('POST', path + (rows ? '?rowCount=' + encodeURIComponent(rows) : ''), file, { type: 'application/octet-stream', progress: progress }).then(done, fail);
    } else {
      var body = { sha256: sha };
      if (rows) body.rowCount = Number(rows);
      call('POST', path, body).then(done, fail);
    }
  }

  // --- wiring ------------------------------------------------------------------------

  $('token').value = session.getItem('tl-admin-token') || '';
  $('token-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    session.setItem('tl-admin-token', token());
    loadAll();
  });
  $('clear').addEventListener('click', function () {
    session.removeItem('tl-admin-token');
    $('token').value = '';
  });
  $('verify').addEventListener('click', verify);
  $('report-json').addEventListener('click', function () {
    report('json');
  });
  $('report-csv').addEventListener('click', function () {
    report('csv');
  });
  $('dataset-form').addEventListener('submit', checkDataset);
  if (token()) loadAll();
})();
