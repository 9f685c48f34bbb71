import { randomFillSync } from 'node:crypto';
import { encode as encodeSilk } from 'silk-wasm';
import { describe, expect, it } from 'vitest';
import { buildAmr, buildSilk } from '../demo/formats.js';
import { voiceCodecOf, voiceToWav, wavOf } from './voice.js';

const fill = (b: Uint8Array, s: number, e: number): void => void randomFillSync(b, s, e - s);

function wavInfo(w: Buffer): { rate: number; channels: number; bits: number; seconds: number } {
  expect(w.subarray(0, 4).toString('latin1')).toBe('RIFF');
  expect(w.subarray(8, 12).toString('latin1')).toBe('WAVE');
  const rate = w.readUInt32LE(24);
  const dataAt = w.indexOf('data', 12, 'latin1');
  return { rate, channels: w.readUInt16LE(22), bits: w.readUInt16LE(34), seconds: w.readUInt32LE(dataAt + 4) / (rate * 2) };
}

describe('voice notes for the browser', () => {
  it('recognizes AMR and SILK by their magic bytes only', () => {
    expect(voiceCodecOf(buildAmr(1, fill))).toBe('amr');
    expect(voiceCodecOf(buildSilk(1, fill))).toBe('silk');
    expect(voiceCodecOf(Buffer.from('RIFF....WAVE'))).toBeUndefined();
  });

  it('writes a valid WAV header', () => {
    expect(wavInfo(wavOf(Buffer.alloc(16_000), 8000))).toEqual({ rate: 8000, channels: 1, bits: 16, seconds: 1 });
  });

  it('decodes real SILK speech frames to WAV of the same length', async () => {
    const pcm = Buffer.alloc(24_000 * 2 * 3);
    for (let i = 0; i < 24_000 * 3; i++) pcm.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 24_000)), i * 2);
    const silk = Buffer.from((await encodeSilk(pcm, 24_000)).data);
    expect(silk.subarray(0, 10).toString('latin1')).toBe('\x02#!SILK_V3'); // as WeChat stores it
    const info = wavInfo(await voiceToWav(silk));
    expect(info.rate).toBe(24_000);
    expect(info.seconds).toBeGreaterThan(2.9);
    expect(info.seconds).toBeLessThan(3.2);
  });

  it('decodes AMR-NB through ffmpeg (8 kHz, one 20 ms frame each)', async () => {
    const info = wavInfo(await voiceToWav(buildAmr(2, fill)));
    expect(info.rate).toBe(8000);
    expect(info.seconds).toBeCloseTo(2, 1);
  });

  it('refuses what is not a voice note', async () => {
    await expect(voiceToWav(Buffer.from('%PDF-1.4'))).rejects.toMatchObject({ code: 'media.not_voice', status: 415 });
  });
});
