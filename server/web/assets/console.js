/* global window, document, XMLHttpRequest, FileReader */
/* traceledger producer console: calls the REST API (/api/v1) with the producer's token. Plain ES2019. */
(function () {
  'use strict';
  var API = '/api/v1';
  // The API token lives only as long as the tab (sessionStorage): never in localStorage, where it would outlive the
  // session and be readable by every later page of this origin. The producer's name and USCC are no secrets.
  var remembered = window.localStorage;
  var session = window.sessionStorage;
  var storeOf = function (k) {
    return k === 'token' ? session : remembered;
  };
  // A token an earlier version kept in localStorage is removed.
  remembered.removeItem('tl-token');
  var $ = function (id) {
    return document.getElementById(id);
  };

  function show(x) {
    var out = $('out');
    out.textContent = typeof x === 'string' ? x : JSON.stringify(x, null, 2);
    if (out.scrollIntoView) out.scrollIntoView({ block: 'nearest' });
  }

  function call(method, path, body, type) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, API + path);
      var token = $('token').value.trim();
      if (token) xhr.setRequestHeader('Authorization', 'Bearer ' + token);
      if (body !== undefined) xhr.setRequestHeader('Content-Type', type || 'application/json');
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.onload = function () {
        var data;
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          data = xhr.responseText;
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(data && data.error ? data : { error: { code: String(xhr.status), message: xhr.statusText } });
      };
      xhr.onerror = function () {
        reject({ error: { code: 'network', message: 'network error' } });
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

  function save(ev) {
    if (ev) ev.preventDefault();
    ['token', 'uscc', 'pname'].forEach(function (k) {
      storeOf(k).setItem('tl-' + k, $(k).value.trim());
    });
    show('已保存 Saved.');
    refresh();
  }

  function batchInput() {
    var b = {
      id: newId(),
      issuedAt: nowInstant(),
      lot: $('lot').value.trim(),
      producer: { uscc: $('uscc').value.trim(), name: $('pname').value.trim() },
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
    if ($('gtin').value.trim()) b.gtin = $('gtin').value.trim();
    if ($('town').value.trim()) b.origin.townCode = $('town').value.trim();
    if ($('origin').value.trim()) b.origin.name = $('origin').value.trim();
    return b;
  }

  function submitBatch(ev) {
    ev.preventDefault();
    call('POST', '/batches', batchInput()).then(function (ack) {
      show(ack);
      refresh();
    }, show);
  }

  function importCsv() {
    var file = $('csv').files[0];
    if (!file) return show('请选择 CSV 文件 Choose a CSV file.');
    var reader = new FileReader();
    reader.onload = function () {
      call('POST', '/batches/import' + ($('partial').checked ? '?partial=1' : ''), reader.result, 'text/csv').then(function (rep) {
        show(rep);
        refresh();
      }, show);
    };
    reader.readAsText(file, 'utf-8');
  }

  function cell(tr, node) {
    var td = document.createElement('td');
    td.appendChild(node);
    tr.appendChild(td);
  }

  function link(href, text) {
    var a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    a.target = '_blank';
    a.rel = 'noopener';
    return a;
  }

  function updateLabels() {
    var ids = [];
    var boxes = document.querySelectorAll('#batches input:checked');
    for (var i = 0; i < boxes.length; i++) ids.push(boxes[i].value);
    $('labels').href = ids.length ? API + '/labels.pdf?ids=' + ids.map(encodeURIComponent).join(',') : '#';
  }

  function refresh() {
    if (!$('token').value.trim()) return;
    call('GET', '/batches?limit=100').then(function (page) {
      var body = $('batches');
      body.textContent = '';
      (page.items || []).forEach(function (b) {
        var tr = document.createElement('tr');
        var box = document.createElement('input');
        box.type = 'checkbox';
        box.value = b.id;
        box.checked = true;
        box.addEventListener('change', updateLabels);
        cell(tr, box);
        var lot = (b.fields && b.fields.lot) || b.id;
        cell(tr, b.links && b.links.scan ? link(b.links.scan, lot) : document.createTextNode(lot));
        // The full id: the server places every batch id in the producer's namespace ({USCC}-{id}).
        cell(tr, document.createTextNode(b.id));
        cell(tr, document.createTextNode(b.revocation ? '已撤销 revoked' : b.status === 'anchored' ? '已上链 anchored' : '待上链 pending'));
        var qr = document.createElement('span');
        qr.appendChild(link(API + '/batches/' + encodeURIComponent(b.id) + '/qr.png', 'PNG'));
        qr.appendChild(document.createTextNode(' · '));
        qr.appendChild(link(API + '/batches/' + encodeURIComponent(b.id) + '/qr.svg', 'SVG'));
        cell(tr, qr);
        body.appendChild(tr);
      });
      updateLabels();
    }, show);
  }

  ['token', 'uscc', 'pname'].forEach(function (k) {
    $(k).value = storeOf(k).getItem('tl-' + k) || '';
  });
  $('date').value = new Date().toISOString().slice(0, 10);
  $('token-form').addEventListener('submit', save);
  $('batch-form').addEventListener('submit', submitBatch);
  $('import').addEventListener('click', importCsv);
  $('refresh').addEventListener('click', refresh);
  refresh();
})();
