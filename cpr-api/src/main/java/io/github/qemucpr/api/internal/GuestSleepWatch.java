package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.EventQueue;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpEventsLostException;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.SuspendEvent;
import io.github.qemucpr.qmp.event.WakeupEvent;

/**
 * Counts the guest's {@code SUSPEND} and {@code WAKEUP} events from the moment it is opened, so
 * that a save knows whether the guest may have gone to sleep on its own (S3 from inside: {@code
 * rtcwake}, a lid switch, a hostile guest) after its preflight read the run state. A VM whose guest
 * was suspended must never get {@code cont} after a completed migration, and once it is in {@code
 * postmigrate}, QEMU no longer says whether it was. Fed by the client's event queues, never by a
 * listener, so it misses nothing a slow or failing listener would; when a queue overflows (a flood
 * from QEMU), it says the guest may sleep. Not thread-safe.
 */
final class GuestSleepWatch implements AutoCloseable {
  private final EventQueue<SuspendEvent> suspends;
  private final EventQueue<WakeupEvent> wakeups;
  private long suspendCount;
  private long wakeupCount;
  private boolean lost;

  /** Opens the watch; open it before the run state it is to complete is read. */
  GuestSleepWatch(QmpClient qmp) {
    this.suspends = qmp.openEventQueue(SuspendEvent.class);
    this.wakeups = qmp.openEventQueue(WakeupEvent.class);
  }

  /**
   * How many {@code SUSPEND} events came since the watch was opened; {@link Long#MAX_VALUE} once
   * events were lost (any number may have come).
   */
  long suspendCount() {
    takeQueued();
    return lost ? Long.MAX_VALUE : suspendCount;
  }

  /**
   * Whether the guest may be suspended now, as far as the events since the watch was opened tell:
   * more {@code SUSPEND} than {@code WAKEUP} events, or events lost. A guest reset out of S3 gets
   * no {@code WAKEUP}, so this errs towards "may sleep", never the other way.
   */
  boolean maySleep() {
    takeQueued();
    return lost || suspendCount > wakeupCount;
  }

  private void takeQueued() {
    // Wake-ups first: a WAKEUP counted here answers a SUSPEND that came before it, so that one is
    // counted too; a SUSPEND that comes in between is counted without its WAKEUP, which errs
    // towards "may sleep".
    wakeupCount += drain(wakeups);
    suspendCount += drain(suspends);
  }

  private <E extends QmpEvent> long drain(EventQueue<E> queue) {
    long n = 0;
    try {
      while (queue.poll() != null) {
        n++;
      }
    } catch (QmpEventsLostException e) {
      lost = true;
    } catch (QmpConnectionClosedException e) {
      // QEMU is gone; every event it sent before was counted
    }
    return n;
  }

  @Override
  public void close() {
    suspends.close();
    wakeups.close();
  }
}
