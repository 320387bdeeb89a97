/** How long a press must be held, and how far the pointer may wander (a swipe is not a press). */
export const LONG_PRESS_MS = 500;
const MOVE_TOLERANCE_PX = 10;

/**
 * Calls `run` when `el` is pressed and held (finger or mouse button). The click
 * that ends such a press is swallowed before `el`'s own click listeners, so a
 * long-press never also counts as a tap (pause) or half of a double tap (like);
 * the browser's own long-press menu does not open over it.
 */
export function attachLongPress(el: HTMLElement, run: () => void): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let start: { x: number; y: number } | null = null;
  let fired = false;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    start = null;
  };
  el.addEventListener('pointerdown', (ev) => {
    fired = false;
    cancel();
    if (ev.button !== 0 || !ev.isPrimary) return;
    start = { x: ev.clientX, y: ev.clientY };
    timer = setTimeout(() => {
      timer = null;
      start = null;
      fired = true;
      run();
    }, LONG_PRESS_MS);
  });
  el.addEventListener('pointermove', (ev) => {
    if (start && Math.hypot(ev.clientX - start.x, ev.clientY - start.y) > MOVE_TOLERANCE_PX) cancel();
  });
  for (const type of ['pointerup', 'pointercancel', 'pointerleave'] as const) el.addEventListener(type, cancel);
  el.addEventListener(
    'click',
    (ev) => {
      if (!fired) return;
      fired = false;
      ev.preventDefault();
      ev.stopImmediatePropagation();
    },
    { capture: true },
  );
  el.addEventListener('contextmenu', (ev) => ev.preventDefault());
}
