import { openAndroidReader } from './android/index.js';
import { openCsvReader } from './csv/index.js';
import { openIosReader } from './ios/index.js';
import { openPc3Reader } from './pc3/index.js';
import { openPc4Reader } from './pc4/index.js';
import type { WeChatFormat, WeChatImportOptions, WeChatReader } from './types.js';

export type WeChatReaderOpener = (options: WeChatImportOptions) => WeChatReader | Promise<WeChatReader>;

/** The readers, by format. */
export const WECHAT_READERS: { readonly [F in WeChatFormat]: WeChatReaderOpener } = {
  'wechat-pc3': openPc3Reader,
  'wechat-pc4': openPc4Reader,
  'wechat-android': openAndroidReader,
  'wechat-ios': openIosReader,
  'wechatmsg-csv': openCsvReader,
};
