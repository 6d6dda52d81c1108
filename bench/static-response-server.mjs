#!/usr/bin/env node
// The read benchmark's reference: a bare node:http server that answers every request with one fixed
// response (the bytes and headers the API served), with no routing, auth or cache lookup. Measured
// with the same load generator on the same cores, it shows what this machine allows at all.
//
//   node bench/static-response-server.mjs <body file> <headers JSON> <port>
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [bodyFile, headersJson, port] = process.argv.slice(2);
const body = readFileSync(bodyFile);
const headers = { ...JSON.parse(headersJson), 'content-length': body.byteLength };
createServer((_request, response) => {
  response.writeHead(200, headers);
  response.end(body);
}).listen(Number(port), '127.0.0.1', () => process.send?.('listening'));
