/* global window, document, XMLHttpRequest, FileReader, URL */
/*
 * traceledger producer console: calls the REST API (/api/v1) with the producer's token. Plain ES2019.
 * Who the producer is comes from the token (the list answer names it); batches are searched and paged on the server
 * (newest first); a selection survives paging and is printed as one label sheet; results are tables, never raw JSON.
 */
(function () {
  'use strict';
  var API = '/api/v1';
  var PAGE_SIZE = 20;
  /** The most labels one sheet request may hold (server/http/routes/labels.ts MAX_LABELS_PER_REQUEST). */
  var MAX_SHEET = 240;
  // The API token lives only as long as the tab (sessionStorage): never in localStorage, where it would outlive the
  // session and be readable by every later page of this origin.
  var session = window.sessionStorage;
  // Tokens and names an earlier version kept in localStorage are removed.
  ['tl-token', 'tl-uscc', 'tl-pname'].forEach(function (k) {
    window.localStorage.removeItem(k);
  });
  var $ = function (id) {
    return document.getElementById(id);
  };

  /** Category names by key (zh), from the page. */
  var categoryNames = {};
  try {
    categoryNames = JSON.parse($('batch-table').getAttribute('data-categories') || '{}');
  } catch {
    categoryNames = {};
  }

  var state = {
    /** The cursor of each page shown so far: cursors[i] is the `after` of page i (null for the first). */
    cursors: [null],
    page: 0,
    next: null,
    total: 0,
    filters: {},
    /** Selected batch ids, across pages and searches. */
    selected: new Set(),
    pageIds: [],
  };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  /** A table with a header row and a row per item. */
  function table(headers, rows) {
    var t = el('table', null, 'data');
    var head = el('tr');
    headers.forEach(function (h) {
      head.appendChild(el('th', h));
    });
    var thead = el('thead');
    thead.appendChild(head);
    t.appendChild(thead);
    var body = el('tbody');
    rows.forEach(function (r) {
      var tr = el('tr');
      r.forEach(function (c) {
        var td = el('td');
        if (c && c.nodeType) td.appendChild(c);
        else td.textContent = c === undefined || c === null ? '' : String(c);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    t.appendChild(body);
    return t;
  }

  /** Shows a message (or an API error) in the result card. */
  function show(x, target) {
    var out = target || $('out');
    out.textContent = '';
    if (typeof x === 'string') out.appendChild(el('p', x, 'msg-ok'));
    else if (x && x.error) {
      out.appendChild(el('p', '✗ ' + x.error.message, 'msg-err'));
      out.appendChild(el('p', '错误代码 error code: ' + x.error.code, 'sub'));
      if (x.error.issues) out.appendChild(table(['字段 Field', '问题 Problem'], x.error.issues.map(function (i) { return [i.path, i.message]; })));
    } else if (x && x.id) {
      out.appendChild(el('p', '✓ 已受理，等待上链 Accepted, waiting to be anchored', 'msg-ok'));
      out.appendChild(table(['编号 Id', '状态 Status', '叶哈希 Leaf hash'], [[x.id, x.status, x.leafHash]]));
    }
    if (out.scrollIntoView) out.scrollIntoView({ block: 'nearest' });
  }

  function token() {
    return $('token').value.trim();
  }

  function request(method, path, body, type, responseType) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, API + path);
      if (token()) xhr.setRequestHeader('Authorization', 'Bearer ' + token());
      if (body !== undefined) xhr.setRequestHeader('Content-Type', type || 'application/json');
      xhr.setRequestHeader('Accept', responseType === 'blob' ? 'application/pdf, application/json' : 'application/json');
      if (responseType) xhr.responseType = responseType;
      xhr.onload = function () {
        var ok = xhr.status >= 200 && xhr.status < 300;
        if (ok && responseType === 'blob') return resolve(xhr.response);
        var parse = function (text) {
          try {
            return JSON.parse(text);
          } catch {
            return { error: { code: String(xhr.status), message: xhr.statusText || 'HTTP ' + xhr.status } };
          }
        };
        var settle = function (data) {
          if (ok) resolve(data);
          else reject(data && data.error ? data : { error: { code: String(xhr.status), message: xhr.statusText || 'HTTP ' + xhr.status } });
        };
        if (responseType === 'blob') {
          var reader = new FileReader();
          reader.onload = function () {
            settle(parse(reader.result));
          };
          reader.readAsText(xhr.response);
        } else settle(parse(xhr.responseText));
      };
      xhr.onerror = function () {
        reject({ error: { code: 'network', message: '网络错误，请检查连接 network error' } });
      };
      xhr.send(body === undefined ? null : type ? body : JSON.stringify(body));
    });
  }

  /** A ULID-like id: 10 characters of time and 16 random, Crockford base32. */
  function newId() {
    var alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    var t = Date.now();
    var out = '';
    for (var i = 0; i < 10; i++) {
      out = alphabet.charAt(t % 32) + out;
      t = Math.floor(t / 32);
    }
    var rnd = new Uint8Array(16);
    window.crypto.getRandomValues(rnd);
    for (i = 0; i < 16; i++) out += alphabet.charAt(rnd[i] % 32);
    return out;
  }

  function nowInstant() {
    return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  }

  // ---------------------------------------------------------------------------
  // Sign in: the token names the producer.

  function signIn(ev) {
    if (ev) ev.preventDefault();
    session.setItem('tl-token', token());
    state.selected = new Set();
    search();
  }

  function showWho(producer) {
    $('who').textContent = producer ? '当前生产者 Signed in as: ' + producer.name + '（' + producer.uscc + '）' : '';
  }

  // ---------------------------------------------------------------------------
  // New batch.

  function lines(s) {
    return s.split(/\r?\n/).map(function (x) {
      return x.trim();
    }).filter(function (x) {
      return x !== '';
    });
  }

  function batchInput() {
    var b = {
      id: newId(),
      issuedAt: nowInstant(),
      lot: $('lot').value.trim(),
      origin: { countyCode: $('county').value.trim() },
      productionDate: { kind: $('kind').value, date: $('date').value },
      quantity: { value: Number($('qty').value), unit: $('unit').value },
      productCategory: $('category').value,
      reportIds: $('reports').value.split(',').map(function (s) {
        return s.trim();
      }).filter(function (s) {
        return s !== '';
      }),
    };
    // No producer: the server fills in the registered producer of the token.
    if ($('gtin').value.trim()) b.gtin = $('gtin').value.trim();
    if ($('town').value.trim()) b.origin.townCode = $('town').value.trim();
    if ($('origin').value.trim()) b.origin.name = $('origin').value.trim();
    var name = $('pname').value.trim();
    if (name) {
      var basis = [];
      var boxes = document.querySelectorAll('input[name=basis]:checked');
      for (var i = 0; i < boxes.length; i++) basis.push(boxes[i].value);
      b.certificate = {
        productName: name,
        quantity: b.quantity,
        origin: b.origin.name || b.origin.townCode || b.origin.countyCode,
        issuedAt: b.issuedAt,
        commitments: lines($('commitments').value),
        basis: basis,
      };
      var who = $('who').dataset;
      b.certificateIssuer = { committingParty: $('party').value.trim() || who.name || '', phone: $('phone').value.trim() };
      if (!$('party').value.trim() && who.uscc) b.certificateIssuer.committingPartyUscc = who.uscc;
      if ($('contact').value.trim()) b.certificateIssuer.contactPerson = $('contact').value.trim();
    }
    return b;
  }

  /**
   * The batch being sent, kept until the server answers: sent again unchanged (after a network error or a power cut on
   * either side), it keeps its id, so the server recognises it ('replay') instead of registering a second batch.
   */
  var pending = null;

  function submitBatch(ev) {
    ev.preventDefault();
    var b = batchInput();
    var key = JSON.stringify(Object.assign({}, b, { id: '', issuedAt: '', certificate: b.certificate && Object.assign({}, b.certificate, { issuedAt: '' }) }));
    if (pending && pending.key === key) {
      b.id = pending.batch.id;
      b.issuedAt = pending.batch.issuedAt;
      if (b.certificate) b.certificate.issuedAt = pending.batch.issuedAt;
    }
    pending = { key: key, batch: b };
    request('POST', '/batches', b).then(function (ack) {
      pending = null;
      show(ack);
      search();
    }, function (e) {
      if (e.error && e.error.code === 'replay') {
        pending = null;
        show('✓ 此批次已登记（重复提交未再登记）· This batch was already registered; it was not registered twice.');
        search();
        return;
      }
      if (e.error && e.error.code !== 'network') pending = null;
      show(e);
    });
  }

  // ---------------------------------------------------------------------------
  // CSV import: the server's answer as tables.

  function importReport(rep) {
    var out = $('import-result');
    out.textContent = '';
    var accepted = rep.accepted || [];
    var refused = rep.refused || [];
    if (rep.error) out.appendChild(el('p', '✗ ' + rep.error.message + '（' + rep.error.code + '）', 'msg-err'));
    var summary = rep.committed ? '✓ 已导入 ' + accepted.length + ' 行 · imported ' + accepted.length + ' row(s)' : '未导入任何行 · nothing was imported';
    out.appendChild(el('p', summary + (refused.length ? '；' + refused.length + ' 行有误 · ' + refused.length + ' row(s) refused' : ''), rep.committed ? 'msg-ok' : 'msg-err'));
    // Excel on a Chinese Windows saves CSV in GBK: the server read it as such; say so, so nothing is a surprise.
    if (rep.encoding === 'gbk') out.appendChild(el('p', '已按 GBK 编码读取（Excel 中文版另存的 CSV） · read as GBK (a CSV saved by Excel on a Chinese Windows)', 'msg-ok encoding-note'));
    if (refused.length) {
      var rows = [];
      refused.forEach(function (r) {
        r.errors.forEach(function (e) {
          rows.push([r.line, e.field || '（整行 row）', e.message]);
        });
      });
      out.appendChild(el('h3', '有误的行 Refused rows'));
      var t = table(['行 Line', '列 Column', '问题 Problem'], rows);
      t.id = 'refused-table';
      out.appendChild(t);
    }
    if (accepted.length && rep.committed) {
      out.appendChild(el('h3', '已导入 Imported'));
      var shown = accepted.slice(0, 50);
      var at = table(['行 Line', '编号 Id'], shown.map(function (a) { return [a.line, a.id]; }));
      at.id = 'accepted-table';
      out.appendChild(at);
      if (accepted.length > shown.length) out.appendChild(el('p', '另有 ' + (accepted.length - shown.length) + ' 行，见“我的批次” · ' + (accepted.length - shown.length) + ' more: see My batches', 'sub'));
    }
  }

  function importCsv() {
    var file = $('csv').files[0];
    if (!file) return show('请选择 CSV 文件 Choose a CSV file.', $('import-result'));
    var out = $('import-result');
    out.textContent = '';
    out.appendChild(el('p', '正在导入… Importing…'));
    var reader = new FileReader();
    reader.onload = function () {
      // The file's bytes as they are: the server detects the encoding (UTF-8, or GBK from Excel) and answers.
      request('POST', '/batches/import' + ($('partial').checked ? '?partial=1' : ''), reader.result, 'text/csv').then(function (rep) {
        importReport(rep);
        search();
      }, function (e) {
        if (e.accepted || e.refused) importReport(e);
        else show(e, out);
      });
    };
    reader.readAsArrayBuffer(file);
  }

  // ---------------------------------------------------------------------------
  // My batches: search, pages, selection.

  function link(href, text) {
    var a = el('a', text);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener';
    return a;
  }

  function readFilters() {
    var f = {};
    [['q', 's-q'], ['lot', 's-lot'], ['gtin', 's-gtin'], ['category', 's-category'], ['from', 's-from'], ['to', 's-to']].forEach(function (p) {
      var v = $(p[1]).value.trim();
      if (v) f[p[0]] = v;
    });
    return f;
  }

  function query(after) {
    var parts = ['limit=' + PAGE_SIZE, 'order=desc'];
    Object.keys(state.filters).forEach(function (k) {
      parts.push(k + '=' + encodeURIComponent(state.filters[k]));
    });
    if (after) parts.push('after=' + encodeURIComponent(after));
    return '/batches?' + parts.join('&');
  }

  function search(ev) {
    if (ev) ev.preventDefault();
    state.filters = readFilters();
    state.cursors = [null];
    state.page = 0;
    load();
  }

  function load() {
    if (!token()) return;
    request('GET', query(state.cursors[state.page])).then(render, function (e) {
      if (e.error && e.error.code === 'unauthorized') showWho(null);
      show(e);
    });
  }

  function status(b) {
    return b.revocation ? '已撤销 revoked' : b.status === 'anchored' ? '已上链 anchored' : '待上链 pending';
  }

  function render(page) {
    if (page.producer) {
      showWho(page.producer);
      $('who').dataset.name = page.producer.name;
      $('who').dataset.uscc = page.producer.uscc;
    }
    state.next = page.next;
    state.total = page.total;
    var body = $('batches');
    body.textContent = '';
    state.pageIds = [];
    (page.items || []).forEach(function (b) {
      var f = b.fields || {};
      state.pageIds.push(b.id);
      var tr = el('tr');
      tr.dataset.id = b.id;
      var box = el('input');
      box.type = 'checkbox';
      box.value = b.id;
      box.checked = state.selected.has(b.id);
      box.setAttribute('aria-label', '选择 select ' + (f.lot || b.id));
      box.addEventListener('change', function () {
        if (box.checked) state.selected.add(b.id);
        else state.selected.delete(b.id);
        updateSelection();
      });
      var cells = [
        box,
        b.links && b.links.scan ? link(b.links.scan, f.lot || b.id) : el('span', f.lot || b.id),
        (f.certificate && f.certificate.productName) || categoryNames[f.productCategory] || f.productCategory || '',
        f.productionDate ? f.productionDate.date : '',
        f.gtin || '',
        el('span', b.id, 'mono'),
        status(b),
      ];
      var qr = el('span');
      qr.appendChild(link(API + '/batches/' + encodeURIComponent(b.id) + '/qr.png', 'PNG'));
      qr.appendChild(document.createTextNode(' · '));
      qr.appendChild(link(API + '/batches/' + encodeURIComponent(b.id) + '/qr.svg', 'SVG'));
      cells.push(qr);
      cells.forEach(function (c, i) {
        var td = el('td');
        if (i === 5) td.className = 'id';
        if (c.nodeType) td.appendChild(c);
        else td.textContent = c;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    if (!state.pageIds.length) {
      var empty = el('tr');
      var td = el('td', Object.keys(state.filters).length ? '没有符合条件的批次 No batch matches' : '还没有批次 No batches yet');
      td.colSpan = 8;
      empty.appendChild(td);
      body.appendChild(empty);
    }
    var pages = Math.max(1, Math.ceil(state.total / PAGE_SIZE));
    $('total').textContent = '共 ' + state.total + ' 个 · ' + state.total + ' in all';
    $('page-no').textContent = '第 ' + (state.page + 1) + ' / ' + pages + ' 页 · page ' + (state.page + 1) + ' of ' + pages;
    $('prev').disabled = state.page === 0;
    $('next').disabled = !state.next;
    updateSelection();
  }

  function nextPage() {
    if (!state.next) return;
    state.cursors[state.page + 1] = state.next;
    state.page++;
    load();
  }

  function prevPage() {
    if (state.page === 0) return;
    state.page--;
    load();
  }

  function selectPage() {
    var on = $('select-page').checked;
    state.pageIds.forEach(function (id) {
      if (on) state.selected.add(id);
      else state.selected.delete(id);
    });
    var boxes = document.querySelectorAll('#batches input[type=checkbox]');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = on;
    updateSelection();
  }

  function updateSelection() {
    var n = state.selected.size;
    $('selected-count').textContent = '已选 ' + n + ' 个 · ' + n + ' selected';
    $('print').disabled = n === 0;
    $('select-page').checked = state.pageIds.length > 0 && state.pageIds.every(function (id) {
      return state.selected.has(id);
    });
  }

  function clearSelection() {
    state.selected = new Set();
    var boxes = document.querySelectorAll('#batches input[type=checkbox]');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = false;
    updateSelection();
  }

  /** One sheet of the selected batches, fetched with the token (a sheet of many labels needs it), offered as a file. */
  function printSelected() {
    var ids = Array.from(state.selected);
    if (!ids.length) return;
    if (ids.length > MAX_SHEET) return show({ error: { code: 'too-many', message: '一次最多打印 ' + MAX_SHEET + ' 个标签，请分批打印 · at most ' + MAX_SHEET + ' labels per sheet' } });
    show('正在生成 ' + ids.length + ' 个标签… Making ' + ids.length + ' labels…');
    request('GET', '/labels.pdf?ids=' + ids.map(encodeURIComponent).join(','), undefined, undefined, 'blob').then(function (pdf) {
      var a = $('labels-link');
      if (a.href && a.href.indexOf('blob:') === 0) URL.revokeObjectURL(a.href);
      a.href = URL.createObjectURL(pdf);
      a.download = 'labels-' + ids.length + '.pdf';
      a.textContent = '下载标签 PDF（' + ids.length + ' 个）Download the label sheet';
      a.hidden = false;
      a.dataset.count = String(ids.length);
      show('✓ 已生成 ' + ids.length + ' 个标签 · ' + ids.length + ' labels ready');
      a.click();
    }, function (e) {
      show(e);
    });
  }

  $('token').value = session.getItem('tl-token') || '';
  $('date').value = new Date().toISOString().slice(0, 10);
  $('token-form').addEventListener('submit', signIn);
  $('batch-form').addEventListener('submit', submitBatch);
  $('search-form').addEventListener('submit', search);
  $('reset').addEventListener('click', function () {
    ['s-q', 's-lot', 's-gtin', 's-category', 's-from', 's-to'].forEach(function (id) {
      $(id).value = '';
    });
    search();
  });
  $('import').addEventListener('click', importCsv);
  $('next').addEventListener('click', nextPage);
  $('prev').addEventListener('click', prevPage);
  $('select-page').addEventListener('change', selectPage);
  $('clear-selection').addEventListener('click', clearSelection);
  $('print').addEventListener('click', printSelected);
  updateSelection();
  search();
})();
