/**
 * Android keeps some message kinds under their own large `type` numbers (reference B.3, from
 * wechat-dump's `msg.py`); the others use the PC numbering. They all carry an appmsg XML whose
 * `<type>` decides in the end; this table gives the (Type, SubType) to fall back on. Looked up,
 * never derived from the bits (the encodings are not consistent).
 */
const ANDROID_TYPES: ReadonlyMap<number, { type: number; subType: number }> = new Map([
  [1048625, { type: 47, subType: 0 }], // custom emoji
  [16777265, { type: 49, subType: 5 }], // app message (link)
  [436207665, { type: 49, subType: 2001 }], // red packet
  [419430449, { type: 49, subType: 2000 }], // transfer
  [-1879048186, { type: 49, subType: 17 }], // live location sharing
  [822083633, { type: 49, subType: 57 }], // reply / quote
  [1090519089, { type: 49, subType: 6 }], // file
  [1040187441, { type: 49, subType: 3 }], // QQ music
]);

/** The PC-style (Type, SubType) of an Android `message.type`. */
export function androidMessageType(type: number): { type: number; subType: number } {
  return ANDROID_TYPES.get(type) ?? { type, subType: 0 };
}
