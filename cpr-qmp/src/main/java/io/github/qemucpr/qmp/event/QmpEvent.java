package io.github.qemucpr.qmp.event;

import java.time.Instant;

/**
 * An asynchronous event from QEMU. Typed records cover the events the CPR workflow needs; any other
 * event arrives as a {@link GenericEvent}.
 */
public sealed interface QmpEvent
    permits StopEvent,
        ResumeEvent,
        SuspendEvent,
        WakeupEvent,
        ShutdownEvent,
        ResetEvent,
        PowerdownEvent,
        MigrationEvent,
        MigrationPassEvent,
        GenericEvent {

  /** The event name as QEMU sends it, such as {@code MIGRATION}. */
  String name();

  /** When QEMU emitted the event (its own clock, microsecond precision). */
  Instant timestamp();
}
