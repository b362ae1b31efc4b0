package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprProgressEvent;
import io.github.qemucpr.api.VmRecovery;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rules every rollback follows, apart from any workflow. */
class RollbackTest {

  @AfterEach
  void clearInterrupt() {
    Thread.interrupted();
  }

  @Test
  void anInterruptDuringTheRollbackDoesNotAbortTheStepsAfterIt() {
    List<CprProgressEvent> events = new ArrayList<>();
    Progress progress = new Progress(events::add);
    progress.start(CprPhase.MIGRATE, "migrate");
    Rollback rollback = new Rollback(progress, new RuntimeException("boom"));
    List<Boolean> interruptedInStep = new ArrayList<>();

    rollback.step("first", () -> Thread.currentThread().interrupt());
    rollback.step(
        "second",
        () -> {
          interruptedInStep.add(Thread.currentThread().isInterrupted());
          Thread.sleep(1); // throws InterruptedException if the flag were still set
        });
    rollback.step("third", () -> interruptedInStep.add(Thread.currentThread().isInterrupted()));

    assertThat(interruptedInStep).containsExactly(false, false);
    assertThat(rollback.clean()).as("no step failed").isTrue();
    rollback.report("VM running", VmRecovery.RESTORED);
    rollback.end();
    assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is given back").isTrue();
    assertThat(events)
        .filteredOn(e -> e.kind() == CprProgressEvent.Kind.ROLLBACK)
        .last()
        .extracting(CprProgressEvent::message)
        .asString()
        .contains("interrupted");
  }

  @Test
  void anInterruptBeforeTheRollbackIsGivenBackAtTheEnd() {
    Progress progress = new Progress(null);
    progress.start(CprPhase.PREPARE, "prepare");
    Thread.currentThread().interrupt();
    Rollback rollback = new Rollback(progress, new RuntimeException("boom"));
    List<Boolean> seen = new ArrayList<>();
    rollback.step("step", () -> seen.add(Thread.currentThread().isInterrupted()));
    assertThat(seen).containsExactly(false);
    rollback.end();
    assertThat(Thread.currentThread().isInterrupted()).isTrue();
  }
}
