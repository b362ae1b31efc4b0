package io.github.qemucpr.api;

import io.github.qemucpr.qmp.command.RunState;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code run()} refused to start a save or a transfer because the preflight found errors. Nothing
 * was changed. The report holds every problem found, not only the first.
 */
public final class CprPreflightException extends CprException {
  private static final long serialVersionUID = 1L;

  private final transient PreflightReport report;

  /** Creates the exception for a report with errors; the VM state is the one the preflight saw. */
  public CprPreflightException(PreflightReport report, @Nullable RunState vmState) {
    super(summary(report), CprPhase.PREFLIGHT, null, vmState, VmRecovery.UNTOUCHED, null);
    this.report = report;
  }

  /** The full report, warnings included. */
  public PreflightReport report() {
    return report;
  }

  private static String summary(PreflightReport report) {
    Objects.requireNonNull(report, "report");
    StringBuilder sb =
        new StringBuilder("the preflight found ")
            .append(report.errors().size())
            .append(report.errors().size() == 1 ? " error:" : " errors:");
    for (PreflightItem item : report.errors()) {
      sb.append(' ')
          .append(item.code())
          .append(" [")
          .append(item.subject())
          .append("] ")
          .append(item.message());
    }
    return sb.toString();
  }
}
