/** Entry point of `npm start`. The HTTP service is not built yet: this says so instead of failing obscurely. */
console.log('traceledger: the service is not built yet. Run `npm test` to check the ledger core and contracts.');
