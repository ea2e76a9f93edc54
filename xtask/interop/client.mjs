// Interop client on the official TypeScript SDK 1.x, driven by `cargo xtask interop`.
//
// Usage: node client.mjs --url http://127.0.0.1:PORT/mcp TOOL
//        node client.mjs --stdio TOOL -- COMMAND [ARGS...]
//
// It connects (legacy `initialize`, the only handshake SDK 1.x speaks), lists the tools
// (following `nextCursor`), calls TOOL with no arguments and prints ONE JSON line on stdout
// describing what it saw.
// The judging (is the tool there, is the text right) is done by the xtask, not here, so
// this script reports facts and never decides pass/fail beyond "a step threw".
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { readFileSync } from 'node:fs';

// The SDK's export map hides its package.json, so read it from node_modules beside this script.
const sdkManifest = new URL('./node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url);
const sdkVersion = JSON.parse(readFileSync(sdkManifest, 'utf8')).version;

const MAX_PAGES = 100;

function parseArgs(argv) {
  const dash = argv.indexOf('--');
  const head = dash === -1 ? argv : argv.slice(0, dash);
  const command = dash === -1 ? [] : argv.slice(dash + 1);
  if (head[0] === '--url' && head.length === 3) {
    return { mode: 'http', url: head[1], tool: head[2] };
  }
  if (head[0] === '--stdio' && head.length === 2 && command.length > 0) {
    return { mode: 'stdio', tool: head[1], command };
  }
  throw new Error(
    'usage: client.mjs --url URL TOOL | client.mjs --stdio TOOL -- COMMAND [ARGS...]',
  );
}

const report = { client: 'typescript', sdkVersion, ok: false, step: 'args' };
let client;
try {
  const args = parseArgs(process.argv.slice(2));
  let transport;
  if (args.mode === 'http') {
    transport = new StreamableHTTPClientTransport(new URL(args.url));
  } else {
    transport = new StdioClientTransport({
      command: args.command[0],
      args: args.command.slice(1),
      stderr: 'inherit',
    });
  }
  // SDK 1.x tells the transport which version initialize negotiated; record it.
  const setVersion = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (version) => {
    report.protocolVersion = version;
    setVersion?.(version);
  };

  client = new Client({ name: 'pxcloud-mcp-interop', version: '0.1.0' });
  report.step = 'initialize';
  await client.connect(transport);
  report.serverInfo = client.getServerVersion() ?? null;

  report.step = 'tools/list';
  report.tools = [];
  let cursor;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const listed = await client.listTools(cursor === undefined ? undefined : { cursor });
    report.tools.push(...listed.tools.map((tool) => tool.name));
    cursor = listed.nextCursor;
    if (cursor === undefined) {
      break;
    }
  }

  report.step = 'tools/call';
  report.callResult = await client.callTool({ name: args.tool, arguments: {} });

  report.step = 'close';
  await client.close();
  client = undefined;
  report.ok = true;
  report.step = 'done';
} catch (error) {
  report.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
} finally {
  if (client) {
    await client.close().catch(() => {});
  }
}
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(report.ok ? 0 : 1);
