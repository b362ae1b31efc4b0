package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprProgressEvent;
import io.github.qemucpr.api.CprProgressListener;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Reports phases to the listener and the log, and times them. Single-threaded. */
final class Progress {
  private static final System.Logger LOG = System.getLogger("io.github.qemucpr.api");

  private final @Nullable CprProgressListener listener;
  private final long start = System.nanoTime();
  private final EnumMap<CprPhase, Duration> durations = new EnumMap<>(CprPhase.class);
  private @Nullable CprPhase current;
  private long phaseStart;

  Progress(@Nullable CprProgressListener listener) {
    this.listener = listener;
  }

  void start(CprPhase phase, String message) {
    current = phase;
    phaseStart = System.nanoTime();
    emit(phase, CprProgressEvent.Kind.STARTED, message);
  }

  void progress(String message) {
    if (current != null) {
      emit(current, CprProgressEvent.Kind.PROGRESS, message);
    }
  }

  void finish(String message) {
    CprPhase phase = current;
    if (phase != null) {
      durations.merge(phase, Duration.ofNanos(System.nanoTime() - phaseStart), Duration::plus);
      emit(phase, CprProgressEvent.Kind.FINISHED, message);
      current = null;
    }
  }

  void failed(String message) {
    CprPhase phase = current;
    if (phase != null) {
      durations.merge(phase, Duration.ofNanos(System.nanoTime() - phaseStart), Duration::plus);
      emit(phase, CprProgressEvent.Kind.FAILED, message);
    }
  }

  void rollback(CprPhase phase, String message) {
    emit(phase, CprProgressEvent.Kind.ROLLBACK, message);
  }

  /** A step of a rollback. */
  @FunctionalInterface
  interface RollbackStep {
    void run() throws Exception;
  }

  /**
   * Runs one rollback step and reports it; a failure is added to {@code problems}, wrapped with
   * what the step was, instead of thrown, so that the next step still runs.
   */
  void rollbackStep(List<Throwable> problems, String what, RollbackStep step) {
    CprPhase phase = current != null ? current : CprPhase.PREPARE;
    try {
      step.run();
      rollback(phase, what);
    } catch (Exception e) {
      problems.add(new StepFailure("rollback step failed: " + what + ": " + e, e));
      rollback(phase, "FAILED " + what + ": " + e);
    }
  }

  /** The phase running now, or the last one started. */
  @Nullable CprPhase current() {
    return current;
  }

  Map<CprPhase, Duration> durations() {
    return new EnumMap<>(durations);
  }

  Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - start);
  }

  private void emit(CprPhase phase, CprProgressEvent.Kind kind, String message) {
    CprProgressEvent event = new CprProgressEvent(phase, kind, elapsed(), message);
    LOG.log(kind == CprProgressEvent.Kind.FAILED ? Level.WARNING : Level.DEBUG, event::toString);
    if (listener != null) {
      try {
        listener.onProgress(event);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "the progress listener threw; ignored", e);
      }
    }
  }
}
