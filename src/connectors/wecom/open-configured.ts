import type { WeComSource } from '../../services/connectors/wecom-source.js';
import type { WeComArchiveClient } from './archive-client.js';
import { openWeComSdk } from './koffi-sdk.js';

/** Opens the SDK library a source is configured with (Tencent's, or the test double in tests). */
export function openConfiguredSdk(source: WeComSource): WeComArchiveClient {
  return openWeComSdk({
    libraryPath: source.config.sdkPath,
    corpId: source.config.corpId,
    secret: source.secrets.secret,
    ...(source.config.proxy ? { proxy: source.config.proxy } : {}),
    ...(source.secrets.proxyPassword ? { proxyPassword: source.secrets.proxyPassword } : {}),
  });
}
