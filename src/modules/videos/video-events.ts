import { EventEmitter } from 'node:events';

/**
 * In-process "something changed about video X" signal. It only wakes up
 * listeners early: the SSE stream also re-reads the database on an interval,
 * so changes made by a worker in another process still arrive.
 */
export class VideoEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  changed(videoId: string): void {
    this.emitter.emit(videoId);
  }

  subscribe(videoId: string, listener: () => void): () => void {
    this.emitter.on(videoId, listener);
    return () => this.emitter.off(videoId, listener);
  }
}
