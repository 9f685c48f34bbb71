import { spawn } from 'node:child_process';
import { decode as decodeSilk } from 'silk-wasm';
import { AppError } from '../errors.js';

/**
 * Voice notes for playback in a browser: WeCom stores AMR-NB, personal WeChat SILK v3, and
 * browsers play neither. `toWav` decodes them to 16-bit PCM WAV: AMR through Debian's `ffmpeg`
 * (its native AMR-NB decoder), SILK through `silk-wasm` (Tencent's SILK codec compiled to
 * WebAssembly). Input is bounded; ffmpeg runs with a time limit and without a shell.
 */

export type VoiceCodec = 'amr' | 'silk';

const AMR_MAGIC = Buffer.from('#!AMR\n', 'latin1');
const SILK_MAGIC = Buffer.from('#!SILK_V3', 'latin1');
/** Voice notes are at most a minute; an hour of AMR-NB at 12.2 kbit/s is ~5.5 MB. */
export const MAX_VOICE_BYTES = 16 * 1024 * 1024;
const SILK_RATE = 24_000;
const FFMPEG_TIMEOUT_MS = 20_000;

/** The codec of a voice file, from its magic bytes (never from the name or the declared type). */
export function voiceCodecOf(data: Buffer): VoiceCodec | undefined {
  if (data.subarray(0, AMR_MAGIC.length).equals(AMR_MAGIC)) return 'amr';
  const silkAt = data[0] === 0x02 ? 1 : 0;
  if (data.subarray(silkAt, silkAt + SILK_MAGIC.length).equals(SILK_MAGIC)) return 'silk';
  return undefined;
}

/** A WAV container around 16-bit little-endian mono PCM. */
export function wavOf(pcm: Buffer, sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

const AMR_RATE = 8000;

/** Raw PCM out of ffmpeg (a WAV header on a pipe would carry no length), wrapped here. */
function ffmpegAmrToWav(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'amr', '-i', 'pipe:0', '-f', 's16le', '-acodec', 'pcm_s16le', '-ac', '1', '-ar', String(AMR_RATE), 'pipe:1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), FFMPEG_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_VOICE_BYTES * 40) child.kill('SIGKILL');
      else out.push(b);
    });
    child.stderr.resume();
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new AppError('media.no_ffmpeg', 'playing AMR voice notes needs ffmpeg (apt-get install ffmpeg)', { status: 501 }) : e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && size > 0) resolve(wavOf(Buffer.concat(out), AMR_RATE));
      else reject(new AppError('media.undecodable', 'this voice note could not be decoded', { status: 422 }));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(data);
  });
}

/** Decodes an AMR or SILK voice note to WAV. */
export async function voiceToWav(data: Buffer): Promise<Buffer> {
  if (data.length > MAX_VOICE_BYTES) throw new AppError('media.too_large', 'voice note too large to convert', { status: 413 });
  const codec = voiceCodecOf(data);
  if (codec === 'amr') return ffmpegAmrToWav(data);
  if (codec === 'silk') {
    try {
      const r = await decodeSilk(data, SILK_RATE);
      return wavOf(Buffer.from(r.data), SILK_RATE);
    } catch {
      throw new AppError('media.undecodable', 'this voice note could not be decoded', { status: 422 });
    }
  }
  throw new AppError('media.not_voice', 'not an AMR or SILK voice note', { status: 415 });
}
