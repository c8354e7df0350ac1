import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../config/index.js';
import { startDaemon } from '../daemon/index.js';
import { defaultSocketPath } from './control-client.js';
import type { SetStatus } from './index.js';

const SHUTDOWN_MESSAGE = 'supersparrow shutting down';

/**
 * `supersparrow serve --config FILE [--socket PATH] [--warm-start SNAPSHOT] [--exit-with-parent]`: the BGP listener
 * daemon, until SIGTERM/SIGINT (or, with --exit-with-parent, the end of its standard input).
 */
export function registerServeCommand(program: Command, setStatus: SetStatus): void {
  program
    .command('serve')
    .description('run the BGP speaker daemon (listens only; never advertises routes)')
    .requiredOption('-c, --config <file>', 'YAML configuration file')
    .option('--socket <path>', 'control socket (default: control.socket of the config, else /run or /tmp)')
    .option('--check', 'validate the configuration and exit')
    .option(
      '--warm-start <file>',
      'load an MRT snapshot (`mrt save`) before the first session: its routes answer until each neighbor sends End-of-RIB',
    )
    .option(
      '--exit-with-parent',
      'stop as on SIGTERM once standard input reaches its end: a parent that gives serve a pipe as stdin and never ' +
        'closes it takes the daemon with it whenever it ends, even by SIGKILL (stdin from /dev/null stops it at once)',
    )
    .action(async (opts: { config: string; socket?: string; check?: boolean; warmStart?: string; exitWithParent?: boolean }) => {
      let config;
      try {
        config = loadConfigFile(opts.config);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(err.message + '\n');
        setStatus(1);
        return;
      }
      if (opts.check) {
        process.stdout.write(`${opts.config}: OK (${config.neighbors.length} neighbors)\n`);
        return;
      }
      const socketPath = opts.socket ?? config.control.socket ?? defaultSocketPath();
      let daemon;
      try {
        daemon = await startDaemon(config, socketPath, undefined, { warmStart: opts.warmStart ? path.resolve(opts.warmStart) : null });
      } catch (err) {
        process.stderr.write(`supersparrow serve: ${(err as Error).message}\n`);
        setStatus(1);
        return;
      }
      // A bug must not take the daemon down silently: log it where the operator looks, then exit.
      process.on('uncaughtException', (err) => {
        daemon.log.fatal({ err }, 'uncaught exception');
        process.stderr.write(`supersparrow serve: uncaught exception: ${err.stack ?? err.message}\n`);
        setTimeout(() => process.exit(70), 200);
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (why: { signal: string } | { stdin: string }) => {
          if (stopping) return;
          stopping = true;
          daemon.log.info(why, 'shutting down');
          // A stdin still being read would keep the process alive after the daemon stopped.
          if (opts.exitWithParent) process.stdin.destroy();
          void daemon.stop(SHUTDOWN_MESSAGE).finally(resolve);
        };
        if (opts.exitWithParent) {
          // The parent's end of the pipe closes when the parent ends, however it ends: the kernel closes it. What
          // arrived before the daemon was up waits in the pipe, its end included. Anything written is ignored.
          process.stdin.on('end', () => stop({ stdin: 'end of standard input: the parent has gone' }));
          process.stdin.on('error', (err) => stop({ stdin: `standard input failed: ${err.message}` }));
          process.stdin.resume();
        }
        process.on('SIGHUP', () => {
          daemon.log.info('SIGHUP: reloading the configuration');
          daemon.reload().catch(() => undefined); // problems are logged; the running config stays
        });
        process.once('SIGTERM', () => stop({ signal: 'SIGTERM' }));
        process.once('SIGINT', () => stop({ signal: 'SIGINT' }));
      });
    });
}

