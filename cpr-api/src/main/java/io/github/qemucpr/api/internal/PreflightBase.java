package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.qmp.QmpClient;
import java.time.Duration;
import java.util.List;

/**
 * What the three preflights (save, transfer, exec) share: the client they question, the deadline
 * their queries keep to, and the findings they collect. Each one adds its own checks.
 */
abstract class PreflightBase {
  final QmpClient qmp;
  final Deadline deadline;
  final PreflightItems found = new PreflightItems();
  final List<PreflightItem> items = found.list();

  PreflightBase(QmpClient qmp, Deadline deadline) {
    this.qmp = qmp;
    this.deadline = deadline;
  }

  /** The timeout of the next query: a command's, within what is left of the deadline. */
  final Duration timeout() {
    return deadline.remaining(WorkflowTimeouts.COMMAND);
  }
}
