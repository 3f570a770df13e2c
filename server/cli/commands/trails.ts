/**
 * Data-sharing commands: `share sign` and `share submit` (a department's tooling), `receipts check`
 * (hold the operator to its receipt, against the chain), `trail verify`, `dataset check` and
 * `monitor` (an auditor's).
 */
import { Option, type Command } from 'commander';
import type { MonitorReport } from '../../trails';
import { CliError, EXIT, unusable, type CliRun, type ExitCode } from '../errors';
import { ADMIN_TOKEN_ENV, ADMIN_TOKEN_OPTION_HELP, adminTokenOf, note, readJsonFile, readKeyFile, say, writeOutput } from '../io';
import { bindingOf } from './keys';

const SYMBOL = { passed: '✓', failed: '✗', pending: '…' } as const;
const LOGS = ['data-sharing', 'products'] as const;
type LogName = (typeof LOGS)[number];

interface ServerOpts {
  server?: string;
  adminToken?: string;
  adminTokenFile?: string;
}


/** GET a JSON answer from the server's API. */
async function getJson<T>(server: string, path: string, opts: { token?: string; ok?: readonly number[] } = {}): Promise<{ status: number; body: T }> {
  const { apiUrl, jsonOf, send } = await import('../http');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const answer = await send('GET', apiUrl(server, path), { headers });
  return { status: answer.status, body: jsonOf<T>(answer, opts.ok ?? [200]) };
}

/** POST JSON to the server's API. */
async function postJson<T>(server: string, path: string, body: unknown, opts: { token?: string; ok?: readonly number[] } = {}): Promise<T> {
  return (await import('../http')).postJson<T>(server, path, body, opts);
}

interface ChainInfo {
  chainId: number;
  traceLedger: string;
  participantRegistry: string;
  revocationRegistry: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const instantNow = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const enc = encodeURIComponent;

/** The database in a server's data folder. Throws (exit 2) when there is none. */
async function openDataDir(dataDir: string) {
  const path = await import('node:path');
  const dir = path.resolve(dataDir);
  const dbPath = path.join(dir, 'traceledger.sqlite');
  // The server's store: PostgreSQL when DATABASE_URL is set (as for the server), else its SQLite file.
  const { openExistingStore } = await import('../../store');
  const store = await openExistingStore(dbPath, process.env);
  if (!store) throw unusable(`no database at ${dbPath}: is --data-dir the server's DATA_DIR?`);
  return { store, deploymentFile: path.join(dir, 'deployment.json') };
}

export function registerTrails(program: Command, run: CliRun): void {
  registerShare(program, run);
  registerReceipts(program, run);
  registerTrail(program, run);
  registerDataset(program, run);
  registerMonitor(program, run);
}

// ---------------------------------------------------------------------------
// share sign / share submit

interface ShareSignOpts extends ServerOpts {
  keyFile: string;
  deployment?: string;
  chainId?: string;
  contract?: string;
  out?: string;
}

interface ShareSubmitOpts extends ServerOpts {
  receiptOut?: string;
  wait: string;
  json?: boolean;
}

function registerShare(program: Command, run: CliRun): void {
  const share = program
    .command('share')
    .summary("sign and submit a department's share steps (request, reply, delivery, receipt)")
    .description('A department signs each step of a data share with its own key, then submits it; the server answers with its signed receipt.');

  share
    .command('sign')
    .summary("sign a share step with a department's key file, ready for POST /api/v1/shares")
    .description(
      [
        'Validates a share step (JSON: the record\'s fields, with "step": request, reply, delivery or receipt), commits it with fresh salts and signs its EIP-712 message with the department\'s key. Writes { type, record, salts, signature }, the body of POST /api/v1/shares.',
        'The signing department is the requesting one for a request or receipt, the providing one for a reply or delivery; an absent "departmentId" is set to its id. An absent "id" gets a new ULID in the signing department\'s namespace ("{its USCC}-{ULID}": record ids are namespaced by their signer), an absent "issuedAt" is now. With --server, an absent "seq" and "prevHash" come from the department\'s head on the server (GET /api/v1/departments/{id}/head), and the chain binding from GET /api/v1/chain; otherwise give them in the file, and the binding with --deployment, or --chain-id and --contract.',
        'Exit codes: 0 signed; 1 the step is invalid (its problems are listed); 2 an unreadable file or key, an unreachable server.',
      ].join('\n\n'),
    )
    .argument('<step>', 'the share step JSON file, or - for standard input')
    .requiredOption('--key-file <file>', "the department's key file (from traceledger keygen)")
    .option('--server <url>', 'fill seq, prevHash and the chain binding from this traceledger server')
    .option('--deployment <file>', 'deployment file naming the chain and the TraceLedger contract')
    .option('--chain-id <n>', 'chain id (instead of --deployment)')
    .option('--contract <address>', 'TraceLedger address (instead of --deployment)')
    .option('--out <file>', 'where to write the signed step (default: standard output)')
    .action(async (file: string, opts: ShareSignOpts) => {
      await signShare(file, opts);
      run.exitCode = EXIT.OK;
    });

  share
    .command('submit')
    .summary('submit a signed share step to a server and print its receipt')
    .description(
      [
        "Sends a signed share step (from traceledger share sign) to POST /api/v1/shares. Prints the operator's signed receipt (traceledger-receipt-v1) on standard output, and a summary on standard error; --receipt-out saves the receipt, to check later with traceledger receipts check.",
        'Exit codes: 0 accepted, receipt printed; 1 refused (the reason named: e.g. not the next seq of the department, with the expected seq and prevHash); 2 unusable file or unreachable server; 3 accepted but no receipt within --wait seconds (ask again: GET /api/v1/shares/{id}/receipt).',
      ].join('\n\n'),
    )
    .argument('<signed>', 'the signed step JSON file, or - for standard input')
    .requiredOption('--server <url>', 'the traceledger server, e.g. http://localhost:3000')
    .option('--receipt-out <file>', 'also write the receipt to this file')
    .option('--wait <seconds>', 'how long to wait for the receipt', '10')
    .option('--json', 'print the whole acceptance as JSON instead of the receipt')
    .action(async (file: string, opts: ShareSubmitOpts) => {
      run.exitCode = await submitShareStep(file, opts);
    });
}

async function signShare(file: string, opts: ShareSignOpts): Promise<void> {
  const { walletFromKey } = await import('../../chain/keys');
  const { commitRecord, namespacedId, parseShareRecord, signRecord } = await import('../../records');
  const { newUlid } = await import('../../service/csv-import');
  const { departmentIdOf } = await import('../../trails/lifecycle');

  const input = readJsonFile(file);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw unusable(`${file} must hold a JSON object: the share step's fields`);
  const fields: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  const signingSide = fields.step === 'request' || fields.step === 'receipt' ? 'requestingDepartment' : fields.step === 'reply' || fields.step === 'delivery' ? 'providingDepartment' : null;
  if (!signingSide) throw new CliError(`${file}: "step" must be request, reply, delivery or receipt`, EXIT.REFUSED);
  const uscc = (fields[signingSide] as { uscc?: unknown } | undefined)?.uscc;
  if (fields.departmentId === undefined) {
    if (typeof uscc !== 'string') throw new CliError(`${file}: ${signingSide}.uscc is required (it names the signing department)`, EXIT.REFUSED);
    fields.departmentId = departmentIdOf(uscc);
  }

  let binding: { chainId: number; verifyingContract: string };
  const explicit = opts.deployment !== undefined || opts.chainId !== undefined || opts.contract !== undefined;
  if (opts.server) {
    if (fields.seq === undefined || fields.prevHash === undefined) {
      const { body: head } = await getJson<{ nextSeq: number; prevHash: string }>(opts.server, `/departments/${enc(String(fields.departmentId))}/head`);
      fields.seq ??= head.nextSeq;
      fields.prevHash ??= head.prevHash;
    }
    if (explicit) binding = await bindingOf(opts);
    else {
      const { body: chain } = await getJson<ChainInfo>(opts.server, '/chain');
      binding = { chainId: chain.chainId, verifyingContract: chain.traceLedger };
    }
  } else {
    if (fields.seq === undefined || fields.prevHash === undefined) throw unusable('give "seq" and "prevHash" in the step, or --server to take them from the department\'s head');
    binding = await bindingOf(opts);
  }
  // Record ids are namespaced by their signer: a new id is `{the signing department's USCC}-{ULID}`.
  fields.id ??= typeof uscc === 'string' ? namespacedId(uscc, newUlid()) : newUlid();
  fields.issuedAt ??= instantNow();

  const { type, record } = parseShareRecord(fields);
  const wallet = walletFromKey(readKeyFile(opts.keyFile));
  const { root, salts } = commitRecord(record);
  const signature = await signRecord(wallet, type, record as never, root, binding);
  // The salts disclose the private fields (the officers): keep the output as private as the step.
  writeOutput(opts.out, JSON.stringify({ type, record, salts, signature }, null, 2) + '\n', 0o600);
  note(`signed ${type} ${record.id} (seq ${record.seq} of department ${record.departmentId}) as ${wallet.address} for chain ${binding.chainId}, TraceLedger ${binding.verifyingContract}`);
  if (opts.out && opts.out !== '-') note(`wrote ${opts.out}; submit it with: traceledger share submit ${opts.out} --server URL`);
}

interface Acceptance {
  id: string;
  type: string;
  leafHash: string;
  receipt?: unknown;
}

async function submitShareStep(file: string, opts: ShareSubmitOpts): Promise<ExitCode> {
  const wait = Number(opts.wait);
  if (!Number.isFinite(wait) || wait < 0 || wait > 3600) throw unusable('--wait must be a number of seconds from 0 to 3600');
  const input = readJsonFile(file) as { type?: unknown; record?: unknown; salts?: unknown; signature?: unknown } | null;
  if (!input || typeof input !== 'object' || input.record === undefined || input.salts === undefined || input.signature === undefined) {
    throw unusable(`${file} is not a signed share step: it needs "record", "salts" and "signature" (from traceledger share sign)`);
  }
  const ack = await postJson<Acceptance>(opts.server!, '/shares', { type: input.type, record: input.record, salts: input.salts, signature: input.signature });
  note(`accepted ${ack.type} ${ack.id}, leaf hash ${ack.leafHash}`);

  let receipt = ack.receipt ?? null;
  const deadline = Date.now() + wait * 1000;
  while (receipt === null && Date.now() < deadline) {
    const answer = await getJson<{ format?: string }>(opts.server!, `/shares/${enc(ack.id)}/receipt`, { ok: [200, 202] });
    if (answer.status === 200) receipt = answer.body;
    else await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
  }
  if (opts.json) say(JSON.stringify({ ...ack, receipt }, null, 2));
  if (receipt === null) {
    note(`no receipt within ${wait} s: the record is accepted and waits to be sequenced; fetch it later from /api/v1/shares/${ack.id}/receipt`);
    return EXIT.PENDING;
  }
  const text = JSON.stringify(receipt, null, 2) + '\n';
  if (!opts.json) say(text.trimEnd());
  if (opts.receiptOut) {
    writeOutput(opts.receiptOut, text);
    note(`wrote the receipt to ${opts.receiptOut}; check it against the chain with: traceledger receipts check ${opts.receiptOut} --rpc URL --server URL`);
  }
  return EXIT.OK;
}

// ---------------------------------------------------------------------------
// receipts check

interface ReceiptsCheckOpts {
  rpc: string;
  server: string;
  contract?: string;
  json?: boolean;
}

function registerReceipts(program: Command, run: CliRun): void {
  const receipts = program.command('receipts').summary("check the operator's signed receipts against the chain").description("Receipts (traceledger-receipt-v1) are the operator's signed promise that a record sits at an index of its log.");
  receipts
    .command('check')
    .summary('is the receipted record in the log anchored on chain?')
    .description(
      [
        "Checks a receipt (from traceledger share submit, or GET /api/v1/shares/{id}/receipt): its signature must be by an anchorer of the TraceLedger contract, and the log's latest checkpoint anchored on chain (read over --rpc) must include the receipt's leaf at its index, by an inclusion proof asked of the server (GET /api/v1/logs/{logId}/inclusion) and verified here against the root on chain. If the anchored log has another leaf there, or the server cannot prove it, the signed receipt and the on-chain root are the evidence of an omission.",
        'Exit codes: 0 included; 1 omitted (the evidence is printed) or invalid (not signed by an anchorer, another chain or contract); 2 an unreadable receipt, an unknown receipt format, an unreachable chain or server; 3 not yet anchored: no anchored checkpoint covers the index yet, check again later.',
      ].join('\n\n'),
    )
    .argument('<receipt>', 'the receipt JSON file, or - for standard input')
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint of the chain the receipt names')
    .requiredOption('--server <url>', 'the traceledger server that serves the log\'s inclusion proofs')
    .option('--contract <address>', 'the TraceLedger address you trust; without it, the one the receipt names is used')
    .option('--json', 'print the check (status, message, evidence) as JSON')
    .action(async (file: string, opts: ReceiptsCheckOpts) => {
      run.exitCode = await checkReceiptFile(file, opts);
    });
}

async function checkReceiptFile(file: string, opts: ReceiptsCheckOpts): Promise<ExitCode> {
  const { parseReceipt, checkReceipt } = await import('../../trails');
  const receipt = parseReceipt(readJsonFile(file));
  const { body: chain } = await getJson<ChainInfo>(opts.server, '/chain');
  const traceLedger = opts.contract ?? receipt.traceLedger;

  const { connect } = await import('../chain');
  const { RpcChainReader } = await import('../../chain/reader');
  const { provider } = await connect(opts.rpc);
  let unreachable: CliError | undefined;
  const fetchInclusion = async (index: number, size: number) => {
    try {
      const { body } = await getJson<{ leafHash: string; proof: string[] }>(opts.server, `/logs/${enc(receipt.logId)}/inclusion?index=${index}&size=${size}`);
      return { leafHash: body.leafHash, proof: body.proof };
    } catch (e) {
      if (e instanceof CliError && e.exitCode === EXIT.UNUSABLE) unreachable = e;
      throw e;
    }
  };
  try {
    const reader = new RpcChainReader(provider, { chainId: receipt.chainId, traceLedger, participantRegistry: chain.participantRegistry, revocationRegistry: chain.revocationRegistry });
    const check = await checkReceipt(receipt, { chain: reader, fetchInclusion, traceLedger });
    if (check.status === 'omitted' && unreachable) throw unreachable;
    const code: ExitCode = check.status === 'included' ? EXIT.OK : check.status === 'not-yet-anchored' ? EXIT.PENDING : EXIT.REFUSED;
    if (opts.json) {
      say(JSON.stringify(check, null, 2));
      return code;
    }
    say(`${receipt.format}: ${receipt.logId} entry ${receipt.leafIndex} = record ${receipt.recordId}`);
    say(`chain ${receipt.chainId}, TraceLedger ${traceLedger}${opts.contract ? ' (trusted)' : ' (as the receipt names it; pin it with --contract)'}`);
    say();
    say(`${check.status.toUpperCase()}: ${check.message}`);
    if (check.status !== 'included') {
      const e = check.evidence;
      say();
      say('Evidence:');
      say(`  receipt     leafIndex ${receipt.leafIndex}, leafHash ${receipt.leafHash}, logSize ${receipt.logSize}, issued ${receipt.issuedAt}`);
      say(`  signed by   ${e.operator ?? '(no signer recovered)'}`);
      if (e.checkpoint) say(`  on chain    log ${e.checkpoint.chainLogId}: size ${e.checkpoint.size}, root ${e.checkpoint.root}`);
      if (e.served) say(`  served      leafHash ${e.served.leafHash} with ${e.served.proof.length} proof hashes`);
      if (e.reason) say(`  reason      ${e.reason}`);
    }
    return code;
  } finally {
    provider.destroy();
  }
}

// ---------------------------------------------------------------------------
// trail verify

function registerTrail(program: Command, run: CliRun): void {
  const trail = program.command('trail').summary("verify a department's data-sharing trail").description("A department's trail: its share records in its own sequence.");
  trail
    .command('verify')
    .summary("verify a department's whole trail in named steps")
    .description(
      [
        `Asks the server to verify the department's trail (GET /api/v1/departments/{id}/trail/verify): every entry anchored on chain, the sequence 1..n without gap (and no record of the department missing from it), each record matching its signed log entry and linking to the previous one, each signature by a key registered for the department and valid when it signed. Prints every step with ✓ passed, ✗ failed, … pending.`,
        'Exit codes: 0 valid; 1 invalid (the failed step and first record named); 2 unreachable server, unknown department; 3 pending: nothing failed, but entries wait to be anchored.',
      ].join('\n\n'),
    )
    .argument('<department>', "the department's participant id (0x…) or unified social credit code")
    .requiredOption('--server <url>', 'the traceledger server')
    .option('--json', 'print the verification as JSON')
    .action(async (ref: string, opts: { server: string; json?: boolean }) => {
      run.exitCode = await verifyTrailRemote(ref, opts);
    });
}

interface TrailVerificationJson {
  departmentId: string;
  verdict: 'valid' | 'invalid' | 'pending';
  steps: { step: string; status: 'passed' | 'failed' | 'pending'; message: string }[];
  entries: number;
  firstProblem?: { step: string; seq: number | null; recordId: string | null };
  checkpoint: { size: number; root: string } | null;
}

async function verifyTrailRemote(ref: string, opts: { server: string; json?: boolean }): Promise<ExitCode> {
  let v: TrailVerificationJson;
  try {
    v = (await getJson<TrailVerificationJson>(opts.server, `/departments/${enc(ref)}/trail/verify`)).body;
  } catch (e) {
    if (e instanceof CliError && /HTTP 404/.test(e.message)) throw new CliError(e.message, EXIT.UNUSABLE);
    throw e;
  }
  const code: ExitCode = v.verdict === 'valid' ? EXIT.OK : v.verdict === 'pending' ? EXIT.PENDING : EXIT.REFUSED;
  if (opts.json) {
    say(JSON.stringify(v, null, 2));
    return code;
  }
  say(`trail of department ${v.departmentId}: ${v.entries} record${v.entries === 1 ? '' : 's'}${v.checkpoint ? `; checked against the checkpoint of ${v.checkpoint.size} entries anchored on chain` : ''}`);
  say();
  const width = Math.max(...v.steps.map((s) => s.step.length));
  for (const s of v.steps) say(`  ${SYMBOL[s.status]} ${s.step.padEnd(width)}  ${s.message}`);
  say();
  if (v.verdict === 'valid') say('VALID: the trail is complete, in sequence, untampered, signed by the department and anchored on chain.');
  else if (v.verdict === 'pending') say(`PENDING (${v.steps.filter((s) => s.status === 'pending').map((s) => s.step).join(', ')}): nothing failed, but entries are not anchored yet; verify again later.`);
  else {
    const p = v.firstProblem;
    const failed = v.steps.find((s) => s.step === p?.step);
    say(`INVALID: failed at ${p?.step ?? 'an unnamed step'}${p?.seq !== null && p?.seq !== undefined ? ` (seq ${p.seq}, record ${p.recordId})` : p?.recordId ? ` (record ${p.recordId})` : ''}: ${failed?.message ?? ''}`.trimEnd());
  }
  return code;
}

// ---------------------------------------------------------------------------
// dataset check

interface DatasetOpts extends ServerOpts {
  delivery: string;
  dataDir?: string;
  rows?: string;
  json?: boolean;
}

function registerDataset(program: Command, run: CliRun): void {
  const dataset = program.command('dataset').summary('check a delivered dataset against its share record').description('Raw data never enters traceledger: only its SHA-256 and row count.');
  dataset
    .command('check')
    .summary('does a file match what a delivery recorded?')
    .description(
      [
        "Hashes the file here (SHA-256, streamed: any size, flat memory; the file is never sent) and compares the hash, and with --rows the row count, with those the delivery recorded: through a server (POST /api/v1/deliveries/{id}/check, with the admin token), or in the server's data folder (--data-dir).",
        'Exit codes: 0 the file matches; 1 it does not (both hashes printed); 2 an unreadable file, an unknown delivery, an unreachable server.',
      ].join('\n\n'),
    )
    .argument('<file>', 'the dataset file as received')
    .requiredOption('--delivery <id>', 'the id of the delivery (ShareDelivery) record')
    .option('--server <url>', 'the traceledger server')
    .addOption(new Option('--admin-token <token>', ADMIN_TOKEN_OPTION_HELP).hideHelp())
    .option('--admin-token-file <file>', `read the admin token from a file (with --server; default: ${ADMIN_TOKEN_ENV} from the environment)`)
    .option('--data-dir <dir>', "the server's data folder, read directly instead of --server")
    .option('--rows <n>', 'the row count to compare too')
    .option('--json', 'print the comparison as JSON')
    .action(async (file: string, opts: DatasetOpts) => {
      run.exitCode = await checkDataset(file, opts);
    });
}

async function checkDataset(file: string, opts: DatasetOpts): Promise<ExitCode> {
  if (Boolean(opts.server) === Boolean(opts.dataDir)) throw unusable('give either --server or --data-dir');
  const rowCount = opts.rows === undefined ? undefined : Number(opts.rows);
  if (rowCount !== undefined && (!Number.isSafeInteger(rowCount) || rowCount < 0)) throw unusable('--rows must be a whole number');
  const token = opts.server ? adminTokenOf(opts, 'dataset check --server') : undefined;

  const { sha256File } = await import('../../trails/dataset');
  let digest: { sha256: string; bytes: number };
  try {
    digest = await sha256File(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw unusable(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message}`, e);
  }
  const given = rowCount === undefined ? { sha256: digest.sha256 } : { sha256: digest.sha256, rowCount };

  type Check = { deliveryId: string; match: boolean; recorded: { dataSha256: string; rowCount: number }; given: { sha256: string; rowCount?: number } };
  let check: Check;
  if (opts.server) {
    try {
      check = await postJson<Check>(opts.server, `/deliveries/${enc(opts.delivery)}/check`, given, { token, ok: [200] });
    } catch (e) {
      if (e instanceof CliError && /HTTP 404/.test(e.message)) throw new CliError(e.message, EXIT.UNUSABLE);
      throw e;
    }
  } else {
    const { store } = await openDataDir(opts.dataDir!);
    const { checkDelivery } = await import('../../trails/dataset');
    const { AppError } = await import('../../errors');
    try {
      check = await checkDelivery(store, opts.delivery, given);
    } catch (e) {
      if (e instanceof AppError && e.code === 'not-found') throw unusable(e.message, e);
      throw e;
    } finally {
      await store.close();
    }
  }

  if (opts.json) say(JSON.stringify({ ...check, file, bytes: digest.bytes }, null, 2));
  else {
    say(`${check.match ? 'MATCH' : 'MISMATCH'}: ${file} (${digest.bytes} bytes) against delivery ${check.deliveryId}`);
    say(`  file       sha256 ${digest.sha256}${rowCount === undefined ? '' : `, ${rowCount} rows`}`);
    say(`  recorded   sha256 ${check.recorded.dataSha256}, ${check.recorded.rowCount} rows`);
    if (!check.match) say(check.recorded.dataSha256 === digest.sha256 ? '  the hash matches but the row count does not' : '  the file is not the one the delivery recorded');
  }
  return check.match ? EXIT.OK : EXIT.REFUSED;
}

// ---------------------------------------------------------------------------
// monitor

interface MonitorOpts extends ServerOpts {
  rpc: string;
  dataDir?: string;
  log: string;
  follow?: boolean;
  interval: string;
  json?: boolean;
}

function registerMonitor(program: Command, run: CliRun): void {
  program
    .command('monitor')
    .summary('replay a log and compare its roots with the chain (divergence → exit 1)')
    .description(
      [
        "Replays a whole log, every leaf hash recomputed from its stored entry, rebuilds the root at every anchored checkpoint and compares it with the root on chain. From the server's data folder (--data-dir, with its deployment.json; the server may be running), or through a server (--server with the admin token: GET /api/v1/logs/{logId}/monitor), whose answer is then checked here against the chain read over --rpc. --follow keeps watching and reports each new checkpoint.",
        'Exit codes: 0 the stored log reproduces every anchored root (with --follow: stopped with Ctrl-C); 1 a divergence (the first one printed: entry-missing, entry-duplicated, root-mismatch, stored-checkpoint-mismatch, checkpoint-not-on-chain); 2 unusable: unreachable chain or server, no database.',
      ].join('\n\n'),
    )
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint of the chain')
    .option('--data-dir <dir>', "the server's data folder")
    .option('--server <url>', 'the traceledger server (instead of --data-dir)')
    .addOption(new Option('--admin-token <token>', ADMIN_TOKEN_OPTION_HELP).hideHelp())
    .option('--admin-token-file <file>', `read the admin token from a file (with --server; default: ${ADMIN_TOKEN_ENV} from the environment)`)
    .option('--log <log>', `the log: ${LOGS.join(' or ')}`, 'data-sharing')
    .option('--follow', 'keep watching for new checkpoints until Ctrl-C')
    .option('--interval <seconds>', 'with --follow: how often to look for a new checkpoint', '5')
    .option('--json', 'print each report as one line of JSON')
    .action(async (opts: MonitorOpts) => {
      run.exitCode = await monitor(opts);
    });
}

async function monitor(opts: MonitorOpts): Promise<ExitCode> {
  if (Boolean(opts.server) === Boolean(opts.dataDir)) throw unusable('give either --data-dir or --server');
  if (!(LOGS as readonly string[]).includes(opts.log)) throw unusable(`--log must be ${LOGS.join(' or ')}`);
  const log = opts.log as LogName;
  const intervalMs = Number(opts.interval) * 1000;
  if (!Number.isFinite(intervalMs) || intervalMs < 100) throw unusable('--interval must be a number of seconds (at least 0.1)');
  const token = opts.server ? adminTokenOf(opts, 'monitor --server') : undefined;

  const { connect, loadDeployment } = await import('../chain');
  const { RpcChainReader } = await import('../../chain/reader');
  const { chainLogId } = await import('../../anchoring/worker');
  const { provider, chainId } = await connect(opts.rpc);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  const report = (r: MonitorReport): ExitCode => {
    printMonitorReport(r, opts.json === true);
    return r.ok ? EXIT.OK : EXIT.REFUSED;
  };
  try {
    if (opts.dataDir) {
      const { store, deploymentFile } = await openDataDir(opts.dataDir);
      try {
        const reader = new RpcChainReader(provider, loadDeployment(deploymentFile, chainId));
        const { followLog, monitorLog } = await import('../../trails/monitor');
        if (!opts.follow) return report(await monitorLog({ store, reader }, log));
        for await (const r of followLog({ store, reader }, log, { intervalMs, signal: abort.signal })) if (report(r) !== EXIT.OK) return EXIT.REFUSED;
        return EXIT.OK;
      } finally {
        await store.close();
      }
    }

    const { body: chain } = await getJson<ChainInfo>(opts.server!, '/chain');
    if (chain.chainId !== chainId) throw unusable(`the server anchors on chain ${chain.chainId}, but --rpc is chain ${chainId}`);
    const reader = new RpcChainReader(provider, chain);
    let lastSize = -1;
    for (;;) {
      const { body: r } = await getJson<MonitorReport>(opts.server!, `/logs/${log}/monitor`, { token });
      const checked = r.ok ? await crossCheck(r, await reader.latest(chainLogId(log)), (size) => reader.rootAt(chainLogId(log), size)) : r;
      const size = checked.ok ? (checked.latest?.size ?? 0) : -1;
      if (size !== lastSize || !checked.ok) {
        if (report(checked) !== EXIT.OK) return EXIT.REFUSED;
        lastSize = size;
      }
      if (!opts.follow || abort.signal.aborted) return EXIT.OK;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (abort.signal.aborted) return EXIT.OK;
    }
  } finally {
    process.off('SIGINT', stop);
    provider.destroy();
  }
}

/** The server's "ok" report, held to the chain: its latest root must be the one anchored at that size. */
async function crossCheck(r: MonitorReport & { ok: true }, head: { size: number; root: string }, rootAt: (size: number) => Promise<string | null>): Promise<MonitorReport> {
  if (r.latest === null) {
    if (head.size === 0) return r;
    const message = `The server reports nothing anchored, but the chain holds a checkpoint of ${head.size} entries with root ${head.root}.`;
    return { ok: false, logId: r.logId, size: head.size, leafIndex: null, expected: null, onChain: head.root, stored: null, reason: 'root-mismatch', message };
  }
  const onChain = r.latest.size === head.size ? head.root : await rootAt(r.latest.size);
  if (onChain !== null && onChain.toLowerCase() === r.latest.root.toLowerCase()) return r;
  return {
    ok: false,
    logId: r.logId,
    size: r.latest.size,
    leafIndex: null,
    expected: r.latest.root,
    onChain,
    stored: null,
    reason: onChain === null ? 'checkpoint-not-on-chain' : 'root-mismatch',
    message: `The server reports root ${r.latest.root} at size ${r.latest.size}, but the chain ${onChain === null ? 'has no checkpoint of that size' : `anchored ${onChain}`}.`,
  };
}

function printMonitorReport(r: MonitorReport, json: boolean): void {
  if (json) return say(JSON.stringify(r));
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  if (r.ok) {
    say(`${at} OK: log ${r.logId}: ${r.entries} entries replayed, ${r.checkpointsChecked} checkpoint${r.checkpointsChecked === 1 ? '' : 's'} checked against the chain${r.latest ? `; latest size ${r.latest.size}, root ${r.latest.root}` : '; nothing anchored yet'}`);
    return;
  }
  say(`${at} DIVERGENCE (${r.reason}) in log ${r.logId} at size ${r.size}: ${r.message}`);
  if (r.leafIndex !== null) say(`  first wrong entry  ${r.leafIndex}`);
  say(`  rebuilt root       ${r.expected ?? '(cannot be rebuilt)'}`);
  say(`  root on chain      ${r.onChain ?? '(none)'}`);
  if (r.stored !== null) say(`  stored checkpoint  ${r.stored}`);
}
