import type { Keyring } from '../crypto/keyring.js';
import type { BlobStore } from './blob-store.js';

/** PLACEHOLDER until the local blob driver lands (framed AES-256-GCM, content-addressed). */
export function createLocalBlobStore(_dir: string, _keys: Keyring): BlobStore {
  const missing = (): never => {
    throw new Error('blob store not implemented yet');
  };
  return { addressOf: missing, put: missing, get: missing, exists: missing, delete: missing };
}
