import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadedBgpMessage, loadMrtMessages } from '../../../src/mrt/index.js';

/** The shared MRT data folder: ../shared/data/mrt beside the repository, or $SUPERSPARROW_SHARED_DIR/data/mrt. */
export function sharedMrtDir(): string {
  if (process.env.SUPERSPARROW_SHARED_DIR) return path.resolve(process.env.SUPERSPARROW_SHARED_DIR, 'data/mrt');
  // dist/test/bgp/helpers -> repository root
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
  return path.resolve(repoRoot, '../shared/data/mrt');
}

/** Every UPDATE of a BGP4MP file (whole messages, header included), read with the MRT reader. */
export async function loadUpdates(file: string): Promise<LoadedBgpMessage[]> {
  const { messages } = await loadMrtMessages(path.join(sharedMrtDir(), file));
  return messages;
}
