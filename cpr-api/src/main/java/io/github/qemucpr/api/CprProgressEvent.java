package io.github.qemucpr.api;

import java.time.Duration;
import java.util.Objects;

/**
 * One step of a save or restore.
 *
 * @param phase the phase it belongs to
 * @param kind whether the phase started, moved on, finished or failed
 * @param elapsed the time since the operation started
 * @param message what happened, for a log line, such as {@code migration status: device}
 */
public record CprProgressEvent(CprPhase phase, Kind kind, Duration elapsed, String message) {

  /** Checks the components. */
  public CprProgressEvent {
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(elapsed, "elapsed");
    Objects.requireNonNull(message, "message");
  }

  /** The kind of a progress event. */
  public enum Kind {
    /** The phase began. */
    STARTED,
    /** Something happened within the phase, such as a migration status change. */
    PROGRESS,
    /** The phase ended successfully. */
    FINISHED,
    /** The phase failed; a rollback follows when the VM was touched. */
    FAILED,
    /** A rollback step ran, or failed. */
    ROLLBACK
  }

  @Override
  public String toString() {
    return String.format("%8.3fs %-13s %-8s %s", elapsed.toNanos() / 1e9, phase, kind, message);
  }
}
