/**
 * `npm run start:postgres`: the system on PostgreSQL in one command. Starts a PostgreSQL server from the project's own
 * files (scripts/embedded-postgres.ts) with its data in DATA_DIR/postgres (kept between runs; its password generated
 * at the first run into DATA_DIR/postgres-password, mode 0600), then the server (dist/server/main.js, as `npm start`)
 * with DATABASE_URL pointing at its database `traceledger`. Ctrl-C (or SIGTERM) stops the server, then PostgreSQL,
 * cleanly. Every other setting is the environment's, as for `npm start` (DATA_DIR default `data`, PORT, CHAIN_PORT…);
 * POSTGRES_PORT (default 5433) is the port PostgreSQL listens on, 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  ensureDatabase,
  initCluster,
  isInitialised,
  startCluster,
} from "./embedded-postgres";

const DATABASE = "traceledger";

/** The password of the cluster in `dataDir`: read, or generated once (mode 0600). */
function passwordIn(dataDir: string): string {
  const file = path.join(dataDir, "postgres-password");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  const password = crypto.randomBytes(24).toString("base64url");
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600, flag: "wx" });
  return password;
}

/** The pid of a PostgreSQL still running on `pgData` (left from a run that was killed), if any. */
function runningPid(pgData: string): number | undefined {
  const pidFile = path.join(pgData, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return undefined;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.DATA_DIR || "data");
  const pgData = path.join(dataDir, "postgres");
  const port = Number(process.env.POSTGRES_PORT || 5433);
  fs.mkdirSync(dataDir, { recursive: true });
  const password = passwordIn(dataDir);
  const stale = runningPid(pgData);
  if (stale !== undefined)
    throw new Error(
      `PostgreSQL is already running on ${pgData} (pid ${stale}, left by an earlier run?): stop it with kill -INT ${stale}`
    );
  // As root PostgreSQL runs as the user postgres, which must pass through DATA_DIR to its folder (the server narrows
  // DATA_DIR to 0700 once started; PostgreSQL is inside by then).
  if (process.getuid?.() === 0)
    fs.chmodSync(dataDir, (fs.statSync(dataDir).mode & 0o7777) | 0o711);
  if (!isInitialised(pgData)) {
    process.stdout.write(`creating the PostgreSQL cluster in ${pgData}\n`);
    await initCluster(pgData, password);
  }
  // Its own process group: a Ctrl-C reaches the server (which stops first) and this script, not PostgreSQL.
  const pg = await startCluster({
    dataDir: pgData,
    port,
    password,
    detached: true,
  });
  process.stdout.write(
    `PostgreSQL listening on 127.0.0.1:${port} (data: ${pgData})\n`
  );
  const running: { server?: ChildProcess } = {};
  const stopAll = async (code: number) => {
    await pg.stop();
    process.stdout.write("PostgreSQL stopped\n");
    process.exit(code);
  };
  // However the script ends, PostgreSQL does not outlive it.
  process.once("exit", () => pg.stopNow());
  void pg.exited.then(() => {
    if (running.server && running.server.exitCode === null) {
      process.stderr.write(
        "PostgreSQL exited unexpectedly; stopping the server\n"
      );
      running.server.kill("SIGTERM");
    }
  });
  try {
    await ensureDatabase(pg.url(), DATABASE);
  } catch (e) {
    await pg.stop();
    throw e;
  }
  const entry = path.resolve(__dirname, "..", "server", "main.js");
  const server = (running.server = spawn(
    process.execPath,
    ["--enable-source-maps", entry],
    {
      stdio: "inherit",
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        DATABASE_URL: pg.url(DATABASE),
      },
    }
  ));
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // The server gets the terminal's Ctrl-C itself; forward a SIGTERM sent to this script only.
    process.on(signal, () => {
      if (signal === "SIGTERM") server.kill("SIGTERM");
    });
  }
  server.once("exit", (code, signal) => void stopAll(code ?? (signal ? 1 : 0)));
}

main().catch((e: unknown) => {
  process.stderr.write(
    `start:postgres: ${e instanceof Error ? e.message : String(e)}\n`
  );
  process.exit(1);
});
