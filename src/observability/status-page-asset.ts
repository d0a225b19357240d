import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export interface StatusPageAsset {
  html: Buffer;
  /** Allows exactly the page's own inline script and style (by hash) and fetches to this origin. */
  contentSecurityPolicy: string;
}

/** The page ships next to the compiled module (scripts/copy-assets.js copies src/observability/page). */
export const STATUS_PAGE_URL = new URL('./page/index.html', import.meta.url);

/**
 * Reads the status page and derives its Content-Security-Policy from the inline blocks it contains, so
 * the page can stay one self-contained file while the browser refuses any other script.
 */
export async function loadStatusPage(url: URL = STATUS_PAGE_URL): Promise<StatusPageAsset> {
  const html = await readFile(url);
  const text = html.toString('utf8');
  const hashes = (tag: 'script' | 'style'): string =>
    [...text.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
      .map(
        (m) =>
          `'sha256-${createHash('sha256')
            .update(m[1] ?? '', 'utf8')
            .digest('base64')}'`,
      )
      .join(' ');
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${hashes('script') || "'none'"}`,
    `style-src ${hashes('style') || "'none'"}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
