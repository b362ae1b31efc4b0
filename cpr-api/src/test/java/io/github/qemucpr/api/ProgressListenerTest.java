package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import io.github.qemucpr.api.CprProgressEvent.Kind;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/**
 * What a save tells the caller's progress listener, checked with a mock of that listener (a
 * caller's callback is the seam a mock is for; QEMU is the in-process fake): each phase starts
 * before it finishes, in the save's order, on the calling thread; and a listener that throws
 * changes nothing in the save.
 */
class ProgressListenerTest extends FakeQemuTest {

  private static CprProgressEvent is(CprPhase phase, Kind kind) {
    return argThat(e -> e != null && e.phase() == phase && e.kind() == kind);
  }

  @Test
  void aSaveReportsEachPhaseStartedThenFinishedInOrder() {
    CprProgressListener listener = mock(CprProgressListener.class);

    CprReboot.save(qmp).to(stateFile).progressListener(listener).run();

    InOrder order = inOrder(listener);
    order.verify(listener).onProgress(is(CprPhase.PREFLIGHT, Kind.STARTED));
    order.verify(listener).onProgress(is(CprPhase.PREFLIGHT, Kind.FINISHED));
    order.verify(listener).onProgress(is(CprPhase.PREPARE, Kind.STARTED));
    order.verify(listener).onProgress(is(CprPhase.PREPARE, Kind.FINISHED));
    order.verify(listener).onProgress(is(CprPhase.MIGRATE, Kind.STARTED));
    order.verify(listener).onProgress(is(CprPhase.MIGRATE, Kind.FINISHED));
    order.verify(listener).onProgress(is(CprPhase.PERSIST, Kind.STARTED));
    order.verify(listener).onProgress(is(CprPhase.PERSIST, Kind.FINISHED));
    verify(listener, never()).onProgress(argThat(e -> e != null && e.kind() == Kind.FAILED));
    verify(listener, never()).onProgress(argThat(e -> e != null && e.kind() == Kind.ROLLBACK));
  }

  @Test
  void aListenerThatThrowsDoesNotChangeTheSave() throws Exception {
    CprProgressListener listener = mock(CprProgressListener.class);
    doThrow(new IllegalStateException("a caller's bug")).when(listener).onProgress(any());

    CprSaveResult result = CprReboot.save(qmp).to(stateFile).progressListener(listener).run();

    assertThat(result).isNotNull();
    assertThat(stateDirectory()).contains(stateFile.getFileName().toString());
    verify(listener, atLeastOnce()).onProgress(is(CprPhase.PERSIST, Kind.FINISHED));
    verify(listener, never()).onProgress(argThat(e -> e != null && e.kind() == Kind.ROLLBACK));
  }
}
