import type { PagePath } from '$shared/routes.ts';

/** A page's address with a query (empty values left out): `pageHref(PAGES.alerts, { id: 7 })` → `/alerts?id=7`. */
export function pageHref(page: PagePath, query: Record<string, string | number | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== null && value !== undefined && value !== '') q.set(key, String(value));
  const text = q.toString();
  return text ? `${page}?${text}` : page;
}

/**
 * A tiny History-API router: the path is state, internal links are
 * intercepted, back/forward just work. Pages are picked in App.svelte.
 */
class Router {
  path = $state(location.pathname);
  search = $state(location.search);

  constructor() {
    window.addEventListener('popstate', () => this.#sync());
    document.addEventListener('click', (event) => this.#onClick(event));
  }

  navigate(href: string, { replace = false } = {}): void {
    const url = new URL(href, location.href);
    if (url.origin !== location.origin) {
      location.assign(url);
      return;
    }
    if (url.pathname + url.search === location.pathname + location.search) return;
    history[replace ? 'replaceState' : 'pushState'](null, '', url);
    this.#sync();
    if (!replace) window.scrollTo({ top: 0 });
  }

  #sync(): void {
    this.path = location.pathname;
    this.search = location.search;
  }

  #onClick(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = event.target instanceof Element ? event.target.closest('a') : null;
    if (!anchor || !anchor.href || anchor.target || anchor.hasAttribute('download') || anchor.dataset.external !== undefined) return;
    const url = new URL(anchor.href);
    if (url.origin !== location.origin) return;
    event.preventDefault();
    this.navigate(url.href);
  }
}

export const router = new Router();
