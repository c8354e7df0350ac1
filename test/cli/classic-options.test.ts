import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CLASSIC_HELP,
  ClassicUsageError,
  isClassicInvocation,
  parseClassicArgs,
  type ClassicOptions,
} from '../../src/cli/classic-options.js';

/** A readFile that knows only `files`; every other path does not exist. */
function files(contents: Record<string, string>): (p: string) => string | null {
  return (p) => contents[p] ?? null;
}

const NO_FILE = { readFile: files({}) };

const DEFAULTS: ClassicOptions = {
  peers: [], self: null, source: null, routeServer: null, host: 'localhost', port: null, password: null,
  batch: false, debug: false, verbose: false, socket: null, mrt: null, help: false, configFile: null,
};

function usageError(argv: string[], opts: Parameters<typeof parseClassicArgs>[1] = NO_FILE): string {
  try {
    parseClassicArgs(argv, opts);
  } catch (err) {
    if (err instanceof ClassicUsageError) {
      if (err.exitCode !== 2) throw new Error('exit code is not 2');
      return err.message;
    }
    throw err;
  }
  throw new Error('expected a ClassicUsageError');
}

test("the original's invocation (supersparrow-code-page.txt) parses", (t) => {
  const argv = [
    '--peer', '65751=192.168.192.13,64750=192.168.193.11', '--debug', '--host', 'localhost', '--password', 'frub',
    '--route_server', 'zebra', '--self', '192.168.192.13', '--source', '192.168.193.15',
  ];
  t.deepEqual(parseClassicArgs(argv, NO_FILE), {
    ...DEFAULTS,
    peers: [{ as: 65751, answer: '192.168.192.13' }, { as: 64750, answer: '192.168.193.11' }],
    self: '192.168.192.13',
    source: '192.168.193.15',
    routeServer: 'zebra',
    password: 'frub',
    debug: true,
  });
  t.true(parseClassicArgs([...argv, '--verbose'], NO_FILE).verbose);
  t.true(isClassicInvocation(argv));
});

test('nothing given: the defaults; a missing default config file is no error', (t) => {
  t.deepEqual(parseClassicArgs([], NO_FILE), DEFAULTS);
  t.deepEqual(parseClassicArgs([], { readFile: files({ '/etc/supersparrow.conf': '' }) }), { ...DEFAULTS, configFile: '/etc/supersparrow.conf' });
  const read: string[] = [];
  parseClassicArgs([], { readFile: (p) => (read.push(p), null), defaultConfigFile: '/tmp/other.conf' });
  t.deepEqual(read, ['/tmp/other.conf']);
});

test('the forms of options: --opt=value, -s, -sVALUE, -f, and answers that are names or IPv6 addresses', (t) => {
  const conf = { readFile: files({ '/x.conf': 'batch\n' }) };
  t.deepEqual(
    parseClassicArgs(['--peer=1.10=pop-a.example.test,65000=2001:DB8::1', '-s', 'self.example.test.', '--source=2001:db8::99', '-f', '/x.conf'], conf),
    {
      ...DEFAULTS,
      peers: [{ as: 65546, answer: 'pop-a.example.test' }, { as: 65000, answer: '2001:DB8::1' }],
      self: 'self.example.test.',
      source: '2001:db8::99',
      batch: true,
      configFile: '/x.conf',
    },
  );
  t.is(parseClassicArgs(['-s192.0.2.1', '--config_file=/x.conf'], conf).self, '192.0.2.1');
  t.is(parseClassicArgs(['-f/x.conf'], conf).configFile, '/x.conf');
});

test('repeated --peer add up, in order', (t) => {
  const o = parseClassicArgs(['--peer', '1=192.0.2.1', '--peer', '2=192.0.2.2, 3=192.0.2.3', '--peer=4=192.0.2.4'], NO_FILE);
  t.deepEqual(o.peers.map((p) => p.as), [1, 2, 3, 4]);
});

test('the config file: KEY VALUE lines, comments, blank lines, short names, flags; the command line wins per option', (t) => {
  const conf = [
    '# supersparrow.conf',
    '',
    'peer 65751=192.168.192.13          # POP X',
    'peer\t64750=192.168.193.11',
    '   s 192.168.192.13',
    'source 192.168.193.15',
    'route_server zebra',
    'host route-server.example.test',
    'port 2605',
    'password frub with spaces  # the rest of the line, to the #',
    'batch',
    'debug yes',
    'verbose 0',
    'help',
    'h',
    'config_file /elsewhere.conf',
    'f /elsewhere.conf',
    '   ',
  ].join('\n');
  const readFile = files({ '/etc/supersparrow.conf': conf });
  const fromFile = parseClassicArgs([], { readFile });
  t.deepEqual(fromFile, {
    ...DEFAULTS,
    peers: [{ as: 65751, answer: '192.168.192.13' }, { as: 64750, answer: '192.168.193.11' }],
    self: '192.168.192.13',
    source: '192.168.193.15',
    routeServer: 'zebra',
    host: 'route-server.example.test',
    port: 2605,
    password: 'frub with spaces',
    batch: true,
    debug: true,
    verbose: false,
    configFile: '/etc/supersparrow.conf',
  }, 'help and config_file in the file are ignored');

  const o = parseClassicArgs(['--peer', '65000=192.0.2.1', '--source', '198.51.100.7', '--verbose', '--port', '2606'], { readFile });
  t.deepEqual(o.peers, [{ as: 65000, answer: '192.0.2.1' }], "the command line's peers replace the file's");
  t.is(o.source, '198.51.100.7');
  t.is(o.port, 2606);
  t.true(o.verbose);
  t.is(o.self, '192.168.192.13', 'what the command line does not give comes from the file');
  t.is(o.host, 'route-server.example.test');
  t.true(o.batch);

  const mrt = parseClassicArgs(['--mrt', 'rib.mrt'], { readFile });
  t.is(mrt.mrt, 'rib.mrt');
  t.is(mrt.routeServer, null, "--mrt on the command line replaces the file's route_server");
});

test('the config file: every problem, with file and line', (t) => {
  const readFile = files({
    '/c.conf': 'peer 65751=192.168.192.13\nverbose\nxyz 1\n--peer 1=192.0.2.1\nself\nbatch maybe\nport 0\npeer 0=192.0.2.1\n',
  });
  t.is(usageError(['-f', '/c.conf'], { readFile }), [
    '/c.conf:3: unknown option "xyz"',
    '/c.conf:4: unknown option "--peer"',
    '/c.conf:5: self: needs a value',
    '/c.conf:6: batch: takes no value, or one of 1, yes, true, on, 0, no, false, off',
    '/c.conf:7: port "0": must be a port 1..65535',
    '/c.conf:8: peer "0=192.0.2.1": "0" is not an AS number (1..4294967295, or asdot 0.1..65535.65535)',
  ].join('\n'));
  t.is(usageError([], { readFile: files({ '/etc/supersparrow.conf': 'zzz\n' }) }), '/etc/supersparrow.conf:1: unknown option "zzz"');
});

test('an explicitly given config file must exist; an unreadable default one is an error too', (t) => {
  t.is(usageError(['-f', '/nowhere.conf']), '/nowhere.conf: cannot read: no such file');
  t.is(usageError(['--config_file', '/nowhere.conf', '--debug']), '/nowhere.conf: cannot read: no such file');
  const denied = (): string => {
    throw new Error('EACCES: permission denied');
  };
  t.is(usageError([], { readFile: denied }), '/etc/supersparrow.conf: cannot read: EACCES: permission denied');
});

test('the default readFile reads real files and treats a missing one as absent', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-classic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'supersparrow.conf');
  writeFileSync(file, 'peer 65751=192.168.192.13 # X\n');
  t.deepEqual(parseClassicArgs(['-f', file]).peers, [{ as: 65751, answer: '192.168.192.13' }]);
  t.is(parseClassicArgs([], { defaultConfigFile: path.join(dir, 'missing.conf') }).configFile, null);
  t.is(usageError(['-f', path.join(dir, 'missing.conf')], {}), `${path.join(dir, 'missing.conf')}: cannot read: no such file`);
});

test('bad --peer values say what is wrong with which entry', (t) => {
  const bad = (peer: string): string => usageError(['--peer', peer]);
  t.is(bad('65751'), '--peer "65751": "65751" is not AS=ANSWER (expected AS=ANSWER[,AS=ANSWER...], e.g. 65751=192.168.192.13)');
  t.is(bad('65751=192.0.2.1,'), '--peer "65751=192.0.2.1,": an empty entry is not AS=ANSWER (expected AS=ANSWER[,AS=ANSWER...], e.g. 65751=192.168.192.13)');
  t.is(bad('65751='), '--peer "65751=": AS 65751 has no answer after "="');
  t.is(bad('4294967296=192.0.2.1'), '--peer "4294967296=192.0.2.1": "4294967296" is not an AS number (1..4294967295, or asdot 0.1..65535.65535)');
  t.is(bad('AS65751=192.0.2.1'), '--peer "AS65751=192.0.2.1": "AS65751" is not an AS number (1..4294967295, or asdot 0.1..65535.65535)');
  t.is(bad('1.65536=192.0.2.1'), '--peer "1.65536=192.0.2.1": "1.65536" is not an AS number (1..4294967295, or asdot 0.1..65535.65535)');
  t.is(bad('65751=192.168.192.300'), '--peer "65751=192.168.192.300": "192.168.192.300" is neither an IPv4 or IPv6 address nor a host name');
  t.is(bad('65751=pop_x'), '--peer "65751=pop_x": "pop_x" is neither an IPv4 or IPv6 address nor a host name');
  t.is(
    usageError(['--peer', 'x=192.0.2.1', '--peer', '2=']),
    ['--peer "x=192.0.2.1": "x" is not an AS number (1..4294967295, or asdot 0.1..65535.65535)', '--peer "2=": AS 2 has no answer after "="'].join('\n'),
    'every problem is reported',
  );
});

test('bad values of the other options', (t) => {
  t.is(usageError(['--port', '65536']), '--port "65536": must be a port 1..65535');
  t.is(usageError(['--port', '26O5']), '--port "26O5": must be a port 1..65535');
  t.is(usageError(['--route_server', 'Zebra']), '--route_server "Zebra": must be one of the route servers known: zebra, quagga, frr, cisco');
  t.is(usageError(['--route_server', 'bird']), '--route_server "bird": must be one of the route servers known: zebra, quagga, frr, cisco');
  t.is(usageError(['-s', '1.2.3']), '-s "1.2.3": must be an IPv4 or IPv6 address or a host name');
  t.is(usageError(['--source', 'client.example.test']), '--source "client.example.test": must be an IPv4 or IPv6 address');
  t.is(usageError(['--host', 'a..b']), '--host "a..b": must be an IPv4 or IPv6 address or a host name');
  t.is(usageError(['--socket=']), '--socket "": needs a path');
  t.is(usageError(['--config_file=']), '--config_file: needs a file name');
  for (const p of ['zebra', 'quagga', 'frr', 'cisco']) t.is(parseClassicArgs(['--route_server', p], NO_FILE).routeServer, p);
  t.is(parseClassicArgs(['--port', '1'], NO_FILE).port, 1);
  t.is(parseClassicArgs(['--password='], NO_FILE).password, '', 'an empty password is a password');
});

test('at most one of --socket, --mrt and --route_server', (t) => {
  t.is(usageError(['--socket', '/run/ss.sock', '--mrt', 'rib.mrt']), 'give at most one of --route_server, --socket and --mrt (given: --socket, --mrt)');
  t.is(
    usageError(['--route_server', 'zebra', '--mrt', 'rib.mrt', '--socket', '/s']),
    'give at most one of --route_server, --socket and --mrt (given: --socket, --mrt, --route_server)',
  );
  t.is(
    usageError([], { readFile: files({ '/etc/supersparrow.conf': 'route_server frr\nsocket /s\n' }) }),
    '/etc/supersparrow.conf:2: give at most one of --route_server, --socket and --mrt (given: socket, route_server)',
  );
  t.is(parseClassicArgs(['--socket', '/s'], NO_FILE).socket, '/s');
  t.is(parseClassicArgs(['--mrt', 'rib.mrt'], NO_FILE).mrt, 'rib.mrt');
  t.is(parseClassicArgs(['--socket', '/s'], { readFile: files({ '/etc/supersparrow.conf': 'route_server frr\nhost rs\n' }) }).routeServer, null);
});

test('command-line syntax errors', (t) => {
  t.regex(usageError(['--peer']), /^Option '--peer <value>' argument missing \(see supersparrow --help\)$/);
  t.regex(usageError(['--xyz']), /^Unknown option '--xyz'.*\(see supersparrow --help\)$/);
  t.regex(usageError(['--peer', '--debug']), /^Option '--peer' argument is ambiguous\. .*\(see supersparrow --help\)$/);
  t.regex(usageError(['--batch=1']), /^Option '--batch' does not take an argument/);
  t.regex(usageError(['--source', '192.0.2.1', '192.0.2.2']), /^Unexpected argument '192\.0\.2\.2'/);
  t.false(usageError(['--xyz']).includes('\n'), 'one line');
});

test('-h/--help: nothing else is read or checked', (t) => {
  const readFile = (): string => {
    throw new Error('must not be read');
  };
  t.deepEqual(parseClassicArgs(['--peer', 'nonsense', '-h'], { readFile }), { ...DEFAULTS, help: true });
  t.deepEqual(parseClassicArgs(['--help'], { readFile }), { ...DEFAULTS, help: true });
});

test('isClassicInvocation: a classic option first, not a subcommand and not help alone', (t) => {
  for (const argv of [
    ['--peer', '1=192.0.2.1'], ['--peer=1=192.0.2.1'], ['-s', '192.0.2.1'], ['-s192.0.2.1'], ['-f', 'x.conf'],
    ['--config_file=x.conf'], ['--source', '192.0.2.1'], ['--batch'], ['--debug', '--peer', '1=a'], ['--socket', '/s'],
    ['--mrt', 'rib.mrt'], ['--route_server', 'zebra'], ['--host', 'h'], ['--port', '1'], ['--password', 'p'], ['--verbose'],
  ]) {
    t.true(isClassicInvocation(argv), argv.join(' '));
  }
  for (const argv of [
    [], ['serve', '--config', 'x.yaml'], ['mrt', 'dump', 'f'], ['demo'], ['-h'], ['--help'], ['--version'], ['-V'],
    ['--'], ['-'], ['--peers', '1=a'], ['--xyz'], ['routes', '--peer', '1=a'],
  ]) {
    t.false(isClassicInvocation(argv), argv.join(' '));
  }
});

test('CLASSIC_HELP lists every option, short and long forms, with the defaults', (t) => {
  for (const form of [
    '--peer AS=ANSWER', '-s, --self', '--source', '--route_server', '--host', '--port', '--password', '--socket', '--mrt',
    '--batch', '--debug', '--verbose', '-f, --config_file', '-h, --help',
  ]) {
    t.true(CLASSIC_HELP.includes(form), form);
  }
  t.regex(CLASSIC_HELP, /--host HOST .*default: localhost/);
  t.regex(CLASSIC_HELP, /--port PORT .*default: 2605 for zebra/);
  t.regex(CLASSIC_HELP, /default: \/etc\/supersparrow\.conf/);
  t.regex(CLASSIC_HELP, /zebra, quagga, frr or cisco/);
});
