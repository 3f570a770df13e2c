/* global window, document, XMLHttpRequest, TextEncoder */
/*
 * traceledger consumer page: re-checks the proof bundles embedded in the page, in the browser, so the
 * verdict does not rest on the server's word. Plain ES2019, no build step, no dependencies.
 *
 * Per record: every disclosed field leaf SHA-256(0x00 || RFC 8785 [salt, name, value]) and its path to
 * the record root; the log entry's leaf hash; the RFC 9162 inclusion proof to the checkpoint root;
 * and, when the page names a public JSON-RPC endpoint, TraceLedger.rootAt(logId, size) on chain and
 * RevocationRegistry.revocationOf(leafHash) via eth_call. EIP-712 signatures are left to the server.
 */
(function (root) {
  'use strict';

  // Function selectors, computed with ethers `id(signature).slice(0, 10)`:
  var SEL_ROOT_AT = '0x40757a6a'; // rootAt(bytes32,uint256)
  var SEL_REVOCATION_OF = '0xcb74c873'; // revocationOf(bytes32)
  var SEL_PARTICIPANT_OF = '0x998fb585'; // participantOf(address)
  var BUNDLE_FORMAT = 'traceledger-proof-v1';
  var HEX32 = /^0x[0-9a-fA-F]{64}$/;
  var ZERO32 = '0x' + new Array(65).join('0');

  // ---------------------------------------------------------------------------
  // Bytes.

  function hexToBytes(hex) {
    var h = hex.slice(0, 2) === '0x' ? hex.slice(2) : hex;
    if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error('not hex: ' + hex.slice(0, 20));
    var out = new Uint8Array(h.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
    return out;
  }

  function toHex(bytes) {
    var s = '0x';
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return s;
  }

  function concat(parts) {
    var n = 0;
    var i;
    for (i = 0; i < parts.length; i++) n += parts[i].length;
    var out = new Uint8Array(n);
    var at = 0;
    for (i = 0; i < parts.length; i++) {
      out.set(parts[i], at);
      at += parts[i].length;
    }
    return out;
  }

  function utf8(s) {
    if (typeof TextEncoder !== 'undefined') return new TextEncoder().encode(s);
    var bin = unescape(encodeURIComponent(s));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // ---------------------------------------------------------------------------
  // SHA-256: WebCrypto where the page is a secure context, else this small FIPS 180-4 fallback.

  var K = [];
  (function () {
    var n = 2;
    var found = 0;
    function frac(x) {
      return ((x - Math.floor(x)) * 4294967296) >>> 0;
    }
    while (found < 64) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
      if (prime) K[found++] = frac(Math.pow(n, 1 / 3));
      n++;
    }
  })();
  var H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

  function sha256Sync(data) {
    var len = data.length;
    var total = (((len + 9 + 63) / 64) | 0) * 64;
    var m = new Uint8Array(total);
    m.set(data);
    m[len] = 0x80;
    var bits = len * 8;
    for (var b = 0; b < 8; b++) m[total - 1 - b] = Math.floor(bits / Math.pow(2, 8 * b)) & 0xff;
    var h = H0.slice();
    var w = new Array(64);
    for (var off = 0; off < total; off += 64) {
      var t;
      for (t = 0; t < 16; t++) w[t] = ((m[off + 4 * t] << 24) | (m[off + 4 * t + 1] << 16) | (m[off + 4 * t + 2] << 8) | m[off + 4 * t + 3]) >>> 0;
      for (t = 16; t < 64; t++) {
        var x = w[t - 15];
        var y = w[t - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) >>> 0;
      }
      var a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (hh + S1 + ch + K[t] + w[t]) >>> 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & bb) ^ (a & c) ^ (bb & c);
        var t2 = (S0 + maj) >>> 0;
        hh = g;
        g = f;
        f = e;
        e = (d + t1) >>> 0;
        d = c;
        c = bb;
        bb = a;
        a = (t1 + t2) >>> 0;
      }
      h[0] = (h[0] + a) >>> 0;
      h[1] = (h[1] + bb) >>> 0;
      h[2] = (h[2] + c) >>> 0;
      h[3] = (h[3] + d) >>> 0;
      h[4] = (h[4] + e) >>> 0;
      h[5] = (h[5] + f) >>> 0;
      h[6] = (h[6] + g) >>> 0;
      h[7] = (h[7] + hh) >>> 0;
    }
    var out = new Uint8Array(32);
    for (var i = 0; i < 8; i++) {
      out[4 * i] = h[i] >>> 24;
      out[4 * i + 1] = (h[i] >>> 16) & 0xff;
      out[4 * i + 2] = (h[i] >>> 8) & 0xff;
      out[4 * i + 3] = h[i] & 0xff;
    }
    return out;
  }

  var env = { crypto: root.crypto };

  function sha256(data) {
    var subtle = env.crypto && env.crypto.subtle;
    if (subtle && subtle.digest) {
      return subtle.digest('SHA-256', data).then(
        function (buf) {
          return new Uint8Array(buf);
        },
        function () {
          return sha256Sync(data);
        }
      );
    }
    return Promise.resolve(sha256Sync(data));
  }

  function leafHash(data) {
    return sha256(concat([new Uint8Array([0]), data]));
  }

  function nodeHash(left, right) {
    return sha256(concat([new Uint8Array([1]), left, right]));
  }

  // ---------------------------------------------------------------------------
  // RFC 8785 canonical JSON for the values records carry: strings, finite numbers (ECMAScript
  // Number-to-string, which JSON.stringify uses and RFC 8785 adopts; -0 becomes 0), booleans, null,
  // arrays, and objects with keys sorted by UTF-16 code units.

  function canonical(v) {
    if (v === null || typeof v === 'boolean') return String(v);
    if (typeof v === 'number') {
      if (!isFinite(v)) throw new Error('a number that JSON cannot carry');
      return JSON.stringify(v);
    }
    if (typeof v === 'string') {
      if (/(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(v)) throw new Error('a lone surrogate');
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
    if (typeof v === 'object') {
      var keys = Object.keys(v).sort();
      return '{' + keys.map(function (k) {
        return canonical(k) + ':' + canonical(v[k]);
      }).join(',') + '}';
    }
    throw new Error('not a JSON value: ' + typeof v);
  }

  // ---------------------------------------------------------------------------
  // RFC 9162 §2.1.3.2 inclusion verification (a port of server/ledger/rfc6962.ts). Sizes are safe
  // integers; bit operations are done arithmetically so sizes beyond 2^32 work.

  function bitLengthOfXor(a, b) {
    var n = 0;
    while (a !== b) {
      a = Math.floor(a / 2);
      b = Math.floor(b / 2);
      n++;
    }
    return n;
  }

  function popCount(x) {
    var c = 0;
    while (x > 0) {
      c += x % 2;
      x = Math.floor(x / 2);
    }
    return c;
  }

  function isSize(x) {
    return typeof x === 'number' && Math.floor(x) === x && x >= 0 && x <= 9007199254740991;
  }

  /** The root implied by `proof` for `leaf` at `index` of a tree of `size` leaves. Rejects a wrong-length proof. */
  async function rootFromInclusionProof(index, size, leaf, proof) {
    if (!isSize(index) || !isSize(size)) throw new Error('index and size must be non-negative integers');
    if (index >= size) throw new Error('index ' + index + ' is beyond the tree size ' + size);
    var inner = bitLengthOfXor(index, size - 1);
    var border = popCount(Math.floor(index / Math.pow(2, inner)));
    if (proof.length !== inner + border) throw new Error('the proof has ' + proof.length + ' hashes, want ' + (inner + border));
    var h = leaf;
    var bits = index;
    for (var i = 0; i < proof.length; i++) {
      var p = proof[i];
      if (p.length !== 32) throw new Error('a proof hash is not 32 bytes');
      if (i < inner) {
        h = bits % 2 === 0 ? await nodeHash(h, p) : await nodeHash(p, h);
        bits = Math.floor(bits / 2);
      } else {
        h = await nodeHash(p, h);
      }
    }
    return h;
  }

  // ---------------------------------------------------------------------------
  // JSON-RPC (eth_call with hand-encoded ABI: every argument is one 32-byte word).

  function rpc(url, method, params) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.setRequestHeader('Content-Type', 'application/json');
      xhr.timeout = 10000;
      xhr.onload = function () {
        try {
          var res = JSON.parse(xhr.responseText);
          if (res.error) reject(new Error(res.error.message || 'RPC error'));
          else resolve(res.result);
        } catch (e) {
          reject(e);
        }
      };
      xhr.onerror = xhr.ontimeout = function () {
        reject(new Error('the chain node did not answer'));
      };
      xhr.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: method, params: params }));
    });
  }

  function word(hexOrNumber) {
    var h = typeof hexOrNumber === 'number' ? hexOrNumber.toString(16) : hexOrNumber.replace(/^0x/, '');
    return new Array(65 - h.length).join('0') + h.toLowerCase();
  }

  function ethCall(url, to, data) {
    return rpc(url, 'eth_call', [{ to: to, data: data }, 'latest']).then(function (out) {
      if (typeof out !== 'string' || !/^0x([0-9a-fA-F]{64})*$/.test(out)) throw new Error('unexpected eth_call answer');
      var words = [];
      for (var i = 2; i < out.length; i += 64) words.push('0x' + out.slice(i, i + 64).toLowerCase());
      return words;
    });
  }

  // ---------------------------------------------------------------------------
  // One bundle.

  function fail(step, message) {
    var e = new Error(message);
    e.step = step;
    return e;
  }

  /**
   * Verifies one traceledger-proof-v1 bundle. `opts.rpc`: a JSON-RPC URL or null; `opts.revocation`: the
   * server's revocation info, used when there is no RPC. Resolves to {verdict, steps, fields, chain}.
   */
  async function verifyBundle(bundle, opts) {
    opts = opts || {};
    var steps = [];
    var out = { verdict: 'invalid', steps: steps, fields: null, chain: 'unchecked', revocation: null };
    function add(step, status, message) {
      steps.push({ step: step, status: status, message: message || '' });
    }
    var current = 'checkFieldDisclosures';
    try {
      if (!bundle || bundle.format !== BUNDLE_FORMAT) throw fail('parseBundle', 'not a ' + BUNDLE_FORMAT + ' bundle');
      var rec = bundle.record;
      if (!rec || !HEX32.test(rec.recordRoot) || !Array.isArray(rec.disclosures) || !bundle.log || !HEX32.test(bundle.log.leafHash)) {
        throw fail('parseBundle', 'the bundle is incomplete');
      }

      // Fields → record root.
      var recordRoot = rec.recordRoot.toLowerCase();
      var fields = {};
      var order = [];
      for (var i = 0; i < rec.disclosures.length; i++) {
        var d = rec.disclosures[i];
        if (typeof d.name !== 'string' || typeof d.salt !== 'string' || !/^[0-9a-f]{32}$/.test(d.salt) || !Array.isArray(d.path)) {
          throw fail(current, 'a disclosure is malformed');
        }
        var leaf = await leafHash(utf8(canonical([d.salt, d.name, d.value])));
        var path = d.path.map(function (p) {
          if (!HEX32.test(p)) throw fail(current, 'a field path is malformed');
          return hexToBytes(p);
        });
        var computed = toHex(await rootFromInclusionProof(d.index, rec.leafCount, leaf, path));
        if (computed !== recordRoot) throw fail(current, 'field "' + d.name + '" does not match the record root');
        order.push({ name: d.name, index: d.index });
        fields[d.name] = d.value;
      }
      order.sort(function (a, b) {
        return a.index - b.index;
      });
      for (i = 1; i < order.length; i++) if (!(order[i - 1].name < order[i].name)) throw fail(current, 'fields are out of order');
      if (fields.id !== undefined && fields.id !== rec.id) throw fail(current, 'the disclosed id is not the record id');
      out.fields = fields;
      add(current, 'passed');

      // Log entry → leaf hash.
      current = 'computeLeafHash';
      var entry = bundle.entry;
      if (!entry || entry.v !== 1) throw fail(current, 'unknown log entry version');
      if (entry.recordRoot !== recordRoot || entry.id !== rec.id || entry.type !== rec.type) throw fail(current, 'the log entry is for another record');
      var leafBytes = await leafHash(utf8(canonical(entry)));
      var leafHex = toHex(leafBytes);
      if (leafHex !== bundle.log.leafHash.toLowerCase()) throw fail(current, 'the log entry does not hash to the leaf hash');
      add(current, 'passed');

      // Inclusion proof → checkpoint root.
      current = 'checkInclusion';
      var cp = bundle.checkpoint;
      if (!cp || bundle.log.leafIndex === null) {
        add(current, 'pending', 'not yet anchored');
        add('checkCheckpointOnChain', 'pending', 'not yet anchored');
        out.verdict = 'pending';
      } else {
        if (!HEX32.test(cp.root) || !Array.isArray(bundle.log.inclusionProof)) throw fail(current, 'the checkpoint is malformed');
        var proof = bundle.log.inclusionProof.map(function (p) {
          if (!HEX32.test(p)) throw fail(current, 'the inclusion proof is malformed');
          return hexToBytes(p);
        });
        var logRoot = toHex(await rootFromInclusionProof(bundle.log.leafIndex, cp.size, leafBytes, proof));
        if (logRoot !== cp.root.toLowerCase()) throw fail(current, 'the inclusion proof does not lead to the checkpoint root');
        add(current, 'passed');

        // Checkpoint root → the chain.
        current = 'checkCheckpointOnChain';
        if (!opts.rpc) {
          add(current, 'skipped', 'no public chain endpoint configured');
        } else {
          try {
            var chainId = parseInt(await rpc(opts.rpc, 'eth_chainId', []), 16);
            if (chainId !== bundle.chain.chainId) throw fail(current, 'the endpoint is chain ' + chainId + ', not ' + bundle.chain.chainId);
            var words = await ethCall(opts.rpc, bundle.chain.traceLedger, SEL_ROOT_AT + word(bundle.log.chainLogId) + word(cp.size));
            if (words[0] === ZERO32) throw fail(current, 'no checkpoint of this size on chain');
            if (words[0] !== cp.root.toLowerCase()) throw fail(current, 'the chain holds another root for this checkpoint');
            add(current, 'passed');
            out.chain = 'checked';
          } catch (e) {
            if (e.step) throw e;
            add(current, 'skipped', e.message);
            out.chain = 'unreachable';
          }
        }
        out.verdict = 'valid';
      }

      // Revocation: read on chain when possible, else the server's word.
      current = 'checkNotRevoked';
      var revocation = null;
      if (opts.rpc && out.chain !== 'unreachable') {
        try {
          var r = await ethCall(opts.rpc, bundle.chain.revocationRegistry, SEL_REVOCATION_OF + word(leafHex));
          if (r.length < 5) throw new Error('unexpected revocationOf answer');
          if (r[0] !== ZERO32) {
            var counts = r[4] === ZERO32; // a regulator's revocation always counts
            if (!counts) {
              var owner = await ethCall(opts.rpc, bundle.chain.participantRegistry, SEL_PARTICIPANT_OF + word(entry.signer));
              counts = owner[0] === r[4]; // else only the issuing lab's own
            }
            if (counts) revocation = { reasonCode: parseInt(r[1], 16), revokedAt: new Date(parseInt(r[2], 16) * 1000).toISOString(), source: 'chain' };
          }
        } catch {
          revocation = opts.revocation ? { reasonCode: opts.revocation.reasonCode, revokedAt: opts.revocation.revokedAt, source: 'server' } : null;
        }
      } else if (opts.revocation) {
        revocation = { reasonCode: opts.revocation.reasonCode, revokedAt: opts.revocation.revokedAt, source: 'server' };
      }
      if (revocation) {
        add(current, 'failed', 'revoked');
        out.revocation = revocation;
        out.verdict = 'revoked';
      } else {
        add(current, 'passed');
      }

      // A report must name the batch it is shown for.
      if (opts.batchId && rec.type === 'SeleniumTestReport') {
        current = 'checkReportSubject';
        if (fields.batchId !== opts.batchId) throw fail(current, 'the report is for another batch');
        add(current, 'passed');
      }
      return out;
    } catch (e) {
      add(e.step || current, 'failed', e.message);
      out.verdict = 'invalid';
      return out;
    }
  }

  function worst(verdicts) {
    var order = ['invalid', 'revoked', 'pending'];
    for (var i = 0; i < order.length; i++) if (verdicts.indexOf(order[i]) >= 0) return order[i];
    return 'valid';
  }

  // ---------------------------------------------------------------------------
  // The page.

  var TEXT = {
    zh: {
      valid: '您的浏览器已独立验证：数据与链上记录一致',
      validNoChain: '您的浏览器已核对数据与证明一致（未连接区块链节点，上链状态以服务器为准）',
      pending: '您的浏览器核对：记录尚未上链',
      invalid: '您的浏览器发现问题：数据与证明不符',
      revoked: '您的浏览器核对：检测报告已撤销',
      error: '浏览器验证未能完成',
      batch: '批次',
      report: '报告',
      result: '硒含量',
      steps: {
        parseBundle: '读取证明',
        checkFieldDisclosures: '字段',
        computeLeafHash: '记录哈希',
        checkInclusion: '包含证明',
        checkCheckpointOnChain: '链上根',
        checkNotRevoked: '撤销',
        checkReportSubject: '对应批次',
      },
    },
    en: {
      valid: 'Verified by your browser: the data match the chain',
      validNoChain: 'Your browser checked the data against their proofs (no chain endpoint; anchoring is as the server says)',
      pending: 'Checked by your browser: not yet anchored',
      invalid: 'Your browser found a problem: the data do not match their proofs',
      revoked: 'Checked by your browser: a lab report is revoked',
      error: 'Browser verification could not finish',
      batch: 'Batch',
      report: 'Report',
      result: 'Selenium',
      steps: {
        parseBundle: 'bundle',
        checkFieldDisclosures: 'fields',
        computeLeafHash: 'record hash',
        checkInclusion: 'inclusion proof',
        checkCheckpointOnChain: 'root on chain',
        checkNotRevoked: 'revocation',
        checkReportSubject: 'batch match',
      },
    },
  };
  var MARK = { passed: '✓', failed: '✗', pending: '…', skipped: '–' };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  async function run() {
    var dataEl = document.getElementById('tl-data');
    var box = document.getElementById('browser-verdict');
    var list = document.getElementById('browser-steps');
    if (!dataEl || !box) return;
    var lang = document.documentElement.lang === 'en' ? 'en' : 'zh';
    var t = TEXT[lang];
    box.setAttribute('data-verdict', 'checking');
    try {
      var data = JSON.parse(dataEl.textContent);
      var results = [];
      for (var i = 0; i < data.records.length; i++) {
        var r = data.records[i];
        var res = await verifyBundle(r.bundle, { rpc: data.rpc, revocation: r.revocation, batchId: r.role === 'report' ? data.batchId : null });
        results.push({ record: r, result: res });
      }
      var verdict = worst(results.map(function (x) {
        return x.result.verdict;
      }));
      var chainChecked = results.every(function (x) {
        return x.result.chain === 'checked' || x.result.verdict === 'pending';
      });
      box.setAttribute('data-verdict', verdict);
      box.setAttribute('data-chain', chainChecked ? 'checked' : 'unchecked');
      box.textContent = verdict === 'valid' && !chainChecked ? t.validNoChain : t[verdict];
      if (list) {
        list.textContent = '';
        results.forEach(function (x) {
          var li = el('li', 'v-' + x.result.verdict);
          var f = x.result.fields || {};
          var title = (x.record.role === 'batch' ? t.batch + ' ' + (f.lot || x.record.id) : t.report + ' ' + (f.reportNumber || x.record.id));
          li.appendChild(el('b', null, title));
          if (x.record.role === 'report' && typeof f.result === 'number') li.appendChild(el('span', 'bv-result', ' · ' + t.result + ' ' + f.result + ' ' + (f.unit || '')));
          var steps = el('div', 'bv-steps');
          x.result.steps.forEach(function (s) {
            steps.appendChild(el('span', 's-' + s.status, MARK[s.status] + ' ' + (t.steps[s.step] || s.step)));
            if (s.status !== 'passed' && s.message && s.message !== 'revoked') steps.appendChild(el('small', null, '(' + s.message + ') '));
          });
          li.appendChild(steps);
          list.appendChild(li);
        });
      }
    } catch (e) {
      box.setAttribute('data-verdict', 'error');
      box.textContent = t.error + ': ' + e.message;
    }
  }

  var api = { canonical: canonical, sha256: sha256, sha256Sync: sha256Sync, leafHash: leafHash, rootFromInclusionProof: rootFromInclusionProof, verifyBundle: verifyBundle, worst: worst, toHex: toHex, hexToBytes: hexToBytes, utf8: utf8, env: env };
  if (typeof module !== 'undefined' && module.exports) {
    module.exports = api;
  } else if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', run);
  } else {
    run();
  }
})(typeof window !== 'undefined' ? window : {});
