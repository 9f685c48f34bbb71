import { describe, expect, it } from 'vitest';
import { buildAmr } from '../../demo/formats.js';
import { voiceWithWav } from './voice-media.js';

describe('voice attachments: the original plus a WAV', () => {
  it('keeps AMR as is and adds a WAV of the same length', async () => {
    const amr = buildAmr(1, (b, s, e) => void b.fill(0x33, s, e));
    const v = await voiceWithWav(amr, 'voice-1');
    expect(v.codec).toBe('amr');
    expect(v.media.map((m) => [m.name, m.mime])).toEqual([['voice-1.amr', 'audio/amr'], ['voice-1.wav', 'audio/wav']]);
    expect(v.media[0]!.data).toBe(amr);
    const wav = v.media[1]!.data;
    expect(wav.readUInt32LE(40) / (wav.readUInt32LE(24) * 2)).toBeCloseTo(1, 1);
    expect(v.wavProblem).toBeUndefined();
  });

  it('a voice note that cannot be transcoded is still kept, with the reason', async () => {
    const broken = Buffer.concat([Buffer.from('\x02#!SILK_V3', 'latin1'), Buffer.from([0xff, 0xff, 1, 2, 3])]);
    const v = await voiceWithWav(broken, 'voice-2');
    expect(v.media).toEqual([{ name: 'voice-2.silk', mime: 'audio/silk', data: broken }]);
    expect(v.wavProblem).toBe('voice: no WAV made (this voice note could not be decoded)');
  });

  it('bytes that are neither SILK nor AMR are kept under a neutral name', async () => {
    const v = await voiceWithWav(Buffer.from('RIFF....WAVE'), 'voice-3');
    expect(v).toEqual({ media: [{ name: 'voice-3.voice', mime: 'application/octet-stream', data: Buffer.from('RIFF....WAVE') }], codec: undefined, wavProblem: 'voice: not SILK or AMR, no WAV made' });
  });
});
