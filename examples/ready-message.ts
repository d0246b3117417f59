// The message 'ready' to the parent process, sent once the engine is ready, where there is an IPC
// channel: PM2 started with wait_ready waits for it (instead of the listening socket, which comes
// seconds before the engine is loaded and warmed up) before it counts a process as started and, on
// `pm2 reload`, before it stops the old one; a node:cluster primary of your own may wait for it too.

/** Sends 'ready' to the parent, if any; a channel that has closed is ignored. */
export function sendReady(): void {
  if (process.send === undefined || !process.connected) return;
  process.send('ready', undefined, undefined, () => undefined);
}
