import { isAppError } from '../../errors.js';
import { voiceCodecOf, voiceToWav, type VoiceCodec } from '../../media/voice.js';
import type { InMemoryAttachment } from '../../services/import-prepare.js';

/**
 * Voice messages as the readers attach them: the original bytes exactly as the export holds them
 * (SILK v3, possibly with WeChat's leading 0x02 byte, or AMR on old phones), plus a WAV transcode
 * for playback in a browser as a second attachment. The WAV is a derived artefact: when it cannot be
 * made, the original is still archived and `wavProblem` says why (for the record's fields).
 */

export interface VoiceMedia {
  media: InMemoryAttachment[];
  codec: VoiceCodec | undefined;
  /** Why there is no WAV (content-free), when there is none. */
  wavProblem?: string;
}

const ORIGINAL: { readonly [C in VoiceCodec]: { ext: string; mime: string } } = {
  silk: { ext: 'silk', mime: 'audio/silk' },
  amr: { ext: 'amr', mime: 'audio/amr' },
};

/** `<base>.silk` (or `.amr`) as found, and `<base>.wav`. */
export async function voiceWithWav(data: Buffer, base: string): Promise<VoiceMedia> {
  const codec = voiceCodecOf(data);
  if (codec === undefined) {
    return { media: [{ name: `${base}.voice`, mime: 'application/octet-stream', data }], codec, wavProblem: 'voice: not SILK or AMR, no WAV made' };
  }
  const original: InMemoryAttachment = { name: `${base}.${ORIGINAL[codec].ext}`, mime: ORIGINAL[codec].mime, data };
  try {
    const wav = await voiceToWav(data);
    return { media: [original, { name: `${base}.wav`, mime: 'audio/wav', data: wav }], codec };
  } catch (e) {
    // voiceToWav's own errors are content-free; anything else is reported without its text.
    const why = isAppError(e) ? e.message : 'the transcoder failed';
    return { media: [original], codec, wavProblem: `voice: no WAV made (${why})` };
  }
}
