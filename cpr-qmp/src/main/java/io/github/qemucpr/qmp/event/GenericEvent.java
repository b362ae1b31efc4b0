package io.github.qemucpr.qmp.event;

import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * Any event the SDK has no record for, with its data as JSON.
 *
 * @param name the event name, such as {@code BLOCK_JOB_COMPLETED}
 * @param timestamp when QEMU emitted it
 * @param data the {@code data} member, or an empty object when there was none
 */
public record GenericEvent(String name, Instant timestamp, JsonNode data) implements QmpEvent {}
