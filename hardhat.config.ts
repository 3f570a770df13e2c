/** Hardhat configuration: compiles offline with the npm `solc` package (solcjs). */
import { subtask } from 'hardhat/config';
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from 'hardhat/builtin-tasks/task-names';
import type { HardhatUserConfig } from 'hardhat/config';
import '@nomicfoundation/hardhat-toolbox';

// Pinned: must equal the version of the `solc` package in package.json.
const SOLC_VERSION = '0.8.28';

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(
  async (args: { solcVersion: string }, _hre, runSuper) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const solc = require('solc') as { version(): string };
    const installed = solc.version(); // e.g. "0.8.28+commit.7893614a.Emscripten.clang"
    if (args.solcVersion === installed.split('+')[0]) {
      return {
        compilerPath: require.resolve('solc/soljson.js'),
        isSolcJs: true,
        version: args.solcVersion,
        longVersion: installed.replace(/\.Emscripten\.clang$/, ''),
      };
    }
    return runSuper(args);
  },
);

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'paris',
    },
  },
  paths: {
    sources: './contracts',
    tests: './test',
    cache: './cache',
    artifacts: './artifacts',
  },
  typechain: {
    outDir: 'typechain-types',
    target: 'ethers-v6',
  },
  mocha: {
    timeout: 120_000,
    reporter: './test/support/summary-reporter.js',
  },
  gasReporter: {
    enabled: false,
  },
};

export default config;
