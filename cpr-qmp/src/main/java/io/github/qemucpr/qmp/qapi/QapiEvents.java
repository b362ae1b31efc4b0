package io.github.qemucpr.qmp.qapi;

import io.github.qemucpr.qmp.QmpProtocolException;
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
import io.github.qemucpr.qmp.internal.qapi.QapiCodec;
import io.github.qemucpr.qmp.internal.qapi.QapiIndex;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns the events a {@link io.github.qemucpr.qmp.QmpClient} delivers into the generated event
 * records.
 *
 * <pre>{@code
 * QmpEvent e = qmp.awaitEvent(ev -> ev.name().equals(BlockJobCompletedEvent.NAME), timeout);
 * BlockJobCompletedEvent done = QapiEvents.decode(e, BlockJobCompletedEvent.class).orElseThrow();
 * }</pre>
 */
public final class QapiEvents {
  private QapiEvents() {}

  /**
   * The generated record of an event.
   *
   * @param event an event from QEMU
   * @return its record, or empty for an event the schema does not have
   * @throws QmpProtocolException if the event's data does not have the schema's shape
   */
  public static Optional<QapiEvent> decode(QmpEvent event) {
    Class<? extends QapiEvent> type = QapiIndex.eventType(event.name());
    return type == null ? Optional.empty() : Optional.of(decodeAs(event, type));
  }

  /**
   * The event as {@code type}, if it is that event.
   *
   * @param <E> the record type
   * @param event an event from QEMU
   * @param type the generated record class, such as {@code BlockJobCompletedEvent.class}
   * @return the record, or empty when the event has another name
   * @throws QmpProtocolException if the event's data does not have the schema's shape
   */
  public static <E extends QapiEvent> Optional<E> decode(QmpEvent event, Class<E> type) {
    Objects.requireNonNull(type, "type");
    QapiName name = type.getAnnotation(QapiName.class);
    if (name == null) {
      throw new IllegalArgumentException(type.getName() + " is not a generated event record");
    }
    return name.value().equals(event.name())
        ? Optional.of(decodeAs(event, type))
        : Optional.empty();
  }

  private static <E extends QapiEvent> E decodeAs(QmpEvent event, Class<E> type) {
    try {
      return QapiCodec.decodeEvent(type, data(event), event.timestamp());
    } catch (QapiCodec.DecodeException e) {
      throw new QmpProtocolException(
          "the event " + event.name() + " does not have the schema's shape: " + e.getMessage(), e);
    }
  }

  /**
   * The event's data as QEMU sent it: every event keeps it, and the fields of a hand-written record
   * (which a caller may have built) go over it.
   */
  private static JsonNode data(QmpEvent event) {
    if (event instanceof GenericEvent g) {
      return g.data();
    }
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    JsonNode sent = sent(event);
    if (sent.isObject()) {
      data.setAll((ObjectNode) sent);
    }
    if (event instanceof ShutdownEvent s) {
      data.put("guest", s.guest());
      data.put("reason", s.reason());
    } else if (event instanceof ResetEvent r) {
      data.put("guest", r.guest());
      data.put("reason", r.reason());
    } else if (event instanceof MigrationEvent m) {
      data.put("status", m.status().wireName());
    } else if (event instanceof MigrationPassEvent p) {
      data.put("pass", p.pass());
    }
    return data;
  }

  private static JsonNode sent(QmpEvent event) {
    if (event instanceof StopEvent e) {
      return e.data();
    } else if (event instanceof ResumeEvent e) {
      return e.data();
    } else if (event instanceof SuspendEvent e) {
      return e.data();
    } else if (event instanceof WakeupEvent e) {
      return e.data();
    } else if (event instanceof PowerdownEvent e) {
      return e.data();
    } else if (event instanceof ShutdownEvent e) {
      return e.data();
    } else if (event instanceof ResetEvent e) {
      return e.data();
    } else if (event instanceof MigrationEvent e) {
      return e.data();
    } else if (event instanceof MigrationPassEvent e) {
      return e.data();
    }
    return JsonNodeFactory.instance.objectNode();
  }
}
