package io.github.qemucpr.api.internal;

import java.time.Duration;

/** The limits every workflow uses, besides the caller's overall and phase timeouts. */
final class WorkflowTimeouts {

  /** The most one command of the normal path may take (less when the deadline is nearer). */
  static final Duration COMMAND = Duration.ofSeconds(30);

  /** The most one command of a rollback may take; a rollback has no deadline of its own. */
  static final Duration ROLLBACK_COMMAND = Duration.ofSeconds(15);

  /** How long a rollback waits for {@code migrate_cancel} to end the migration. */
  static final Duration CANCEL = Duration.ofSeconds(60);

  /** How long a run state may take to settle after a migration event (QEMU sets it after). */
  static final Duration SETTLE = Duration.ofSeconds(10);

  /** The least time a quit gets: the state is safe by then, so it never fails for want of time. */
  static final Duration MIN_QUIT = Duration.ofSeconds(10);

  private WorkflowTimeouts() {}
}
