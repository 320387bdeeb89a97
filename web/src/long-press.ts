/** How long a press must be held, and how far the pointer may wander (a swipe is not a press). */
export const LONG_PRESS_MS = 500;
const MOVE_TOLERANCE_PX = 10;
/** After the press ends, how long its click may take to arrive. */
const CLICK_GRACE_MS = 400;

/**
 * Calls `run` when `el` is pressed and held (finger or mouse button). The click
 * that ends such a press is swallowed wherever it lands (before any listener):
 * a long-press never also counts as a tap (pause) or half of a double tap
 * (like), and a finger lifted over a sheet `run` opened does not close it. The
 * browser's own long-press menu does not open over `el`.
 */
export function attachLongPress(el: HTMLElement, run: () => void): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let press: { id: number; x: number; y: number } | null = null;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    press = null;
  };
  el.addEventListener('pointerdown', (ev) => {
    cancel();
    if (ev.button !== 0 || !ev.isPrimary) return;
    press = { id: ev.pointerId, x: ev.clientX, y: ev.clientY };
    timer = setTimeout(() => {
      timer = null;
      press = null;
      swallowNextClick();
      run();
    }, LONG_PRESS_MS);
  });
  el.addEventListener('pointermove', (ev) => {
    if (press?.id === ev.pointerId && Math.hypot(ev.clientX - press.x, ev.clientY - press.y) > MOVE_TOLERANCE_PX) cancel();
  });
  for (const type of ['pointerup', 'pointercancel', 'pointerleave'] as const) {
    el.addEventListener(type, (ev) => {
      if (press?.id === ev.pointerId) cancel();
    });
  }
  el.addEventListener('contextmenu', (ev) => ev.preventDefault());
}

/** The click that ends the current press, wherever it lands, goes nowhere. */
function swallowNextClick(): void {
  let grace: ReturnType<typeof setTimeout> | null = null;
  const swallow = (ev: Event) => {
    ev.preventDefault();
    ev.stopImmediatePropagation();
    done();
  };
  const released = () => {
    grace ??= setTimeout(done, CLICK_GRACE_MS);
  };
  const done = () => {
    if (grace) clearTimeout(grace);
    window.removeEventListener('click', swallow, true);
    window.removeEventListener('pointerup', released, true);
    window.removeEventListener('pointercancel', released, true);
  };
  window.addEventListener('click', swallow, true);
  window.addEventListener('pointerup', released, true);
  window.addEventListener('pointercancel', released, true);
}
