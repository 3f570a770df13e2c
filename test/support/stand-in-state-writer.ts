/** A stand-in for the state file writer's task (server/chain/state-file.ts), run on its thread by the tests. */
let writes = 0;

/** Answers its thread's first write (writing nothing), and ends the thread at the second. */
export function answerOnceThenExit(): void {
  if (writes++ > 0) process.exit(3);
}
