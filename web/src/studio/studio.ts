/**
 * The upload studio, rendered by the router at `/upload`.
 * First version: hosts the existing upload panel inline; the full studio follows.
 */
import { UploadPanel } from '../upload-panel.js';

let panel: UploadPanel | null = null;
let currentCtx: StudioContext | null = null;

export interface StudioContext {
  requireLogin: (then: () => void) => void;
  onOpenVideo: (videoId: string) => void;
}

/** Mounts the studio into `container`; the returned cleanup unmounts it (uploads in flight keep going). */
export function mountStudio(container: HTMLElement, ctx: StudioContext): () => void {
  currentCtx = ctx;
  panel ??= new UploadPanel({
    onWatch: (view) => currentCtx?.onOpenVideo(view.id),
    onActivity: () => undefined,
    requireLogin: (then) => currentCtx?.requireLogin(then),
  });
  container.replaceChildren(panel.dialog);
  panel.open();
  return () => {
    if (panel?.dialog.open) panel.dialog.close();
    panel?.dialog.remove();
  };
}
