package io.github.qemucpr.qmp.internal.codec;

import io.github.qemucpr.qmp.command.MigrationStatus;
import io.github.qemucpr.qmp.event.GenericEvent;
import io.github.qemucpr.qmp.event.MigrationEvent;
import io.github.qemucpr.qmp.event.MigrationPassEvent;
import io.github.qemucpr.qmp.event.PowerdownEvent;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.event.ResetEvent;
import io.github.qemucpr.qmp.event.ResumeEvent;
import io.github.qemucpr.qmp.event.ShutdownEvent;
import io.github.qemucpr.qmp.event.StopEvent;
import io.github.qemucpr.qmp.event.SuspendEvent;
import io.github.qemucpr.qmp.event.WakeupEvent;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import java.time.DateTimeException;
import java.time.Instant;
import tools.jackson.databind.JsonNode;

/** Turns an event message into its typed record, or a {@link GenericEvent}. */
public final class Events {
  private Events() {}

  public static QmpEvent decode(JsonNode message, JsonCodec codec) {
    String name = message.path("event").asString("");
    Instant timestamp = timestamp(message.path("timestamp"));
    JsonNode data = message.get("data");
    if (data == null || !data.isObject()) {
      data = codec.objectNode();
    }
    switch (name) {
      case StopEvent.NAME:
        return new StopEvent(timestamp, data);
      case ResumeEvent.NAME:
        return new ResumeEvent(timestamp, data);
      case SuspendEvent.NAME:
        return new SuspendEvent(timestamp, data);
      case WakeupEvent.NAME:
        return new WakeupEvent(timestamp, data);
      case PowerdownEvent.NAME:
        return new PowerdownEvent(timestamp, data);
      case ShutdownEvent.NAME:
        return new ShutdownEvent(
            timestamp, data.path("guest").asBoolean(false), data.path("reason").asString(""), data);
      case ResetEvent.NAME:
        return new ResetEvent(
            timestamp, data.path("guest").asBoolean(false), data.path("reason").asString(""), data);
      case MigrationEvent.NAME:
        return new MigrationEvent(
            timestamp, MigrationStatus.of(data.path("status").asString("")), data);
      case MigrationPassEvent.NAME:
        return new MigrationPassEvent(timestamp, data.path("pass").asLong(0), data);
      default:
        return new GenericEvent(name, timestamp, data);
    }
  }

  private static Instant timestamp(JsonNode ts) {
    try {
      return Instant.ofEpochSecond(
          ts.path("seconds").asLong(0),
          Math.multiplyExact(ts.path("microseconds").asLong(0), 1000));
    } catch (DateTimeException | ArithmeticException e) {
      // Out of Instant's range: not from a sane QEMU, but the event itself still counts.
      return Instant.EPOCH;
    }
  }
}
