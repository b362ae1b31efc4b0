package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.command.RunState;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The blackout of a workflow that ends with the VM in a new QEMU (cpr-transfer, cpr-exec): from the
 * old QEMU's {@code STOP} to the new one's {@code RESUME}, as QEMU stamped them. When the {@code
 * RESUME} was not seen, it runs to the moment the new QEMU was first seen running, an upper bound
 * ({@code exact} false). A VM that did not run before has none.
 *
 * @param duration how long the VM did not run
 * @param exact whether both ends are QEMU's own event times
 */
record Blackout(Duration duration, boolean exact) {

  /** How long the events may lag behind a reply that read {@code running}. */
  static final Duration RESUME_EVENT_LAG = Duration.ofSeconds(1);

  /**
   * Measures the blackout once the new QEMU holds the VM.
   *
   * @param before the run state before the workflow
   * @param now the new QEMU's run state, just read
   * @param resumeExpected whether the new QEMU loaded the VM while this client watched, so that its
   *     {@code RESUME} is on the way
   * @param old the watcher of the old QEMU, which saw the {@code STOP}
   * @param fresh the watcher of the new QEMU
   * @param seenRunningAt when the new QEMU was first read as running, if it was
   */
  static Blackout measure(
      RunState before,
      RunState now,
      boolean resumeExpected,
      MigrationWatcher old,
      MigrationWatcher fresh,
      @Nullable Instant seenRunningAt) {
    if (resumeExpected && now.equals(RunState.RUNNING) && fresh.firstResume() == null) {
      // QEMU sends RESUME before the reply that read running, but events reach the watcher on
      // the client's event thread, which may lag behind the reply.
      fresh.awaitResume(RESUME_EVENT_LAG);
    }
    Instant stop = old.firstStop();
    if (!before.equals(RunState.RUNNING) || stop == null) {
      return new Blackout(Duration.ZERO, true);
    }
    Instant resume = fresh.firstResume();
    if (resume != null) {
      return new Blackout(Duration.between(stop, resume), true);
    }
    return new Blackout(
        Duration.between(stop, seenRunningAt != null ? seenRunningAt : Instant.now()), false);
  }

  /** For progress messages: {@code "at most 12.5 ms"} when not exact. */
  String describe() {
    return (exact ? "" : "at most ") + duration.toNanos() / 1e6 + " ms";
  }
}
