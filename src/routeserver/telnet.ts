// A telnet client for router consoles: the Zebra / Quagga / FRR bgpd vty (port 2605) and Cisco IOS (port 23).
//
//   const vty = await VtyClient.connect({ host: '127.0.0.1', port: 2605, password: 'zebra', connectTimeoutMs: 10_000,
//     commandTimeoutMs: 30_000 });
//   vty.prompt;                                   // "bgpd>"
//   const text = await vty.command('show ip bgp 192.0.2.1');
//   vty.close();
//
// Two layers: TelnetParser takes the telnet protocol (RFC 854/855 commands and option negotiation) out of the byte
// stream and knows nothing of sockets; VtyClient is the console dialogue on a node:net socket (login, the prompt,
// one command at a time, timeouts).
import { connect as netConnect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { RouteServerError } from './types.js';

// ------------------------------------------------------------------------------------------------ telnet

/** Telnet commands (RFC 854) and the options we name (RFC 857, 858, 1091, 1073, 1184). */
export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
export const SB = 250;
export const SE = 240;
export const OPT_ECHO = 1;
export const OPT_SGA = 3;
export const OPT_TTYPE = 24;
export const OPT_NAWS = 31;
export const OPT_LINEMODE = 34;

/** What we let the server do: echo our input (so that the password is not echoed) and drop go-aheads. */
const ACCEPTED_SERVER_OPTIONS: ReadonlySet<number> = new Set([OPT_ECHO, OPT_SGA]);

/** A subnegotiation longer than this is not one: the parser gives up skipping it. */
const MAX_SUBNEGOTIATION = 64 * 1024;

const enum ParseState {
  Data,
  /** After IAC. */
  Command,
  /** After IAC WILL / WONT / DO / DONT: the option byte comes next. */
  Option,
  /** Inside IAC SB ... IAC SE. */
  Sub,
  /** After IAC inside a subnegotiation. */
  SubCommand,
}

/** One chunk's worth of the stream: the data bytes, and the negotiation answer to send back (or null). */
export interface TelnetParsed {
  data: Buffer;
  reply: Buffer | null;
}

/**
 * The telnet layer of a console's byte stream: takes IAC sequences out (they may be split across chunks), turns
 * IAC IAC into a 0xFF data byte, skips subnegotiations, and answers option requests: the server may WILL ECHO and
 * WILL SUPPRESS-GO-AHEAD (we say DO); anything else it offers we DONT, anything it asks of us we WONT. WONT and DONT
 * are never answered, and each option request is answered once, so that two sides cannot talk each other into a
 * loop (RFC 1143's concern).
 */
export class TelnetParser {
  private state = ParseState.Data;
  private verb = 0;
  private subLength = 0;
  /** Server options in effect (WILL answered with DO, and not withdrawn since). */
  private readonly serverOptions = new Set<number>();
  private readonly refusedWill = new Set<number>();
  private readonly refusedDo = new Set<number>();

  /** True once the server said WILL ECHO (and has not taken it back): it echoes what we type. */
  get serverEchoes(): boolean {
    return this.serverOptions.has(OPT_ECHO);
  }

  parse(chunk: Buffer): TelnetParsed {
    // Most chunks hold no IAC at all: hand them on as they are.
    if (this.state === ParseState.Data && chunk.indexOf(IAC) < 0) return { data: chunk, reply: null };
    const out = Buffer.allocUnsafe(chunk.length);
    let n = 0;
    const reply: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (this.state) {
        case ParseState.Data: {
          if (b === IAC) {
            this.state = ParseState.Command;
          } else {
            // Copy the run of data up to the next IAC in one go.
            const next = chunk.indexOf(IAC, i);
            const end = next < 0 ? chunk.length : next;
            n += chunk.copy(out, n, i, end);
            i = end - 1;
          }
          break;
        }
        case ParseState.Command:
          if (b === IAC) {
            out[n++] = IAC;
            this.state = ParseState.Data;
          } else if (b === WILL || b === WONT || b === DO || b === DONT) {
            this.verb = b;
            this.state = ParseState.Option;
          } else if (b === SB) {
            this.subLength = 0;
            this.state = ParseState.Sub;
          } else {
            // GA, NOP, DM, BRK, AYT, a stray SE, ...: nothing for a line-oriented client to do.
            this.state = ParseState.Data;
          }
          break;
        case ParseState.Option:
          this.negotiate(this.verb, b, reply);
          this.state = ParseState.Data;
          break;
        case ParseState.Sub:
          if (b === IAC) this.state = ParseState.SubCommand;
          else if (++this.subLength > MAX_SUBNEGOTIATION) this.state = ParseState.Data;
          break;
        case ParseState.SubCommand:
          // IAC SE ends it; IAC IAC is a data byte inside it; anything else is tolerated and skipped too.
          this.state = b === SE ? ParseState.Data : ParseState.Sub;
          break;
      }
    }
    return { data: out.subarray(0, n), reply: reply.length > 0 ? Buffer.from(reply) : null };
  }

  private negotiate(verb: number, option: number, reply: number[]): void {
    switch (verb) {
      case WILL:
        if (ACCEPTED_SERVER_OPTIONS.has(option)) {
          if (!this.serverOptions.has(option)) {
            this.serverOptions.add(option);
            reply.push(IAC, DO, option);
          }
        } else if (!this.refusedWill.has(option)) {
          this.refusedWill.add(option);
          reply.push(IAC, DONT, option);
        }
        break;
      case WONT:
        this.serverOptions.delete(option);
        break;
      case DO:
        if (!this.refusedDo.has(option)) {
          this.refusedDo.add(option);
          reply.push(IAC, WONT, option);
        }
        break;
      case DONT:
        break;
    }
  }
}

// ------------------------------------------------------------------------------------------------ the console

export interface VtyOptions {
  host: string;
  port: number;
  /** For a `Password:` prompt (bgpd `password WORD`, a Cisco line password); null when none is configured. */
  password: string | null;
  /** For a `Username:` / `login:` prompt (Cisco AAA); null or absent: such a prompt is an 'auth' error. */
  username?: string | null;
  /** TCP connect, login and the first prompt. */
  connectTimeoutMs: number;
  /** Default for command(). */
  commandTimeoutMs: number;
  /** Source address of the connection. */
  localAddress?: string;
  /** Output of one command past which the console is taken to be spouting garbage (default 64 MiB). */
  maxOutputBytes?: number;
  /** See VtyClient.onTranscript; given here it sees the login too. */
  onTranscript?: TranscriptListener;
}

/** 'in': what the console sent (telnet commands removed); 'out': a line we sent (the password as "********"). */
export type TranscriptListener = (direction: 'in' | 'out', text: string) => void;

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
/** The login dialogue is short; a console that talks this much before its prompt is not a console. */
const MAX_LOGIN_TEXT = 1024 * 1024;
/** How long the console must stay quiet after a prompt-like line before we take it for a prompt. */
const PROMPT_SETTLE_MS = 60;
/** Empty lines sent to confirm the prompt before giving up on a console whose last line keeps changing. */
const MAX_PROMPT_PROBES = 5;
/** Characters of the output's end kept as text to look for the prompt (and a pager) in. */
const TAIL_CHARS = 512;
/** The end of a line as a telnet client sends it (RFC 854 "CR NUL"; what telnet(1) sends by default). */
const EOL = '\r\0';
const MASK = '********';

/** A line that is a console's prompt: `name>` or `name#` (FRR adds a space), without blanks inside. */
const PROMPT_LINE = /^[^\s<>#%:]{1,64}[>#] ?$/;
const PASSWORD_PROMPT = /password ?: ?"? ?$/i;
const USERNAME_PROMPT = /(?:^|\s)(?:user ?name|login) ?: ?$/i;
const LOGIN_REJECTED = /%\s*(?:bad passwords?|login invalid|authentication failed|access denied)|login incorrect/i;
const UNKNOWN_COMMAND = /%\s*(?:unknown command|invalid input|unrecognized command)/i;
/** A pager's prompt, alone on the last line: ` --More-- `, `--More--`, `-- More --`, `---(more 42%)---`. */
const PAGER_LINE = /^\s*-{2,3}\s?\(?more(?: \d+%)?\)?\s?-{2,3}\s*$/i;
/** What a console sends after the pager's space to erase its prompt: BS..., SP..., BS... (or CR SP... CR). */
const PAGER_ERASE = /^(?:\x08+(?: +\x08+)?|\r +\r)/;

interface Pending {
  line: string;
  timeoutMs: number;
  resolve: (output: string) => void;
  reject: (err: RouteServerError) => void;
}

type Phase = 'connecting' | 'login' | 'ready' | 'closed';

/**
 * One TCP connection to a router console. connect() logs in and learns the prompt; command() runs one command at a
 * time (a queue inside) and resolves with its output. A command that times out drops the connection (the console is
 * out of step after it): the commands queued behind it reject with 'closed'. Keeping the connection alive, and
 * reconnecting, is the caller's job. A command must leave the prompt as it was (no `enable`, no `configure`): the
 * end of its output is found by the prompt.
 */
export class VtyClient {
  /**
   * Every byte the console sends (telnet commands removed) and every line we send, in order; the password is shown
   * as "********". Set it here or, to see the login as well, as an option of connect().
   */
  onTranscript: TranscriptListener | undefined;

  private _banner = '';
  private _prompt = '';
  private readonly socket: Socket;
  private readonly parser = new TelnetParser();
  private readonly maxOutput: number;
  private phase: Phase = 'connecting';
  /** Why the connection ended (null while open). */
  private closeReason: RouteServerError | null = null;
  private readonly closeListeners = new Set<(err: RouteServerError | null) => void>();
  private transcriptDecoder: StringDecoder | null = null;
  /** Transcript text held back during the login: it may be the start of an echoed password. */
  private transcriptHeld = '';

  // Connecting and the login.
  private connectTimer: NodeJS.Timeout | null = null;
  private settleTimer: NodeJS.Timeout | null = null;
  private connectResolve: ((client: VtyClient) => void) | null = null;
  private connectReject: ((err: RouteServerError) => void) | null = null;
  /** What the console said before its prompt; the offsets below count its bytes. */
  private login = new LoginText();
  private usernameSent = false;
  /** Where we last answered a Username or Password prompt: a new prompt starts on a later line. */
  private answeredAt = -1;
  /** Where the password was sent; -1 before. */
  private passwordSentAt = -1;
  /** The prompt being confirmed (as printed, trailing blank included) and where its line starts. */
  private candidate: string | null = null;
  private candidateAt = 0;
  private probeAt = 0;
  private probes = 0;

  // Commands.
  private readonly queue: Pending[] = [];
  private current: Pending | null = null;
  private commandTimer: NodeJS.Timeout | null = null;
  /** The prompt exactly as printed ("bgpd> "): a command's output ends with a newline and this. */
  private promptTail = '';
  private chunks: Buffer[] = [];
  private size = 0;
  /** The last TAIL_CHARS characters of the current command's output (latin1), where the prompt is looked for. */
  private tail = '';
  /** `terminal length 0` was refused: the console pages, and we press space at each `--More--`. */
  private pager = false;
  /** Bytes held after a space was sent to a pager, until it is clear where its erase sequence ends. */
  private eraseHold: Buffer | null = null;

  private constructor(private readonly options: VtyOptions) {
    this.maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    this.onTranscript = options.onTranscript;
    this.socket = netConnect({ host: options.host, port: options.port, localAddress: options.localAddress });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.guard(() => this.onConnect()));
    this.socket.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)));
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.guard(() => this.onSocketError(err)));
    this.socket.on('close', () => this.guard(() => this.onSocketClose()));
  }

  /** Connects, answers the telnet negotiation, logs in, learns the prompt and turns paging off (`terminal length 0`). */
  static connect(options: VtyOptions): Promise<VtyClient> {
    return new Promise((resolve, reject) => {
      const client = new VtyClient(options);
      client.connectResolve = resolve;
      client.connectReject = reject;
      client.connectTimer = setTimeout(() => client.guard(() => client.onConnectTimeout()), options.connectTimeoutMs);
    });
  }

  /** Everything the console printed before its first prompt (MOTD, "Hello, this is FRRouting ..."), telnet removed. */
  get banner(): string {
    return this._banner;
  }

  /** The prompt as the console prints it, without a trailing blank ("bgpd>", "route-views>"). */
  get prompt(): string {
    return this._prompt;
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /**
   * Runs `line` and resolves with what the console printed between the echo of the command and its next prompt
   * (lines end in "\n", no trailing blank lines; "" when it printed nothing). Rejects with 'timeout' (and drops the
   * connection) when no prompt comes within timeoutMs, 'closed' when the connection is lost, 'stopped' after close(),
   * 'garbled' when the output passes maxOutputBytes without a prompt.
   */
  command(line: string, timeoutMs = this.options.commandTimeoutMs): Promise<string> {
    if (/[\r\n]/.test(line)) return Promise.reject(new RouteServerError('command', 'a console command is one line'));
    if (this.phase === 'closed') return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ line, timeoutMs, resolve, reject });
      this.next();
    });
  }

  /** Calls `listener` once when the connection ends: with null after close(), else with why. Returns an unsubscriber. */
  onClose(listener: (err: RouteServerError | null) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Ends the connection; commands not yet answered reject with 'stopped'. */
  close(): void {
    const stopped = new RouteServerError('stopped', 'the console connection was closed');
    this.shutdown(stopped, stopped, null);
  }

  // ---------------------------------------------------------------------------------------------- socket events

  /** Socket handlers must not throw: whatever goes wrong inside one ends the connection as 'garbled'. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const e = err instanceof RouteServerError ? err : new RouteServerError('garbled', `console client error: ${(err as Error).message}`);
      const rest = this.phase === 'ready'
        ? new RouteServerError('closed', `the connection to the console at ${this.where()} was dropped: ${e.message}`)
        : e;
      this.shutdown(e, rest, e);
    }
  }

  private where(): string {
    return `${this.options.host} port ${this.options.port}`;
  }

  private onConnect(): void {
    if (this.phase !== 'connecting') return;
    this.phase = 'login';
  }

  private onConnectTimeout(): void {
    const ms = this.options.connectTimeoutMs;
    const err = this.phase === 'connecting'
      ? new RouteServerError('connect', `cannot connect to ${this.where()}: no answer within ${ms} ms`)
      : new RouteServerError('timeout', `no prompt from the console at ${this.where()} within ${ms} ms${this.lastWords()}`);
    this.shutdown(err, err, err);
  }

  private onSocketError(err: NodeJS.ErrnoException): void {
    if (this.phase === 'closed') return;
    const reason = err.code ?? err.message;
    let e: RouteServerError;
    if (this.phase === 'connecting') {
      e = new RouteServerError('connect', `cannot connect to ${this.where()}: ${reason}`);
    } else {
      // A reset during the login may be the console hanging up on a bad password.
      const login = this.phase === 'login' ? this.loginClosedError() : null;
      e = login?.code === 'auth' ? login : new RouteServerError('closed', `the connection to the console at ${this.where()} failed: ${reason}`);
    }
    this.shutdown(e, e, e);
  }

  private onSocketClose(): void {
    if (this.phase === 'closed') return;
    let e: RouteServerError;
    if (this.phase === 'connecting') {
      e = new RouteServerError('connect', `cannot connect to ${this.where()}: the connection closed`);
    } else if (this.phase === 'login') {
      e = this.loginClosedError();
    } else {
      e = new RouteServerError('closed', `the console at ${this.where()} closed the connection`);
    }
    this.shutdown(e, e, e);
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    const { data, reply } = this.parser.parse(chunk);
    if (reply) this.socket.write(reply);
    if (data.length === 0) return;
    this.transcribeIn(data);
    if (this.phase === 'login') this.loginData(data);
    else if (this.phase === 'ready') this.commandData(data);
  }

  // ---------------------------------------------------------------------------------------------- login

  private loginData(data: Buffer): void {
    const login = this.login;
    const since = this.passwordSentAt;
    // Only the new text (and a little before it, for a message cut in two) is searched for a rejection.
    const before = since >= 0 ? login.since(Math.max(since, login.length - 64)) : '';
    login.add(data);
    if (login.length > MAX_LOGIN_TEXT) {
      throw new RouteServerError('garbled', `the console at ${this.where()} sent more than ${MAX_LOGIN_TEXT} bytes without a prompt`);
    }
    this.clearSettle();
    if (since >= 0 && LOGIN_REJECTED.test(before + data.toString('latin1'))) {
      throw new RouteServerError('auth', `the console at ${this.where()} rejected the password${this.quote(login.since(since))}`);
    }
    const last = login.lastLine();
    // The prompt we answered may still be arriving ("Password:" now, its blank in the next chunk): not a new one.
    const fresh = login.lastLineStart() > this.answeredAt;
    if (fresh && PASSWORD_PROMPT.test(last)) return this.sendPassword();
    if (fresh && USERNAME_PROMPT.test(last)) return this.sendUsername();
    if (PROMPT_LINE.test(last)) {
      // Wait for the console to fall quiet: a banner line may end in '>' or '#' too, cut off by the chunking.
      this.settleTimer = setTimeout(() => this.guard(() => this.promptSettled()), PROMPT_SETTLE_MS);
    }
  }

  private sendPassword(): void {
    const password = this.options.password;
    if (password === null) {
      throw new RouteServerError('auth', `the console at ${this.where()} asks for a password and none is configured`);
    }
    if (this.passwordSentAt >= 0) throw new RouteServerError('auth', `the console at ${this.where()} rejected the password`);
    this.passwordSentAt = this.answeredAt = this.login.length;
    this.send(password, true);
  }

  private sendUsername(): void {
    const username = this.options.username;
    if (username === null || username === undefined) {
      throw new RouteServerError('auth', `the console at ${this.where()} asks for a username and none is configured`);
    }
    if (this.usernameSent) {
      throw new RouteServerError('auth', `the console at ${this.where()} rejected the ${this.passwordSentAt >= 0 ? 'username or password' : 'username'}`);
    }
    this.usernameSent = true;
    // A rejected password may bring back the Username: prompt: look for the rejection from here on.
    this.passwordSentAt = -1;
    this.answeredAt = this.login.length;
    this.send(username, false);
  }

  /** The console has been quiet after a prompt-like line: take it as the prompt once it comes back the same. */
  private promptSettled(): void {
    this.settleTimer = null;
    if (this.phase !== 'login') return;
    const login = this.login;
    const last = login.lastLine();
    if (!PROMPT_LINE.test(last)) return;
    if (this.candidate !== null && last === this.candidate && login.lastLineStart() > this.probeAt) {
      this.promptLearned();
      return;
    }
    if (++this.probes > MAX_PROMPT_PROBES) {
      throw new RouteServerError('garbled', `no steady prompt from the console at ${this.where()}${this.lastWords()}`);
    }
    this.candidate = last;
    this.candidateAt = login.lastLineStart();
    this.probeAt = login.length;
    this.send('', false);
  }

  private promptLearned(): void {
    this.clearConnectTimer();
    this._prompt = this.candidate!.trimEnd();
    this.promptTail = this.candidate!;
    const banner = normalise(this.login.text(this.candidateAt));
    this._banner = maskPassword(banner.replace(/^\n+/, '').replace(/\n+$/, '\n'), this.options.password);
    this.login = new LoginText();
    this.phase = 'ready';
    // Paging off; a console that does not know the command gets its pager answered instead.
    this.queue.unshift({
      line: 'terminal length 0',
      timeoutMs: this.options.commandTimeoutMs,
      resolve: (out) => {
        if (UNKNOWN_COMMAND.test(out)) this.pager = true;
        const resolve = this.connectResolve;
        this.connectResolve = this.connectReject = null;
        resolve?.(this);
      },
      reject: () => undefined,
    });
    this.next();
  }

  private loginClosedError(): RouteServerError {
    const said = this.login.tail;
    const notSet = /vty password is not set\.?/i.exec(said);
    if (notSet) return new RouteServerError('auth', `the console at ${this.where()} says "${notSet[0]}" and closed the connection`);
    if (LOGIN_REJECTED.test(said)) {
      return new RouteServerError('auth', `the console at ${this.where()} rejected the password${this.quote(this.login.since(Math.max(0, this.passwordSentAt)))}`);
    }
    if (this.passwordSentAt >= 0) {
      return new RouteServerError('auth', `the console at ${this.where()} rejected the password (it closed the connection)`);
    }
    return new RouteServerError('closed', `the console at ${this.where()} closed the connection before its prompt${this.lastWords()}`);
  }

  // ---------------------------------------------------------------------------------------------- commands

  private next(): void {
    if (this.phase !== 'ready' || this.current !== null) return;
    const cmd = this.queue.shift();
    if (!cmd) return;
    this.current = cmd;
    this.chunks = [];
    this.size = 0;
    this.tail = '';
    this.eraseHold = null;
    this.commandTimer = setTimeout(() => this.guard(() => this.onCommandTimeout()), cmd.timeoutMs);
    this.send(cmd.line, false);
  }

  private onCommandTimeout(): void {
    const cmd = this.current;
    if (!cmd) return;
    const timeout = new RouteServerError('timeout', `no prompt from the console at ${this.where()} within ${cmd.timeoutMs} ms after "${cmd.line}"`);
    const rest = new RouteServerError('closed', `the connection to the console at ${this.where()} was dropped after "${cmd.line}" timed out`);
    this.shutdown(timeout, rest, timeout);
  }

  // Hot path: big outputs (megabytes of `show ip bgp ... longer-prefixes`) arrive in many chunks. Each is kept as it
  // is and only the last few hundred characters are looked at; the output is decoded once, at the prompt. (FRR's
  // `show bgp ipv4 unicast json` for 5000 routes, 1.6 MB, comes back in ~70 ms here, bgpd's time included.)
  private commandData(data: Buffer): void {
    if (this.current === null) return; // unsolicited (a log line, a goodbye): nobody asked
    if (this.eraseHold !== null) {
      data = this.eraseHold.length > 0 ? Buffer.concat([this.eraseHold, data]) : data;
      this.eraseHold = null;
      const text = data.toString('latin1', 0, Math.min(data.length, 256));
      if (/^[\x08\r ]*$/.test(text) && data.length < 256) {
        this.eraseHold = data; // the erase sequence may not be complete yet
        return;
      }
      const erase = PAGER_ERASE.exec(text);
      if (erase) data = data.subarray(erase[0].length);
      if (data.length === 0) return;
    }
    this.chunks.push(data);
    this.size += data.length;
    const start = Math.max(0, data.length - TAIL_CHARS);
    this.tail = (this.tail + data.toString('latin1', start)).slice(-TAIL_CHARS);
    const tail = this.tail.includes('\0') ? this.tail.replace(/\0/g, '') : this.tail;
    const p = this.promptTail;
    if (tail.endsWith(`\n${p}`) || tail.endsWith(`\n\r${p}`)) {
      this.finishCommand();
      return;
    }
    if (this.pager) {
      const nl = tail.lastIndexOf('\n');
      const last = nl >= 0 ? tail.slice(nl + 1) : '';
      if (nl >= 0 && PAGER_LINE.test(last.replace(/\r/g, ''))) {
        this.truncate(this.tail.length - this.tail.lastIndexOf('\n') - 1);
        this.eraseHold = Buffer.alloc(0);
        this.transcribe('out', ' ');
        this.socket.write(' ');
        return;
      }
    }
    if (this.size > this.maxOutput) {
      throw new RouteServerError('garbled', `the console at ${this.where()} sent more than ${this.maxOutput} bytes without a prompt after "${this.current.line}"`);
    }
  }

  /** Drops the last n bytes of the current output (a pager's prompt). */
  private truncate(n: number): void {
    this.size -= n;
    this.tail = this.tail.slice(0, this.tail.length - n);
    while (n > 0 && this.chunks.length > 0) {
      const last = this.chunks[this.chunks.length - 1]!;
      if (last.length <= n) {
        this.chunks.pop();
        n -= last.length;
      } else {
        this.chunks[this.chunks.length - 1] = last.subarray(0, last.length - n);
        n = 0;
      }
    }
  }

  private finishCommand(): void {
    const cmd = this.current!;
    this.clearCommandTimer();
    const raw = Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    this.tail = '';
    this.current = null;
    cmd.resolve(commandOutput(raw, cmd.line, this.promptTail));
    this.next();
  }

  // ---------------------------------------------------------------------------------------------- the end

  /** Ends the connection once: `forCurrent` to the command running, `forRest` to those queued, `notify` to onClose. */
  private shutdown(forCurrent: RouteServerError, forRest: RouteServerError, notify: RouteServerError | null): void {
    if (this.phase === 'closed') return;
    this.releaseTranscript();
    this.phase = 'closed';
    this.closeReason = notify ?? forRest;
    this.clearConnectTimer();
    this.clearSettle();
    this.clearCommandTimer();
    this.socket.destroy();
    const connectReject = this.connectReject;
    this.connectResolve = this.connectReject = null;
    connectReject?.(forCurrent);
    const current = this.current;
    this.current = null;
    current?.reject(forCurrent);
    for (const cmd of this.queue.splice(0)) cmd.reject(forRest);
    this.chunks = [];
    for (const listener of [...this.closeListeners]) {
      try {
        listener(notify);
      } catch {
        /* a listener's failure is its own */
      }
    }
    this.closeListeners.clear();
  }

  private closedError(): RouteServerError {
    const r = this.closeReason;
    if (r && r.code === 'stopped') return r;
    return new RouteServerError('closed', `the connection to the console at ${this.where()} is closed${r ? ` (${r.message})` : ''}`);
  }

  // ---------------------------------------------------------------------------------------------- helpers

  /** Sends one line; a secret is shown to the transcript as "********". */
  private send(line: string, secret: boolean): void {
    this.transcribe('out', secret ? MASK : line);
    const bytes = Buffer.from(line + EOL, 'utf8'); // UTF-8 never holds 0xFF: no IAC to double
    this.socket.write(bytes);
  }

  private transcribeIn(data: Buffer): void {
    if (!this.onTranscript) return;
    this.transcriptDecoder ??= new StringDecoder('utf8');
    let text = this.transcriptHeld + this.transcriptDecoder.write(data);
    this.transcriptHeld = '';
    // A console that echoes despite WILL ECHO must not leak the password into the transcript, nor one that prints it
    // later (a banner, a config listing). Either may come a byte at a time: the tail of what came that could be the
    // start of the password is held back until the next bytes say whether it is.
    const password = this.options.password;
    if (password) {
      text = maskPassword(text, password);
      const held = passwordStartAtEnd(text, password);
      this.transcriptHeld = text.slice(text.length - held);
      text = text.slice(0, text.length - held);
    }
    if (text) this.transcribe('in', text);
  }

  /** At the end: what was held back as a possible start of the password goes out, masked (it may be one). */
  private releaseTranscript(): void {
    if (this.transcriptHeld === '') return;
    this.transcriptHeld = '';
    this.transcribe('in', MASK);
  }

  private transcribe(direction: 'in' | 'out', text: string): void {
    const listener = this.onTranscript;
    if (!listener) return;
    try {
      listener(direction, text);
    } catch {
      /* the transcript is a courtesy */
    }
  }

  /** ': "…"', what the console said, for an error message (never the password). */
  private quote(text: string): string {
    let t = maskPassword(normalise(text).trim().split('\n').filter((l) => l.trim() !== '').slice(-2).join(' / '), this.options.password);
    if (t.length > 200) t = `…${t.slice(-200)}`;
    return t ? `: "${t}"` : '';
  }

  private lastWords(): string {
    const q = this.quote(this.login.tail.slice(-400));
    return q ? ` (its last words${q})` : '';
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private clearSettle(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
  }

  private clearCommandTimer(): void {
    if (this.commandTimer) clearTimeout(this.commandTimer);
    this.commandTimer = null;
  }
}

/**
 * What a console says before its prompt: kept whole (for the banner) but looked at only at its end, so that a chatty
 * console costs nothing per chunk beyond the chunk. Offsets count bytes from the start of the connection.
 */
class LoginText {
  private readonly chunks: Buffer[] = [];
  length = 0;
  /** The last TAIL_CHARS characters (latin1: one per byte). */
  tail = '';

  add(data: Buffer): void {
    this.chunks.push(data);
    this.length += data.length;
    this.tail = (this.tail + data.toString('latin1', Math.max(0, data.length - TAIL_CHARS))).slice(-TAIL_CHARS);
  }

  /** The text from offset `from` on, as far back as the tail reaches. */
  since(from: number): string {
    return this.tail.slice(Math.max(0, from - (this.length - this.tail.length)));
  }

  /** Where the last line starts; -1 when it is longer than TAIL_CHARS (and so neither a prompt nor a login prompt). */
  lastLineStart(): number {
    const nl = this.tail.lastIndexOf('\n');
    if (nl >= 0) return this.length - this.tail.length + nl + 1;
    return this.tail.length === this.length ? 0 : -1;
  }

  /** The last line without CR and NUL. */
  lastLine(): string {
    const start = this.lastLineStart();
    const line = start < 0 ? this.tail : this.since(start);
    return /[\r\0]/.test(line) ? line.replace(/[\r\0]/g, '') : line;
  }

  /** The first `end` bytes as UTF-8. */
  text(end: number): string {
    return Buffer.concat(this.chunks, this.length).toString('utf8', 0, end);
  }
}

/** CR LF (and CR CR LF) to LF, NUL dropped. */
function normalise(text: string): string {
  if (text.includes('\0')) text = text.replace(/\0/g, '');
  if (text.includes('\r')) text = text.replace(/\r+\n/g, '\n');
  return text;
}

/**
 * A command's output from what the console sent after the command: the echo of the command (first line) and the
 * prompt (at the end) removed, CR LF as LF, no trailing blank lines.
 */
export function commandOutput(raw: Buffer, command: string, promptTail: string): string {
  let text = raw.toString('utf8');
  if (text.includes('\0')) text = text.replace(/\0/g, '');
  if (text.endsWith(promptTail)) text = text.slice(0, text.length - promptTail.length);
  text = normalise(text);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  if (isEcho(first, command)) text = nl < 0 ? '' : text.slice(nl + 1);
  text = text.replace(/(?:\n[ \t]*)+$/, '');
  return /^[ \t]*$/.test(text) ? '' : `${text}\n`;
}

/** Whether a line is the console's echo of `command` (possibly with the prompt before it, or scrolled: "$...). */
function isEcho(line: string, command: string): boolean {
  const l = applyBackspaces(line).replace(/\s+/g, ' ').trim();
  const c = command.replace(/\s+/g, ' ').trim();
  if (l === c) return true;
  if (c !== '' && l.endsWith(c)) return true;
  if (l.startsWith('$') && c.endsWith(l.slice(1).trim())) return l.length > 1;
  return false;
}

function applyBackspaces(line: string): string {
  if (!line.includes('\x08')) return line;
  const out: string[] = [];
  for (const ch of line) {
    if (ch === '\x08') out.pop();
    else out.push(ch);
  }
  return out.join('');
}

/** text with every occurrence of the password shown as "********" (text as it is when there is no password). */
export function maskPassword(text: string, password: string | null): string {
  return password ? text.split(password).join(MASK) : text;
}

/** How many characters at the end of text are the start of password (a proper prefix; 0 when none). */
function passwordStartAtEnd(text: string, password: string): number {
  for (let n = Math.min(password.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(password.slice(0, n))) return n;
  }
  return 0;
}
