package io.github.qemucpr.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.ResumeEvent;
import io.github.qemucpr.qmp.event.StopEvent;
import io.github.qemucpr.testing.FakeQmpServer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Listener isolation (issue 11, item 4). {@link QmpEventListener} promises: "Whatever a listener
 * throws, an Error included, is logged; the other listeners still get the event, and delivery goes
 * on." That holds for a listener whose own {@code toString()} throws too (a user class that prints
 * a field not set yet), although the log line names the listener: before the fix that line was
 * built outside the guard, and such a listener took the event from every listener after it.
 */
@Timeout(60)
class ListenerIsolationTest {

  private final FakeQmpServer server = FakeQmpServer.start();
  private QmpClient qmp;

  @AfterEach
  void tearDown() {
    if (qmp != null) {
      qmp.close();
    }
    server.close();
    ThreadLeaks.assertNoClientThreads();
  }

  /** A user's listener with a bug in onEvent and another in toString. */
  private static final class Broken implements QmpEventListener {
    private String name; // never set: the bug

    @Override
    public void onEvent(QmpEvent event) {
      throw new IllegalStateException("a user listener's bug");
    }

    @Override
    public String toString() {
      return "Broken[" + name.length() + "]";
    }
  }

  @Test
  void aListenerWhoseToStringAlsoThrowsTakesTheEventFromNoOtherListener() throws Exception {
    qmp = QmpClient.connect(server.socketPath());
    qmp.subscribe(new Broken());
    BlockingQueue<QmpEvent> second = new LinkedBlockingQueue<>();
    qmp.subscribe(second::add);

    server.sendEvent("STOP", null);
    server.sendEvent("RESUME", null);

    assertThat(second.poll(5, TimeUnit.SECONDS))
        .as("the second listener's first event")
        .isInstanceOf(StopEvent.class);
    assertThat(second.poll(5, TimeUnit.SECONDS))
        .as("the second listener's second event")
        .isInstanceOf(ResumeEvent.class);
  }
}
