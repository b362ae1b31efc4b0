package io.github.qemucpr.qmp.qapi;

import java.time.Instant;

/** A generated event record; get one from a received event with {@link QapiEvents}. */
public interface QapiEvent extends QapiObject {
  /**
   * The event's name on the wire, such as {@code BLOCK_JOB_COMPLETED}.
   *
   * @return the name
   */
  String eventName();

  /**
   * When QEMU emitted the event (its own clock, microsecond precision).
   *
   * @return the time
   */
  Instant timestamp();
}
