// The original invocation against consoles no package of this machine provides: a GNU Zebra 0.89 vty replaying the
// transcript of the original program's documentation, and a Cisco IOS-XE route server (route-views style: an MOTD,
// no login, `show version`) replaying real output from fixtures/routeserver/cisco. Each is a scripted telnet server
// on loopback that echoes, prompts and answers as those consoles do; everything on our side is the real CLI.
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { REPO_ROOT, Supersparrow } from '../helpers/peers/index.js';

const IAC = 255;
const WILL = 251;
const ECHO = 1;
const SGA = 3;

interface ConsoleScript {
  /** What the console prints on connect, before any login prompt. */
  banner: string;
  /** null: no login. */
  password: string | null;
  prompt: string;
  /** The output of a command (CR LF line ends added); undefined: `% Unknown command.`. */
  answer(command: string): string | undefined;
}

/** A telnet console on 127.0.0.1 that follows `script`; records the commands it was given. */
async function scriptedConsole(t: ExecutionContext, script: ConsoleScript): Promise<{ port: number; commands: string[]; server: Server }> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');
    socket.write(Buffer.from([IAC, WILL, ECHO, IAC, WILL, SGA]));
    socket.write(crlf(script.banner));
    let loggedIn = script.password === null;
    socket.write(loggedIn ? `${script.prompt} ` : 'Password: ');
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      // Telnet negotiation answers are skipped; a line ends in CR NUL, CR LF or LF.
      const bytes = [...chunk].filter((b, i, all) => b < 240 && !(i > 0 && all[i - 1]! >= 251) && b !== 0);
      pending += Buffer.from(bytes).toString('latin1');
      for (;;) {
        const end = pending.search(/[\r\n]/);
        if (end < 0) break;
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1).replace(/^\n/, '');
        if (!loggedIn) {
          loggedIn = line === script.password;
          socket.write(loggedIn ? `\r\n${script.prompt} ` : '\r\nPassword: ');
          continue;
        }
        // The echo of the command, its output, the prompt.
        socket.write(`${line}\r\n`);
        if (line.trim() !== '') {
          commands.push(line);
          const out = script.answer(line);
          socket.write(crlf(out ?? '% Unknown command.\n'));
        }
        socket.write(`${script.prompt} `);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, commands, server };
}

const fixture = (...parts: string[]): string => readFileSync(path.join(REPO_ROOT, 'fixtures', 'routeserver', ...parts), 'utf8');

// `exec` only: no daemon is started.
const cli = new Supersparrow({ localAs: 65000, address: '127.0.0.1', listenPort: 0, neighbors: [] });

test('the original transcript: --route_server zebra against a Zebra 0.89 vty answers 192.168.193.11', async (t) => {
  const transcript = fixture('zebra-0.89', 'show-ip-bgp-192.168.193.15.txt');
  const zebra = await scriptedConsole(t, {
    banner: '\r\nHello, this is zebra (version 0.89.horms.pre.2)\r\nCopyright 1996-2000 Kunihiro Ishiguro\r\n\r\n\r\nUser Access Verification\r\n\r\n',
    password: 'frub',
    prompt: 'jasmine>',
    answer: (command) => {
      if (command === 'terminal length 0') return '';
      if (command === 'show ip bgp 192.168.193.15') return transcript;
      return undefined;
    },
  });
  const invocation = (password: string): string[] => ['--peer', '65751=192.168.192.13,64750=192.168.193.11', '--debug', '--host', '127.0.0.1',
    '--port', String(zebra.port), '--password', password, '--route_server', 'zebra', '--self', '192.168.192.13', '--source', '192.168.193.15'];
  const args = invocation('frub');
  const plain = await cli.exec(args);
  t.is(plain.code, 0, plain.stderr);
  t.is(plain.stdout, '192.168.193.11\n');
  // The Zebra dialect's commands: the banner said zebra, so no `show version` and no JSON.
  t.deepEqual(zebra.commands, ['terminal length 0', 'show ip bgp 192.168.193.15']);
  // --verbose: the console session as the original printed it, then PEERS and ASPATH.
  const verbose = await cli.exec([...args, '--verbose']);
  t.is(verbose.code, 0, verbose.stderr);
  t.regex(verbose.stdout, /Hello, this is zebra \(version 0\.89\.horms\.pre\.2\)/);
  t.regex(verbose.stdout, /Paths: \(2 available, best #2, table Default-IP-Routing-Table\)/);
  t.true(verbose.stdout.endsWith('PEERS: 65751=192.168.192.13 64750=192.168.193.11\nASPATH: 64750\n192.168.193.11\n'), verbose.stdout.slice(-160));
  t.false(verbose.stdout.includes('frub'));
  // A wrong password: self, and the console's refusal said.
  const wrong = await cli.exec(invocation('nope'));
  t.is(wrong.stdout, '192.168.192.13\n');
  t.regex(wrong.stderr, /rejected the password.*answering self/);
});

test('--route_server cisco against an IOS-XE route server: no login, the dialect from show version, best #5 of 24 paths', async (t) => {
  const output = fixture('cisco', 'route-views-sh-bgp-128.71.38.234.txt');
  const cisco = await scriptedConsole(t, {
    banner: '\r\n**********************************************************************\r\n\r\n                    RouteViews BGP Route Viewer\r\n                    route-views.routeviews.org\r\n\r\n route views data is archived on http://archive.routeviews.org\r\n\r\n This hardware is part of a grant by the NSF. #\r\n**********************************************************************\r\n\r\n',
    password: null,
    prompt: 'route-views>',
    answer: (command) => {
      if (command === 'terminal length 0') return '';
      if (command === 'show version') return 'Cisco IOS XE Software, Version 17.03.04a\nCisco IOS Software [Amsterdam], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.3.4a, RELEASE SOFTWARE (fc3)\n';
      if (command === 'show ip bgp 128.71.38.234') return output;
      return undefined;
    },
  });
  const args = ['--peer', '2497=192.0.2.97,3356=192.0.2.56', '--self', '192.0.2.1', '--route_server', 'cisco', '--host', '127.0.0.1', '--port', String(cisco.port)];
  const r = await cli.exec([...args, '--source', '128.71.38.234']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '192.0.2.97\n', 'the best path (2497 3216), not the first listed (8283 3216)');
  t.deepEqual(cisco.commands, ['terminal length 0', 'show version', 'show ip bgp 128.71.38.234']);
  // An address the console does not know the command for (`% Unknown command.` here): self, with the refusal said.
  const refused = await cli.exec([...args, '--source', '2001:db8::1']);
  t.is(refused.stdout, '192.0.2.1\n');
  t.regex(refused.stderr, /refused the command.*answering self/);
  t.is(cisco.commands.at(-1), 'show bgp ipv6 unicast 2001:db8::1');
});
