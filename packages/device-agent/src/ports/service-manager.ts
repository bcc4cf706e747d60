// The service manager the agent reports to (systemd's sd_notify protocol in production, a recorder
// in tests): READY=1, STATUS=..., WATCHDOG=1, EXTEND_TIMEOUT_USEC=..., STOPPING=1.

export interface ServiceManagerPort {
  /** Sends the assignments (each `KEY=value`, no newline) as one notification. Never throws. */
  notify(assignments: readonly string[]): void;
  /** Releases what the notifier holds (a child process); later notifications are dropped. */
  close(): Promise<void>;
}
